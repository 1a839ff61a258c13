/**
 * Step 3: remove the states that cannot be reached from the start state. The states kept stay in the
 * order they had, so a state's number still orders it as the enumeration did.
 */
import type { TransitionTable } from './generate.ts';

/** Marks the states reachable from the start state (breadth-first over the transitions). */
export function reachable(table: TransitionTable): Uint8Array {
  const { count, dest } = table;
  const m = table.messages.length;
  const seen = new Uint8Array(count);
  const queue = new Int32Array(count);
  let head = 0;
  let tail = 0;
  seen[table.start] = 1;
  queue[tail++] = table.start;
  while (head < tail) {
    const s = queue[head++];
    for (let at = s * m, end = at + m; at < end; at++) {
      const d = dest[at];
      if (d >= 0 && seen[d] === 0) {
        seen[d] = 1;
        queue[tail++] = d;
      }
    }
  }
  return seen;
}

/** The table restricted to the states `keep` marks, renumbered in their order. */
export function restrict(table: TransitionTable, keep: Uint8Array): TransitionTable {
  const { count, dest, action, rationale } = table;
  const m = table.messages.length;
  const renumber = new Int32Array(count).fill(-1);
  let n = 0;
  for (let i = 0; i < count; i++) if (keep[i]) renumber[i] = n++;
  if (n === count) return table;
  const nd = new Int32Array(n * m);
  const na = new Int32Array(n * m);
  const nr = new Int32Array(n * m);
  const origin = new Int32Array(n);
  const members: (readonly number[])[] | null = table.members ? [] : null;
  for (let i = 0; i < count; i++) {
    const k = renumber[i];
    if (k < 0) continue;
    origin[k] = table.origin[i];
    if (members) members.push(table.members![i]);
    for (let j = 0; j < m; j++) {
      const d = dest[i * m + j];
      nd[k * m + j] = d < 0 ? -1 : renumber[d];
      na[k * m + j] = action[i * m + j];
      nr[k * m + j] = rationale[i * m + j];
    }
  }
  return {
    ...table, count: n, dest: nd, action: na, rationale: nr, origin, members,
    start: renumber[table.start], finish: table.finish < 0 ? -1 : renumber[table.finish],
  };
}

/** Step 3: only the states reachable from the start state. */
export function prune(table: TransitionTable): TransitionTable {
  return restrict(table, reachable(table));
}
