import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { cli } from './run-cli.ts';

describe('protoforge generate', () => {
  test('the text of a family member names its states as the document does, with commentary', async () => {
    const r = await cli('generate', 'bft-commit', '-p', 'r=4');
    assert.equal(r.code, 0);
    assert.match(r.out, /^states: 33 \(512 enumerated, 41 reachable\); start: F\/0\/F\/0\/F\/T\/F; finish: finish$/m);
    assert.match(r.out, /^state: T\/2\/F\/0\/F\/F\/F$/m);
  });

  test('DOT, Mermaid and JSON describe the same machine', async () => {
    const dot = (await cli('generate', 'bft-commit', '-p', 'r=4', '--format', 'dot')).out;
    const mermaid = (await cli('generate', 'bft-commit', '-p', 'r=4', '--format', 'mermaid')).out;
    const machine = JSON.parse((await cli('generate', 'bft-commit', '-p', 'r=4', '--format', 'json')).out);
    const transitions = machine.states.reduce((n: number, s: { transitions: unknown[] }) => n + s.transitions.length, 0);
    assert.equal(machine.states.length, 33);
    assert.match(dot, /^digraph "bft-commit" \{$/m);
    assert.equal(dot.match(/^ {2}s\d+ -> s\d+/gm)!.length, transitions);
    assert.match(mermaid, /^stateDiagram-v2$/m);
    assert.equal(mermaid.match(/^ {2}s\d+ --> s\d+ :/gm)!.length, transitions);
    assert.match(mermaid, new RegExp(`^  \\[\\*\\] --> s${machine.start}$`, 'm'));
  });

  test('SVG and TypeScript come out of the same command', async () => {
    const svg = await cli('generate', 'bft-commit', '-p', 'r=4', '--format', 'svg');
    assert.equal(svg.code, 0);
    assert.match(svg.out, /<svg[\s\S]*>T\/2\/F\/0\/F\/F\/F<\/text>[\s\S]*<\/svg>/);
    const ts = await cli('generate', 'bft-commit', '-p', 'r=4', '--format', 'ts');
    assert.equal(ts.out, readFileSync(new URL('../examples/bft-commit-r4.generated.ts', import.meta.url), 'utf8'));
  });

  test('--table sets Table 1 beside the generated counts', async () => {
    const r = await cli('generate', 'bft-commit', '--table');
    assert.equal(r.code, 0);
    assert.match(r.out, /^ 4 +512 \(512\) +41 +33 \(33\) /m);
    assert.match(r.out, /^46 +67712 \(67712\) +3905 +2945 \(2945\) /m);
  });

  test('a generation past the state bound stops with exit 3 and says how far it got', async () => {
    const r = await cli('generate', 'bft-commit', '-p', 'r=46', '--max-states', '1000');
    assert.equal(r.code, 3);
    assert.equal(r.err, 'protoforge: stopped: meta-model bft-commit (r=46): generation stopped at the state bound: enumerated 1,000 of 67,712 states (maxStates 1000)\n');
  });

  test('bad input: exit 2 and one message', async () => {
    assert.deepEqual(await cli('generate', 'bft-commit', '-p', 'q=1'), { code: 2, out: '', err: 'protoforge: error: bft-commit has no parameter "q" (its parameters: r)\n' });
    assert.match((await cli('generate', 'nope')).err, /^protoforge: error: unknown meta-model "nope" \(the library has: bft-commit;/);
    assert.match((await cli('generate', 'bft-commit', '--format', 'png')).err, /Allowed choices are text, json, dot, svg, mermaid, ts/);
    assert.match((await cli('generate', 'test/fixtures/user-protocol.ts', '--table')).err, /meta-model file test\/fixtures\/user-protocol\.ts exports no meta-model: export the value returned by defineMetaModel\(\)/);
  });
});
