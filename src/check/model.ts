import { decode, encode } from '../core/plain.ts';
import { contains, laneA, laneB, SALT_FLAGS, SALT_LOCAL, SALT_MESSAGE, SALT_OUTPUT } from './additive-hash.ts';
import type { Message } from '../core/protocol.ts';
import type { InFlight, NodeView, OutputRecord } from '../core/properties.ts';
import { recoveredState, restartNode, stepNode } from '../core/step.ts';
import type { Effect, NodeEvent } from '../core/step.ts';
import type { Action } from '../core/trace.ts';
import type { Instance } from '../core/instance.ts';
import type { InternTable } from './intern.ts';
import { CheckWorld } from './world.ts';

/**
 * The protocol compiled to an integer transition system. A global state is an Int32Array:
 *
 *   [flags, local_0 .. local_{n-1}, m, msg_1 .. msg_m, k, out_1 .. out_k]
 *
 * flags holds the crashes used (low byte) and the `eventually` properties still pending (above it);
 * local_i is the interned (crashed, timers, state) of node i; messages in flight are interned
 * (from, to, payload), kept sorted by id (unordered) or grouped by channel in send order (ordered);
 * outputs are a sorted set of interned (node, value).
 *
 * Handlers are pure, so the result of a node handling an event depends only on the node's local id
 * and the event's id: it is computed once and memoized.
 */
export const Kind = { Timer: 0, Deliver: 1, Drop: 2, Crash: 3, Recover: 4 } as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

interface Local {
  readonly crashed: boolean;
  readonly timers: readonly string[];
  readonly state: unknown;
}

interface Result {
  readonly local: number;
  readonly sends: Int32Array;
  readonly outputs: Int32Array;
}

interface Msg {
  readonly from: number;
  readonly to: number;
  readonly channel: number;
  readonly msg: Message;
}

/** Actions of one state, as parallel arrays of (kind, node, argument). */
export class ActionList {
  kind = new Int32Array(64);
  node = new Int32Array(64);
  arg = new Int32Array(64);
  length = 0;
  push(kind: number, node: number, arg: number): void {
    if (this.length === this.kind.length) {
      const grow = (a: Int32Array) => { const b = new Int32Array(a.length * 2); b.set(a); return b; };
      this.kind = grow(this.kind); this.node = grow(this.node); this.arg = grow(this.arg);
    }
    this.kind[this.length] = kind;
    this.node[this.length] = node;
    this.arg[this.length] = arg;
    this.length++;
  }
}

export class Model {
  readonly n: number;
  private readonly locals: (Local | undefined)[] = [];
  private readonly msgs: (Msg | undefined)[] = [];
  private readonly memo: (Map<number, Result> | undefined)[] = [];
  private readonly crashMemo: Map<number, number>[];
  private readonly recoverMemo: Map<number, Result>[];
  private readonly timerIds: Map<string, number>[];
  private readonly timerNames: (string | undefined)[] = [];
  private readonly views: Map<number, NodeView>[];
  private readonly timerEvents: Int32Array[][];
  private readonly msgTo: number[] = [];
  private readonly startResults: Result[];
  private tmp = new Int32Array(256);
  private deltaFlags = 0;
  private deltaLocal = 0;
  private deltaRemoveAt = -1;
  private deltaSends: Int32Array = EMPTY;
  private deltaOutputs: Int32Array = EMPTY;
  readonly eventuallyMask: number;

  constructor(readonly inst: Instance, readonly intern: InternTable) {
    this.n = inst.topo.ids.length;
    this.crashMemo = Array.from({ length: this.n }, () => new Map());
    this.recoverMemo = Array.from({ length: this.n }, () => new Map());
    this.timerIds = Array.from({ length: this.n }, () => new Map());
    this.views = Array.from({ length: this.n }, () => new Map());
    this.timerEvents = Array.from({ length: this.n }, () => []);
    const eventually = inst.properties.filter((p) => p.kind === 'eventually').length;
    if (eventually > 23) throw new Error('at most 23 eventually properties are supported');
    this.eventuallyMask = ((1 << eventually) - 1) << 8;
    this.startResults = inst.topo.ids.map((_, i) => this.run(i, null, [], { kind: 'start' }));
  }

  // ---- interning -------------------------------------------------------------------------------

  private localId(crashed: boolean, timers: readonly string[], encodedState: string): number {
    return this.intern.id(`L[${crashed ? 1 : 0},${encode(timers)},${encodedState}]`);
  }

