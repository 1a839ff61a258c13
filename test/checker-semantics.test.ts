import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { check, PropertyError, replayPath } from '../src/check/index.ts';
import type { CheckResult } from '../src/check/index.ts';
import { HandlerError, PlainDataError } from '../src/core/index.ts';
import { twoPhaseCommit } from '../src/protocols/index.ts';
import { counter, faulty, pair } from './fixtures/toy.ts';

const verdicts = (r: CheckResult) => Object.fromEntries(r.properties.map((p) => [p.name, p.verdict]));

describe('network semantics', () => {
  test('FIFO channels deliver in send order; unordered ones may not', async () => {
    const ordered = await check(pair, { network: { ordering: 'ordered' } });
    assert.equal(ordered.states, 3);
    assert.deepEqual(verdicts(ordered), { 'in order': 'holds', 'at most twice': 'holds', 'both arrive': 'holds', 'outputs seen': 'found' });
    const unordered = await check(pair, {});
    assert.equal(unordered.states, 5);
    assert.equal(verdicts(unordered)['in order'], 'fails');
    const trace = unordered.properties[0].trace!;
    assert.deepEqual(trace.steps.map((s) => s.action.kind === 'deliver' ? s.action.msg.n : null), [null, 2]);
  });

  test('a duplicating network may deliver a message again', async () => {
    // Re-delivery makes this state space infinite: bound it.
    const r = await check(pair, { network: { duplicating: true }, maxDepth: 4 });
    assert.equal(verdicts(r)['at most twice'], 'fails');
    assert.equal(r.properties[1].trace!.steps.length - 1, 3);
    assert.equal(r.bound, 'depth');
  });

  test('a lossy network may drop a message, and then progress fails at a dead end', async () => {
    const r = await check(pair, { network: { lossy: true, ordering: 'ordered' } });
    assert.equal(verdicts(r)['both arrive'], 'fails');
    const trace = r.properties[2].trace!;
    assert.deepEqual(trace.steps.map((s) => s.action.kind), ['init', 'deliver', 'drop']);
    assert.deepEqual(trace.steps[2].states, { s: null, r: { got: [1] } });
  });

  test('outputs are part of the global state that properties see', async () => {
    const r = await check(pair, { network: { ordering: 'ordered' } });
    const witness = r.properties[3].trace!;
    assert.deepEqual(witness.steps.at(-1)!.outputs, [{ node: 'r', value: 2 }]);
  });

  test('a crashed node (crash-stop) handles nothing more', async () => {
    const r = await check(pair, { network: { ordering: 'ordered', crashes: 1 } });
    assert.equal(verdicts(r)['both arrive'], 'fails');
    const trace = r.properties[2].trace!;
    assert.deepEqual(trace.steps.map((s) => s.action.kind), ['init', 'crash']);
    assert.deepEqual(trace.steps[1].crashed, ['r']);
  });
});

describe('eventually', () => {
  test('holds when every path reaches it', async () => {
    const r = await check(counter, { params: { max: 3 } });
    assert.deepEqual(verdicts(r), { 'reaches max': 'holds', 'below max': 'holds' });
    assert.equal(r.states, 4);
  });

  test('fails with the path to a state from which nothing else can happen', async () => {
    const r = await check(counter, { params: { max: 3, stall: true } });
    assert.equal(verdicts(r)['reaches max'], 'fails');
    const trace = r.properties[0].trace!;
    assert.deepEqual(trace.steps.map((s) => s.action.kind === 'timer' ? s.action.timer : s.action.kind), ['init', 'stop']);
    assert.equal(r.exitCode, 1);
  });
});

describe('bounds', () => {
  test('a state bound ends the search with exit code 3 and undecided verdicts', async () => {
    const r = await check(twoPhaseCommit, { params: { rms: 5 }, maxStates: 1000 });
    assert.equal(r.states, 1000);
    assert.equal(r.bound, 'states');
    assert.equal(r.complete, false);
    assert.equal(r.exitCode, 3);
    assert.equal(verdicts(r).consistency, 'unknown');
  });

  test('a depth bound ends the search with exit code 3', async () => {
    const r = await check(twoPhaseCommit, { params: { rms: 3 }, maxDepth: 4 });
    assert.equal(r.bound, 'depth');
    assert.equal(r.depth, 4);
    assert.equal(r.exitCode, 3);
  });

  test('a time limit ends the search with exit code 3', async () => {
    const r = await check(twoPhaseCommit, { params: { rms: 8 }, timeLimitMs: 50 });
    assert.equal(r.bound, 'time');
    assert.equal(r.exitCode, 3);
    assert.ok(r.states < 1745408);
  });
});

