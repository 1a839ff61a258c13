/**
 * Linearizability of recorded client histories (Herlihy and Wing): is there one order of the
 * operations, consistent with real time, in which a sequential model of the object gives every
 * response that was observed?
 *
 * The search is Wing and Gong's, with Lowe's improvements, as in Knossos and Porcupine:
 *
 * - The history becomes a doubly linked list of call and return entries in time order. The search
 *   walks it from the front: at a call entry it tries to let that operation take effect now (the
 *   model must accept it, in the state reached so far, with its observed output); on success the
 *   operation's two entries are unlinked and the walk restarts at the front. Reaching a return entry
 *   means that operation's response has been seen and it has not taken effect, so the last choice is
 *   undone: its entries are linked back in, exactly where they were, and the walk goes on after its
 *   call entry.
 * - Every configuration reached, the set of operations that have taken effect (a bitset) together
 *   with the model state, is remembered; reaching one again cannot lead anywhere new, so it is
 *   skipped. This is what makes the search practical.
 * - Linearizability is local: a history is linearizable if and only if, for every object, the
 *   operations on that object are. A model that names the object an operation touches (for a
 *   key-value store, the key) has its history split by object and each part searched on its own.
 *
 * Operations without a response (`return: null`: the client timed out or crashed) may have taken
 * effect at any time after their call, or never. They get no return entry, so nothing ever forces
 * them into the order; the search may place one anywhere after its call, and it succeeds as soon as
 * every operation with a response is placed, so the others are left out. This is exactly "took
 * effect at some point after its call, or not at all", which is what Knossos calls an info
 * operation. Their output, if any was given, is ignored: the model is asked to accept any output.
 *
 * Real-time order: operation A precedes B when A's return time is strictly less than B's call time.
 * Intervals are closed, so A returning at the very time B is called leaves them concurrent (the
 * checker does not presume a clock finer than the one the history was recorded with).
 *
 * Determinism: the same history and options give the same result, counterexample included, except
 * that a time limit ends the search wherever the clock says; `stepLimit` is a budget that does not
 * depend on the machine. The module does no I/O and has no dependencies.
 */

export type Verdict = 'linearizable' | 'not linearizable' | 'unknown';

/** One operation of a history: when it was called, when its response arrived, what it asked and what it got. */
export interface Operation<I, O> {
  /** Who called it; only for reports. */
  readonly client?: string | number;
  /** Call time, from a monotonic clock (any unit, as long as the history uses one). */
  readonly call: number;
  /** Response time (not before `call`), or null when no response was seen: it may or may not have taken effect. */
  readonly return: number | null;
  readonly input: I;
  /** The response; ignored when `return` is null. */
  readonly output?: O;
}

/**
 * A sequential specification. States are compared through `key`, so they should be plain data, and
 * `step` must be pure.
 */
export interface Model<S, I, O, P = unknown> {
  /** The state of one object before any operation (`partition` is its name when the model partitions). */
  init(partition: P | undefined): S;
  /**
   * The states the object may be in after `input` takes effect in `state` with response `output`;
   * empty when that response is impossible there. `output` is undefined for an operation whose
   * response was never seen, and then any response is allowed. A deterministic model returns at most
   * one state; a non-deterministic one may return several, and the search follows all of them at
   * once (as a set of states).
   */
  step(state: S, input: I, output: O | undefined): readonly S[];
  /** A canonical encoding of a state: equal states, equal keys; different states, different keys. Default JSON.stringify. */
  key?(state: S): string;
  /**
   * The object an operation touches. Operations on different objects must commute and not
   * interact: each object is then checked alone, from `init(partition)`. Without it, the whole
   * history is one object.
   */
  partition?(input: I): P;
}

