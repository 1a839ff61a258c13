import { hashString } from '../core/plain.ts';

/**
 * A table of strings shared by every worker thread: each distinct string gets one small integer id,
 * the same in every thread, so that global states can be vectors of ids that any worker can expand.
 * Lock-free: a slot is claimed with a compare-and-swap on its first word and published when its
 * length word is written last. Each thread keeps a private cache in front of it.
 */
export interface InternBuffers {
  readonly slots: SharedArrayBuffer;
  readonly arena: SharedArrayBuffer;
  readonly meta: SharedArrayBuffer;
}

const WORDS = 3; // tag (high hash word, never 0), arena offset, length + 1 (0 while being written)
const META_ARENA_USED = 0;
const META_COUNT = 1;

export class InternFullError extends Error {
  constructor(capacity: number) {
    super(`more than ${capacity} distinct node states, messages and timers: the intern table is full`);
    this.name = 'InternFullError';
  }
}

export function createInternBuffers(capacity = 1 << 21, arenaMaxBytes = 1 << 30): InternBuffers {
  return {
    slots: new SharedArrayBuffer(capacity * WORDS * 4),
    arena: new SharedArrayBuffer(1 << 16, { maxByteLength: arenaMaxBytes }),
    meta: new SharedArrayBuffer(8),
  };
}

export class InternTable {
  private readonly slots: Int32Array;
  private readonly arena: Uint8Array;
  private readonly meta: Int32Array;
  private readonly capacity: number;
  private readonly ids = new Map<string, number>();
  private readonly texts: (string | undefined)[] = [];
  private readonly encoder = new TextEncoder();

  constructor(private readonly buffers: InternBuffers) {
    this.slots = new Int32Array(buffers.slots);
    this.arena = new Uint8Array(buffers.arena);
    this.meta = new Int32Array(buffers.meta);
    this.capacity = this.slots.length / WORDS;
  }

  /** Distinct strings interned so far, by all threads. */
  get size(): number {
    return Atomics.load(this.meta, META_COUNT);
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
      t = this.read(id);
      this.texts[id] = t;
      this.ids.set(t, id);
    }
    return t;
  }

  private read(slot: number): string {
    const base = slot * WORDS;
    let len1: number;
    while ((len1 = Atomics.load(this.slots, base + 2)) === 0) { /* being published by another thread */ }
    const off = this.slots[base + 1];
    return Buffer.from(this.buffers.arena, off, len1 - 1).toString('utf8');
  }

  private findOrInsert(text: string): number {
    const [h1] = hashString(text);
    const tag = h1 === 0 ? 1 : h1;
    let slot = Math.floor(((tag >>> 0) / 4294967296) * this.capacity);
    for (let probes = 0; probes < this.capacity; probes++) {
      const base = slot * WORDS;
      const seen = Atomics.compareExchange(this.slots, base, 0, tag);
      if (seen === 0) {
        this.publish(base, text);
        Atomics.add(this.meta, META_COUNT, 1);
        if (this.size > this.capacity * 0.75) throw new InternFullError(this.capacity);
        return slot;
      }
      // Same high hash: wait for the other thread to publish, then compare the text itself.
      if (seen === tag && this.read(slot) === text) return slot;
      slot = slot + 1 === this.capacity ? 0 : slot + 1;
    }
    throw new InternFullError(this.capacity);
  }

  private publish(base: number, text: string): void {
    const bytes = this.encoder.encode(text);
    const off = Atomics.add(this.meta, META_ARENA_USED, bytes.length);
    const need = off + bytes.length;
    while (this.buffers.arena.byteLength < need) {
      const want = Math.min(this.buffers.arena.maxByteLength, Math.max(need, this.buffers.arena.byteLength * 2));
      if (want < need) throw new InternFullError(this.capacity);
      try { this.buffers.arena.grow(want); } catch { /* another thread grew it first */ }
    }
    this.arena.set(bytes, off);
    this.slots[base + 1] = off;
    Atomics.store(this.slots, base + 2, bytes.length + 1);
  }
}
