/**
 * The shared memory of a group of members run as threads of one process (`shm-group.ts`), and the
 * link each member's RuntimeNode sends and receives through.
 *
 * Every member has one SharedArrayBuffer, its inbox: its replica of the shared state table (one row
 * slot per member) and one ring per member for the other messages. Layout, each part starting on its
 * own 64-byte line so that words written by different threads never share a cache line:
 *
 *   doorbell                       i32, rung (incremented, then notified) by every writer
 *   slot s, for every member s     [version i32][length i32][row: slotBytes, in whole words]
 *   ring s, for every member s     [head i32][tail i32][records: ringBytes + 4]
 *
 * A push (`sst-push`, core/sst.ts) from s to r is a one-sided write into slot s of r's inbox under a
 * seqlock: s makes the version odd, writes length and row, makes it even again, then rings r's
 * doorbell. r copies a slot whose version is even and new to it, and keeps the copy only if the version
 * did not move meanwhile (otherwise s wrote again, and rang again: r takes the newer row on its next
 * scan). The row is copied word by word with Atomics on both sides: the copy races with the writer by
 * design, and only atomic accesses are ordered against the version word by JavaScript's memory model
 * (a plain copy would rely on the CPU's ordering). So r never sees a torn row, and a row that s
 * overwrites before r looked is skipped: the latest row wins, as in the table, whose `seq` makes
 * skipped pushes harmless. One exception: a push of a new epoch must not overwrite the last push of
 * the previous one, which r may still need, so that push goes again through the ring, where nothing
 * is overwritten (r drops it as stale if it had it).
 *
 * Every other message goes through ring s of r's inbox, single-producer single-consumer: records of
 * [length i32][bytes, padded to 4], written at head and read at tail (byte positions in the ring; 4
 * bytes stay free so that a full ring differs from an empty one). Messages arrive in order. When a
 * ring is full, the sender keeps messages in a backlog that drains as the reader frees room (at most
 * `queueLimit`, then the oldest are dropped, as the TCP transport's queue does). Pushes and ring
 * messages of one sender are not ordered with respect to each other.
 */
import { decode, encode } from '@msgpack/msgpack';
import type { Plain } from '../core/plain.ts';
import { PUSH } from '../core/sst.ts';
import type { Logger } from './log.ts';
import type { NodeLink } from './node.ts';

export const DEFAULT_SLOT_BYTES = 64 * 1024;
export const DEFAULT_RING_BYTES = 64 * 1024;
export const DEFAULT_QUEUE_LIMIT = 1024;

/** A member's row or message does not fit the shared memory it must go through. */
export class ShmError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShmError';
  }
}

export interface ShmSizes {
  /** The largest encoded push (a whole row) a slot takes. */
  readonly slotBytes: number;
  /** The room in each ring, rounded up to a multiple of 4. */
  readonly ringBytes: number;
}

const LINE = 64;
const alignTo = (unit: number, bytes: number) => Math.ceil(bytes / unit) * unit;
const BELL = 0;

/** Where each part of an inbox lies, in bytes from its start. */
class InboxLayout {
  readonly slotStride: number;
  readonly ringSize: number;
  readonly ringStride: number;
  readonly ringsAt: number;
  readonly bytes: number;

  constructor(members: number, sizes: ShmSizes) {
    this.slotStride = alignTo(LINE, 8 + sizes.slotBytes);
    this.ringSize = alignTo(4, sizes.ringBytes) + 4;
    this.ringStride = alignTo(LINE, 8 + this.ringSize);
    this.ringsAt = LINE + members * this.slotStride;
    this.bytes = this.ringsAt + members * this.ringStride;
  }

  /** The version word of slot s; the length follows it, the row starts 8 bytes in. */
  slot(s: number): number {
    return LINE + s * this.slotStride;
  }

  /** The head word of ring s; the tail follows it, the records start 8 bytes in. */
  ring(s: number): number {
    return this.ringsAt + s * this.ringStride;
  }
}

/** One inbox per member, in rank order. */
export function allocateInboxes(members: number, sizes: ShmSizes): SharedArrayBuffer[] {
  const layout = new InboxLayout(members, sizes);
  return Array.from({ length: members }, () => new SharedArrayBuffer(layout.bytes));
}

interface Inbox {
  readonly i32: Int32Array;
  readonly u8: Uint8Array;
}

/** What the sender keeps per peer. */
interface Peer {
  readonly rank: number;
  readonly inbox: Inbox;
  /** The epoch and encoding of the last push written into this peer's slot. */
  lastPush: { readonly epoch: unknown; readonly bytes: Uint8Array } | undefined;
  /** Messages waiting for room in the ring, oldest first. */
  readonly backlog: Uint8Array[];
  draining: boolean;
  overflowing: boolean;
  dropped: number;
}