export interface LinearizabilityOptions {
  /** Give up with verdict 'unknown' after this many milliseconds of search (checked every 1024 steps). */
  timeLimitMs?: number;
  /** Give up with verdict 'unknown' after this many search steps, over all partitions: a budget that does not depend on the machine. */
  stepLimit?: number;
  /** Return one linearization of each partition when the history is linearizable. */
  witness?: boolean;
}

/** A history or an option that is not what the checker takes: the message names the operation or option and what was expected. */
export class LinearizabilityInputError extends Error {
  readonly code: 'LINEARIZABILITY_BAD_HISTORY' | 'LINEARIZABILITY_BAD_OPTIONS';
  constructor(code: LinearizabilityInputError['code'], message: string) {
    super(message);
    this.name = 'LinearizabilityInputError';
    this.code = code;
  }
}

/**
 * Why one partition is not linearizable, as far as the search got: the longest sequence of its
 * operations that can take effect in that order (consistent with real time and every observed
 * response), and the operation that then could not. Every operation whose call comes before the
 * blocked operation's response and that is not in the sequence cannot take effect next either.
 * Indices are positions in the history that was checked.
 */
export interface Counterexample<S, P = unknown> {
  partition: P | undefined;
  /** The partition's operations, in history order. */
  ops: number[];
  /** The longest sequence found, in the order it takes effect (first found among the longest). */
  linearized: number[];
  /** The states the model may be in after `linearized` (one, for a deterministic model). */
  states: S[];
  /** The operation with the earliest response not in `linearized`: it cannot take effect after it. */
  blocked: number;
}

export interface OperationsResult<S, P = unknown> {
  verdict: Verdict;
  /** Operations in the history, and how many of them had no response. */
  operations: number;
  pending: number;
  /** Partitions (objects) in the history, and how many were decided before the search stopped. */
  partitions: number;
  decided: number;
  /** Search steps taken: call entries tried plus choices undone. */
  steps: number;
  elapsedMs: number;
  /** Set when the verdict is 'unknown': which bound ended the search. */
  limit?: 'time' | 'steps';
  /** Set when the verdict is 'not linearizable': the first partition (in order of first appearance) found not to be. */
  counterexample?: Counterexample<S, P>;
  /**
   * With `witness: true` and a linearizable history: for each partition, an order in which its
   * operations take effect. Operations without a response that are not listed need never have
   * taken effect.
   */
  witness?: { partition: P | undefined; order: number[] }[];
}

// ---- validation ---------------------------------------------------------------------------------

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'number') return String(value);
  return JSON.stringify(value) ?? String(value);
}

function badHistory(message: string): never {
  throw new LinearizabilityInputError('LINEARIZABILITY_BAD_HISTORY', message);
}

function validateOptions(options: LinearizabilityOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new LinearizabilityInputError('LINEARIZABILITY_BAD_OPTIONS', `options must be an object, got ${show(options)}`);
  }
  const { timeLimitMs, stepLimit, witness } = options;
  if (timeLimitMs !== undefined && !(typeof timeLimitMs === 'number' && timeLimitMs >= 0)) {
    throw new LinearizabilityInputError('LINEARIZABILITY_BAD_OPTIONS', `timeLimitMs must be a number of milliseconds, 0 or more, got ${show(timeLimitMs)}`);
  }
  if (stepLimit !== undefined && !(Number.isInteger(stepLimit) && stepLimit >= 0)) {
    throw new LinearizabilityInputError('LINEARIZABILITY_BAD_OPTIONS', `stepLimit must be a whole number, 0 or more, got ${show(stepLimit)}`);
  }
  if (witness !== undefined && typeof witness !== 'boolean') {
    throw new LinearizabilityInputError('LINEARIZABILITY_BAD_OPTIONS', `witness must be true or false, got ${show(witness)}`);
  }
}