  local(id: number): Local {
    let l = this.locals[id];
    if (!l) {
      const text = this.intern.text(id);
      const [crashed, timers, state] = decode<[number, string[], unknown]>(text.slice(1));
      l = { crashed: crashed === 1, timers, state };
      this.locals[id] = l;
    }
    return l;
  }

  msgId(from: number, to: number, msg: Message): number {
    return this.intern.id(`M[${from},${to},${encode(msg)}]`);
  }

  msg(id: number): Msg {
    let m = this.msgs[id];
    if (!m) {
      const [from, to, msg] = decode<[number, number, Message]>(this.intern.text(id).slice(1));
      m = { from, to, channel: from * this.n + to, msg };
      this.msgs[id] = m;
      this.msgTo[id] = to;
    }
    return m;
  }

  private outputId(node: number, value: unknown): number {
    return this.intern.id(`O[${node},${encode(value)}]`);
  }

  output(id: number): OutputRecord {
    const [node, value] = decode<[number, never]>(this.intern.text(id).slice(1));
    return { node: this.inst.topo.ids[node], value };
  }

  private timerId(node: number, name: string): number {
    let id = this.timerIds[node].get(name);
    if (id === undefined) {
      id = this.intern.id(`T[${node},${encode(name)}]`);
      this.timerIds[node].set(name, id);
      this.timerNames[id] = name;
    }
    return id;
  }

  // ---- node steps ------------------------------------------------------------------------------

  /** Runs a handler and interns its outcome; `timers` are the node's armed timers going in. */
  private run(node: number, state: unknown, timers: readonly string[], event: NodeEvent): Result {
    const res = stepNode(this.inst.topo, node, state, event);
    return this.outcome(node, res.encoded, timers, res.effects);
  }

  private outcome(node: number, encodedState: string, timersIn: readonly string[], effects: readonly Effect[]): Result {
    const timers = new Set(timersIn);
    const sends: number[] = [];
    const outputs: number[] = [];
    for (const e of effects) {
      switch (e.kind) {
        case 'send': sends.push(this.msgId(node, this.inst.topo.index.get(e.to)!, e.msg)); break;
        case 'setTimer': timers.add(e.name); break;
        case 'cancelTimer': timers.delete(e.name); break;
        case 'output': outputs.push(this.outputId(node, e.value)); break;
      }
    }
    return {
      local: this.localId(false, [...timers].sort(), encodedState),
      sends: Int32Array.from(sends),
      outputs: Int32Array.from(new Set(outputs)).sort(),
    };
  }

  /** Node `node` in local state `localId` handling event `eventId` (a timer's id or a message's id). */
  private handle(node: number, localId: number, eventId: number): Result {
    let table = this.memo[localId];
    if (!table) this.memo[localId] = table = new Map();
    let r = table.get(eventId);
    if (!r) {
      const l = this.local(localId);
      const ev = this.eventOf(eventId);
      const timers = ev.kind === 'timer' ? l.timers.filter((t) => t !== ev.name) : l.timers;
      r = this.run(node, l.state, timers, ev);
      table.set(eventId, r);
    }
    return r;
  }

  private eventOf(eventId: number): NodeEvent {
    if (this.intern.text(eventId)[0] === 'T') return { kind: 'timer', name: this.timerNames[eventId] ?? this.timerNameOf(eventId) };
    const mm = this.msg(eventId);
    return { kind: 'message', from: this.inst.topo.ids[mm.from], msg: mm.msg };
  }

  private crash(node: number, localId: number): number {
    let r = this.crashMemo[node].get(localId);
    if (r === undefined) {
      const l = this.local(localId);
      const decl = this.inst.topo.decls[node];
      const start = this.local(this.startResults[node].local);
      // Crash-stop keeps the state for inspection; crash-recover keeps only what survives a restart.
      const kept = this.inst.network.crashMode === 'recover' ? recoveredState(decl, l.state, start.state) : l.state;
      r = this.localId(true, [], encode(kept));
      this.crashMemo[node].set(localId, r);
    }
    return r;
  }

  private recover(node: number, localId: number): Result {
    let r = this.recoverMemo[node].get(localId);
    if (!r) {
      const res = restartNode(this.inst.topo, node, this.local(localId).state);
      r = this.outcome(node, res.encoded, [], res.effects);
      this.recoverMemo[node].set(localId, r);
    }
    return r;
  }

  // ---- global states ---------------------------------------------------------------------------

