import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { tsImport } from 'tsx/esm/api';
import ts from 'typescript';
import { isProtocol, rememberSource } from '../core/index.ts';
import type { Protocol } from '../core/index.ts';
import { findMetaModel, findProtocol, library, metaModelLibrary, roundLibrary } from '../protocols/index.ts';
import type { RoundLibraryEntry } from '../protocols/index.ts';
import type { RoundProblem } from '../core/rounds.ts';
import { isMetaModel } from '../metamodel/index.ts';
import type { MetaModel } from '../metamodel/index.ts';
import { UsageError } from './usage-error.ts';

/** True when the argument names a file rather than a protocol of the library. */
export function looksLikePath(arg: string): boolean {
  return arg.includes('/') || arg.includes('\\') || /\.(ts|mts|js|mjs)$/.test(arg);
}

/** What the CLI loads by name from the library or from a user's file. */
interface Kind<T> {
  readonly noun: string;
  readonly is: (value: unknown) => value is T;
  readonly library: readonly { readonly name: string }[];
  readonly find: (name: string) => T | undefined;
  /** What a file must export, for the message when it exports none. */
  readonly hint: string;
}

/** A library entry by name, or the value of that kind a TypeScript file exports (type-checked first). */
async function loadExported<T>(kind: Kind<T>, arg: string, exportName?: string): Promise<{ value: T; file?: string; exportName?: string }> {
  if (!looksLikePath(arg)) {
    const found = kind.find(arg);
    if (!found) throw new UsageError(`unknown ${kind.noun} ${JSON.stringify(arg)} (the library has: ${kind.library.map((p) => p.name).join(', ')}; give a path such as ./my-${kind.noun.replace(/ /g, '-')}.ts for your own)`);
    return { value: found };
  }
  const file = path.resolve(arg);
  if (!existsSync(file)) throw new UsageError(`${kind.noun} file ${arg} does not exist`);
  typeCheck(file, `${kind.noun} file ${arg}`);
  let mod: Record<string, unknown>;
  try {
    // tsx's tsImport loads the file as an ES module wherever it lives, with or without a package.json.
    mod = await tsImport(pathToFileURL(file).href, import.meta.url);
  } catch (err) {
    throw new UsageError(`${kind.noun} file ${arg} failed to load: ${(err as Error).message}`);
  }
  // A file outside an ES-module package loads as CommonJS: its exports arrive as the default export.
  const inner = mod.default;
  if (!Object.keys(mod).some((k) => kind.is(mod[k])) && typeof inner === 'object' && inner !== null) mod = inner as Record<string, unknown>;
  const names = Object.keys(mod).filter((k) => kind.is(mod[k]));
  let chosen: string;
  if (exportName !== undefined) {
    if (!kind.is(mod[exportName])) {
      throw new UsageError(`${kind.noun} file ${arg} has no ${kind.noun} exported as ${exportName} (${kind.noun}s it exports: ${names.join(', ') || 'none'})`);
    }
    chosen = exportName;
  } else if (names.includes('default')) {
    chosen = 'default';
  } else if (names.length === 1) {
    chosen = names[0];
  } else if (names.length === 0) {
    throw new UsageError(`${kind.noun} file ${arg} exports no ${kind.noun}: ${kind.hint}`);
  } else {
    throw new UsageError(`${kind.noun} file ${arg} exports several ${kind.noun}s (${names.join(', ')}): choose one with --export NAME`);
  }
  return { value: mod[chosen] as T, file, exportName: chosen };
}

const protocols: Kind<Protocol> = {
  noun: 'protocol', is: isProtocol, library, find: findProtocol, hint: 'export the value returned by defineProtocol()',
};

const metaModels: Kind<MetaModel> = {
  noun: 'meta-model', is: isMetaModel, library: metaModelLibrary, find: findMetaModel, hint: 'export the value returned by defineMetaModel()',
};

const roundProblems: Kind<RoundProblem> = {
  noun: 'round problem',
  is: (v): v is RoundProblem => (v as RoundProblem)?.kind === 'protoforge.round-problem',
  library: roundLibrary.map((e) => e.problem),
  find: (name) => roundLibrary.find((e) => e.problem.name === name)?.problem,
  hint: 'export the value returned by defineRoundProblem()',
};

/**
 * A library round problem by name (with its protocols and symbolic properties), or the problem a
 * TypeScript file exports (type-checked first), as an entry with no protocols of its own.
 */
export async function loadRoundProblem(arg: string, exportName?: string): Promise<RoundLibraryEntry> {
  const { value } = await loadExported(roundProblems, arg, exportName);
  return roundLibrary.find((e) => e.problem === value) ?? { problem: value, protocols: [] };
}

/** A library protocol by name, or the protocol exported by a TypeScript file (type-checked first). */
export async function loadProtocol(arg: string, exportName?: string): Promise<Protocol> {
  const { value, file, exportName: chosen } = await loadExported(protocols, arg, exportName);
  return file ? rememberSource(value, { module: pathToFileURL(file).href, exportName: chosen! }) : value;
}

/** A library meta-model by name, or the meta-model exported by a TypeScript file (type-checked first). */
export async function loadMetaModel(arg: string, exportName?: string): Promise<MetaModel> {
  return (await loadExported(metaModels, arg, exportName)).value;
}

const ownSources = fileURLToPath(new URL('..', import.meta.url));

/** Compiles the file with the project's strict settings; the first errors become one usage error. */
function typeCheck(file: string, shown: string): void {
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    allowImportingTsExtensions: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2024.d.ts'],
    types: ['node'],
    typeRoots: [fileURLToPath(new URL('../../node_modules/@types', import.meta.url))],
  });
  // Only the user's files: protoforge's own sources are checked by its own build.
  const errors = ts.getPreEmitDiagnostics(program)
    .filter((d) => d.category === ts.DiagnosticCategory.Error && !(d.file && d.file.fileName.startsWith(ownSources)));
  if (errors.length === 0) return;
  const described = errors.slice(0, 5).map((d) => {
    const text = ts.flattenDiagnosticMessageText(d.messageText, '\n    ');
    if (!d.file || d.start === undefined) return `  ${text}`;
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
    return `  ${path.relative(process.cwd(), d.file.fileName)}:${line + 1}:${character + 1}: ${text}`;
  });
  const more = errors.length > 5 ? `\n  ... and ${errors.length - 5} more` : '';
  throw new UsageError(`${shown} does not type-check (${errors.length} error${errors.length > 1 ? 's' : ''}):\n${described.join('\n')}${more}`);
}