export interface ShmLinkOptions extends ShmSizes {
  readonly self: string;
  /** Every member, in rank order: member i writes slot i and ring i of the others' inboxes. */
  readonly members: readonly string[];
  readonly inboxes: readonly SharedArrayBuffer[];
  readonly queueLimit?: number;
  /** Takes a message in, as from its sender. */
  readonly deliver: (from: string, body: Plain) => void;
  readonly log: Logger;
}

export class ShmLink implements NodeLink {
  private readonly layout: InboxLayout;
  private readonly rank: number;
  private readonly inbox: Inbox;
  private readonly peers = new Map<string, Peer>();
  /** Per sender, the slot version last taken. */
  private readonly taken: number[];
  private closed = false;
  /** The last message sent and its encoding: RuntimeNode sends one push object to every peer in a row. */
  private lastBody: Plain | undefined;
  private lastBytes = new Uint8Array(0);
  /** `lastBytes` as zero-padded words, once a push needed them. */
  private lastWords: Int32Array | undefined;

  constructor(private readonly options: ShmLinkOptions) {
    const { members, inboxes, self } = options;
    if (inboxes.length !== members.length) throw new Error(`${members.length} members need ${members.length} inboxes, got ${inboxes.length}`);
    this.rank = members.indexOf(self);
    if (this.rank < 0) throw new Error(`${JSON.stringify(self)} is not a member (members: ${members.join(', ')})`);
    this.layout = new InboxLayout(members.length, options);
    const view = (b: SharedArrayBuffer): Inbox => ({ i32: new Int32Array(b), u8: new Uint8Array(b) });
    this.inbox = view(inboxes[this.rank]);
    members.forEach((m, rank) => {
      if (rank !== this.rank) this.peers.set(m, { rank, inbox: view(inboxes[rank]), lastPush: undefined, backlog: [], draining: false, overflowing: false, dropped: 0 });
    });
    this.taken = members.map(() => 0);
    // Once the node that owns this link is constructed: delivering calls into it.
    setImmediate(() => void this.listen());
  }

  send(to: string, body: Plain): void {
    const peer = this.peers.get(to);
    if (!peer) throw new Error(`member ${this.options.self} has no peer ${JSON.stringify(to)}`);
    if (body !== this.lastBody) {
      this.lastBody = body;
      this.lastBytes = encode(body);
      this.lastWords = undefined;
    }
    const type = (body as { type?: unknown }).type;
    if (type === PUSH) this.push(peer, body as { epoch?: Plain; seq?: Plain }, this.lastBytes, this.words());
    else this.enqueue(peer, this.lastBytes, String(type));
  }

  private words(): Int32Array {
    if (!this.lastWords) {
      this.lastWords = new Int32Array(Math.ceil(this.lastBytes.length / 4));
      new Uint8Array(this.lastWords.buffer).set(this.lastBytes);
    }
    return this.lastWords;
  }

  /** Messages still waiting for room in the ring to `peer`, and how many were dropped. */
  backlog(peer: string): { readonly queued: number; readonly dropped: number } {
    const p = this.peers.get(peer);
    if (!p) throw new Error(`member ${this.options.self} has no peer ${JSON.stringify(peer)}`);
    return { queued: p.backlog.length, dropped: p.dropped };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.ring(this.inbox);
    // Wakes this link's own waits for room, so nothing is left pending.
    for (const p of this.peers.values()) Atomics.notify(p.inbox.i32, this.layout.ring(this.rank) / 4 + 1);
  }

  private ring(inbox: Inbox): void {
    Atomics.add(inbox.i32, BELL, 1);
    Atomics.notify(inbox.i32, BELL);
  }

  private push(peer: Peer, push: { epoch?: Plain; seq?: Plain }, bytes: Uint8Array, words: Int32Array): void {
    const { slotBytes } = this.options;
    if (bytes.length > slotBytes) {
      throw new ShmError(`member ${this.options.self}: its row (sst-push seq ${push.seq} of epoch ${push.epoch}) takes ${bytes.length} bytes, more than the ${slotBytes} bytes of a row slot: raise slotBytes`);
    }
    if (peer.lastPush && peer.lastPush.epoch !== push.epoch) this.enqueue(peer, peer.lastPush.bytes, PUSH);
    peer.lastPush = { epoch: push.epoch, bytes };
    const { i32 } = peer.inbox;
    const word = this.layout.slot(this.rank) / 4;
    const version = i32[word]; // this member is the slot's only writer
    Atomics.store(i32, word, version + 1);
    Atomics.store(i32, word + 1, bytes.length);
    for (let i = 0; i < words.length; i++) Atomics.store(i32, word + 2 + i, words[i]);
    Atomics.store(i32, word, version + 2);
    this.ring(peer.inbox);
  }