  initial(): Int32Array {
    const n = this.n;
    const sends: number[] = [];
    const outs: number[] = [];
    const locals = this.startResults.map((r) => r.local);
    for (const r of this.startResults) { sends.push(...r.sends); outs.push(...r.outputs); }
    const msgs = this.arrangeMessages(sends);
    const outputs = [...new Set(outs)].sort((a, b) => a - b);
    const v = new Int32Array(n + 3 + msgs.length + outputs.length);
    v[0] = this.eventuallyMask;
    v.set(locals, 1);
    v[n + 1] = msgs.length;
    v.set(msgs, n + 2);
    v[n + 2 + msgs.length] = outputs.length;
    v.set(outputs, n + 3 + msgs.length);
    return v;
  }

  /** Messages in canonical order, from an arbitrary list of ids. */
  arrangeMessages(ids: number[]): number[] {
    let list = this.inst.network.duplicating ? [...new Set(ids)] : [...ids];
    if (this.inst.network.ordering === 'ordered') {
      list = list.map((id, i) => [id, i]).sort((a, b) => this.msg(a[0]).channel - this.msg(b[0]).channel || a[1] - b[1]).map((p) => p[0]);
    } else {
      list.sort((a, b) => a - b);
    }
    return list;
  }

  /** Every action enabled in `v`, in a fixed order: timers, deliveries, drops, crashes, recoveries. */
  enumerate(v: Int32Array, out: ActionList): void {
    out.length = 0;
    const n = this.n;
    const net = this.inst.network;
    const ordered = net.ordering === 'ordered';
    for (let i = 0; i < n; i++) {
      const timers = this.timerEventsOf(i, v[1 + i]);
      for (let t = 0; t < timers.length; t++) out.push(Kind.Timer, i, timers[t]);
    }
    const m = v[n + 1];
    const start = n + 2;
    for (let p = start; p < start + m; p++) {
      const id = v[p];
      if (ordered) {
        if (p > start && this.msg(v[p - 1]).channel === this.msg(id).channel) continue;
      } else if (p > start && v[p - 1] === id) continue;
      const to = this.msgTo[id] ?? this.msg(id).to;
      if (!this.isCrashed(v[1 + to])) out.push(Kind.Deliver, to, p);
    }
    if (net.lossy) {
      for (let p = start; p < start + m; p++) {
        if (!ordered && p > start && v[p - 1] === v[p]) continue;
        out.push(Kind.Drop, this.msg(v[p]).to, p);
      }
    }
    if (net.crashes === 0) return;
    const crashed = v[0] & 0xff;
    for (let i = 0; i < n; i++) {
      const down = this.isCrashed(v[1 + i]);
      if (!down && crashed < net.crashes) out.push(Kind.Crash, i, 0);
      if (down && net.crashMode === 'recover') out.push(Kind.Recover, i, 0);
    }
  }

  private isCrashed(localId: number): boolean {
    return this.local(localId).crashed;
  }

  /** The event ids of the timers node `node` has armed in local state `localId` (none while crashed). */
  private timerEventsOf(node: number, localId: number): Int32Array {
    const byLocal = this.timerEvents[node];
    let events = byLocal[localId];
    if (events === undefined) {
      const l = this.local(localId);
      events = l.crashed ? EMPTY : Int32Array.from(l.timers, (t) => this.timerId(node, t));
      byLocal[localId] = events;
    }
    return events;
  }

  /**
   * What one action does to `v`, left in the `delta*` fields: the node's new local state, the
   * message position it consumes (or -1), the messages sent, the outputs and the new flags word.
   */
  private effect(v: Int32Array, kind: number, node: number, arg: number): void {
    let r: Result | null = null;
    this.deltaFlags = v[0];
    this.deltaLocal = v[1 + node];
    this.deltaRemoveAt = -1;
    switch (kind) {
      case Kind.Timer:
        r = this.handle(node, this.deltaLocal, arg);
        break;
      case Kind.Deliver:
        r = this.handle(node, this.deltaLocal, v[arg]);
        if (!this.inst.network.duplicating) this.deltaRemoveAt = arg;
        break;
      case Kind.Drop:
        this.deltaRemoveAt = arg;
        break;
      case Kind.Crash:
        this.deltaLocal = this.crash(node, this.deltaLocal);
        this.deltaFlags++;
        break;
      case Kind.Recover:
        r = this.recover(node, this.deltaLocal);
        break;
    }
    if (r) this.deltaLocal = r.local;
    this.deltaSends = r ? r.sends : EMPTY;
    this.deltaOutputs = r ? r.outputs : EMPTY;
  }

