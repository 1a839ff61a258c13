/**
 * Comparing and checking states as plain data, where parts shared by two successive states (the same
 * objects) are known to be alike and already checked, so only what a step made new is looked at.
 */
import type { StateChange } from './trace-file.ts';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Whether `after` is plain data, given that `before` is: the parts of `after` that are the very objects
 * found at the same place in `before` were checked when `before` was, so only the rest is walked (the
 * same rules as core's `encode`: own enumerable keys, `undefined` values skipped, finite numbers, plain prototypes).
 */
export function plainAfter(before: unknown, after: unknown): boolean {
  switch (typeof after) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(after);
    case 'object': {
      if (after === null || after === before) return true;
      if (Array.isArray(after)) {
        const b = Array.isArray(before) ? before : undefined;
        for (let i = 0; i < after.length; i++) {
          const v = after[i];
          if (typeof v === 'object' && v !== null && b !== undefined && i < b.length && b[i] === v) continue;
          if (!plainAfter(b?.[i], v)) return false;
        }
        return true;
      }
      const proto = Object.getPrototypeOf(after);
      if (proto !== Object.prototype && proto !== null) return false;
      const b = isRecord(before) ? before : undefined;
      // For-in also visits inherited enumerable keys, which plain data has none of (were there any,
      // this could only say no where `encode` says yes, and the caller asks `encode` then).
      for (const k in after) {
        const v = (after as Record<string, unknown>)[k];
        if (v === undefined) continue;
        if (typeof v === 'object' && v !== null && b !== undefined && Object.hasOwn(b, k)) {
          const old = b[k];
          if (old === v) continue;
          if (!plainAfter(old, v)) return false;
        } else if (!plainAfter(undefined, v)) {
          return false;
        }
      }
      return true;
    }
    default:
      return false;
  }
}

/**
 * Field-level differences between two states, as core's `diffFields` gives them (dotted paths, keys in
 * sorted order, arrays and values of different kinds compared whole), but without its sorted union of
 * all keys at each level: only the keys whose values are not identical are sorted and descended into.
 */
export function fieldChanges(before: unknown, after: unknown): StateChange[] {
  if (before === after) return [];
  const out: StateChange[] = [];
  changesInto(out, before, after, '');
  return out;
}

function changesInto(out: StateChange[], before: unknown, after: unknown, path: string): void {
  if (before === after) return;
  if (isRecord(before) && isRecord(after)) {
    const ka = Object.keys(after);
    const kb = Object.keys(before);
    let keys: string[] | null = null;
    for (let j = 0; j < ka.length; j++) {
      const k = ka[j];
      if (before[k] !== after[k]) {
        if (keys === null) keys = [k];
        else keys.push(k);
      }
    }
    // Keys of `before` that `after` lacks, unless they all lead `after`'s keys in the same order.
    let leading = kb.length <= ka.length;
    for (let j = 0; leading && j < kb.length; j++) leading = kb[j] === ka[j];
    if (!leading) {
      for (let j = 0; j < kb.length; j++) {
        const k = kb[j];
        if (!Object.hasOwn(after, k) && before[k] !== after[k]) {
          if (keys === null) keys = [k];
          else keys.push(k);
        }
      }
    }
    if (keys === null) return;
    if (keys.length > 1) keys.sort();
    for (const k of keys) changesInto(out, before[k], after[k], path ? `${path}.${k}` : k);
    return;
  }
  // Arrays and values of different kinds compare whole (their JSON is canonical enough for equality here).
  if (typeof before === 'object' && typeof after === 'object' && JSON.stringify(before) === JSON.stringify(after)) return;
  out.push({ field: path, before, after });
}

/**
 * Whether two plain values cannot be told apart by anything that reads them: the same keys in the
 * same order, the same arrays, the same primitives (shared parts are compared by identity first).
 */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return typeof a !== 'number' || Object.is(a, b);
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b) || Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) {
    const k = ka[i];
    if (k !== kb[i] || !sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

