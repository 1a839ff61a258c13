/**
 * Multi-decree Paxos: a replicated log of key-value commands (the core of a replicated KV service).
 *
 * Nodes
 * - `r1` .. `rN` (role `replica`): every replica is proposer, acceptor and learner, and runs the KV
 *   state machine. Colocating the roles is what real deployments do (every server keeps a copy of
 *   the state), it lets a leader count its own promise and its own acceptance without a message, and
 *   it keeps the replicas interchangeable (no handler compares replica ids).
 * - `c1` .. `cK` (role `client`): client k submits one command (`commandFor(k)`) as a `request` to
 *   replica k (round robin). A replica keeps the commands it hears of as pending; one that knows
 *   another replica leads forwards the request there (or, for a request marked `redirect`, outputs
 *   a redirect). Promises carry the voter's pending commands, so a new leader collects them. Since
 *   replicas hear of different commands, two leaders may propose different batches for a slot.
 *   Commands pinned to replicas make the initial state asymmetric: symmetry reduction over replicas
 *   stays sound but merges few states.
 *
 * Ballots. A ballot is a round number 1, 2, ... claimed by one replica: an acceptor promises a round
 * to one replica only (a prepare must carry a round above every round it promised), so at most one
 * replica gathers a majority of promises per round, and only that one sends accepts in it. Rounds alone
 * then order ballots, and no handler compares replica ids, which keeps replicas interchangeable. An
 * acceptor accepts in its promised round only from the replica it promised it to, and in a higher
 * round from anyone (that replica must have had a majority of promises for it).
 *
 * Leader election. A replica that is not leading and knows of a command it has not applied, or has
 * accepted a slot it has not learned (its leader may have failed), has the timer `elect` armed;
 * when it fires the replica starts phase 1 for the round above the highest it
 * has promised (at most `maxBallot`: the checker fires timers at any moment, and the bound keeps the
 * number of leader changes finite). It promises itself and sends `prepare` to the others; a promise
 * carries the acceptor's snapshot, its applied slot count, its accepted [round, batch] per slot
 * above the snapshot and its pending commands. With a majority the replica leads: it adopts the most advanced snapshot it was
 * sent (installing it if it is ahead of its own state machine), re-proposes, for every slot above it
 * up to the highest reported, the batch accepted in the highest round, fills slots nobody reported
 * with no-ops, and sends its state machine to the voters whose applied prefix is below that snapshot.
 * While its round stands (no replica prepared a higher one) it runs only phase 2: it proposes the
 * commands it has pending, `batch` per slot, keeping at most `window` slots in flight, so commands
 * that arrive meanwhile wait and go out together. A replica that sees a higher round steps down.
 *
 * Commit. Acceptors answer `accepted` to the leader of the round; the leader learns a slot once a
 * majority (itself included) accepted it in its round, and sends `commit` with the batch to the
 * others. Every replica applies learned slots in slot order, without gaps, to its KV state machine,
 * skipping commands it already applied (a command may be chosen in two slots when a leader did not
 * hear of the first), and outputs one `apply` record per slot with the replies to the commands.
 *
 * Compaction. Once `snapshotEvery` slots have been applied past the snapshot, the snapshot becomes
 * the state machine (KV map, applied command ids, last included slot) and the accepted entries up to
 * it are dropped: those slots are chosen, and a later leader learns so from the snapshot in a promise
 * (any majority meets the one that accepted them, and each member either still reports the entry or
 * has a snapshot that covers it). A replica that is behind installs a snapshot sent by a new leader
 * (as above) or, after it recovers from a crash, by the replicas that answer its `catchup`.
 *
 * Network. A message delivered again changes nothing (a request already known, a promise or an
 * acknowledgement already counted, a slot already learned; a vote is re-sent), so the protocol is
 * checked by default on a grow-only message set (`duplicating`, as in the TLA+ Paxos specifications): any
 * message may be delivered again, and a consumed message is not told apart from one still in flight.
 *
 * Durable: the promise (round and replica), the accepted entries and the snapshot. After a crash a
 * replica restarts its state machine from its snapshot and asks the others to catch it up; its
 * pending commands and learned-but-unapplied slots are gone (other replicas still have them).
 *
 * Outputs (what a front end replies to clients from):
 * - `{ type: 'apply', slot, batch: [command ids], replies: [{ id, ok, value }] }` per applied slot;
 * - `{ type: 'install', last }` when a snapshot replaces the state machine;
 * - `{ type: 'redirect', id, leader }` for a request with `redirect: true` at a replica that knows
 *   another replica leads;
 * - `{ type: 'rejected', id, reason }` for a malformed command.
 *
 * Variants:
 * - `multi-paxos` (default).
 * - `ignores-accepted` (broken): a new leader does not re-propose the batches reported in promises;
 *   it proposes its own pending commands from the first slot above the snapshot.
 * - `applies-unordered` (broken): replicas apply learned slots as they learn them, leaving gaps.
 */
