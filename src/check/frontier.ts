import { counterBuffer, ensureLength, growable } from './shared-array.ts';

/**
 * The states of one breadth-first level, as records [state index, length, ...vector] in a shared
 * arena, with a table of record offsets so that threads can take disjoint slices of the level.
 */
export interface LevelBuffers {
  readonly arena: SharedArrayBuffer;
  readonly offsets: SharedArrayBuffer;
  readonly meta: SharedArrayBuffer; // [count, words used]
}

const MAX_ARENA = 2 ** 32;

export function createLevelBuffers(): LevelBuffers {
  return { arena: growable(1 << 16, MAX_ARENA), offsets: growable(1 << 12, 2 ** 31), meta: counterBuffer() };
}

export class Level {
  private readonly arena: Int32Array;
  private readonly offsets: Int32Array;
  private readonly meta: Int32Array;

  constructor(readonly buffers: LevelBuffers) {
    this.arena = new Int32Array(buffers.arena);
    this.offsets = new Int32Array(buffers.offsets);
    this.meta = new Int32Array(buffers.meta);
  }

  get size(): number {
    return Atomics.load(this.meta, 0);
  }

  private peak = 0;

  /** The most bytes this level's arena and offsets have held (what stays resident between levels). */
  get peakBytes(): number {
    return Math.max(this.peak, Atomics.load(this.meta, 1) * 4 + this.size * 4);
  }

  clear(): void {
    this.peak = this.peakBytes;
    Atomics.store(this.meta, 0, 0);
    Atomics.store(this.meta, 1, 0);
  }

  push(index: number, v: Int32Array): void {
    const words = v.length + 2;
    const off = Atomics.add(this.meta, 1, words);
    if ((off + words) * 4 > this.buffers.arena.byteLength) ensureLength(this.buffers.arena, (off + words) * 4, 'the search frontier');
    this.arena[off] = index;
    this.arena[off + 1] = v.length;
    this.arena.set(v, off + 2);
    const k = Atomics.add(this.meta, 0, 1);
    if ((k + 1) * 4 > this.buffers.offsets.byteLength) ensureLength(this.buffers.offsets, (k + 1) * 4, 'the search frontier');
    this.offsets[k] = off;
  }

  indexAt(k: number): number {
    return this.arena[this.offsets[k]];
  }

  vectorAt(k: number): Int32Array {
    const off = this.offsets[k];
    return this.arena.subarray(off + 2, off + 2 + this.arena[off + 1]);
  }
}
