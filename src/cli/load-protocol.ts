import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { isProtocol, rememberSource } from '../core/index.ts';
import type { Protocol } from '../core/index.ts';
import { findProtocol, library } from '../protocols/index.ts';
import { UsageError } from './usage-error.ts';

/** True when the argument names a file rather than a protocol of the library. */
export function looksLikePath(arg: string): boolean {
  return arg.includes('/') || arg.includes('\\') || /\.(ts|mts|js|mjs)$/.test(arg);
}

/** A library protocol by name, or the protocol exported by a TypeScript file (type-checked first). */
export async function loadProtocol(arg: string, exportName?: string): Promise<Protocol> {
  if (!looksLikePath(arg)) {
    const found = findProtocol(arg);
    if (!found) throw new UsageError(`unknown protocol ${JSON.stringify(arg)} (the library has: ${library.map((p) => p.name).join(', ')}; give a path such as ./my-protocol.ts for your own)`);
    return found;
  }
  const file = path.resolve(arg);
  if (!existsSync(file)) throw new UsageError(`protocol file ${arg} does not exist`);
  typeCheck(file, arg);
  let mod: Record<string, unknown>;
  try {
    mod = await import(pathToFileURL(file).href);
  } catch (err) {
    throw new UsageError(`protocol file ${arg} failed to load: ${(err as Error).message}`);
  }
  const names = Object.keys(mod).filter((k) => isProtocol(mod[k]));
  let chosen: string;
  if (exportName !== undefined) {
    if (!isProtocol(mod[exportName])) {
      throw new UsageError(`protocol file ${arg} has no protocol exported as ${exportName} (protocols it exports: ${names.join(', ') || 'none'})`);
    }
    chosen = exportName;
  } else if (names.includes('default')) {
    chosen = 'default';
  } else if (names.length === 1) {
    chosen = names[0];
  } else if (names.length === 0) {
    throw new UsageError(`protocol file ${arg} exports no protocol: export the value returned by defineProtocol()`);
  } else {
    throw new UsageError(`protocol file ${arg} exports several protocols (${names.join(', ')}): choose one with --export NAME`);
  }
  return rememberSource(mod[chosen] as Protocol, { module: pathToFileURL(file).href, exportName: chosen });
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
  throw new UsageError(`protocol file ${shown} does not type-check (${errors.length} error${errors.length > 1 ? 's' : ''}):\n${described.join('\n')}${more}`);
}
