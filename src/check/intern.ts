import { hashString } from '../core/plain.ts';
import { counterBuffer, ensureLength, growable } from './shared-array.ts';

/**
 * A table of strings shared by every worker thread: each distinct string gets a dense integer id
 * (0, 1, 2, ... in the order first seen), the same in every thread, so that global states can be
 * vectors of ids that any worker can expand, and per-id caches can be plain dense arrays.
 *
 * An open-addressing index maps a string's hash to its id. Lock-free: an index slot is claimed with a
 * compare-and-swap on its hash word; the claimer takes the next id, writes the bytes, the offset and
 * the length (last), then publishes the id in the slot. Each thread keeps a private cache in front.
 * The index doubles, like the fingerprint table, between batches of work when no thread inserts;
 * ids never change.
 */
export interface InternBuffers {
  readonly index: SharedArrayBuffer;
  readonly tags: SharedArrayBuffer;
  readonly offsets: SharedArrayBuffer;
  readonly lengths: SharedArrayBuffer;
  readonly arena: SharedArrayBuffer;
  readonly meta: SharedArrayBuffer;
}

const META_ARENA_USED = 0;
const META_COUNT = 16; // a cache line away from the arena counter
const MAX_IDS = 1 << 24;

export class InternFullError extends Error {
  constructor(capacity: number) {
    super(`more than ${capacity} distinct node states, messages and timers: the intern table is full`);
    this.name = 'InternFullError';
  }
}

const MAX_LOAD = 0.5;

export function createInternBuffers(capacity = 1 << 14): InternBuffers {
  return {
    index: new SharedArrayBuffer(capacity * 8),
    tags: growable(1 << 14, MAX_IDS * 4),
    offsets: growable(1 << 14, MAX_IDS * 4),
    lengths: growable(1 << 14, MAX_IDS * 4),
    arena: growable(1 << 16, 1 << 30),
    meta: counterBuffer(),
  };
}

export class InternTable {
  private index: Int32Array;
  private capacity: number;
  private readonly tags: Int32Array;
  private readonly offsets: Int32Array;
  private readonly lengths: Int32Array;
  private readonly arena: Uint8Array;
  private readonly meta: Int32Array;
  private readonly ids = new Map<string, number>();
  private readonly texts: string[] = [];
  private readonly encoder = new TextEncoder();
  /** True while no other thread can intern: the index then grows as soon as it needs to. */
  soleWriter = true;

  constructor(private buffers: InternBuffers) {
    this.index = new Int32Array(buffers.index);
    this.tags = new Int32Array(buffers.tags);
    this.offsets = new Int32Array(buffers.offsets);
    this.lengths = new Int32Array(buffers.lengths);
    this.arena = new Uint8Array(buffers.arena);
    this.meta = new Int32Array(buffers.meta);
    this.capacity = this.index.length / 2;
  }

  /** Distinct strings interned so far, by all threads. */
  get size(): number {
    return Atomics.load(this.meta, META_COUNT);
  }

  get current(): InternBuffers {
    return this.buffers;
  }

  /** Whether interning `more` new strings could pass the index's load limit. */
  wouldOverfill(more: number): boolean {
    return this.size + more > this.capacity * MAX_LOAD;
  }

  /** Switches to buffers made by `grown()` (same ids, larger index). */
  use(buffers: InternBuffers): void {
    if (buffers.index === this.buffers.index) return;
    this.buffers = buffers;
    this.index = new Int32Array(buffers.index);
    this.capacity = this.index.length / 2;
  }

  /** The same table with an index twice as large. Call only while no thread interns. */
  grown(): InternBuffers {
    const capacity = this.capacity * 2;
    const index = new Int32Array(new SharedArrayBuffer(capacity * 8));
    for (let id = 0; id < this.size; id++) {
      const tag = this.tags[id];
      let slot = Math.floor(((tag >>> 0) / 4294967296) * capacity);
      while (index[slot * 2] !== 0) slot = slot + 1 === capacity ? 0 : slot + 1;
      index[slot * 2] = tag;
      index[slot * 2 + 1] = id + 1;
    }
    return { ...this.buffers, index: index.buffer as SharedArrayBuffer };
  }

  id(text: string): number {
    const cached = this.ids.get(text);
    if (cached !== undefined) return cached;
    const found = this.findOrInsert(text);
    this.ids.set(text, found);
    this.texts[found] = text;
    return found;
  }

  text(id: number): string {
    let t = this.texts[id];
    if (t === undefined) {
      const len = Atomics.load(this.lengths, id);
      t = Buffer.from(this.buffers.arena, this.offsets[id], len).toString('utf8');
      this.texts[id] = t;
      this.ids.set(t, id);
    }
    return t;
  }

  private findOrInsert(text: string): number {
    const [h1] = hashString(text);
    const tag = h1 === 0 ? 1 : h1;
    let slot = Math.floor(((tag >>> 0) / 4294967296) * this.capacity);
    for (;;) {
      const at = slot * 2;
      const seen = Atomics.compareExchange(this.index, at, 0, tag);
      if (seen === 0) return this.publish(at, tag, text);
      if (seen === tag) {
        // Same hash word: wait until the other thread publishes the id, then compare the text itself.
        let id1: number;
        while ((id1 = Atomics.load(this.index, at + 1)) === 0) { /* being published */ }
        if (this.text(id1 - 1) === text) return id1 - 1;
      }
      slot = slot + 1 === this.capacity ? 0 : slot + 1;
    }
  }

  private publish(at: number, tag: number, text: string): number {
    const id = Atomics.add(this.meta, META_COUNT, 1);
    // Growth keeps the index at most half full; these bounds are the last line of defence.
    if (id >= this.capacity - 1 || id >= MAX_IDS) throw new InternFullError(Math.min(this.capacity - 1, MAX_IDS));
    const bytes = this.encoder.encode(text);
    const off = Atomics.add(this.meta, META_ARENA_USED, bytes.length);
    ensureLength(this.buffers.arena, off + bytes.length, 'the intern arena');
    ensureLength(this.buffers.offsets, (id + 1) * 4, 'the intern table');
    ensureLength(this.buffers.lengths, (id + 1) * 4, 'the intern table');
    ensureLength(this.buffers.tags, (id + 1) * 4, 'the intern table');
    this.tags[id] = tag;
    this.arena.set(bytes, off);
    this.offsets[id] = off;
    Atomics.store(this.lengths, id, bytes.length);
    Atomics.store(this.index, at + 1, id + 1);
    if (this.soleWriter && this.wouldOverfill(0)) this.use(this.grown());
    return id;
  }
}