function validateTimes(history: readonly Operation<unknown, unknown>[]): void {
  if (!Array.isArray(history)) badHistory(`the history must be an array of operations, got ${show(history)}`);
  history.forEach((op, i) => {
    if (typeof op !== 'object' || op === null) badHistory(`history[${i}] must be an operation object, got ${show(op)}`);
    if (typeof op.call !== 'number' || !Number.isFinite(op.call)) {
      badHistory(`history[${i}].call must be a finite number (a time), got ${show(op.call)}`);
    }
    if (op.return !== null && !(typeof op.return === 'number' && Number.isFinite(op.return) && op.return >= op.call)) {
      badHistory(`history[${i}].return must be a time not before its call (${op.call}), or null for no response, got ${show(op.return)}`);
    }
  });
}

// ---- the search ---------------------------------------------------------------------------------

/** A set of model states, sorted by key, with its own canonical key. */
interface StateSet<S> {
  readonly states: S[];
  readonly key: string;
}

interface Budget {
  steps: number;
  readonly stepLimit: number;
  readonly deadline: number;
  limit?: 'time' | 'steps';
}

type PartitionOutcome<S> =
  | { verdict: 'linearizable'; order: number[] }
  | { verdict: 'not linearizable'; linearized: number[]; states: S[]; blocked: number }
  | { verdict: 'unknown' };

/** 32-bit FNV-1a over UTF-16 code units. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** One fixed pseudo-random 32-bit word per operation (splitmix32 from a fixed seed), for Zobrist hashing of bitsets. */
function zobrist(n: number): Uint32Array {
  const z = new Uint32Array(n);
  let s = 0x2545f491;
  for (let i = 0; i < n; i++) {
    s = (s + 0x9e3779b9) | 0;
    let x = s;
    x = Math.imul(x ^ (x >>> 16), 0x21f0aaad);
    x = Math.imul(x ^ (x >>> 15), 0x735a2d97);
    z[i] = (x ^ (x >>> 15)) >>> 0;
  }
  return z;
}

