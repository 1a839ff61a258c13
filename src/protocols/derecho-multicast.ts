/**
 * Derecho's atomic multicast written in the shared state table notation (`core/sst.ts`): the
 * small-message protocol of "Monotonicity and Opportunistically-Batched Actions in Derecho", within
 * one epoch (no membership changes; see `derecho-membership.ts` for those).
 *
 * Every member's row has two columns:
 * - `slots`, an append-only send buffer: the member's messages in the order it sent them, a null
 *   message being `null` (the data plane);
 * - `received`, a counter per sender: how many of that sender's messages this member holds (the
 *   control plane, Derecho's `num_received`).
 *
 * Members send in round-robin order: the k-th slot of the member of rank j has the global index
 * k·n + j, and every member delivers in that order. A member with nothing to send fills its slots
 * with null messages for the rounds that an application message it can see waits on. Four
 * predicates, evaluated in this order at every pass:
 * - `receive` (recurrent): the messages that appeared in the other rows' send buffers since the last
 *   pass; the trigger raises `received` for their senders;
 * - `send` (recurrent): the messages the application handed over, within the window; the trigger
 *   appends them to `slots`;
 * - `nulls` (recurrent): with nothing handed over, this member's empty rounds that come before an
 *   application message in another member's buffer; the trigger appends that many nulls;
 * - `deliver` (recurrent): the messages that became stable, i.e. whose global index is below the
 *   minimum over the members of how far each has received in round-robin order (a monotonic
 *   function of the rows); the trigger delivers them in order, skipping nulls, and outputs
 *   `{deliver: body}` for each.
 * With batching (the default) each trigger acts on everything its predicate found at once: one pass
 * may receive, send, or deliver several messages. With `batching: false`, one item per pass.
 *
 * The application hands its `messages` over all at the start (the default: the checker then sees
 * every interleaving of pushes and passes), or one every `produceMs` (the action `produce`, for the
 * simulator and the runtime; in the checker it may fire at any time, and the state space grows
 * accordingly). `window` bounds how many slots a member may fill beyond what every member received
 * from it (0: no bound). Message `m2.3` is the third application message of m2, whatever slot it
 * took: a member that was late may have filled earlier rounds with nulls.
 *
 * Properties: total order (any two members' delivered sequences are prefix-consistent), no gaps (each
 * member delivered a prefix of the application messages in round-robin order of the senders' own
 * slots), sender order (each sender's messages in its order, none skipped), stability (a delivered
 * message is held by every member: what a view change needs to deliver the same messages
 * everywhere), all delivered (eventually, every member that did not crash delivered every message),
 * and a witness that every member delivers every message.
 *
 * Checked by default on FIFO channels (`network: {ordering: 'ordered'}`, as RDMA's reliable
 * connections are); the pushes' sequence numbers keep it correct on unordered and duplicating
 * networks too, at a larger state count.
 *
 * Variants:
 * - `derecho` (default): as above;
 * - `own-counter` (broken): a member delivers once it has itself received a message in round-robin
 *   order, not once every member has (its own counter instead of the minimum over the members);
 *   stability fails at once, which is what a view change needs to deliver the same messages
 *   everywhere after a failure;
 * - `per-sender` (broken): each sender's messages are delivered as soon as they are stable, sender by
 *   sender, without waiting for the messages before them in round-robin order; total order fails.
 */
import { always, eventually, param, sometimes } from '../core/index.ts';
import type { World } from '../core/index.ts';
import { action, counters, defineSstProtocol, log, minOver, range, recurrent, sstMembers } from '../core/sst.ts';
import type { Row, SstMember, SstProgram, TableView, TriggerCtx } from '../core/sst.ts';

/** A message body: `m1.2` is the second message of member m1; null is a null message. */
export type Body = string | null;

const columns = { slots: log<Body>(), received: counters() };
export type MulticastRow = Row<typeof columns>;

export interface MulticastApp {
  /** Application messages handed over and not sent yet. */
  readonly queue: number;
  /** Application messages the application has yet to hand over (with `produceMs`). */
  readonly later: number;
  /** Per sender, how many of its messages (nulls included) this member delivered. */
  readonly done: Readonly<Record<string, number>>;
  /** The application messages delivered, in delivery order. */
  readonly delivered: readonly string[];
}

export type MulticastVariant = 'derecho' | 'own-counter' | 'per-sender';

/** Member ids m1 ... mn, in rank order. */
export function memberIds(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `m${i + 1}`);
}

/** How many application messages member `rank` (from 0) sends: the last `quiet` members send none. */
export function messagesOf(rank: number, p: { members: number; messages: number; quiet: number }): number {
  return rank < p.members - p.quiet ? p.messages : 0;
}

/** Every application message in the round-robin delivery order, when all are handed over at the start. */
export function deliveryOrder(p: { members: number; messages: number; quiet: number }): string[] {
  const ids = memberIds(p.members);
  const out: string[] = [];
  for (let k = 0; k < p.messages; k++) {
    ids.forEach((m, j) => { if (k < messagesOf(j, p)) out.push(`${m}.${k + 1}`); });
  }
  return out;
}

