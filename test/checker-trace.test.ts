// The checker's runs written in the simulator's trace format: they replay record for record and
// re-record byte for byte, whatever faults the checker chose.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { check, Explorer } from '../src/check/index.ts';
import { instantiate } from '../src/core/index.ts';
import type { InstanceOptions, Protocol } from '../src/core/index.ts';
import { paxos, twoPhaseCommit } from '../src/protocols/index.ts';
import { readTrace, replayTrace, traceFromCheckerRun, writeTrace } from '../src/sim/index.ts';
import type { SimTrace } from '../src/sim/index.ts';
import { cli } from './run-cli.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'protoforge-checker-trace-'));

/** Replays the trace as read back from its bytes; returns the bytes and whether re-recording gives them again. */
function roundTrip(protocol: Protocol, options: InstanceOptions, trace: SimTrace): { text: string; explanation: string; same: boolean } {
  const text = writeTrace(trace);
  const back = readTrace(text);
  const replay = replayTrace(instantiate(protocol, options), back);
  return { text, explanation: replay.explanation, same: writeTrace({ ...back, events: replay.events }) === text };
}

describe('checker counterexamples as traces', () => {
  test('the 2PC majority-commit counterexample: 4 starts and 7 steps, violation after the last', async () => {
    const options = { params: { rms: 3, variant: 'majority-commit' } };
    const result = await check(twoPhaseCommit, options);
    const failed = result.properties.find((p) => p.name === 'consistency')!;
    assert.equal(failed.trace!.path, '1/2/2/1/2/1/3');
    const trace = traceFromCheckerRun(instantiate(twoPhaseCommit, options), failed.trace!, { property: 'consistency', kind: 'always', path: failed.trace!.path });
    assert.deepEqual(trace.header.checker, { property: 'consistency', kind: 'always', path: '1/2/2/1/2/1/3' });
    assert.deepEqual(trace.events.map((r) => `${r.t} ${r.node} ${r.event.kind}${r.event.kind === 'message' ? ` ${r.event.msg.type}` : r.event.kind === 'timer' ? ` ${r.event.name}` : ''}`), [
      '0 tm start', '0 rm1 start', '0 rm2 start', '0 rm3 start',
      ...failed.trace!.steps.slice(1).map((s, k) => {
        const a = s.action;
        const node = a.kind === 'init' ? '' : a.node;
        return `${k + 1} ${node} ${a.kind === 'deliver' ? `message ${a.msg.type}` : a.kind === 'timer' ? `timer ${a.timer}` : a.kind}`;
      }),
    ].slice(0, 11));
    assert.equal(trace.events.length, 11);
    assert.deepEqual(trace.end, { type: 'end', stop: 'violation', events: 11, endTimeMs: 7, violation: { i: 10, property: 'consistency' } });
    // Every copy arrives at the step that delivers it: a message record at t = its at.
    for (const r of trace.events) {
      if (r.event.kind !== 'message') continue;
      const { from, msg } = r.event;
      assert.ok(trace.events.some((s) => s.node === from && s.sent.some((x) => x.to === r.node && x.msg.type === msg.type && x.at.includes(r.t))));
    }
    const rt = roundTrip(twoPhaseCommit, options, trace);
    assert.equal(rt.explanation, 'all 11 records match');
    assert.ok(rt.same);
  });

  test('Paxos ignores-accepted: the I2 counterexample replays', async () => {
    const options = { params: { variant: 'ignores-accepted' } };
    const result = await check(paxos, options);
    const failed = result.properties.find((p) => p.name === 'I2')!;
    const trace = traceFromCheckerRun(instantiate(paxos, options), failed.trace!, { property: 'I2', kind: 'always', path: failed.trace!.path });
    assert.equal(trace.events.length, 5 + failed.trace!.steps.length - 1);
    assert.deepEqual(trace.end.violation, { i: trace.events.length - 1, property: 'I2' });
    const rt = roundTrip(paxos, options, trace);
    assert.equal(rt.explanation, `all ${trace.events.length} records match`);
    assert.ok(rt.same);
  });

  /** Seeded random walks through the checker's state space, preferring faults, so crashes, recoveries and drops are covered. */
  function walks(protocol: Protocol, options: InstanceOptions, count: number, length: number) {
    const inst = instantiate(protocol, options);
    const explorer = new Explorer(inst);
    let seed = 12345;
    const rand = (n: number) => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return (seed >>> 8) % n; };
    const kinds: Record<string, number> = {};
    for (let w = 0; w < count; w++) {
      const pathSoFar: number[] = [];
      for (let s = 0; s < length; s++) {
        const { next } = explorer.view(pathSoFar);
        if (next.length === 0) break;
        const faults = next.map((a, k) => [a, k] as const).filter(([a]) => a.kind !== 'deliver' && a.kind !== 'timer');
        const pick = faults.length > 0 && rand(3) === 0 ? faults[rand(faults.length)][1] : rand(next.length);
        kinds[next[pick].kind] = (kinds[next[pick].kind] ?? 0) + 1;
        pathSoFar.push(pick);
      }
      const run = explorer.view(pathSoFar).trace;
      const trace = traceFromCheckerRun(inst, run, { path: run.path });
      const rt = roundTrip(protocol, options, trace);
      assert.match(rt.explanation, /^all \d+ records match$/, `walk ${w} (${run.path})`);
      assert.ok(rt.same, `walk ${w} re-records its bytes`);
      if (trace.end.stop !== 'violation') assert.equal(trace.events.length, inst.topo.ids.length + run.steps.length - 1);
    }
    return kinds;
  }

  test('random walks with crash-recover, loss and duplication replay byte for byte (2PC)', () => {
    const kinds = walks(twoPhaseCommit, { params: { rms: 3 }, network: { lossy: true, duplicating: true, crashes: 2, crashMode: 'recover' } }, 40, 25);
    for (const k of ['crash', 'recover', 'drop', 'deliver', 'timer']) assert.ok(kinds[k] > 0, `the walks took ${k} steps`);
  });

  test('random walks with crash-recover and loss on an ordered network replay byte for byte (Paxos)', () => {
    const kinds = walks(paxos, { params: { proposers: 2, acceptors: 3 }, network: { ordering: 'ordered', lossy: true, crashes: 1, crashMode: 'recover' } }, 30, 30);
    for (const k of ['crash', 'recover', 'drop', 'deliver', 'timer']) assert.ok(kinds[k] > 0, `the walks took ${k} steps`);
  });
});