function sameBits(a: Uint32Array, b: Uint32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Lowe's search over one partition. `ops` are in history order; the outcome's indices are positions
 * in `ops`. Steps are counted into `budget`, shared by all partitions of one check.
 */
function searchPartition<S, I, O>(
  step: (states: StateSet<S>, input: I, output: O | undefined) => StateSet<S> | null,
  initial: StateSet<S>,
  ops: readonly Operation<I, O>[],
  budget: Budget,
): PartitionOutcome<S> {
  const n = ops.length;
  // Entry 2i is the call of operation i, 2i + 1 its return; entry 2n is the head of the list.
  const head = 2 * n;
  const next = new Int32Array(2 * n + 1).fill(-1);
  const prev = new Int32Array(2 * n + 1).fill(-1);
  const completed = new Uint8Array(n);
  const entries: number[] = [];
  let remaining = 0;
  for (let i = 0; i < n; i++) {
    entries.push(2 * i);
    if (ops[i].return !== null) {
      completed[i] = 1;
      remaining++;
      entries.push(2 * i + 1);
    }
  }
  const time = (e: number) => ((e & 1) === 0 ? ops[e >> 1].call : (ops[e >> 1].return as number));
  // Time order; at equal times calls before returns (closed intervals), then history order.
  entries.sort((a, b) => time(a) - time(b) || (a & 1) - (b & 1) || a - b);
  let last = head;
  for (const e of entries) {
    next[last] = e;
    prev[e] = last;
    last = e;
  }

  const unlink = (e: number) => {
    next[prev[e]] = next[e];
    if (next[e] >= 0) prev[next[e]] = prev[e];
  };
  const relink = (e: number) => {
    next[prev[e]] = e;
    if (next[e] >= 0) prev[next[e]] = e;
  };

  const words = (n + 31) >>> 5;
  const bits = new Uint32Array(words);
  const z = zobrist(n);
  let bitsHash = 0;
  const seen = new Map<number, { bits: Uint32Array; key: string }[]>();
  /** Remembers (bits, key) and says whether it is new. */
  const remember = (hash: number, key: string): boolean => {
    const h = (Math.imul(hash ^ hashString(key), 0x9e3779b1) ^ hash) >>> 0;
    const bucket = seen.get(h);
    if (bucket === undefined) {
      seen.set(h, [{ bits: bits.slice(), key }]);
      return true;
    }
    for (const c of bucket) if (c.key === key && sameBits(c.bits, bits)) return false;
    bucket.push({ bits: bits.slice(), key });
    return true;
  };

  const takenOps: number[] = [];
  const takenFrom: StateSet<S>[] = [];
  let current = initial;
  // The deepest configuration reached so far is copied out only when the walk next meets a return
  // entry: until then nothing has been undone since it was reached, so it is still the current one.
  let deepest = 0;
  let awaitingBlocked = true;
  let best: number[] = [];
  let bestStates = initial;
  let blocked = -1;
  if (remaining === 0) return { verdict: 'linearizable', order: [] };

  let entry = next[head];
  for (;;) {
    if (budget.steps >= budget.stepLimit) {
      budget.limit = 'steps';
      return { verdict: 'unknown' };
    }
    if ((++budget.steps & 1023) === 0 && performance.now() > budget.deadline) {
      budget.limit = 'time';
      return { verdict: 'unknown' };
    }
    if ((entry & 1) === 0) {
      const i = entry >> 1;
      const op = ops[i];
      const after = step(current, op.input, completed[i] ? op.output : undefined);
      if (after !== null) {
        bits[i >>> 5] |= 1 << (i & 31);
        const hash = bitsHash ^ z[i];
        if (remember(hash, after.key)) {
          takenOps.push(i);
          takenFrom.push(current);
          current = after;
          bitsHash = hash;
          unlink(entry);
          if (completed[i]) {
            unlink(entry + 1);
            if (--remaining === 0) return { verdict: 'linearizable', order: takenOps.slice() };
          }
          if (takenOps.length > deepest) {
            deepest = takenOps.length;
            awaitingBlocked = true;
          }
          entry = next[head];
          continue;
        }
        bits[i >>> 5] &= ~(1 << (i & 31));
      }
      entry = next[entry];
    } else {
      // The response of an operation that has not taken effect: undo the last choice.
      if (awaitingBlocked) {
        best = takenOps.slice();
        bestStates = current;
        blocked = entry >> 1;
        awaitingBlocked = false;
      }
      const i = takenOps.pop();
      if (i === undefined) return { verdict: 'not linearizable', linearized: best, states: bestStates.states, blocked };
      current = takenFrom.pop() as StateSet<S>;
      bits[i >>> 5] &= ~(1 << (i & 31));
      bitsHash ^= z[i];
      if (completed[i]) {
        relink(2 * i + 1);
        remaining++;
      }
      relink(2 * i);
      entry = next[2 * i];
    }
  }
}

/**
 * Checks a history against any sequential model. The history is split by `model.partition` (in
 * order of first appearance) and each partition searched in turn; the search stops at the first
 * partition that is not linearizable, or when a limit is reached.
 */
export function checkOperations<S, I, O, P = unknown>(
  model: Model<S, I, O, P>,
  history: readonly Operation<I, O>[],
  options: LinearizabilityOptions = {},
): OperationsResult<S, P> {
  validateOptions(options);
  validateTimes(history as readonly Operation<unknown, unknown>[]);
  const started = performance.now();
  const budget: Budget = {
    steps: 0,
    stepLimit: options.stepLimit ?? Infinity,
    deadline: options.timeLimitMs === undefined ? Infinity : started + options.timeLimitMs,
  };

  const keyOf = model.key ? (s: S) => model.key!(s) : (s: S) => JSON.stringify(s);
  const setOf = (states: readonly S[]): StateSet<S> | null => {
    if (states.length === 0) return null;
    if (states.length === 1) {
      const k = keyOf(states[0]);
      return { states: [states[0]], key: `${k.length}:${k}` };
    }
    const byKey = new Map<string, S>();
    for (const s of states) byKey.set(keyOf(s), s);
    const keys = [...byKey.keys()].sort();
    return { states: keys.map((k) => byKey.get(k) as S), key: keys.map((k) => `${k.length}:${k}`).join('') };
  };
  const step = (set: StateSet<S>, input: I, output: O | undefined): StateSet<S> | null => {
    if (set.states.length === 1) return setOf(model.step(set.states[0], input, output));
    const all: S[] = [];
    for (const s of set.states) for (const t of model.step(s, input, output)) all.push(t);
    return setOf(all);
  };

  const groups = new Map<P | undefined, number[]>();
  history.forEach((op, i) => {
    const p = model.partition ? model.partition(op.input) : undefined;
    const group = groups.get(p);
    if (group) group.push(i);
    else groups.set(p, [i]);
  });

  const result: OperationsResult<S, P> = {
    verdict: 'linearizable',
    operations: history.length,
    pending: history.filter((op) => op.return === null).length,
    partitions: groups.size,
    decided: 0,
    steps: 0,
    elapsedMs: 0,
  };
  const witness: { partition: P | undefined; order: number[] }[] = [];
  for (const [partition, indices] of groups) {
    const initial = setOf([model.init(partition)]);
    if (initial === null) throw new Error('unreachable: a set of one state is never empty');
    const outcome = searchPartition(step, initial, indices.map((i) => history[i]), budget);
    if (outcome.verdict === 'unknown') {
      result.verdict = 'unknown';
      result.limit = budget.limit;
      break;
    }
    result.decided++;
    if (outcome.verdict === 'not linearizable') {
      result.verdict = 'not linearizable';
      result.counterexample = {
        partition,
        ops: indices,
        linearized: outcome.linearized.map((i) => indices[i]),
        states: outcome.states,
        blocked: indices[outcome.blocked],
      };
      break;
    }
    witness.push({ partition, order: outcome.order.map((i) => indices[i]) });
  }
  result.steps = budget.steps;
  result.elapsedMs = performance.now() - started;
  if (options.witness && result.verdict === 'linearizable') result.witness = witness;
  return result;
}

// ---- the key-value store ------------------------------------------------------------------------

export type KvKey = string | number;
export type KvValue = string | number;

export type KvInput =
  | { readonly op: 'get'; readonly key: KvKey }
  | { readonly op: 'put'; readonly key: KvKey; readonly value: KvValue }
  | { readonly op: 'delete'; readonly key: KvKey }
  /** Compare-and-set: set `value` only if the current value is `expected` (null: only if the key is absent). */
  | { readonly op: 'cas'; readonly key: KvKey; readonly expected: KvValue | null; readonly value: KvValue };

/**
 * A response: a get's value (null: absent); whether a cas took effect. A put or a delete needs no
 * output; if given it must be `{ ok: true }`.
 */
export type KvOutput = { readonly value: KvValue | null } | { readonly ok: boolean };

/**
 * One client operation against the store. An operation the store refused in a way that means it
 * certainly did not take effect (an error reply, as opposed to a cas that failed its comparison)
 * belongs out of the history; one whose outcome is unknown has `return: null` and no output.
 */
export interface KvOperation extends Operation<KvInput, KvOutput> {
  readonly client: string | number;
}

/**
 * The store as a sequential model, partitioned by key: the state of one key is its value, null when
 * absent. `initial` gives keys that hold a value before the history starts.
 */
export function kvModel(initial?: ReadonlyMap<KvKey, KvValue>): Model<KvValue | null, KvInput, KvOutput, KvKey> {
  return {
    init: (key) => (key === undefined ? null : initial?.get(key) ?? null),
    partition: (input) => input.key,
    key: (v) => (v === null ? 'n' : typeof v === 'string' ? `s${v}` : `d${v}`),
    step(v, input, output) {
      switch (input.op) {
        case 'get':
          return output === undefined || (output as { value: KvValue | null }).value === v ? [v] : [];
        case 'put':
          return [input.value];
        case 'delete':
          return [null];
        case 'cas': {
          const applies = v === input.expected;
          if (output === undefined) return [applies ? input.value : v];
          return (output as { ok: boolean }).ok === applies ? [applies ? input.value : v] : [];
        }
      }
    },
  };
}

const isKvValue = (v: unknown): v is KvValue => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));

