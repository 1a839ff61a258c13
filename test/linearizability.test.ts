import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  checkLinearizable,
  checkOperations,
  formatCounterexample,
  LinearizabilityInputError,
} from '../src/check/linearizability.ts';
import type { KvCheckResult, KvKey, KvOperation, KvValue, Model, Operation } from '../src/check/linearizability.ts';
import { injectStaleRead, simulateKvStore, wholeStoreModel } from '../bench/linearizability.ts';
import { Prng } from '../src/sim/prng.ts';

type Client = string | number;
type Ret = number | null;

const get = (client: Client, call: number, ret: Ret, key: KvKey, value: KvValue | null): KvOperation =>
  ret === null ? { client, call, return: null, input: { op: 'get', key } } : { client, call, return: ret, input: { op: 'get', key }, output: { value } };
const put = (client: Client, call: number, ret: Ret, key: KvKey, value: KvValue): KvOperation => ({ client, call, return: ret, input: { op: 'put', key, value } });
const del = (client: Client, call: number, ret: Ret, key: KvKey): KvOperation => ({ client, call, return: ret, input: { op: 'delete', key } });
const cas = (client: Client, call: number, ret: Ret, key: KvKey, expected: KvValue | null, value: KvValue, ok?: boolean): KvOperation =>
  ret === null
    ? { client, call, return: null, input: { op: 'cas', key, expected, value } }
    : { client, call, return: ret, input: { op: 'cas', key, expected, value }, output: { ok: ok as boolean } };

/** The parts of a result that do not depend on the clock. */
const outcome = (r: KvCheckResult) => {
  const { elapsedMs, ...rest } = r;
  assert.ok(elapsedMs >= 0);
  return rest;
};
const verdict = (history: KvOperation[]) => checkLinearizable(history).verdict;

describe('linearizable key-value histories', () => {
  test('a read after an acknowledged write sees it; a key never written reads as absent', () => {
    const h = [put('a', 0, 10, 'x', '1'), get('b', 20, 30, 'x', '1'), get('b', 40, 50, 'y', null)];
    assert.deepEqual(outcome(checkLinearizable(h, { witness: true })), {
      verdict: 'linearizable',
      operations: 3,
      pending: 0,
      keys: 2,
      keysDecided: 2,
      steps: 3,
      witness: [
        { key: 'x', order: [0, 1] },
        { key: 'y', order: [2] },
      ],
    });
  });

  test('a read overlapping a write may see the old value or the new one', () => {
    assert.equal(verdict([put('a', 0, 100, 'x', '1'), get('b', 10, 20, 'x', null)]), 'linearizable');
    assert.equal(verdict([put('a', 0, 100, 'x', '1'), get('b', 10, 20, 'x', '1')]), 'linearizable');
    // Two reads inside the write: the one that sees the old value may take effect first, since they overlap...
    assert.equal(verdict([put('a', 0, 100, 'x', '1'), get('b', 10, 20, 'x', '1'), get('c', 15, 40, 'x', null)]), 'linearizable');
    // ...but not when it starts after the other has returned.
    assert.equal(verdict([put('a', 0, 100, 'x', '1'), get('b', 10, 20, 'x', '1'), get('c', 30, 40, 'x', null)]), 'not linearizable');
  });

  test('intervals are closed: a write returning at the instant a read is called is concurrent with it', () => {
    assert.equal(verdict([put('a', 0, 10, 'x', '1'), get('b', 10, 20, 'x', null)]), 'linearizable');
    assert.equal(verdict([put('a', 0, 10, 'x', '1'), get('b', 11, 20, 'x', null)]), 'not linearizable');
  });

  test('concurrent writes may take effect in either order, and later reads fix which came last', () => {
    const writes = [put('a', 0, 10, 'x', '1'), put('b', 0, 10, 'x', '2')];
    assert.equal(verdict([...writes, get('c', 20, 30, 'x', '1'), get('c', 40, 50, 'x', '1')]), 'linearizable');
    assert.equal(verdict([...writes, get('c', 20, 30, 'x', '2'), get('c', 40, 50, 'x', '2')]), 'linearizable');
    // Flip-flop: once '2' is seen after both writes, '1' cannot come back.
    assert.equal(verdict([...writes, get('c', 20, 30, 'x', '2'), get('c', 40, 50, 'x', '1')]), 'not linearizable');
  });

  test('delete makes a key absent; compare-and-set with expected null only sets an absent key', () => {
    const h = [put('a', 0, 10, 'x', '1'), del('a', 20, 30, 'x'), cas('b', 40, 50, 'x', null, '2', true), cas('c', 60, 70, 'x', null, '3', false), get('c', 80, 90, 'x', '2')];
    assert.equal(verdict(h), 'linearizable');
  });

  test('keys and values may be numbers; the number 1 and the string "1" are different keys and values', () => {
    const h = [put('a', 0, 10, 1, 7), get('b', 20, 30, 1, 7), get('b', 40, 50, '1', null)];
    const r = checkLinearizable(h);
    assert.equal(r.keys, 2);
    assert.equal(r.verdict, 'linearizable');
    assert.equal(verdict([put('a', 0, 10, 1, 7), get('b', 20, 30, 1, '7')]), 'not linearizable');
  });

  test('initial values: keys can hold a value before the history starts', () => {
    const h = [get('a', 0, 10, 'x', 'seed'), cas('a', 20, 30, 'x', 'seed', 'next', true)];
    assert.equal(verdict(h), 'not linearizable');
    assert.equal(checkLinearizable(h, { initial: new Map([['x', 'seed']]) }).verdict, 'linearizable');
  });

  test('an empty history, and one of operations without responses only, are linearizable', () => {
    assert.deepEqual(outcome(checkLinearizable([])), { verdict: 'linearizable', operations: 0, pending: 0, keys: 0, keysDecided: 0, steps: 0 });
    assert.equal(verdict([put('a', 0, null, 'x', '1'), get('b', 5, null, 'x', null)]), 'linearizable');
  });
});