/**
 * How far `row` has received in round-robin order: the number of global indices before the first
 * message it does not hold. Sender j's first missing message has index received[j]·n + j.
 */
export function receivedPrefix(row: MulticastRow, members: readonly string[]): number {
  let out = Infinity;
  members.forEach((m, j) => { out = Math.min(out, row.received[m] * members.length + j); });
  return out;
}

/** The global index of the next message to deliver: the first not yet delivered in round-robin order. */
function nextIndex(app: MulticastApp, members: readonly string[]): number {
  let out = Infinity;
  members.forEach((m, j) => { out = Math.min(out, app.done[m] * members.length + j); });
  return out;
}

type View = TableView<MulticastRow>;

/** A message that appeared in a sender's buffer: sender and index in its buffer. */
interface Arrival {
  readonly from: string;
  readonly k: number;
}

function receive() {
  return recurrent<MulticastRow, MulticastApp, Arrival>('receive',
    (_app, t) => {
      const out: Arrival[] = [];
      for (const m of t.members) {
        if (m === t.self) continue;
        const have = t.mine.received[m];
        const sent = t.row(m).slots.length;
        for (let k = have; k < sent; k++) out.push({ from: m, k });
      }
      return out;
    },
    (app, t, items) => {
      const received = { ...t.mine.received };
      for (const { from, k } of items) received[from] = Math.max(received[from], k + 1);
      t.write({ received });
      return app;
    });
}

function append(t: TriggerCtx<MulticastRow>, bodies: readonly Body[]): void {
  const slots = [...t.mine.slots, ...bodies];
  t.write({ slots, received: { ...t.mine.received, [t.self]: slots.length } });
}

/** How many messages this member may have sent: at most `window` beyond what every member received from it. */
function room(t: View, window: number): number {
  return window === 0 ? Infinity : minOver(t, (row) => row.received[t.self]) + window;
}

function send(window: number) {
  return recurrent<MulticastRow, MulticastApp, string>('send',
    (app, t) => {
      // Bodies are numbered among this member's application messages; nulls may sit between them.
      const slots = t.mine.slots.length;
      let numbered = 0;
      for (const b of t.mine.slots) if (b !== null) numbered++;
      return range(0, Math.min(app.queue, room(t, window) - slots)).map((i) => `${t.self}.${numbered + i + 1}`);
    },
    (app, t, bodies) => {
      append(t, bodies);
      return { ...app, queue: app.queue - bodies.length };
    });
}

/**
 * How many slots this member must have filled so that no application message it can see waits on it:
 * a message of the member of rank j at round k has global index k·n + j, and needs this member's
 * slots for every round r with r·n + (this member's rank) below it.
 */
export function slotsNeeded(t: TableView<{ readonly slots: readonly Body[] }>): number {
  const n = t.members.length;
  const me = t.members.indexOf(t.self);
  let out = 0;
  t.members.forEach((m, j) => {
    if (m === t.self) return;
    const slots = t.row(m).slots;
    let k = slots.length - 1;
    while (k >= 0 && slots[k] === null) k--;
    if (k >= 0) out = Math.max(out, Math.floor((k * n + j - me + n - 1) / n));
  });
  return out;
}

function nulls(window: number) {
  return recurrent<MulticastRow, MulticastApp, number>('nulls',
    (app, t) => (app.queue > 0 ? [] : range(t.mine.slots.length, Math.min(slotsNeeded(t), room(t, window)))),
    (app, t, rounds) => {
      append(t, rounds.map(() => null));
      return app;
    });
}

/**
 * Delivers the messages with global indices `items`, in that order (each held in this member's
 * replica of its sender's row); the delivered list is copied once per pass, not once per message.
 */
function deliverAll(app: MulticastApp, t: TriggerCtx<MulticastRow>, items: readonly number[]): MulticastApp {
  const n = t.members.length;
  const done = { ...app.done };
  const bodies: string[] = [];
  for (const g of items) {
    const sender = t.members[g % n];
    const k = Math.floor(g / n);
    const body = t.row(sender).slots[k];
    if (body === undefined) throw new Error(`${t.self} delivers message ${k + 1} of ${sender}, which it does not hold`);
    done[sender] = k + 1;
    if (body === null) continue;
    t.output({ deliver: body });
    bodies.push(body);
  }
  return { ...app, done, delivered: bodies.length === 0 ? app.delivered : [...app.delivered, ...bodies] };
}

function deliver(variant: MulticastVariant) {
  if (variant === 'per-sender') {
    return recurrent<MulticastRow, MulticastApp, number>('deliver',
      (app, t) => {
        const n = t.members.length;
        const out: number[] = [];
        t.members.forEach((m, j) => {
          const stable = minOver(t, (row) => row.received[m]);
          for (let k = app.done[m]; k < stable; k++) out.push(k * n + j);
        });
        return out;
      },
      (app, t, items) => deliverAll(app, t, items));
  }
  return recurrent<MulticastRow, MulticastApp, number>('deliver',
    (app, t) => {
      const stable = variant === 'own-counter'
        ? receivedPrefix(t.mine, t.members)
        : minOver(t, (row) => receivedPrefix(row, t.members));
      return range(nextIndex(app, t.members), stable);
    },
    (app, t, items) => deliverAll(app, t, items));
}