  /** Writes the successor of `v` under one action into a scratch vector and returns it (valid until the next call). */
  apply(v: Int32Array, kind: number, node: number, arg: number): Int32Array {
    this.effect(v, kind, node, arg);
    const n = this.n;
    const m = v[n + 1];
    const k = v[n + 2 + m];
    const flags = this.deltaFlags;
    const local = this.deltaLocal;
    const removeAt = this.deltaRemoveAt;
    const sends = this.deltaSends;
    const outs = this.deltaOutputs;
    const cap = n + 3 + m + sends.length + k + outs.length;
    if (this.tmp.length < cap) this.tmp = new Int32Array(cap * 2);
    const w = this.tmp;
    w[0] = flags;
    for (let i = 0; i < n; i++) w[1 + i] = v[1 + i];
    w[1 + node] = local;
    // messages: copy all but the removed one, then insert each send in canonical position
    let len = n + 2;
    for (let p = n + 2; p < n + 2 + m; p++) if (p !== removeAt) w[len++] = v[p];
    for (let s = 0; s < sends.length; s++) len = this.insertMessage(w, n + 2, len, sends[s]);
    w[n + 1] = len - (n + 2);
    // outputs: sorted set union
    const kAt = len++;
    let kk = 0;
    let a = n + 3 + m, aEnd = a + k, b = 0;
    while (a < aEnd || b < outs.length) {
      let x: number;
      if (b >= outs.length || (a < aEnd && v[a] < outs[b])) x = v[a++];
      else if (a >= aEnd || outs[b] < v[a]) x = outs[b++];
      else { x = v[a++]; b++; }
      w[len++] = x;
      kk++;
    }
    w[kAt] = kk;
    return w.subarray(0, len);
  }

  /**
   * Whether fingerprints can be computed incrementally: each component of a state (flags, each node's
   * local state, each message in flight, each output) adds a hash, so a successor's fingerprint is its
   * parent's with the changed components swapped, and duplicate successors (most of them) are found
   * without building their vectors. FIFO channels (where positions matter), symmetry (which renames
   * everything) and `eventually` properties (whose pending bits need the successor) build vectors.
   */
  get incremental(): boolean {
    return this.inst.network.ordering === 'unordered' && this.inst.symmetry.length === 0 && this.eventuallyMask === 0;
  }

  /** The additive fingerprint of a whole state vector, as two 32-bit lanes. */
  fingerprint(v: Int32Array, out: Int32Array): void {
    const n = this.n;
    const m = v[n + 1];
    const k = v[n + 2 + m];
    let a = laneA(SALT_FLAGS, v[0]);
    let b = laneB(SALT_FLAGS, v[0]);
    for (let i = 0; i < n; i++) { a += laneA(SALT_LOCAL + i, v[1 + i]); b += laneB(SALT_LOCAL + i, v[1 + i]); }
    for (let p = n + 2; p < n + 2 + m; p++) { a += laneA(SALT_MESSAGE, v[p]); b += laneB(SALT_MESSAGE, v[p]); }
    for (let p = n + 3 + m; p < n + 3 + m + k; p++) { a += laneA(SALT_OUTPUT, v[p]); b += laneB(SALT_OUTPUT, v[p]); }
    out[0] = a | 0;
    out[1] = b | 0;
  }

  /** The fingerprint of `apply(v, action)` from `fp`, the fingerprint of `v`, without building the successor. */
  successorFingerprint(v: Int32Array, fp: Int32Array, kind: number, node: number, arg: number, out: Int32Array): void {
    this.effect(v, kind, node, arg);
    const n = this.n;
    const m = v[n + 1];
    let a = fp[0];
    let b = fp[1];
    if (this.deltaFlags !== v[0]) {
      a += laneA(SALT_FLAGS, this.deltaFlags) - laneA(SALT_FLAGS, v[0]);
      b += laneB(SALT_FLAGS, this.deltaFlags) - laneB(SALT_FLAGS, v[0]);
    }
    const old = v[1 + node];
    if (this.deltaLocal !== old) {
      a += laneA(SALT_LOCAL + node, this.deltaLocal) - laneA(SALT_LOCAL + node, old);
      b += laneB(SALT_LOCAL + node, this.deltaLocal) - laneB(SALT_LOCAL + node, old);
    }
    if (this.deltaRemoveAt >= 0) {
      a -= laneA(SALT_MESSAGE, v[this.deltaRemoveAt]);
      b -= laneB(SALT_MESSAGE, v[this.deltaRemoveAt]);
    }
    const sends = this.deltaSends;
    const duplicating = this.inst.network.duplicating;
    for (let s = 0; s < sends.length; s++) {
      const id = sends[s];
      // A message set (duplicating network) holds each message once.
      if (duplicating && (contains(v, n + 2, n + 2 + m, id) || sends.subarray(0, s).includes(id))) continue;
      a += laneA(SALT_MESSAGE, id);
      b += laneB(SALT_MESSAGE, id);
    }
    const outs = this.deltaOutputs;
    const k = v[n + 2 + m];
    for (let o = 0; o < outs.length; o++) {
      if (contains(v, n + 3 + m, n + 3 + m + k, outs[o])) continue;
      a += laneA(SALT_OUTPUT, outs[o]);
      b += laneB(SALT_OUTPUT, outs[o]);
    }
    out[0] = a | 0;
    out[1] = b | 0;
  }