function validateKv(history: readonly KvOperation[]): void {
  validateTimes(history);
  history.forEach((op, i) => {
    const at = `history[${i}]`;
    const c = op.client;
    if (!(typeof c === 'string' || (typeof c === 'number' && Number.isFinite(c)))) {
      badHistory(`${at}.client must be a string or a number, got ${show(c)}`);
    }
    const input = op.input as Record<string, unknown> | null;
    if (typeof input !== 'object' || input === null) badHistory(`${at}.input must be an object, got ${show(input)}`);
    const kind = input.op;
    if (kind !== 'get' && kind !== 'put' && kind !== 'delete' && kind !== 'cas') {
      badHistory(`${at}.input.op must be "get", "put", "delete" or "cas", got ${show(kind)}`);
    }
    if (!isKvValue(input.key)) badHistory(`${at}.input.key must be a string or a number, got ${show(input.key)}`);
    if ((kind === 'put' || kind === 'cas') && !isKvValue(input.value)) {
      badHistory(`${at}.input.value of a ${kind} must be a string or a number, got ${show(input.value)}`);
    }
    if (kind === 'cas' && !(input.expected === null || isKvValue(input.expected))) {
      badHistory(`${at}.input.expected of a cas must be a string, a number or null (absent), got ${show(input.expected)}`);
    }
    const out = op.output as Record<string, unknown> | undefined;
    if (op.return === null) {
      if (out !== undefined) badHistory(`${at} has an output but no return time: give its return time, or drop the output if no response was seen`);
      return;
    }
    if (kind === 'get') {
      if (typeof out !== 'object' || out === null || !('value' in out) || !(out.value === null || isKvValue(out.value))) {
        badHistory(`${at} is a get with a response: its output must be { value } with a string, a number or null (absent), got ${show(out)}`);
      }
    } else if (kind === 'cas') {
      if (typeof out !== 'object' || out === null || typeof out.ok !== 'boolean') {
        badHistory(`${at} is a cas with a response: its output must be { ok: true } or { ok: false }, got ${show(out)}`);
      }
    } else if (out !== undefined && !(typeof out === 'object' && out !== null && out.ok === true)) {
      badHistory(
        `${at} is a ${kind} with output ${show(out)}: a ${kind} needs no output or { ok: true }; ` +
          'one known not to have taken effect belongs out of the history, one with an unknown outcome has return: null',
      );
    }
  });
}

