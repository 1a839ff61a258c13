import { mix32 } from '../core/plain.ts';

/**
 * The pieces of additive fingerprints: each component of a state hashes, with a salt saying what
 * kind of component it is (and, for node states, which node), to two independent 32-bit lanes.
 */
export const SALT_FLAGS = 0x1000001;
export const SALT_MESSAGE = 0x2000003;
export const SALT_OUTPUT = 0x3000005;
export const SALT_LOCAL = 0x4000007;

/** Two independent 32-bit hashes of (salt, id): the lanes of an additive fingerprint. */
export function laneA(salt: number, id: number): number {
  return mix32(Math.imul(salt, 0x9e3779b1) ^ Math.imul(id + 1, 0x85ebca77));
}

export function laneB(salt: number, id: number): number {
  return mix32(Math.imul(salt ^ 0x5bd1e995, 0xc2b2ae3d) + Math.imul(id + 1, 0x27d4eb2f));
}

/** Whether the sorted run v[from, to) holds `id`. */
export function contains(v: Int32Array, from: number, to: number, id: number): boolean {
  let lo = from;
  let hi = to - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (v[mid] === id) return true;
    if (v[mid] < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}