  private insertMessage(w: Int32Array, from: number, end: number, id: number): number {
    let at: number;
    if (this.inst.network.ordering === 'ordered') {
      const ch = this.msg(id).channel;
      at = end;
      while (at > from && this.msg(w[at - 1]).channel > ch) at--;
    } else {
      at = end;
      while (at > from && w[at - 1] > id) at--;
      if (this.inst.network.duplicating && at > from && w[at - 1] === id) return end;
    }
    w.copyWithin(at + 1, at, end);
    w[at] = id;
    return end + 1;
  }

  /** Replaces the `eventually` bits of a fresh successor: a pending property stays pending until it holds. */
  settleEventually(w: Int32Array, parentFlags: number, world: CheckWorld): void {
    let pending = parentFlags & this.eventuallyMask;
    if (pending === 0) { w[0] &= ~this.eventuallyMask; return; }
    let bit = 1 << 8;
    for (const p of this.inst.properties) {
      if (p.kind !== 'eventually') continue;
      if ((pending & bit) && p.holds(world)) pending &= ~bit;
      bit <<= 1;
    }
    w[0] = (w[0] & ~this.eventuallyMask) | pending;
  }

  // ---- decoding for properties and traces ------------------------------------------------------

  nodeView(node: number, localId: number): NodeView {
    let view = this.views[node].get(localId);
    if (!view) {
      const l = this.local(localId);
      const decl = this.inst.topo.decls[node];
      view = { id: decl.id, role: decl.role, state: l.state, crashed: l.crashed, timers: l.timers };
      this.views[node].set(localId, view);
    }
    return view;
  }

  describe(v: Int32Array, kind: number, node: number, arg: number): Action {
    const id = this.inst.topo.ids[node];
    switch (kind) {
      case Kind.Timer: return { kind: 'timer', node: id, timer: this.timerNames[arg] ?? this.timerNameOf(arg) };
      case Kind.Deliver: {
        const mm = this.msg(v[arg]);
        return { kind: 'deliver', node: id, from: this.inst.topo.ids[mm.from], msg: mm.msg };
      }
      case Kind.Drop: {
        const mm = this.msg(v[arg]);
        return { kind: 'drop', node: id, from: this.inst.topo.ids[mm.from], msg: mm.msg };
      }
      case Kind.Crash: return { kind: 'crash', node: id };
      default: return { kind: 'recover', node: id };
    }
  }

  /**
   * The actions of `list` (enumerated for `v`) ranked by what they do rather than by interned ids,
   * which depend on the order a run met things in: the result lists indices into `list`.
   */
  stableOrder(v: Int32Array, list: ActionList): number[] {
    const keys: string[] = [];
    for (let a = 0; a < list.length; a++) {
      const kind = list.kind[a];
      const what = kind === Kind.Timer ? (this.timerNames[list.arg[a]] ?? this.timerNameOf(list.arg[a]))
        : kind === Kind.Deliver || kind === Kind.Drop ? this.intern.text(v[list.arg[a]]) : '';
      keys.push(`${kind}|${String(list.node[a]).padStart(6, '0')}|${what}`);
    }
    return keys.map((_, a) => a).sort((a, b) => (keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : a - b));
  }

  private timerNameOf(id: number): string {
    const [, name] = decode<[number, string]>(this.intern.text(id).slice(1));
    this.timerNames[id] = name;
    return name;
  }

  messagesOf(v: Int32Array): InFlight[] {
    const n = this.n;
    const out: InFlight[] = [];
    for (let p = n + 2; p < n + 2 + v[n + 1]; p++) {
      const mm = this.msg(v[p]);
      out.push({ from: this.inst.topo.ids[mm.from], to: this.inst.topo.ids[mm.to], msg: mm.msg });
    }
    return out;
  }

  outputsOf(v: Int32Array): OutputRecord[] {
    const n = this.n;
    const at = n + 2 + v[n + 1];
    const out: OutputRecord[] = [];
    for (let p = at + 1; p < at + 1 + v[at]; p++) out.push(this.output(v[p]));
    return out;
  }

  world(v: Int32Array): CheckWorld {
    return new CheckWorld(this, v);
  }
}

const EMPTY = new Int32Array(0);