describe('progress and memory', () => {
  test('progress reports states, rate, depth and queue while the search runs', async () => {
    const seen: { states: number; depth: number; queue: number; statesPerSecond: number }[] = [];
    const r = await check(twoPhaseCommit, { params: { rms: 5 }, progressIntervalMs: 0, onProgress: (p) => seen.push(p) });
    assert.ok(seen.length > 1);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i].states >= seen[i - 1].states);
    assert.ok(seen.at(-1)!.states <= r.states && seen.at(-1)!.depth <= r.depth);
    assert.ok(seen.every((p) => p.statesPerSecond > 0 && p.queue >= 0));
  });

  test('a memory limit ends the search with exit code 3', async () => {
    const r = await check(twoPhaseCommit, { params: { rms: 5 }, memoryLimitBytes: 1 });
    assert.equal(r.bound, 'memory');
    assert.equal(r.exitCode, 3);
  });

  test('a stored state costs an 8-byte fingerprint slot (table at most 3/4 full) and 6 bytes of parent link', async () => {
    const r = await check(twoPhaseCommit, { params: { rms: 6 } });
    assert.equal(r.memory.stateBytes, r.states * 6);
    assert.ok(r.memory.fingerprintBytes >= (r.states * 8) / 0.75);
    assert.equal(r.memory.bytesPerState, (r.memory.fingerprintBytes + r.memory.stateBytes) / r.states);
  });
});

describe('errors in protocols', () => {
  test('a non-plain state names the node, the event and the field', async () => {
    await assert.rejects(check(faulty, { params: { fault: 'map' } }), (err: unknown) => {
      assert.ok(err instanceof PlainDataError);
      assert.equal(err.message, 'node n1 (worker) handling timer go: state.seen is a Map, which is not plain data (use null, booleans, finite numbers, strings, arrays and plain objects)');
      return true;
    });
  });

  test('a handler that throws is reported with its node and event', async () => {
    await assert.rejects(check(faulty, { params: { fault: 'throw' } }), (err: unknown) => {
      assert.ok(err instanceof HandlerError);
      assert.equal(err.message, 'node n1 (worker) handling timer go threw: boom');
      return true;
    });
  });

  test('sending to a node that does not exist, or arming an undeclared timer, is an error', async () => {
    await assert.rejects(check(faulty, { params: { fault: 'unknown-node' } }), /node n1 \(worker\) handling timer go sent to "n9", which is not a node \(nodes: n1\)/);
    await assert.rejects(check(faulty, { params: { fault: 'unknown-timer' } }), /set timer "nope", which role worker has no handler for/);
  });

  test('a property that throws is named', async () => {
    await assert.rejects(check(faulty, { params: { fault: 'property' } }), (err: unknown) => {
      assert.ok(err instanceof PropertyError);
      assert.equal(err.message, 'property fine threw: predicate bug');
      return true;
    });
  });
});

describe('replay', () => {
  test('a counterexample path replays to the same states', async () => {
    const r = await check(twoPhaseCommit, { params: { rms: 3, variant: 'majority-commit' } });
    const trace = r.properties[0].trace!;
    const again = replayPath(twoPhaseCommit, { params: { rms: 3, variant: 'majority-commit' } }, trace.path);
    assert.deepEqual(again, trace);
  });

  test('under symmetry the reported trace is a real run that replays without symmetry', async () => {
    const r = await check(twoPhaseCommit, { params: { rms: 4, variant: 'majority-commit' }, symmetry: true });
    const trace = r.properties[0].trace!;
    const again = replayPath(twoPhaseCommit, { params: { rms: 4, variant: 'majority-commit' } }, trace.path);
    assert.deepEqual(again.steps.map((s) => s.states), trace.steps.map((s) => s.states));
  });

  test('a path that leaves the protocol is rejected with the step', () => {
    assert.throws(() => replayPath(twoPhaseCommit, {}, '0/99'), /cannot replay path 0\/99: trace step 2: action 99 does not exist \(\d+ enabled\)/);
    assert.throws(() => replayPath(twoPhaseCommit, {}, '0/x'), /path step 2 is "x"/);
  });
});
