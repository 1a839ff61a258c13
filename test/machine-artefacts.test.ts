import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { generate } from '../src/metamodel/index.ts';
import type { StateMachine } from '../src/metamodel/index.ts';
import { bftCommit } from '../src/protocols/bft-commit.ts';
import { renderSvg } from '../src/viz/machine-svg.ts';
import { handlerNames, renderTypeScript } from '../src/viz/machine-ts.ts';

const machines = new Map([4, 7].map((r) => [r, generate(bftCommit, { r })] as const));
const dir = mkdtempSync(path.join(tmpdir(), 'protoforge-machine-ts-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The generated module of each machine, written once to a temp file. */
const files = new Map([...machines].map(([r, m]) => {
  const file = path.join(dir, `bft-commit-r${r}.ts`);
  writeFileSync(file, renderTypeScript(m));
  return [r, file] as const;
}));

const transitions = (m: StateMachine) => m.states.reduce((n, s) => n + s.transitions.length, 0);

describe('generated TypeScript (Figure 10)', () => {
  test('type-checks with no errors under settings stricter than the project\'s', () => {
    // Both machines in one program: loading the standard library once is most of the time.
    const program = ts.createProgram([...files.values()], {
      strict: true,
      noImplicitReturns: true,
      noUnusedLocals: true,
      noUnusedParameters: true,
      noFallthroughCasesInSwitch: true,
      noUncheckedIndexedAccess: true,
      exactOptionalPropertyTypes: true,
      isolatedModules: true,
      erasableSyntaxOnly: true, // runs under Node's type stripping too
      noEmit: true,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      lib: ['lib.es2022.d.ts'],
      types: [], // it imports nothing, Node's types included
    });
    const errors = ts.getPreEmitDiagnostics(program).map((d) => {
      const where = d.file && d.start !== undefined ? `${path.basename(d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}: ` : '';
      return where + ts.flattenDiagnosticMessageText(d.messageText, ' ');
    });
    assert.deepEqual(errors, []);
  });

  for (const [r, m] of machines) {
    test(`r = ${r}: the code and the machine take the same transition on every state and every message`, async () => {
      const mod = await import(pathToFileURL(files.get(r)!).href);
      assert.equal(mod.START, m.states[m.start].name);
      assert.equal(mod.FINISH, m.states[m.finish!].name);
      assert.deepEqual(mod.STATES, m.states.map((s) => s.name));
      assert.deepEqual(mod.MESSAGES, m.messages);
      const names = handlerNames(m.messages);
      assert.equal(names[m.messages.indexOf('not free')], 'onNotFree');
      let moved = 0;
      for (const s of m.states) {
        m.messages.forEach((message, j) => {
          const t = s.transitions.find((x) => x.message === message);
          const expected = t ? { state: m.states[t.to].name, actions: t.actions } : { state: s.name, actions: [] };
          const where = `${s.name} on ${message}`;
          assert.deepEqual(mod[names[j]](s.name), expected, where);
          assert.deepEqual(mod.handle(message, s.name), expected, `handle: ${where}`);
          if (t) moved++;
        });
      }
      assert.equal(moved, transitions(m), 'every transition was compared');
      assert.throws(() => mod.handle('no such message', m.states[m.start].name), /unknown message/);
    });
  }

  test('examples/bft-commit-r4.generated.ts is what the generator makes now', () => {
    const file = new URL('../examples/bft-commit-r4.generated.ts', import.meta.url);
    const fresh = renderTypeScript(machines.get(4)!);
    // PROTOFORGE_REGENERATE=1 rewrites the file (then review the diff).
    if (process.env.PROTOFORGE_REGENERATE) writeFileSync(file, fresh);
    assert.ok(readFileSync(file, 'utf8') === fresh,
      'examples/bft-commit-r4.generated.ts is stale: regenerate it with\n' +
      '  protoforge generate bft-commit -p r=4 --format ts -o examples/bft-commit-r4.generated.ts\n' +
      'or PROTOFORGE_REGENERATE=1 node --import tsx --test test/machine-artefacts.test.ts');
  });
});

/** Tags balance, outside the prolog (XML declaration, doctype, comments): a cheap well-formedness check. */
function assertWellFormed(svg: string): void {
  const body = svg.replace(/^<\?xml[^>]*\?>\s*/, '').replace(/^(?:<!DOCTYPE[^>]*>|<!--[\s\S]*?-->|\s)*/, '');
  assert.match(body, /^<svg[\s>]/, 'starts with <svg after the prolog');
  const open: string[] = [];
  for (const [tag, close, name, selfClosing] of body.replace(/<!--[\s\S]*?-->/g, '').matchAll(/<(\/?)([\w:-]+)(?:\s[^>]*?)?(\/?)>/g)) {
    if (selfClosing) continue;
    if (!close) open.push(name);
    else assert.equal(open.pop(), name, `${tag} closes the element open`);
  }
  assert.deepEqual(open, [], 'every element is closed');
  assert.match(body, /<\/svg>\s*$/);
}

describe('SVG (Graphviz in WebAssembly)', () => {
  for (const [r, m] of machines) {
    test(`r = ${r}: well-formed, a node per state, an edge per transition`, async () => {
      const svg = await renderSvg(m);
      assertWellFormed(svg);
      const nodes = [...svg.matchAll(/<g id="[^"]*" class="node">\s*<title>([^<]*)<\/title>/g)].map((x) => x[1]);
      // renderDot draws the start arrow from a point node of its own, `start`.
      assert.deepEqual(nodes.filter((n) => n !== 'start').sort(), m.states.map((_, i) => `s${i}`).sort());
      assert.equal(nodes.length, m.states.length + 1);
      if (r === 4) assert.equal(m.states.length, 33);
      assert.equal(svg.match(/class="edge"/g)?.length, transitions(m) + 1, 'the transitions and the start edge');
      assert.ok(svg.includes('>T/2/F/0/F/F/F</text>'));
    });
  }
});
