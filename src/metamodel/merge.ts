/**
 * Step 4: combine equivalent states, "in the sense that the outgoing transitions from each perform the
 * same actions and lead to the same destination state".
 *
 * The equivalence is found by Moore's partition refinement, not by comparing states pairwise: start from
 * one block per kind of state (here: the finish state, and every other state grouped by which messages
 * it has a transition on and with which actions) and split every block by the blocks its members'
 * transitions lead to, until no block splits. The result is the coarsest partition in which states of a
 * block agree on every message's actions and destination block, so the quotient machine is minimal
 * (the largest bisimulation). Each round costs O(states x messages); the number of rounds is at most
 * the number of blocks.
 */
import type { TransitionTable } from './generate.ts';

export interface Partition {
  /** The block of each state; blocks are numbered in the order of their first state. */
  readonly classOf: Int32Array;
  readonly count: number;
  /** Refinement rounds it took (the last one splits nothing). */
  readonly rounds: number;
}

/** Splits the blocks of `cur` by a key per state; blocks stay numbered by first occurrence. */
function split(cur: Int32Array, radix: number, key: (i: number) => number): { classOf: Int32Array; count: number } {
  const n = cur.length;
  const out = new Int32Array(n);
  const ids = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const k = cur[i] * radix + key(i);
    let id = ids.get(k);
    if (id === undefined) {
      id = ids.size;
      ids.set(k, id);
    }
    out[i] = id;
  }
  return { classOf: out, count: ids.size };
}

/**
 * The coarsest partition of states 0..n-1 that refines `initial` and in which states of one block have,
 * on every message j, the same label `label[i*m+j]` and destinations `dest[i*m+j]` in the same block
 * (-1, no transition, counts as a destination of its own).
 */
export function refine(n: number, m: number, dest: Int32Array, label: Int32Array, initial?: ArrayLike<number>): Partition {
  let cls: Int32Array = new Int32Array(n);
  let count = 1;
  if (initial) {
    let maxKey = 0;
    for (let i = 0; i < n; i++) maxKey = Math.max(maxKey, initial[i]);
    ({ classOf: cls, count } = split(new Int32Array(n), maxKey + 1, (i) => initial[i]));
  } else if (n === 0) {
    count = 0;
  }
  // Labels and the presence of transitions never change: split by them once.
  let maxLabel = 0;
  for (let at = 0; at < n * m; at++) maxLabel = Math.max(maxLabel, label[at]);
  for (let j = 0; j < m; j++) {
    ({ classOf: cls, count } = split(cls, maxLabel + 2, (i) => (dest[i * m + j] < 0 ? 0 : label[i * m + j] + 1)));
  }
  for (let rounds = 1; ; rounds++) {
    let cur = cls;
    let curCount = count;
    const prev = cls;
    const radix = count + 1;
    for (let j = 0; j < m; j++) {
      ({ classOf: cur, count: curCount } = split(cur, radix, (i) => {
        const d = dest[i * m + j];
        return d < 0 ? 0 : prev[d] + 1;
      }));
    }
    if (curCount === count) return { classOf: cls, count, rounds };
    cls = cur;
    count = curCount;
  }
}

/** Step 4: the table with every block of equivalent states combined into its first state. */
export function merge(table: TransitionTable): TransitionTable {
  const { count, dest, action, rationale, finish } = table;
  const m = table.messages.length;
  const initial = new Int32Array(count);
  if (finish >= 0) initial[finish] = 1;
  const p = refine(count, m, dest, action, initial);
  if (p.count === count) return table;
  const n = p.count;
  const rep = new Int32Array(n).fill(-1);
  const members: number[][] = Array.from({ length: n }, () => []);
  for (let i = 0; i < count; i++) {
    const k = p.classOf[i];
    if (rep[k] < 0) rep[k] = i;
    if (table.members) members[k].push(...table.members[i]);
    else members[k].push(table.origin[i]);
  }
  const nd = new Int32Array(n * m);
  const na = new Int32Array(n * m);
  const nr = new Int32Array(n * m);
  const origin = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const i = rep[k];
    origin[k] = table.origin[i];
    members[k].sort((a, b) => a - b);
    for (let j = 0; j < m; j++) {
      const d = dest[i * m + j];
      nd[k * m + j] = d < 0 ? -1 : p.classOf[d];
      na[k * m + j] = action[i * m + j];
      nr[k * m + j] = rationale[i * m + j];
    }
  }
  return {
    ...table, count: n, dest: nd, action: na, rationale: nr, origin, members,
    start: p.classOf[table.start], finish: finish < 0 ? -1 : p.classOf[finish],
  };
}