describe('anomalies are caught with a counterexample', () => {
  test('stale read after an acknowledged write: the counterexample, and its text, are pinned', () => {
    const h = [put('a', 0, 10, 'x', '1'), get('b', 20, 30, 'x', null)];
    const r = checkLinearizable(h);
    assert.deepEqual(outcome(r), {
      verdict: 'not linearizable',
      operations: 2,
      pending: 0,
      keys: 1,
      keysDecided: 1,
      steps: 4,
      counterexample: { key: 'x', ops: h, indices: [0, 1], linearized: [0], value: '1', blocked: 1 },
    });
    assert.equal(
      formatCounterexample(r.counterexample!),
      [
        'Key "x": its 2 operations are not linearizable.',
        'Longest order found in which operations can take effect (1 of them):',
        '  1. #0 client a [0, 10] put("x", "1") ok',
        'The value is then "1", and this cannot take effect next:',
        '  #1 client b [20, 30] get("x") -> null',
      ].join('\n'),
    );
  });

  test('lost write: a later write is acknowledged but reads still see the earlier one', () => {
    const h = [put('a', 0, 10, 'x', '1'), put('b', 20, 30, 'x', '2'), get('c', 40, 50, 'x', '1')];
    const cx = checkLinearizable(h).counterexample!;
    assert.deepEqual({ linearized: cx.linearized, value: cx.value, blocked: cx.blocked }, { linearized: [0, 1], value: '2', blocked: 2 });
  });

  test('compare-and-set anomalies', () => {
    const x0 = put('p', 0, 5, 'x', '0');
    // Two compare-and-sets from the same expected value both succeed, one after the other...
    const twice = [x0, cas('a', 10, 20, 'x', '0', '1', true), cas('b', 30, 40, 'x', '0', '2', true)];
    assert.deepEqual(checkLinearizable(twice).counterexample, { key: 'x', ops: twice, indices: [0, 1, 2], linearized: [0, 1], value: '1', blocked: 2 });
    // ...or concurrently: still only one of them can see '0'.
    assert.equal(verdict([x0, cas('a', 10, 20, 'x', '0', '1', true), cas('b', 10, 20, 'x', '0', '2', true)]), 'not linearizable');
    // Concurrent, one succeeds and one fails: fine, and a later read shows the winner.
    assert.equal(verdict([x0, cas('a', 10, 20, 'x', '0', '1', true), cas('b', 10, 20, 'x', '0', '2', false), get('c', 30, 40, 'x', '1')]), 'linearizable');
    assert.equal(verdict([x0, cas('a', 10, 20, 'x', '0', '1', true), cas('b', 10, 20, 'x', '0', '2', false), get('c', 30, 40, 'x', '2')]), 'not linearizable');
    // A compare-and-set reports failure though the value was what it expected and nothing else wrote.
    assert.equal(verdict([x0, cas('a', 10, 20, 'x', '0', '1', false)]), 'not linearizable');
    // A compare-and-set succeeds but a later read sees the value it replaced.
    assert.equal(verdict([x0, cas('a', 10, 20, 'x', '0', '1', true), get('b', 30, 40, 'x', '0')]), 'not linearizable');
    // A compare-and-set succeeds against a value that was never there.
    assert.equal(verdict([x0, cas('a', 10, 20, 'x', '9', '1', true)]), 'not linearizable');
  });

  test('the blocked operation is the first whose response forces it in: a read of a value never written', () => {
    const h = [put('a', 0, 10, 'x', '1'), get('b', 5, 15, 'x', '1'), get('c', 20, 30, 'x', 'zz'), put('a', 40, 50, 'x', '3')];
    const cx = checkLinearizable(h).counterexample!;
    assert.deepEqual({ linearized: cx.linearized, value: cx.value, blocked: cx.blocked }, { linearized: [0, 1], value: '1', blocked: 2 });
    assert.match(formatCounterexample(cx), /Not placed: #3\.$/);
  });

  test('only the key with the anomaly is reported, and its operations alone fail the same way', () => {
    const h = [put('a', 0, 10, 'y', '1'), put('a', 20, 30, 'x', '1'), get('b', 25, 35, 'y', '1'), get('b', 40, 50, 'x', null)];
    const r = checkLinearizable(h);
    assert.equal(r.verdict, 'not linearizable');
    assert.equal(r.keys, 2);
    assert.equal(r.keysDecided, 2);
    const cx = r.counterexample!;
    assert.deepEqual({ key: cx.key, indices: cx.indices, linearized: cx.linearized, blocked: cx.blocked }, { key: 'x', indices: [1, 3], linearized: [1], blocked: 3 });
    const alone = checkLinearizable(cx.ops).counterexample!;
    assert.deepEqual({ linearized: alone.linearized, blocked: alone.blocked, value: alone.value }, { linearized: [0], blocked: 1, value: '1' });
  });
});

describe('operations without a response', () => {
  test('one must be assumed to have taken effect: a read sees its value', () => {
    const h = [put('a', 0, null, 'x', '1'), get('b', 10, 20, 'x', '1')];
    assert.deepEqual(checkLinearizable(h, { witness: true }).witness, [{ key: 'x', order: [0, 1] }]);
  });

  test('one must be assumed not to have taken effect (yet): a read after its call sees the old value', () => {
    const h = [put('a', 0, null, 'x', '1'), get('b', 10, 20, 'x', null)];
    assert.deepEqual(checkLinearizable(h, { witness: true }).witness, [{ key: 'x', order: [1] }]);
  });

  test('it takes effect at one instant: once seen, its value stays until something else writes', () => {
    const seenThenGone = [put('a', 0, null, 'x', '1'), get('b', 10, 20, 'x', '1'), get('b', 30, 40, 'x', null)];
    assert.equal(verdict(seenThenGone), 'not linearizable');
    // A delete whose response was also lost explains it.
    const withDelete = [...seenThenGone, del('c', 25, null, 'x')];
    assert.deepEqual(checkLinearizable(withDelete, { witness: true }).witness, [{ key: 'x', order: [0, 1, 3, 2] }]);
  });

  test('it cannot take effect before its call', () => {
    assert.equal(verdict([get('b', 0, 10, 'x', '1'), put('a', 20, null, 'x', '1')]), 'not linearizable');
  });

  test('its response is unknown, so any is allowed: a compare-and-set may or may not have succeeded', () => {
    const pending = cas('a', 0, null, 'x', null, '1');
    assert.equal(verdict([pending, get('b', 10, 20, 'x', '1')]), 'linearizable');
    assert.equal(verdict([pending, get('b', 10, 20, 'x', null)]), 'linearizable');
    // If it took effect the key was absent, so it succeeded; a read of '1' then of the old '0' is still impossible.
    assert.equal(verdict([put('p', -10, -5, 'x', '0'), pending, get('b', 10, 20, 'x', '1')]), 'not linearizable');
  });

  test('a read without a response constrains nothing', () => {
    assert.equal(verdict([put('a', 0, 10, 'x', '1'), get('b', 20, null, 'x', null)]), 'linearizable');
  });
});

describe('random histories of a correct single-copy store', () => {
  const shape = { clients: 5, opsPerClient: 30, keys: 3, pendingRate: 0.05 };
  const seeds = Array.from({ length: 20 }, (_, k) => k + 1);

  test('are linearizable (20 seeds, 5 clients x 30 operations over 3 keys, 5% without a response)', () => {
    let pending = 0;
    for (const seed of seeds) {
      const h = simulateKvStore(seed, shape);
      const r = checkLinearizable(h);
      assert.equal(r.verdict, 'linearizable', `seed ${seed}`);
      assert.equal(r.operations, 150);
      pending += r.pending;
    }
    assert.ok(pending >= 50, `histories include operations without a response (${pending})`);
  });

  test('with one read made stale, are not, and the counterexample is on that read\'s key', () => {
    for (const seed of seeds) {
      const injected = injectStaleRead(simulateKvStore(seed, shape));
      assert.ok(injected, `seed ${seed}: a read to make stale`);
      const r = checkLinearizable(injected.history);
      assert.equal(r.verdict, 'not linearizable', `seed ${seed}`);
      const cx = r.counterexample!;
      assert.equal(cx.key, injected.history[injected.index].input.key, `seed ${seed}`);
      assert.ok(cx.indices.includes(injected.index));
      assert.equal(checkLinearizable(cx.ops).verdict, 'not linearizable', `seed ${seed}: the key's operations alone`);
    }
  });

  test('the same history gives the same result, counterexample included', () => {
    const h = injectStaleRead(simulateKvStore(7, { clients: 6, opsPerClient: 40, keys: 2, pendingRate: 0.05 }))!.history;
    const a = outcome(checkLinearizable(h));
    const b = outcome(checkLinearizable(h.map((op) => ({ ...op }))));
    assert.deepEqual(a, b);
    assert.equal(a.verdict, 'not linearizable');
  });

  test('partitioning by key: 2000 operations over 20 keys check quickly; as one object they do not', () => {
    const h = simulateKvStore(3, { clients: 10, opsPerClient: 200, keys: 20 });
    const r = checkLinearizable(h);
    assert.equal(r.verdict, 'linearizable');
    assert.equal(r.keys, 20);
    assert.equal(r.operations, 2000);
    assert.ok(r.steps < 3 * 2000, `steps ${r.steps}`);
    assert.ok(r.elapsedMs < 2000, `${r.elapsedMs.toFixed(0)} ms`);
    // The same search over the whole store as one object, given 20 times the steps, is still not done.
    const whole = checkOperations(wholeStoreModel, h, { stepLimit: 20 * r.steps });
    assert.deepEqual({ verdict: whole.verdict, limit: whole.limit, steps: whole.steps }, { verdict: 'unknown', limit: 'steps', steps: 20 * r.steps });
    // Both agree on a small history.
    const small = simulateKvStore(3, { clients: 3, opsPerClient: 20, keys: 2 });
    assert.equal(checkOperations(wholeStoreModel, small).verdict, 'linearizable');
    assert.equal(checkOperations(wholeStoreModel, injectStaleRead(small)!.history).verdict, 'not linearizable');
  });
});

describe('agreement with brute force', () => {
  /** Tries every order of every set of operations that includes all answered ones, straight from the definition. */
  function bruteForce(h: KvOperation[]): boolean {
    const n = h.length;
    const precedes = (a: KvOperation, b: KvOperation) => a.return !== null && a.return < b.call;
    const fits = (value: KvValue | null, op: KvOperation): [boolean, KvValue | null] => {
      const i = op.input;
      const answered = op.return !== null;
      if (i.op === 'get') return [!answered || (op.output as { value: KvValue | null }).value === value, value];
      if (i.op === 'put') return [true, i.value];
      if (i.op === 'delete') return [true, null];
      const applies = value === i.expected;
      return [!answered || (op.output as { ok: boolean }).ok === applies, applies ? i.value : value];
    };
    const used = new Array<boolean>(n).fill(false);
    const extend = (value: KvValue | null): boolean => {
      if (h.every((op, k) => used[k] || op.return === null)) return true;
      for (let k = 0; k < n; k++) {
        if (used[k]) continue;
        // Everything that precedes k in real time must already be placed (or be unanswered, so never precedes).
        if (h.some((op, j) => !used[j] && j !== k && precedes(op, h[k]))) continue;
        const [ok, next] = fits(value, h[k]);
        if (!ok) continue;
        used[k] = true;
        const found = extend(next);
        used[k] = false;
        if (found) return true;
      }
      return false;
    };
    return extend(null);
  }

  test('on 600 random histories of up to 7 operations on one key, with random responses', () => {
    const rng = new Prng(11);
    const values = ['1', '2'];
    const count = { linearizable: 0, 'not linearizable': 0 };
    for (let t = 0; t < 600; t++) {
      const h: KvOperation[] = [];
      const n = rng.int(1, 7);
      for (let k = 0; k < n; k++) {
        const call = rng.int(0, 20);
        const ret = rng.float() < 0.2 ? null : call + rng.int(0, 8);
        const v = values[rng.int(0, 1)];
        const roll = rng.int(0, 3);
        if (roll === 0) h.push(get(k, call, ret, 'x', [null, '1', '2'][rng.int(0, 2)]));
        else if (roll === 1) h.push(put(k, call, ret, 'x', v));
        else if (roll === 2) h.push(del(k, call, ret, 'x'));
        else h.push(cas(k, call, ret, 'x', [null, '1', '2'][rng.int(0, 2)], v, rng.float() < 0.5));
      }
      const expected = bruteForce(h) ? 'linearizable' : 'not linearizable';
      assert.equal(verdict(h), expected, JSON.stringify(h));
      count[expected]++;
    }
    assert.ok(count.linearizable > 100 && count['not linearizable'] > 100, JSON.stringify(count));
  });
});

describe('limits', () => {
  // 24 concurrent writes of different values, then a read of a value none wrote: every subset and
  // value is a different configuration, so the search has about 24 * 2^24 of them to rule out.
  const hard = [...Array.from({ length: 24 }, (_, k) => put(k, 0, 100, 'x', `w${k}`)), get('r', 200, 210, 'x', 'none')];

  test('a time limit ends the search with verdict unknown', () => {
    const r = checkLinearizable(hard, { timeLimitMs: 50 });
    assert.equal(r.verdict, 'unknown');
    assert.equal(r.limit, 'time');
    assert.equal(r.keysDecided, 0);
    assert.equal(r.counterexample, undefined);
    assert.ok(r.elapsedMs < 2000, `${r.elapsedMs.toFixed(0)} ms`);
  });

  test('a step limit does too, at exactly that many steps', () => {
    assert.deepEqual(outcome(checkLinearizable(hard, { stepLimit: 1000 })), {
      verdict: 'unknown',
      operations: 25,
      pending: 0,
      keys: 1,
      keysDecided: 0,
      steps: 1000,
      limit: 'steps',
    });
  });

  test('an anomaly on a key checked before the limit is hit is still reported', () => {
    const h = [put('a', 0, 10, 'y', '1'), get('b', 20, 30, 'y', null), ...hard];
    const r = checkLinearizable(h, { stepLimit: 1000 });
    assert.equal(r.verdict, 'not linearizable');
    assert.equal(r.counterexample!.key, 'y');
  });
});

describe('other models through checkOperations', () => {
  type QueueOp = { op: 'enq'; value: number } | { op: 'deq' };
  const queue: Model<readonly number[], QueueOp, number | null> = {
    init: () => [],
    step(q, input, output) {
      if (input.op === 'enq') return [[...q, input.value]];
      const head = q.length ? q[0] : null;
      return output === undefined || output === head ? [q.slice(1)] : [];
    },
  };
  const op = (call: number, ret: Ret, input: QueueOp, output?: number | null): Operation<QueueOp, number | null> =>
    output === undefined ? { call, return: ret, input } : { call, return: ret, input, output };

  test('a FIFO queue: concurrent enqueues may land in either order, but dequeues follow it', () => {
    const enqueues = [op(0, 10, { op: 'enq', value: 1 }), op(0, 10, { op: 'enq', value: 2 })];
    const inOrder = [...enqueues, op(20, 30, { op: 'deq' }, 2), op(40, 50, { op: 'deq' }, 1), op(60, 70, { op: 'deq' }, null)];
    assert.equal(checkOperations(queue, inOrder).verdict, 'linearizable');
    const twice = [...enqueues, op(20, 30, { op: 'deq' }, 2), op(40, 50, { op: 'deq' }, 2)];
    const r = checkOperations(queue, twice);
    assert.equal(r.verdict, 'not linearizable');
    assert.equal(r.partitions, 1);
    assert.deepEqual(r.counterexample, { partition: undefined, ops: [0, 1, 2, 3], linearized: [1, 0, 2], states: [[1]], blocked: 3 });
  });

  type BagOp = { op: 'add'; value: string } | { op: 'take' };
  /** A set whose take removes any element: with an unknown response, every element is a possible outcome. */
  const bag: Model<readonly string[], BagOp, string | null> = {
    init: () => [],
    step(s, input, output) {
      if (input.op === 'add') return [[...s, input.value].sort()];
      if (s.length === 0) return output === undefined || output === null ? [s] : [];
      const choices = output === undefined ? s : s.filter((v) => v === output);
      return choices.map((v) => s.filter((w) => w !== v));
    },
  };
  const add = (call: number, ret: Ret, value: string): Operation<BagOp, string | null> => ({ call, return: ret, input: { op: 'add', value } });
  const take = (call: number, ret: Ret, output?: string | null): Operation<BagOp, string | null> =>
    output === undefined ? { call, return: ret, input: { op: 'take' } } : { call, return: ret, input: { op: 'take' }, output };

  test('a non-deterministic model: every possible outcome of an unanswered take is followed', () => {
    // The unanswered take must have removed 'b' (not 'a', the first choice) for what follows.
    const h = [add(0, 1, 'a'), add(2, 3, 'b'), take(4, null), take(10, 11, 'a'), take(12, 13, null)];
    const r = checkOperations(bag, h, { witness: true });
    assert.equal(r.verdict, 'linearizable');
    assert.deepEqual(r.witness, [{ partition: undefined, order: [0, 1, 2, 3, 4] }]);
    const twice = [add(0, 1, 'a'), add(2, 3, 'b'), take(4, null), take(10, 11, 'a'), take(12, 13, 'a')];
    const cx = checkOperations(bag, twice).counterexample!;
    // After the adds and the unanswered take the bag holds ['a'] or ['b'], both followed; the take of 'a' leaves [].
    assert.deepEqual({ linearized: cx.linearized, states: cx.states, blocked: cx.blocked }, { linearized: [0, 1, 2, 3], states: [[]], blocked: 4 });
  });
});

describe('malformed input', () => {
  const error = (message: string, code = 'LINEARIZABILITY_BAD_HISTORY') => ({ name: 'LinearizabilityInputError', code, message });

  test('each malformed operation is named with what was expected', () => {
    assert.throws(() => checkLinearizable([put('a', 10, 5, 'x', '1')]), error('history[0].return must be a time not before its call (10), or null for no response, got 5'));
    assert.throws(() => checkLinearizable([put('a', NaN, 5, 'x', '1')]), error('history[0].call must be a finite number (a time), got NaN'));
    assert.throws(
      () => checkLinearizable([put('a', 0, 5, 'x', '1'), { client: 'b', call: 0, return: 5, input: { op: 'get', key: 'x' } }]),
      error('history[1] is a get with a response: its output must be { value } with a string, a number or null (absent), got nothing'),
    );
    assert.throws(
      () => checkLinearizable([{ client: 'b', call: 0, return: 5, input: { op: 'cas', key: 'x', expected: null, value: '1' }, output: { value: '1' } }]),
      error('history[0] is a cas with a response: its output must be { ok: true } or { ok: false }, got {"value":"1"}'),
    );
    assert.throws(
      () => checkLinearizable([{ ...put('a', 0, 5, 'x', '1'), output: { ok: false } }]),
      error('history[0] is a put with output {"ok":false}: a put needs no output or { ok: true }; one known not to have taken effect belongs out of the history, one with an unknown outcome has return: null'),
    );
    assert.throws(
      () => checkLinearizable([{ ...get('a', 0, 5, 'x', '1'), return: null }]),
      error('history[0] has an output but no return time: give its return time, or drop the output if no response was seen'),
    );
    assert.throws(
      () => checkLinearizable([{ client: 'a', call: 0, return: 5, input: { op: 'incr', key: 'x' } } as unknown as KvOperation]),
      error('history[0].input.op must be "get", "put", "delete" or "cas", got "incr"'),
    );
    assert.throws(() => checkLinearizable({} as unknown as KvOperation[]), error('the history must be an array of operations, got {}'));
    assert.equal(verdict([{ ...put('a', 0, 5, 'x', '1'), output: { ok: true } }]), 'linearizable');
  });

  test('bad options are refused', () => {
    assert.throws(() => checkLinearizable([], { timeLimitMs: -1 }), error('timeLimitMs must be a number of milliseconds, 0 or more, got -1', 'LINEARIZABILITY_BAD_OPTIONS'));
    assert.throws(() => checkLinearizable([], { stepLimit: 1.5 }), error('stepLimit must be a whole number, 0 or more, got 1.5', 'LINEARIZABILITY_BAD_OPTIONS'));
    assert.ok(new LinearizabilityInputError('LINEARIZABILITY_BAD_OPTIONS', 'x') instanceof Error);
  });
});