import { always, defineProtocol, encode, node, nodes, param, role, sometimes } from '../core/index.ts';
import type { Ctx, World } from '../core/index.ts';

export type KvValue = string | number;

/**
 * A client command: `put` sets `key` to `value`; `delete` removes it; `cas` sets it to `value` if
 * its value is `expect` (null: absent); `get` reads it. Ids are unique per command (a client id and
 * a sequence number in a service).
 */
export type Command = {
  readonly id: string;
  readonly op: 'put' | 'delete' | 'cas' | 'get';
  readonly key: string;
  readonly value: KvValue | null;
  readonly expect: KvValue | null;
};

/** The commands chosen for one slot, in order; the empty batch is a no-op. */
export type Batch = readonly Command[];

/**
 * The ids of the commands applied, per id prefix (an id is a prefix and a sequence number, `c7` or
 * `gw3-12`): every number up to `upTo`, and the ones above it in `above`, ascending. A client that
 * numbers its commands 1, 2, ... thus costs one entry however many it sends, which keeps a
 * long-running service's state machine (copied on every change, logged in every snapshot) small.
 */
export type Done = { readonly [prefix: string]: { readonly upTo: number; readonly above: readonly number[] } };

/**
 * The KV map, in buckets by a hash of the key (key k is in `kv[bucketOf(k)]`; no bucket is empty):
 * applying a slot copies only the buckets its commands touch, not the whole map, which matters for a
 * service that holds thousands of keys.
 */
export type KvMap = { readonly [bucket: string]: { readonly [key: string]: KvValue } };

/** A state machine after `last` slots: the KV map and the ids of the commands applied. */
export type Snapshot = {
  readonly last: number;
  readonly kv: KvMap;
  readonly done: Done;
};

/** An acceptor's vote for one slot: [round, batch]. */
export type Vote = readonly [number, Batch];

export type Reply = { readonly id: string; readonly ok: boolean; readonly value: KvValue | null };

export type Msg =
  | { type: 'request'; cmd: Command; redirect: boolean }
  | { type: 'prepare'; round: number }
  | { type: 'promise'; round: number; applied: number; snap: Snapshot; accepted: { [slot: string]: Vote }; pending: readonly Command[] }
  | { type: 'accept'; round: number; slot: number; batch: Batch }
  | { type: 'accepted'; round: number; slot: number }
  | { type: 'commit'; slot: number; batch: Batch }
  | { type: 'snapshot'; snap: Snapshot }
  | { type: 'catchup'; applied: number };

export type Output =
  | { type: 'apply'; slot: number; batch: string[]; replies: Reply[] }
  | { type: 'install'; last: number }
  | { type: 'redirect'; id: string; leader: string }
  | { type: 'rejected'; id: string | null; reason: string };

/** Phase 1 in progress: the promises so far (voter -> its applied slot count), merged. */
export type Preparing = {
  phase: 'preparing';
  round: number;
  votes: { [replica: string]: number };
  /** Per slot above `base.last`, the vote of the highest round reported. */
  merged: { [slot: string]: Vote };
  /** The most advanced snapshot reported. */
  base: Snapshot;
};

/** Leading a round: the slots proposed in it and not yet committed, with the replicas that accepted. */
export type Leading = {
  phase: 'leading';
  round: number;
  next: number;
  inflight: { [slot: string]: { batch: Batch; acks: { [replica: string]: true } } };
};

export type ReplicaState = {
  /** Durable: the highest round promised, and the replica it was promised to (the leader hint). */
  promised: number;
  leader: string | null;
  /** Durable: per slot above the snapshot, the last vote. */
  accepted: { [slot: string]: Vote };
  /** Durable: the snapshot. */
  snap: Snapshot;
  /** The state machine: applied slots 1..sm.last. */
  sm: Snapshot;
  /** Learned slots above `sm.last` (waiting for the slots before them). */
  log: { [slot: string]: Batch };
  /**
   * Commands this replica heard of and has not applied, in id order (`byId`): an array, which a
   * step copies far faster than an object with as many keys, and a request adds one to at every step.
   */
  pending: readonly Command[];
  lead: Preparing | Leading | null;
};

export type ClientState = { cmd: Command };

export type Variant = 'multi-paxos' | 'ignores-accepted' | 'applies-unordered';

interface Config {
  readonly maxBallot: number;
  readonly electMs: number;
  readonly batch: number;
  readonly window: number;
  readonly snapshotEvery: number;
  readonly variant: Variant;
}