type Member = SstMember<MulticastRow, MulticastApp>;
/** Several properties read the same state: the members are worked out once per World. */
const membersCache = new WeakMap<World, Member[]>();
function membersOf(w: World): Member[] {
  let out = membersCache.get(w);
  if (!out) membersCache.set(w, (out = sstMembers<MulticastRow, MulticastApp>(w)));
  return out;
}

function isPrefix(a: readonly string[], b: readonly string[]): boolean {
  return a.length <= b.length && a.every((v, i) => v === b[i]);
}

/**
 * The application messages in round-robin order as the senders' own rows hold them, up to the first
 * slot not filled yet: what every member delivers a prefix of.
 */
function roundRobin(all: readonly Member[]): string[] {
  const out: string[] = [];
  for (let k = 0; ; k++) {
    for (const m of all) {
      const body = m.row.slots[k];
      if (body === undefined) return out;
      if (body !== null) out.push(body);
    }
  }
}

/** Sender and number of a message body (`m2.1`: m2, 1). */
const parsed = new Map<string, readonly [string, number]>();
function parse(body: string): readonly [string, number] {
  let out = parsed.get(body);
  if (!out) {
    const dot = body.lastIndexOf('.');
    parsed.set(body, (out = [body.slice(0, dot), Number(body.slice(dot + 1))]));
  }
  return out;
}

/** Whether message `body` (e.g. `m2.1`) is held by `row`. */
function holds(row: MulticastRow, body: string): boolean {
  const [sender, k] = parse(body);
  return row.received[sender] >= k;
}

const multicastParams = {
  members: param.int('number of members', 3, 1, 9),
  messages: param.int('application messages each sending member multicasts', 2, 0, 100_000),
  quiet: param.int('how many of the last members send no application message (only nulls)', 0, 0, 8),
  produceMs: param.int('0: every message is handed over at the start; otherwise one every this many ms (an action: in the checker, at any time)', 0, 0, 60000),
  window: param.int('messages a member may send beyond what every member received from it (0: no limit)', 0, 0, 99),
  batching: param.bool('triggers act on everything that became true (false: one item per pass)', true),
  variant: param.choice('derecho, own-counter (broken: delivers on its own counter) or per-sender (broken: no round-robin order)', 'derecho', ['derecho', 'own-counter', 'per-sender']),
};
type MulticastParams = typeof multicastParams;

/** The program itself, for compiling it again with other options (`evaluation: 'always'`). */
export const derechoMulticastProgram = {
  name: 'derecho-multicast',
  description: 'Derecho atomic multicast in the shared state table notation: round-robin order, null messages, delivery once stable',
  params: multicastParams,
  network: { ordering: 'ordered' },
  members: ({ members }) => memberIds(members),
  columns,
  init: (self, p) => ({
    queue: p.produceMs > 0 ? 0 : messagesOf(memberIds(p.members).indexOf(self), p),
    later: p.produceMs > 0 ? messagesOf(memberIds(p.members).indexOf(self), p) : 0,
    done: Object.fromEntries(memberIds(p.members).map((m) => [m, 0])),
    delivered: [],
  }),
  predicates: ({ variant, window }) => [receive(), send(window), nulls(window), deliver(variant)],
  actions: ({ produceMs }) => (produceMs === 0 ? [] : [action<MulticastRow, MulticastApp>('produce',
    (app) => app.later > 0,
    (app) => ({ ...app, queue: app.queue + 1, later: app.later - 1 }),
    produceMs)]),
  properties: (p) => {
    const order = deliveryOrder(p);
    const senders = memberIds(p.members);
    return [
      always('total order', (w) => {
        const seqs = membersOf(w).map((m) => m.app.delivered);
        for (let i = 0; i < seqs.length; i++) {
          for (let j = i + 1; j < seqs.length; j++) if (!isPrefix(seqs[i], seqs[j]) && !isPrefix(seqs[j], seqs[i])) return false;
        }
        return true;
      }),
      always('no gaps', (w) => {
        const sent = roundRobin(membersOf(w));
        return membersOf(w).every((m) => isPrefix(m.app.delivered, sent));
      }),
      always('sender order', (w) => membersOf(w).every((m) => senders.every((s) => {
        let next = 1;
        for (const b of m.app.delivered) {
          const [sender, k] = parse(b);
          if (sender !== s) continue;
          if (k !== next) return false;
          next++;
        }
        return true;
      }))),
      always('stability', (w) => {
        const all = membersOf(w);
        return all.every((m) => m.app.delivered.every((b) => all.every((o) => holds(o.row, b))));
      }),
      eventually('all delivered', (w) => membersOf(w).every((m) => m.crashed || m.app.delivered.length === order.length)),
      sometimes('every member delivered every message', (w) => membersOf(w).every((m) => m.app.delivered.length === order.length)),
    ];
  },
} satisfies SstProgram<MulticastParams, typeof columns, MulticastApp>;

export const derechoMulticast = defineSstProtocol(derechoMulticastProgram);