describe('protoforge check --out', () => {
  test('writes the shortest counterexample, which replay and view take', async () => {
    const file = path.join(dir, 'cx.jsonl');
    const r = await cli('check', 'two-phase-commit', '-p', 'rms=3', '-p', 'variant=majority-commit', '--out', file);
    assert.equal(r.code, 1);
    assert.equal(r.err, `The counterexample to consistency is written to ${file} as a trace: protoforge replay ${file}, protoforge view ${file}\n`);
    const trace = readTrace(readFileSync(file, 'utf8'));
    assert.deepEqual(trace.header.checker, { property: 'consistency', kind: 'always', path: '1/2/2/1/2/1/3' });
    const replay = await cli('replay', file);
    assert.deepEqual(replay, { code: 0, out: 'all 11 records match\n', err: '' });
    const view = await cli('view', file);
    assert.equal(view.code, 0);
    assert.match(readFileSync(path.join(dir, 'cx.html'), 'utf8'), /<title>two-phase-commit · model checker · protoforge trace<\/title>/);
  });

  test('with --replay, writes that run; under a duplicating lossy network too', async () => {
    const file = path.join(dir, 'run.jsonl');
    const r = await cli('check', 'two-phase-commit', '-p', 'rms=2', '--lossy', '--duplicating', '--replay', '0/1/4', '--out', file);
    assert.equal(r.code, 0);
    const trace = readTrace(readFileSync(file, 'utf8'));
    assert.deepEqual(trace.header.checker, { path: '0/1/4' });
    assert.equal(trace.header.network.lossy, true);
    assert.equal(trace.events.length, 3 + 3);
    assert.equal(trace.end.stop, 'events');
    assert.deepEqual(await cli('replay', file), { code: 0, out: 'all 6 records match\n', err: '' });
  });

  test('a file that cannot be written is one message, exit 2', async () => {
    const r = await cli('check', 'two-phase-commit', '-p', 'variant=majority-commit', '--out', path.join(dir, 'no-such-folder', 'cx.jsonl'));
    assert.equal(r.code, 2);
    assert.equal(r.err, `protoforge: error: cannot open ${path.join(dir, 'no-such-folder', 'cx.jsonl')}: no such file or folder\n`);
  });

  test('says so when there is no counterexample to write', async () => {
    const file = path.join(dir, 'none.jsonl');
    const r = await cli('check', 'two-phase-commit', '-p', 'rms=2', '--out', file);
    assert.equal(r.code, 0);
    assert.equal(r.err, `No counterexample to write: ${file} was not written.\n`);
  });
});
