import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { checkRounds, countRuns } from '../src/check/rounds.ts';
import { instantiateRounds } from '../src/core/rounds.ts';
import type { RoundTable } from '../src/core/rounds.ts';
import { atomicCommit } from '../src/protocols/atomic-commit.ts';
import { cli } from './run-cli.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'protoforge-learn-'));

describe('protoforge learn', () => {
  test('learns 3-process atomic commit and saves a table that rounds proves', async () => {
    const out = path.join(dir, 'ac3.json');
    const r = await cli('learn', 'atomic-commit', '--nodes', '3', '--rounds', '2', '--seed', '1', '--out', out);
    assert.equal(r.code, 0);
    assert.match(r.out, /^Learned atomic-commit \(n=3 rounds=2 crashes=1 extra=0 p5=rule-5 decide=true\) by tabular Q-learning, seed 1: proven over every run by the checker\.\n3 phases, 3,000 episodes, 2 counterexamples fed back, 203 runs checked, \d+\.\d\d s\nTable: .*ac3\.json\n$/);
    const table = JSON.parse(readFileSync(out, 'utf8')) as RoundTable;
    assert.deepEqual(checkRounds(instantiateRounds(atomicCommit, { p5: 'rule-5', decide: true }), table), { verdict: 'holds', runs: 200 });
    const again = await cli('rounds', 'atomic-commit', '--protocol', out, '-p', 'p5=rule-5', '-p', 'decide=true');
    assert.equal(again.out, 'tabular-q-seed-1 holds on atomic-commit (n=3 rounds=2 crashes=1 extra=0 p5=rule-5 decide=true): every property, over 200 runs\n');
  });

  test('T: without it, never deciding meets P1-P5; with decide=true it fails', () => {
    const never: RoundTable = { kind: 'protoforge.round-table', name: 'never-decide', description: 'every process keeps its vote', states: ['LocalCommit', 'LocalAbort', 'Commit', 'Abort'], processes: 3, next: {} };
    assert.deepEqual(checkRounds(instantiateRounds(atomicCommit, { p5: 'rule-5' }), never), { verdict: 'holds', runs: 200 });
    const r = checkRounds(instantiateRounds(atomicCommit, { p5: 'rule-5', decide: true }), never);
    assert.deepEqual(r.verdict === 'fails' && [r.property, r.runs, r.run.initial], ['T', 1, ['LocalCommit', 'LocalCommit', 'LocalCommit']]);
  });

  test('--method dqn: a neural Q-function (TensorFlow.js on WebAssembly) learns a table the checker proves; the same seed, the same table', async () => {
    const out = path.join(dir, 'dqn3.json');
    const r = await cli('learn', 'atomic-commit', '--method', 'dqn', '--seed', '1', '--out', out);
    assert.equal(r.code, 0);
    assert.match(r.out, /^Learned atomic-commit \(n=3 rounds=2 crashes=1 extra=0 p5=rule-5 decide=true\) by deep Q-learning, seed 1: proven over every run by the checker\.\n5 phases, 5,000 episodes, 4 counterexamples fed back, 205 runs checked, /);
    const table = JSON.parse(readFileSync(out, 'utf8')) as RoundTable;
    assert.equal(table.name, 'dqn-seed-1');
    assert.deepEqual(checkRounds(instantiateRounds(atomicCommit, { p5: 'rule-5', decide: true }), table), { verdict: 'holds', runs: 200 });
    const again = JSON.parse((await cli('learn', 'atomic-commit', '--method', 'dqn', '--seed', '1', '--json')).out);
    assert.deepEqual(again.table, table);
  });

  test('4 and 5 processes, and --json', async () => {
    const r4 = JSON.parse((await cli('learn', 'atomic-commit', '--nodes', '4', '--json')).out);
    assert.deepEqual([r4.verdict, r4.phases, r4.episodes, r4.counterexamples, r4.checkedRuns], ['proven', 7, 7000, 6, 1052]);
    const r5 = JSON.parse((await cli('learn', 'atomic-commit', '--nodes', '5', '--json')).out);
    assert.deepEqual([r5.verdict, r5.phases, r5.counterexamples], ['proven', 10, 9]);
    assert.deepEqual(checkRounds(instantiateRounds(atomicCommit, { n: 5, p5: 'rule-5', decide: true }), r5.table), { verdict: 'holds', runs: countRuns(5, 2, 1, 2) });
  });

  test('an exhausted budget exits 3 and saves the best table and the run it still fails', async () => {
    const out = path.join(dir, 'written.json');
    const r = await cli('learn', 'atomic-commit', '-p', 'p5=as-written', '--max-phases', '3', '--out', out);
    assert.equal(r.code, 3);
    assert.match(r.out, /^No proven table for atomic-commit \(n=3 rounds=2 crashes=1 extra=0 p5=as-written decide=true\) within 3 phases: the best one fails P5:\n/);
    const saved = JSON.parse(readFileSync(path.join(dir, 'written.counterexample.json'), 'utf8'));
    assert.equal(saved.property, 'P5');
    const table = JSON.parse(readFileSync(out, 'utf8')) as RoundTable;
    const check = checkRounds(instantiateRounds(atomicCommit, { p5: 'as-written', decide: true }), table);
    assert.equal(check.verdict, 'fails');
    assert.deepEqual(check.verdict === 'fails' && check.run, saved.run);
  });

  test('a problem written in a .ts file of its own is learned too; a property that throws is named', async () => {
    const fixture = path.join(import.meta.dirname, 'fixtures', 'consensus-problem.ts');
    const r = await cli('learn', fixture, '--json');
    assert.equal(r.code, 0);
    const j = JSON.parse(r.out);
    assert.deepEqual([j.problem, j.verdict, j.phases], ['binary-consensus', 'proven', 1]);
    writeFileSync(path.join(dir, 'consensus.json'), JSON.stringify(j.table));
    const checked = await cli('rounds', fixture, '--protocol', path.join(dir, 'consensus.json'));
    assert.deepEqual([checked.code, checked.out], [0, `${j.table.name} holds on binary-consensus (n=3 rounds=1 crashes=0 extra=0): every property, over 8 runs\n`]);
    const throwing = await cli('learn', path.join(import.meta.dirname, 'fixtures', 'throwing-problem.ts'));
    assert.equal(throwing.code, 2);
    assert.match(throwing.err, /^protoforge: error: property reads-too-far of throwing threw on run 1 \(initial A A\): /);
  });

  test('--grow: when no table is found, larger machines are tried, smallest first', async () => {
    const r = await cli('learn', 'atomic-commit', '--method', 'smt', '--non-blocking', '--rounds', '1', '--grow', '1');
    assert.equal(r.code, 0);
    const lines = r.out.split('\n');
    assert.equal(lines[0], 'No table exists for atomic-commit (n=3 rounds=1 crashes=1 extra=0 p5=rule-5 decide=true, non-blocking): Z3 proves it (unsat) on these 4 runs alone:');
    assert.ok(lines.includes('Trying a larger machine: rounds=2 extra=0'));
    assert.match(r.out, /\nSynthesized atomic-commit \(n=3 rounds=2 crashes=1 extra=0 p5=rule-5 decide=true, non-blocking\) with Z3: 18 table entries/);
    const json = await cli('learn', 'atomic-commit', '-p', 'p5=as-written', '--max-phases', '1', '--grow', '1', '--json');
    assert.equal(json.code, 3);
    assert.deepEqual(JSON.parse(json.out).params, { n: 3, rounds: 3, crashes: 1, extra: 1, p5: 'as-written', decide: true });
  });

  test('--machine writes the table as a state machine that generate renders as text, TypeScript and SVG', async () => {
    const machine = path.join(dir, 'ac-machine.json');
    assert.equal((await cli('learn', 'atomic-commit', '--seed', '1', '--machine', machine)).code, 0);
    const m = JSON.parse(readFileSync(machine, 'utf8'));
    const table = JSON.parse((await cli('learn', 'atomic-commit', '--seed', '1', '--json')).out).table as RoundTable;
    assert.equal(m.kind, 'protoforge.machine');
    assert.deepEqual(m.states.map((s: { name: string }) => s.name), ['LocalCommit', 'LocalAbort', 'Commit', 'Abort']);
    // One transition per table entry, to the entry's next state.
    const transitions = m.states.flatMap((s: { name: string; transitions: { message: string; to: number }[] }) =>
      s.transitions.map((t) => [`${s.name}|${t.message}`, m.states[t.to].name]));
    assert.deepEqual(Object.fromEntries(transitions), table.next);
    const text = await cli('generate', machine);
    assert.match(text.out, /^state machine: tabular-q-seed-1 /);
    assert.match(text.out, /\nstate: LocalCommit\nAn initial state: a process starts in it\.\n/);
    const ts = await cli('generate', machine, '--format', 'ts');
    assert.match(ts.out, /\nexport function onLocalCommit3\(state: State\): Step \{\n/);
    assert.match((await cli('generate', machine, '--format', 'svg')).out, /^<svg/m);
    assert.deepEqual(await cli('generate', path.join(dir, 'ac3.json')), { code: 2, out: '', err: `protoforge: error: ${path.join(dir, 'ac3.json')} is not a state machine (expected the JSON of generate --format json or learn --machine)\n` });
  });

  test('bad input: an unknown problem, a flag out of range, a parameter given twice', async () => {
    assert.deepEqual(await cli('learn', 'nope'), { code: 2, out: '', err: 'protoforge: error: unknown round problem "nope" (the library has: atomic-commit; give a path such as ./my-round-problem.ts for your own)\n' });
    const range = await cli('learn', 'atomic-commit', '--nodes', '0');
    assert.equal(range.code, 2);
    assert.match(range.err, /--nodes must be a whole number from 1 to 64/);
    const big = await cli('learn', 'atomic-commit', '--nodes', '9');
    assert.equal(big.code, 2);
    assert.match(big.err, /parameter n of atomic-commit must be a whole number from 1 to 6, got "9"/);
    assert.deepEqual(await cli('learn', 'atomic-commit', '--nodes', '4', '-p', 'n=4'), { code: 2, out: '', err: 'protoforge: error: give n once: with its flag or with -p n=..., not both\n' });
  });
});