  private enqueue(peer: Peer, bytes: Uint8Array, type: string): void {
    const record = 4 + alignTo(4, bytes.length);
    const room = this.layout.ringSize - 4;
    if (record > room) {
      throw new ShmError(`member ${this.options.self}: a ${type} message to ${this.options.members[peer.rank]} takes ${record} bytes with its length prefix, more than the ${room} bytes of a ring: raise ringBytes`);
    }
    if (peer.backlog.length === 0 && this.write(peer, bytes)) return;
    if (peer.backlog.length >= (this.options.queueLimit ?? DEFAULT_QUEUE_LIMIT)) {
      peer.backlog.shift();
      peer.dropped++;
      // One line per overflow episode, not per dropped message.
      if (!peer.overflowing) {
        const to = this.options.members[peer.rank];
        this.options.log({ level: 'warn', event: 'queue-overflow', node: this.options.self, peer: to, message: `the ring to ${to} is full and so is its backlog: dropping the oldest messages` });
      }
      peer.overflowing = true;
    }
    peer.backlog.push(bytes);
    if (!peer.draining) void this.drainBacklog(peer);
  }

  /** Writes one record into the ring to `peer` if it has room. */
  private write(peer: Peer, bytes: Uint8Array): boolean {
    const { i32, u8 } = peer.inbox;
    const size = this.layout.ringSize;
    const at = this.layout.ring(this.rank);
    const head = i32[at / 4]; // this member is the ring's only writer
    const tail = Atomics.load(i32, at / 4 + 1);
    const record = 4 + alignTo(4, bytes.length);
    if ((head - tail + size) % size + record > size - 4) return false;
    const records = at + 8;
    i32[(records + head) / 4] = bytes.length;
    const start = (head + 4) % size;
    const first = Math.min(bytes.length, size - start);
    u8.set(bytes.subarray(0, first), records + start);
    u8.set(bytes.subarray(first), records);
    Atomics.store(i32, at / 4, (head + record) % size);
    this.ring(peer.inbox);
    return true;
  }

  /** Writes the backlog to `peer` as the reader frees room (it notifies the tail word). */
  private async drainBacklog(peer: Peer): Promise<void> {
    peer.draining = true;
    const tailWord = this.layout.ring(this.rank) / 4 + 1;
    while (peer.backlog.length > 0 && !this.closed) {
      const tail = Atomics.load(peer.inbox.i32, tailWord);
      while (peer.backlog.length > 0 && this.write(peer, peer.backlog[0])) peer.backlog.shift();
      if (peer.backlog.length === 0) break;
      const wait = Atomics.waitAsync(peer.inbox.i32, tailWord, tail);
      if (wait.async) await wait.value;
    }
    peer.draining = false;
    peer.overflowing = false;
  }

  /** Scans the inbox whenever the doorbell rings, until closed. */
  private async listen(): Promise<void> {
    const { i32 } = this.inbox;
    while (!this.closed) {
      const rung = Atomics.load(i32, BELL);
      for (let s = 0; s < this.taken.length && !this.closed; s++) {
        if (s === this.rank) continue;
        this.readRing(s);
        this.readSlot(s);
      }
      const wait = Atomics.waitAsync(i32, BELL, rung);
      // Rung while scanning: scan again, but let timers and other tasks run first.
      await (wait.async ? wait.value : new Promise<void>((resolve) => setImmediate(resolve)));
    }
  }

  private readSlot(s: number): void {
    const { i32 } = this.inbox;
    const word = this.layout.slot(s) / 4;
    const version = Atomics.load(i32, word);
    if (version & 1 || version === this.taken[s]) return;
    const length = Atomics.load(i32, word + 1);
    const row = new Int32Array(Math.ceil(length / 4));
    for (let i = 0; i < row.length; i++) row[i] = Atomics.load(i32, word + 2 + i);
    if (Atomics.load(i32, word) !== version) return;
    this.taken[s] = version;
    this.options.deliver(this.options.members[s], decode(new Uint8Array(row.buffer, 0, length)) as Plain);
  }

  private readRing(s: number): void {
    const { i32, u8 } = this.inbox;
    const size = this.layout.ringSize;
    const at = this.layout.ring(s);
    const records = at + 8;
    const head = Atomics.load(i32, at / 4);
    let tail = i32[at / 4 + 1]; // this member is the ring's only reader
    if (head === tail) return;
    const messages: Uint8Array[] = [];
    while (tail !== head) {
      const length = i32[(records + tail) / 4];
      const start = (tail + 4) % size;
      const first = Math.min(length, size - start);
      const bytes = new Uint8Array(length);
      bytes.set(u8.subarray(records + start, records + start + first));
      bytes.set(u8.subarray(records, records + length - first), first);
      messages.push(bytes);
      tail = (tail + 4 + alignTo(4, length)) % size;
    }
    Atomics.store(i32, at / 4 + 1, tail);
    Atomics.notify(i32, at / 4 + 1);
    for (const m of messages) this.options.deliver(this.options.members[s], decode(m) as Plain);
  }
}