export interface KvCounterexample {
  key: KvKey;
  /** The key's operations (history order), and their positions in the history. Checking `ops` alone fails the same way. */
  ops: KvOperation[];
  indices: number[];
  /** History positions of the longest sequence of the key's operations found that can take effect in this order. */
  linearized: number[];
  /** The key's value after them (null: absent). */
  value: KvValue | null;
  /** History position of the operation that cannot take effect after them (the earliest response among the rest). */
  blocked: number;
}

export interface KvCheckResult {
  verdict: Verdict;
  operations: number;
  /** Operations without a response. */
  pending: number;
  /** Keys in the history, and how many were decided before the search stopped. */
  keys: number;
  keysDecided: number;
  steps: number;
  elapsedMs: number;
  limit?: 'time' | 'steps';
  counterexample?: KvCounterexample;
  /** With `witness: true` and a linearizable history: per key, history positions in an order in which they take effect. */
  witness?: { key: KvKey; order: number[] }[];
}

export interface KvCheckOptions extends LinearizabilityOptions {
  /** Keys holding a value before the history starts; others start absent. */
  initial?: ReadonlyMap<KvKey, KvValue>;
}

/**
 * Checks a history of get, put, delete and cas operations against a single-copy key-value store.
 * Throws LinearizabilityInputError when an operation or an option is malformed.
 */