const NOOP: Batch = [];
const EMPTY: Snapshot = { last: 0, kv: {}, done: {} };
/** Every this many learned slots waiting behind a gap, a replica asks again to be caught up (the answer may be lost). */
const CATCHUP_EVERY = 64;

/** Command k of the model: put, compare-and-set, delete on x, then the same on y, and so on. */
export function commandFor(k: number): Command {
  const key = ['x', 'y', 'z', 'w'][Math.floor((k - 1) / 3) % 4];
  switch ((k - 1) % 3) {
    case 0: return { id: `c${k}`, op: 'put', key, value: k, expect: null };
    case 1: return { id: `c${k}`, op: 'cas', key, value: k, expect: k - 1 };
    default: return { id: `c${k}`, op: 'delete', key, value: null, expect: null };
  }
}

const count = (o: object) => Object.keys(o).length;
const nonEmpty = (o: object) => {
  for (const _ in o) return true;
  return false;
};
const slotsOf = (o: object) => Object.keys(o).map(Number).sort((a, b) => a - b);
/** Command ids in submission order for the model's ids (c1 < c2 < c10), and a fixed order for any. */
const byId = (a: string, b: string) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);

/** Where a command with `id` is, or would go, in pending commands kept in id order. */
function pendingIndex(pending: readonly Command[], id: string): number {
  let lo = 0;
  let hi = pending.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (byId(pending[mid].id, id) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function isPending(pending: readonly Command[], id: string): boolean {
  const i = pendingIndex(pending, id);
  return i < pending.length && pending[i].id === id;
}

/** The pending commands with `cmds` added (those not there yet), in id order. */
function withPending(pending: readonly Command[], cmds: readonly Command[]): readonly Command[] {
  let out = pending;
  for (const cmd of cmds) {
    const i = pendingIndex(out, cmd.id);
    if (i < out.length && out[i].id === cmd.id) continue;
    out = [...out.slice(0, i), cmd, ...out.slice(i)];
  }
  return out;
}

const ID = /^(.*\D)?([1-9]\d*)$/;
/** A command id's prefix and sequence number; `normalize` admits only ids of that form. */
function splitId(id: string): [string, number] {
  const m = ID.exec(id)!;
  return [m[1] ?? '', Number(m[2])];
}

export function isDone(done: Done, id: string): boolean {
  const [prefix, n] = splitId(id);
  const d = done[prefix];
  return d !== undefined && (n <= d.upTo || d.above.includes(n));
}

/** Marks `id` applied in `done`, a copy the caller owns (its entries are shared, so replaced, not changed). */
function markDone(done: { [prefix: string]: Done[string] }, id: string): void {
  const [prefix, n] = splitId(id);
  let { upTo, above } = done[prefix] ?? { upTo: 0, above: [] };
  above = [...above, n].sort((a, b) => a - b);
  while (above[0] === upTo + 1) {
    upTo++;
    above = above.slice(1);
  }
  done[prefix] = { upTo, above };
}

export function doneCount(done: Done): number {
  let n = 0;
  for (const prefix in done) n += done[prefix].upTo + done[prefix].above.length;
  return n;
}

/**
 * A copy of `s` that a handler may change: its maps and the leader's bookkeeping are copied one level
 * down; what they hold (votes, batches, commands, snapshots) is shared and never changed in place, so
 * a step costs what it changes, not the size of the state.
 */
function edit(s: ReplicaState): ReplicaState {
  const lead = s.lead === null ? null
    : s.lead.phase === 'preparing' ? { ...s.lead, votes: { ...s.lead.votes }, merged: { ...s.lead.merged } }
    : { ...s.lead, inflight: { ...s.lead.inflight } };
  return { ...s, accepted: { ...s.accepted }, log: { ...s.log }, lead };
}

/**
 * A replica wants a leader while it knows of a command it has not applied, or has accepted a slot
 * it has not learned (the leader may have failed before committing it).
 */
function hasWork(s: ReplicaState): boolean {
  if (s.pending.length > 0) return true;
  for (const slot in s.accepted) if (Number(slot) > s.sm.last && !s.log[slot]) return true;
  return false;
}

function majority(ctx: Ctx<Msg, 'elect'>): number {
  return Math.floor(ctx.nodesOf('replica').length / 2) + 1;
}

function others(ctx: Ctx<Msg, 'elect'>): string[] {
  return ctx.nodesOf('replica').filter((id) => id !== ctx.self);
}

/** Runs one command on a KV map (changed in place); the reply to the client. */
export function execute(kv: { [key: string]: KvValue }, cmd: Command): Reply {
  const current = Object.prototype.hasOwnProperty.call(kv, cmd.key) ? kv[cmd.key] : null;
  switch (cmd.op) {
    case 'put':
      kv[cmd.key] = cmd.value as KvValue;
      return { id: cmd.id, ok: true, value: cmd.value };
    case 'delete':
      if (current === null) return { id: cmd.id, ok: false, value: null };
      delete kv[cmd.key];
      return { id: cmd.id, ok: true, value: null };
    case 'cas':
      if (current !== cmd.expect) return { id: cmd.id, ok: false, value: current };
      if (cmd.value === null) delete kv[cmd.key];
      else kv[cmd.key] = cmd.value;
      return { id: cmd.id, ok: true, value: cmd.value };
    case 'get':
      return { id: cmd.id, ok: current !== null, value: current };
  }
}

const BUCKETS = 64;

/** The bucket of a key: FNV-1a of its UTF-16 code units, modulo 64. */
export function bucketOf(key: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return String((h >>> 0) % BUCKETS);
}

/**
 * Runs one command on a bucketed map the caller owns; its buckets are shared with older maps until
 * copied, and `copied` names the ones already copied (so each is copied once per state machine step).
 */
function executeIn(kv: { [bucket: string]: { [key: string]: KvValue } }, copied: Set<string>, cmd: Command): Reply {
  const b = bucketOf(cmd.key);
  if (!copied.has(b) || !kv[b]) {
    kv[b] = { ...kv[b] };
    copied.add(b);
  }
  const reply = execute(kv[b], cmd);
  if (!nonEmpty(kv[b])) delete kv[b];
  return reply;
}

/** A request's command with its fields checked and missing optional ones set to null, or why not. */
function normalize(raw: unknown): Command | string {
  if (typeof raw !== 'object' || raw === null) return 'a command must be an object';
  const c = raw as Record<string, unknown>;
  const isValue = (v: unknown) => v === undefined || v === null || typeof v === 'string' || typeof v === 'number';
  if (typeof c.id !== 'string' || !ID.test(c.id)) return 'id must be a string ending in a sequence number without leading zeros (like c7 or client3-12)';
  if (c.op !== 'put' && c.op !== 'delete' && c.op !== 'cas' && c.op !== 'get') return 'op must be put, delete, cas or get';
  if (typeof c.key !== 'string') return 'key must be a string';
  if (!isValue(c.value) || !isValue(c.expect)) return 'value and expect must be strings, numbers or null';
  if (c.op === 'put' && (c.value === undefined || c.value === null)) return 'put needs a value';
  return { id: c.id, op: c.op, key: c.key, value: (c.value ?? null) as KvValue | null, expect: (c.expect ?? null) as KvValue | null };
}

function replica(cfg: Config) {
  const { maxBallot, variant } = cfg;

  /**
   * Whether `elect` should be armed: this replica has work and no leader (or may have lost it), or it
   * leads and has slots in flight (its acceptors may have promised a higher round it has not heard
   * of); and it may still start a round.
   */
  function wantsElection(t: ReplicaState): boolean {
    if (t.promised >= maxBallot) return false;
    return t.lead?.phase === 'leading' ? nonEmpty(t.lead.inflight) : hasWork(t);
  }

  /**
   * Arms `elect` when it becomes wanted, re-arms it when `heard` (a sign of life from a leader, a
   * candidate, or for a leader an acknowledgement), cancels it when no longer wanted. Re-arming only
   * on signs of life keeps client requests arriving at a follower from postponing the election of a
   * new leader forever. Replica k (from 0) waits `electMs * (2 + k)`, so one usually wins.
   */
  function settle(s: ReplicaState, t: ReplicaState, ctx: Ctx<Msg, 'elect'>, heard = false): ReplicaState {
    const wanted = wantsElection(t);
    if (!wanted) ctx.cancelTimer('elect');
    else if (heard || !wantsElection(s)) ctx.setTimer('elect', cfg.electMs * (2 + ctx.nodesOf('replica').indexOf(ctx.self)));
    return t;
  }

  /** Replaces the state machine by `snap`, which is ahead of it; makes it the durable snapshot. */
  function install(t: ReplicaState, snap: Snapshot, ctx: Ctx<Msg, 'elect'>): void {
    t.sm = snap;
    if (snap.last > t.snap.last) {
      t.snap = snap;
      for (const slot of slotsOf(t.accepted)) if (slot <= snap.last) delete t.accepted[slot];
    }
    for (const slot of slotsOf(t.log)) if (slot <= snap.last) delete t.log[slot];
    t.pending = t.pending.filter((c) => !isDone(snap.done, c.id));
    ctx.output({ type: 'install', last: snap.last });
  }

  /** A state machine being changed: a fresh copy of the KV map and of the applied ids. */
  type Applying = { last: number; kv: { [bucket: string]: { [key: string]: KvValue } }; copied: Set<string>; done: { [prefix: string]: Done[string] } };

  function applySlot(t: ReplicaState, sm: Applying, slot: number, batch: Batch, ctx: Ctx<Msg, 'elect'>): void {
    const replies: Reply[] = [];
    for (const cmd of batch) {
      if (isDone(sm.done, cmd.id)) continue;
      replies.push(executeIn(sm.kv, sm.copied, cmd));
      markDone(sm.done, cmd.id);
    }
    sm.last = Math.max(sm.last, slot);
    delete t.log[slot];
    ctx.output({ type: 'apply', slot, batch: batch.map((c) => c.id), replies });
  }

  /** Applies the learned slots that follow the applied prefix (on one copy of the state machine), then compacts if it is time. */
  function applyReady(t: ReplicaState, ctx: Ctx<Msg, 'elect'>): void {
    const ready = variant === 'applies-unordered' ? slotsOf(t.log) : [];
    if (variant !== 'applies-unordered') for (let slot = t.sm.last + 1; t.log[slot]; slot++) ready.push(slot);
    if (ready.length > 0) {
      const sm: Applying = { last: t.sm.last, kv: { ...t.sm.kv }, copied: new Set(), done: { ...t.sm.done } };
      for (const slot of ready) applySlot(t, sm, slot, t.log[slot], ctx);
      t.sm = { last: sm.last, kv: sm.kv, done: sm.done };
      t.pending = t.pending.filter((c) => !isDone(sm.done, c.id));
    }
    if (cfg.snapshotEvery > 0 && t.sm.last - t.snap.last >= cfg.snapshotEvery) {
      t.snap = t.sm;
      for (const slot of slotsOf(t.accepted)) if (slot <= t.snap.last) delete t.accepted[slot];
    }
  }

  function learn(t: ReplicaState, slot: number, batch: Batch, ctx: Ctx<Msg, 'elect'>): void {
    if (slot <= t.sm.last || t.log[slot]) return;
    t.log[slot] = batch;
    applyReady(t, ctx);
  }

  /**
   * After learning from `from`: slots waiting behind a gap (the commits in between were lost, in a
   * partition or while this replica was paused) are a reason to ask `from` to be caught up, when the
   * gap opens and again every CATCHUP_EVERY slots while it stays.
   */
  function askIfBehind(t: ReplicaState, from: string, ctx: Ctx<Msg, 'elect'>): void {
    const waiting = count(t.log);
    if (waiting === 1 || (waiting > 0 && waiting % CATCHUP_EVERY === 0)) ctx.send(from, { type: 'catchup', applied: t.sm.last });
  }

  /** The leader's commit of a slot a majority accepted in its round. */
  function commit(t: ReplicaState, slot: number, ctx: Ctx<Msg, 'elect'>): void {
    const lead = t.lead as Leading;
    const { batch } = lead.inflight[slot];
    delete lead.inflight[slot];
    for (const id of others(ctx)) ctx.send(id, { type: 'commit', slot, batch });
    learn(t, slot, batch, ctx);
  }

  /** Phase 2 for one slot: accept it here, ask the others. */
  function propose(t: ReplicaState, slot: number, batch: Batch, ctx: Ctx<Msg, 'elect'>): void {
    const lead = t.lead as Leading;
    if (slot > t.snap.last) t.accepted[slot] = [lead.round, batch];
    lead.inflight[slot] = { batch, acks: { [ctx.self]: true } };
    for (const id of others(ctx)) ctx.send(id, { type: 'accept', round: lead.round, slot, batch });
    if (majority(ctx) <= 1) commit(t, slot, ctx);
  }

  /** Proposes pending commands, `batch` per slot, while fewer than `window` slots are in flight. */
  function proposeNew(t: ReplicaState, ctx: Ctx<Msg, 'elect'>): void {
    while (t.lead?.phase === 'leading' && count(t.lead.inflight) < cfg.window) {
      const lead: Leading = t.lead;
      const busy = new Set<string>();
      for (const slot in lead.inflight) for (const c of lead.inflight[slot].batch) busy.add(c.id);
      for (const slot in t.log) for (const c of t.log[slot]) busy.add(c.id);
      const cmds = t.pending.filter((c) => !busy.has(c.id)).slice(0, cfg.batch);
      if (cmds.length === 0) return;
      propose(t, lead.next++, cmds, ctx);
    }
  }

  /** A majority promised: adopt the best snapshot, re-propose what was reported, fill gaps, lead. */
  function becomeLeader(t: ReplicaState, ctx: Ctx<Msg, 'elect'>): void {
    const prep = t.lead as Preparing;
    const base = prep.base;
    if (base.last > t.sm.last) install(t, base, ctx);
    const reported = variant === 'ignores-accepted' ? {} : prep.merged;
    const top = Math.max(base.last, ...slotsOf(reported));
    const next = Math.max(top, t.sm.last, ...slotsOf(t.log)) + 1;
    t.lead = { phase: 'leading', round: prep.round, next, inflight: {} };
    for (const voter of Object.keys(prep.votes).sort()) {
      if (voter !== ctx.self && prep.votes[voter] < base.last) ctx.send(voter, { type: 'snapshot', snap: t.sm });
    }
    for (let slot = base.last + 1; slot <= top; slot++) propose(t, slot, reported[slot]?.[1] ?? NOOP, ctx);
    proposeNew(t, ctx);
  }

  /** Steps down from a lower round once this replica has promised a higher one. */
  function promise(t: ReplicaState, round: number, to: string): void {
    t.promised = round;
    t.leader = to;
    if (t.lead && t.lead.round < round) t.lead = null;
  }

  return role<ReplicaState, Msg, 'elect'>({
    init: () => ({ promised: 0, leader: null, accepted: {}, snap: EMPTY, sm: EMPTY, log: {}, pending: [], lead: null }),
    durable: ['promised', 'leader', 'accepted', 'snap'],
    // On real time a follower stands for election when its failure detector suspects the leader.
    suspicion: { timer: 'elect', peer: (s, self) => (s.lead === null && s.leader !== self ? s.leader : null) },
    recover(s, ctx) {
      for (const id of others(ctx)) ctx.send(id, { type: 'catchup', applied: s.snap.last });
      return settle(s, { ...s, sm: s.snap }, ctx, true);
    },
    timers: {
      // Fired: no sign of life from a leader (or, leading, no acknowledgement) for a timeout.
      elect(s, ctx) {
        if (!wantsElection(s)) return settle(s, s, ctx);
        const t = edit(s);
        const round = s.promised + 1;
        promise(t, round, ctx.self);
        t.lead = { phase: 'preparing', round, votes: { [ctx.self]: t.sm.last }, merged: { ...t.accepted }, base: t.snap };
        for (const id of others(ctx)) ctx.send(id, { type: 'prepare', round });
        if (majority(ctx) <= 1) becomeLeader(t, ctx);
        return settle(s, t, ctx, true);
      },
    },
    on: {
      request(s, m, ctx) {
        const cmd = normalize(m.cmd);
        if (typeof cmd === 'string') {
          const id = (m.cmd as { id?: unknown } | null)?.id;
          ctx.output({ type: 'rejected', id: typeof id === 'string' ? id : null, reason: cmd });
          return s;
        }
        if (isDone(s.sm.done, cmd.id) || isPending(s.pending, cmd.id)) return s;
        const elsewhere = s.lead?.phase !== 'leading' && s.leader !== null && s.leader !== ctx.self;
        // A redirected command is not kept: the client sends it to the leader itself.
        if (elsewhere && m.redirect === true) {
          ctx.output({ type: 'redirect', id: cmd.id, leader: s.leader! });
          return s;
        }
        // The most frequent step: unless this replica leads with room in its window, only the pending commands change.
        const room = s.lead?.phase === 'leading' && count(s.lead.inflight) < cfg.window;
        const t = room ? edit(s) : { ...s };
        t.pending = withPending(s.pending, [cmd]);
        if (room) proposeNew(t, ctx);
        else if (elsewhere) ctx.send(t.leader!, { type: 'request', cmd, redirect: false });
        return settle(s, t, ctx);
      },
      prepare(s, m, ctx) {
        if (m.round <= s.promised) return s;
        const t = edit(s);
        promise(t, m.round, ctx.from);
        ctx.send(ctx.from, { type: 'promise', round: m.round, applied: t.sm.last, snap: t.snap, accepted: t.accepted, pending: t.pending });
        return settle(s, t, ctx, true);
      },
      promise(s, m, ctx) {
        const lead = s.lead;
        if (lead?.phase === 'leading' && lead.round === m.round) {
          // A promise after the majority: the requests it carries are still news.
          const fresh = m.pending.filter((c) => !isPending(s.pending, c.id) && !isDone(s.sm.done, c.id));
          if (fresh.length === 0) return s;
          const t = edit(s);
          t.pending = withPending(t.pending, fresh);
          proposeNew(t, ctx);
          return settle(s, t, ctx);
        }
        if (lead?.phase !== 'preparing' || lead.round !== m.round || lead.votes[ctx.from] !== undefined) return s;
        const t = edit(s);
        const prep = t.lead as Preparing;
        prep.votes[ctx.from] = m.applied;
        if (m.snap.last > prep.base.last) prep.base = m.snap;
        for (const slot of slotsOf(m.accepted)) {
          const vote = m.accepted[slot];
          if (!prep.merged[slot] || prep.merged[slot][0] < vote[0]) prep.merged[slot] = vote;
        }
        for (const slot of slotsOf(prep.merged)) if (slot <= prep.base.last) delete prep.merged[slot];
        t.pending = withPending(t.pending, m.pending.filter((c) => !isDone(t.sm.done, c.id)));
        if (count(prep.votes) >= majority(ctx)) becomeLeader(t, ctx);
        return settle(s, t, ctx, true);
      },
      accept(s, m, ctx) {
        if (m.round < s.promised || (m.round === s.promised && s.leader !== ctx.from)) return s;
        const t = edit(s);
        if (m.round > t.promised) {
          // A leader this replica did not promise to (it missed the election, or led a lower round):
          // the commands it holds go to that leader, which may not have heard of them.
          promise(t, m.round, ctx.from);
          for (const cmd of t.pending) ctx.send(ctx.from, { type: 'request', cmd, redirect: false });
        }
        if (m.slot > t.snap.last) {
          t.accepted[m.slot] = [m.round, m.batch];
          ctx.send(ctx.from, { type: 'accepted', round: m.round, slot: m.slot });
        }
        return settle(s, t, ctx, true);
      },
      accepted(s, m, ctx) {
        const lead = s.lead;
        if (lead?.phase !== 'leading' || lead.round !== m.round) return s;
        const entry = lead.inflight[m.slot];
        if (!entry || entry.acks[ctx.from]) return s;
        const t = edit(s);
        const inflight = (t.lead as Leading).inflight;
        const acks = { ...entry.acks, [ctx.from]: true as const };
        inflight[m.slot] = { batch: entry.batch, acks };
        if (count(acks) >= majority(ctx)) {
          commit(t, m.slot, ctx);
          proposeNew(t, ctx);
        }
        return settle(s, t, ctx, true);
      },
      commit(s, m, ctx) {
        if (m.slot <= s.sm.last || s.log[m.slot]) return s;
        const t = edit(s);
        learn(t, m.slot, m.batch, ctx);
        askIfBehind(t, ctx.from, ctx);
        proposeNew(t, ctx);
        return settle(s, t, ctx, true);
      },
      snapshot(s, m, ctx) {
        if (m.snap.last <= s.sm.last) return s;
        const t = edit(s);
        install(t, m.snap, ctx);
        applyReady(t, ctx);
        proposeNew(t, ctx);
        return settle(s, t, ctx, true);
      },
      catchup(s, m, ctx) {
        if (s.sm.last > m.applied) ctx.send(ctx.from, { type: 'snapshot', snap: s.sm });
        return s;
      },
    },
  });
}

/** Client k submits its command to replica k (round robin over the replicas). */
const client = (cmd: Command, k: number) => role<ClientState, Msg>({
  init(ctx) {
    const replicas = ctx.nodesOf('replica');
    ctx.send(replicas[(k - 1) % replicas.length], { type: 'request', cmd, redirect: false });
    return { cmd };
  },
});

// ---- properties --------------------------------------------------------------------------------

interface Facts {
  /** Per slot, the batch (as command ids joined) some replica learned or applied; null on a conflict. */
  readonly slots: Map<number, string> | null;
  /** Per slot, the batch of command ids applied. */
  readonly applied: Map<number, readonly string[]>;
  /** Per replica, the slots it applied and the snapshots it installed. */
  readonly byNode: Map<string, { applied: Set<number>; installed: Set<number> }>;
}

const factsCache = new WeakMap<World, Facts>();
function facts(w: World): Facts {
  let f = factsCache.get(w);
  if (f) return f;
  let slots: Map<number, string> | null = new Map();
  const applied = new Map<number, readonly string[]>();
  const byNode = new Map<string, { applied: Set<number>; installed: Set<number> }>();
  const note = (slot: number, ids: readonly string[]) => {
    if (!slots) return;
    const key = ids.join(',');
    const known = slots.get(slot);
    if (known !== undefined && known !== key) slots = null;
    else slots.set(slot, key);
  };
  for (const o of w.outputs) {
    const v = o.value as Output;
    let mine = byNode.get(o.node);
    if (!mine) byNode.set(o.node, (mine = { applied: new Set(), installed: new Set() }));
    if (v.type === 'apply') {
      note(v.slot, v.batch);
      applied.set(v.slot, v.batch);
      mine.applied.add(v.slot);
    } else if (v.type === 'install') {
      mine.installed.add(v.last);
    }
  }
  for (const r of w.statesOf<ReplicaState>('replica')) {
    for (const slot of slotsOf(r.log)) note(slot, r.log[slot].map((c) => c.id));
  }
  f = { slots, applied, byNode };
  factsCache.set(w, f);
  return f;
}

const contentCache = new WeakMap<Snapshot, string>();
/** A state machine's KV map and applied commands, canonically encoded. */
function content(s: Snapshot): string {
  let key = contentCache.get(s);
  if (key === undefined) contentCache.set(s, (key = encode({ kv: s.kv, done: s.done })));
  return key;
}

/**
 * Every state machine and every snapshot of every replica, replayed forward through the slots applied
 * (as the outputs say), gives exactly the next more advanced one: their common prefixes agree.
 */
function stateMachinesAgree(w: World): boolean {
  const { applied } = facts(w);
  const cmds = new Map<string, Command>();
  const machines: Snapshot[] = [];
  for (const r of w.statesOf<ReplicaState>('replica')) {
    machines.push(r.sm, r.snap);
    for (const c of r.pending) cmds.set(c.id, c);
  }
  for (const c of w.statesOf<ClientState>('client')) cmds.set(c.cmd.id, c.cmd);
  machines.sort((a, b) => a.last - b.last);
  for (let i = 0; i + 1 < machines.length; i++) {
    const from = machines[i];
    const to = machines[i + 1];
    if (from.last === to.last) {
      if (content(from) !== content(to)) return false;
      continue;
    }
    const kv = { ...from.kv } as { [bucket: string]: { [key: string]: KvValue } };
    const copied = new Set<string>();
    const done = { ...from.done } as { [prefix: string]: Done[string] };
    for (let slot = from.last + 1; slot <= to.last; slot++) {
      const ids = applied.get(slot);
      if (!ids) return false;
      for (const id of ids) {
        const cmd = cmds.get(id);
        if (!cmd) return false;
        if (isDone(done, id)) continue;
        executeIn(kv, copied, cmd);
        markDone(done, id);
      }
    }
    if (encode({ kv, done }) !== content(to)) return false;
  }
  return true;
}

export const multiPaxos = defineProtocol({
  name: 'multi-paxos',
  description: 'Multi-decree Paxos replicated log with a KV state machine: stable leader, batching, snapshots',
  params: {
    replicas: param.int('number of replicas', 3, 1, 7),
    commands: param.int('number of client commands (one client each; 0 for a service, whose clients are outside)', 2, 0, 12),
    maxBallot: param.int('highest round a replica may start (bounds leader changes)', 2, 1, 1_000_000_000),
    electMs: param.int('election timeout of the first replica, ms; replica k waits electMs * (2 + k)', 40, 1, 60_000),
    batch: param.int('commands per slot a leader proposes at most', 1, 1, 10_000),
    window: param.int('slots of new commands a leader keeps in flight at most', 2, 1, 1000),
    snapshotEvery: param.int('applied slots past the snapshot that trigger a new snapshot (0: never)', 1, 0, 1_000_000),
    variant: param.choice('multi-paxos, ignores-accepted (broken), or applies-unordered (broken)', 'multi-paxos', ['multi-paxos', 'ignores-accepted', 'applies-unordered']),
  },
  network: { duplicating: true },
  symmetric: ['replica'],
  nodes: ({ replicas, commands, maxBallot, electMs, batch, window, snapshotEvery, variant }) => [
    ...nodes('r', replicas, 'replica', replica({ maxBallot, electMs, batch, window, snapshotEvery, variant })),
    ...Array.from({ length: commands }, (_, i) => node(`c${i + 1}`, 'client', client(commandFor(i + 1), i + 1))),
  ],
  properties: ({ commands }) => {
    const submitted = new Map(Array.from({ length: commands }, (_, i) => [`c${i + 1}`, encode(commandFor(i + 1))]));
    const valid = (batch: Batch) => batch.every((c) => submitted.get(c.id) === encode(c));
    return [
      always('agreement', (w) => facts(w).slots !== null),
      always('no gaps', (w) => {
        for (const { applied, installed } of facts(w).byNode.values()) {
          for (const slot of applied) if (slot > 1 && !applied.has(slot - 1) && !installed.has(slot - 1)) return false;
        }
        return true;
      }),
      always('state machines agree', stateMachinesAgree),
      always('validity', (w) => {
        for (const r of w.statesOf<ReplicaState>('replica')) {
          for (const slot in r.accepted) if (!valid(r.accepted[slot][1])) return false;
          for (const slot in r.log) if (!valid(r.log[slot])) return false;
        }
        for (const o of w.outputs) {
          const v = o.value as Output;
          if (v.type === 'apply' && !v.batch.every((id) => submitted.has(id))) return false;
        }
        return true;
      }),
      sometimes('all commands applied everywhere', (w) =>
        w.statesOf<ReplicaState>('replica').every((r) => doneCount(r.sm.done) === commands)),
    ];
  },
});