export function checkLinearizable(history: readonly KvOperation[], options: KvCheckOptions = {}): KvCheckResult {
  validateOptions(options);
  if (options.initial !== undefined && !(options.initial instanceof Map)) {
    throw new LinearizabilityInputError('LINEARIZABILITY_BAD_OPTIONS', `initial must be a Map from keys to values, got ${show(options.initial)}`);
  }
  validateKv(history);
  const r = checkOperations(kvModel(options.initial), history, options);
  const result: KvCheckResult = {
    verdict: r.verdict,
    operations: r.operations,
    pending: r.pending,
    keys: r.partitions,
    keysDecided: r.decided,
    steps: r.steps,
    elapsedMs: r.elapsedMs,
  };
  if (r.limit) result.limit = r.limit;
  const cx = r.counterexample;
  if (cx) {
    result.counterexample = {
      key: cx.partition as KvKey,
      ops: cx.ops.map((i) => history[i]),
      indices: cx.ops,
      linearized: cx.linearized,
      value: cx.states[0],
      blocked: cx.blocked,
    };
  }
  if (r.witness) result.witness = r.witness.map((w) => ({ key: w.partition as KvKey, order: w.order }));
  return result;
}

// ---- reports ------------------------------------------------------------------------------------

/** One operation on one line: `#3 client 2 [10, 25] cas("x", "a" -> "b") failed`. */
export function formatKvOperation(op: KvOperation, index: number): string {
  const v = (x: KvValue | null) => JSON.stringify(x);
  const i = op.input;
  let text: string;
  switch (i.op) {
    case 'get':
      text = `get(${v(i.key)})`;
      break;
    case 'put':
      text = `put(${v(i.key)}, ${v(i.value)})`;
      break;
    case 'delete':
      text = `delete(${v(i.key)})`;
      break;
    case 'cas':
      text = `cas(${v(i.key)}, ${v(i.expected)} -> ${v(i.value)})`;
      break;
  }
  let response: string;
  if (op.return === null) response = ' (no response)';
  else if (i.op === 'get') response = ` -> ${v((op.output as { value: KvValue | null }).value)}`;
  else if (i.op === 'cas') response = (op.output as { ok: boolean }).ok ? ' ok' : ' failed';
  else response = ' ok';
  const when = `[${op.call}, ${op.return ?? 'no response'}]`;
  return `#${index} client ${op.client} ${when} ${text}${response}`;
}

/** A counterexample as text, one line each: the key, the sequence that works, the value it leaves, the operation that cannot follow. */
export function formatCounterexample(cx: KvCounterexample): string {
  const byIndex = new Map(cx.indices.map((h, k) => [h, cx.ops[k]]));
  const line = (h: number) => formatKvOperation(byIndex.get(h) as KvOperation, h);
  const lines = [`Key ${JSON.stringify(cx.key)}: its ${cx.ops.length} operations are not linearizable.`];
  lines.push(`Longest order found in which operations can take effect (${cx.linearized.length} of them):`);
  cx.linearized.forEach((h, k) => lines.push(`  ${k + 1}. ${line(h)}`));
  lines.push(`The value is then ${cx.value === null ? 'absent' : JSON.stringify(cx.value)}, and this cannot take effect next:`);
  lines.push(`  ${line(cx.blocked)}`);
  const waiting = cx.indices.filter((h) => h !== cx.blocked && !cx.linearized.includes(h));
  if (waiting.length) lines.push(`Not placed: ${waiting.map((h) => `#${h}`).join(', ')}.`);
  return lines.join('\n');
}
