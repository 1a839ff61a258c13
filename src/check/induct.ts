/**
 * Bounded inductiveness checking. Every global state of a bounded universe (every combination of node
 * states from the protocol's declared domains and of messages in flight within the bounds) that
 * satisfies an invariant takes every single step the checker would take from it (the same handlers,
 * run through `stepNode`), and every successor must satisfy the invariant again. The answer is either
 * "inductive within the bounds" or a counterexample to induction: a state satisfying the invariant,
 * a step, and a successor that does not.
 *
 * The invariant is a conjunction of named `always` properties. Conjuncts of a known shape rule states
 * out in blocks without enumerating them: an `everyNode` conjunct filters each node's domain (once, when
 * it reads only that node; once the nodes of other roles it reads are chosen, otherwise), conjuncts
 * that turn out not to read the messages in flight are decided once per combination of node states,
 * and `everyMessage` conjuncts filter the messages that may be in flight next to given node states.
 * States are visited in a fixed order (node states in declaration order, the last node fastest, then
 * message bags from small to large), so the counterexample reported is the first in that order.
 *
 * Steps are those of the checker: a timer fires, a message is delivered (removed unless the network
 * duplicates), and on a lossy network a message is dropped. Crashes and FIFO channels are not covered.
 * A successor must also stay inside the declared domains (a node state or message outside them is a
 * counterexample of kind `domain`, unless escapes are allowed); going over the count bounds is fine.
 */
import { Worker } from 'node:worker_threads';
import {
  DomainError, formatCount, inductionOf, inductionSourceOf, isDomain, isInduction, isMessageProperty, isNodeProperty, MissingBoundError,
} from '../core/domains.ts';
import type { Domain, Envelope, Induction, InductionSource, MessageProperty, NodeProperty, RoleDomain, Universe } from '../core/domains.ts';
import { instantiate } from '../core/instance.ts';
import type { Instance } from '../core/instance.ts';
import type { NetworkOptions } from '../core/network.ts';
import { encode } from '../core/plain.ts';
import type { InFlight, NodeView, OutputRecord, Property, World } from '../core/properties.ts';
import type { Message, ParamValue, Protocol } from '../core/protocol.ts';
import { loadFromSource, sourceOf } from '../core/source.ts';
import type { ProtocolSource } from '../core/source.ts';
import { stepNode } from '../core/step.ts';
import type { NodeEvent, StepResult } from '../core/step.ts';
import type { Action } from '../core/trace.ts';
import { describeAction } from '../core/trace.ts';
import { PropertyError } from './expander.ts';
import { hashVector } from './fingerprints.ts';

export { DomainError, MissingBoundError } from '../core/domains.ts';

export interface InductOptions {
  /** The invariant: names of `always` properties (the protocol's and its induction's) or presets, as a list or comma-separated. */
  readonly invariant: string | readonly string[];
  /** Values for the bounds the domains declare (the others take their defaults). */
  readonly bounds?: Readonly<Record<string, number>>;
  /** Most states to examine one by one before giving up with UniverseTooLargeError. */
  readonly maxStates?: number;
  /** Threads that examine states. Counts and the counterexample are the same for any number. */
  readonly workers?: number;
  readonly onProgress?: (progress: InductProgress) => void;
  readonly progressIntervalMs?: number;
  /** Aborting ends the check soon after, with verdict `interrupted`. */
  readonly signal?: AbortSignal;
  /** Enumerate the nodes of the protocol's interchangeable roles in sorted order only (default: when it declares such roles). */
  readonly symmetry?: boolean;
  /** Network semantics (default: the protocol's). */
  readonly network?: Partial<NetworkOptions>;
  /** The domains and extra invariants; by default the protocol's own (`induction` field or attached). */
  readonly induction?: Induction;
  /** `fail` (default): a step leaving the declared domains is a counterexample; `allow`: it is only counted. */
  readonly escapes?: 'fail' | 'allow';
}

export interface InductProgress {
  readonly examined: number;
  readonly satisfying: number;
  readonly steps: number;
  /** Combinations of node states visited, of `nodeTuples`. */
  readonly tuples: number;
  readonly nodeTuples: bigint;
  readonly seconds: number;
  readonly statesPerSecond: number;
}

/** A global state of the universe, as plain data. */
export interface InductState {
  /** Every node's state, by node id. */
  readonly states: Readonly<Record<string, unknown>>;
  /** Every node's armed timers (sorted), by node id. */
  readonly timers: Readonly<Record<string, readonly string[]>>;
  readonly messages: readonly InFlight[];
}

export interface InductionCounterexample {
  /** `invariant`: the successor breaks a conjunct; `domain`: it leaves the declared domains. */
  readonly kind: 'invariant' | 'domain';
  /** A state of the universe that satisfies the invariant. */
  readonly before: InductState;
  readonly step: Action;
  /** The messages the step sent. */
  readonly sent: readonly InFlight[];
  readonly after: InductState;
  /** The conjuncts that are false after the step. */
  readonly violated: readonly string[];
  /** What left the domains (kind `domain`). */
  readonly outside?: string;
}

export interface UniverseSize {
  /** Every state of the bounded universe: node states times message bags. */
  readonly states: bigint;
  /** Per node: its local states (state and armed timers) in the domain. */
  readonly nodeStates: Readonly<Record<string, number>>;
  /** Per node: those that satisfy the invariant's per-node conjuncts. */
  readonly allowedNodeStates: Readonly<Record<string, number>>;
  /** Distinct messages in the message domain. */
  readonly messages: number;
  /** Bags (sets, on a duplicating network) of messages within the count bounds. */
  readonly messageBags: bigint;
  /** Combinations of allowed node states enumerated (interchangeable nodes in sorted order). */
  readonly nodeTuples: bigint;
  /** nodeTuples times messageBags: what is enumerated before the node-level and per-message conjuncts. */
  readonly enumerated: bigint;
}

export type InductVerdict = 'inductive' | 'not inductive' | 'interrupted';

export interface InductResult {
  readonly protocol: string;
  readonly params: Readonly<Record<string, ParamValue>>;
  readonly network: NetworkOptions;
  /** The conjuncts, presets expanded. */
  readonly invariant: readonly string[];
  readonly bounds: Readonly<Record<string, number>>;
  readonly symmetry: boolean;
  readonly workers: number;
  readonly verdict: InductVerdict;
  readonly counterexample?: InductionCounterexample;
  /** The protocol's initial state and whether it satisfies the invariant (the base case of the induction). */
  readonly initial: { readonly holds: boolean; readonly violated: readonly string[]; readonly state: InductState };
  readonly universe: UniverseSize;
  /** Combinations of node states visited (after the per-node conjuncts that read other nodes). */
  readonly tuples: number;
  /** States examined one by one (the rest of the universe was ruled out in blocks). */
  readonly examined: number;
  /** States that satisfy the invariant (each took every step). */
  readonly satisfying: number;
  /** Steps taken from satisfying states. */
  readonly steps: number;
  /** Successors judged (repeats within a block of node states are recognised by fingerprint and skipped). */
  readonly successors: number;
  /** Steps whose successor has more messages in flight than the count bounds allow (still judged). */
  readonly beyondBounds: number;
  /** Steps whose successor left the declared domains, when escapes are allowed (still judged). */
  readonly escapes: number;
  /**
   * True when the verdict `inductive` holds for any number of messages in flight, not only up to the
   * bound: every conjunct is per-node, per-message, or does not read the messages at all, and bags of
   * two messages (at least two of every type) were covered. A step consumes at most one message and
   * changes at most one node, so a conjunct it breaks would already break next to at most two messages.
   */
  readonly anyMessageCount: boolean;
  readonly seconds: number;
  /** 0 inductive and true initially, 1 a counterexample to induction or an initial state that breaks the invariant, 3 interrupted. */
  readonly exitCode: 0 | 1 | 3;
}

/** Bad options: an unknown bound, an unsupported network, a bad number. */
export class InductOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InductOptionsError';
  }
}

/** The invariant names a property that neither the protocol nor its induction declares as `always`. */
export class UnknownInvariantError extends Error {
  readonly unknown: readonly string[];
  readonly declared: readonly string[];
  constructor(protocol: string, unknown: readonly string[], declared: readonly string[], presets: readonly string[], note = '') {
    const list = (xs: readonly string[]) => xs.map((x) => JSON.stringify(x)).join(', ');
    super(`${protocol} declares no always property ${list(unknown)}${note} (declared: ${list(declared)}${presets.length ? `; presets: ${list(presets)}` : ''})`);
    this.name = 'UnknownInvariantError';
    this.unknown = unknown;
    this.declared = declared;
  }
}

/** The protocol declares no domains, so its states cannot be enumerated. */
export class NoDomainsError extends Error {
  constructor(protocol: string) {
    super(`${protocol} declares no domains for its node states and messages, so its invariants cannot be checked for inductiveness: declare them with defineInduction (see src/core/domains.ts) and pass them as the induction option or attach them to the protocol`);
    this.name = 'NoDomainsError';
  }
}

/** More states would have to be examined one by one than `maxStates` allows. */
export class UniverseTooLargeError extends Error {
  readonly universe: UniverseSize;
  readonly maxStates: number;
  constructor(protocol: string, universe: UniverseSize, maxStates: number, bounds: Readonly<Record<string, number>>) {
    const boundList = Object.entries(bounds).map(([k, v]) => `${k}=${v}`).join(', ');
    super(`the bounded universe of ${protocol} has ${formatCount(universe.states)} states; after the per-node conjuncts and symmetry ${formatCount(universe.enumerated)} remain ` +
      `(${formatCount(universe.nodeTuples)} combinations of node states times ${formatCount(universe.messageBags)} bags of messages), ` +
      `and more than maxStates=${formatCount(maxStates)} of them had to be examined one by one without finding a counterexample to induction: ` +
      `lower a bound${boundList ? ` (now ${boundList})` : ''} or the parameters, strengthen the invariant with everyNode or everyMessage conjuncts that rule states out in blocks, or raise maxStates`);
    this.name = 'UniverseTooLargeError';
    this.universe = universe;
    this.maxStates = maxStates;
  }
}

export const DEFAULT_MAX_STATES = 20_000_000;
const BLOCK = 128;

// ---- the universe, resolved ---------------------------------------------------------------------

interface Local {
  readonly state: unknown;
  readonly timers: readonly string[];
}

/** The local states of one node (or of every node of a role sharing one domain). */
interface LocalSpace {
  readonly locals: readonly Local[];
  readonly keyIndex: ReadonlyMap<string, number>;
}

interface Resolved {
  readonly inst: Instance;
  readonly induction: Induction;
  readonly names: readonly string[];
  readonly conjuncts: readonly Property[];
  readonly bounds: Readonly<Record<string, number>>;
  readonly symmetry: boolean;
  readonly escapes: 'fail' | 'allow';
  readonly maxStates: number;
}

class OutputsRead extends Error {}
class MessagesRead extends Error {}
class Unassigned extends Error {}
class SameRoleRead extends Error {}

/** A World over node views and (optionally) messages; reading the messages of a node-only world is recorded. */
class InductWorld implements World {
  readMessages = false;
  constructor(private readonly space: Space, readonly nodes: readonly NodeView[], private readonly msgs: readonly InFlight[] | null) {}
  get params() { return this.space.inst.params; }
  get messages(): readonly InFlight[] {
    if (this.msgs === null) {
      this.readMessages = true;
      return NO_MESSAGES;
    }
    return this.msgs;
  }
  get outputs(): readonly OutputRecord[] {
    throw new OutputsRead();
  }
  node(id: string): NodeView {
    const i = this.space.inst.topo.index.get(id);
    if (i === undefined) throw new Error(`no node ${JSON.stringify(id)} (nodes: ${this.space.ids.join(', ')})`);
    return this.nodes[i];
  }
  statesOf<S = any>(role: string): S[] {
    const indices = this.space.inst.topo.indicesOf(role);
    const out = new Array<S>(indices.length);
    for (let j = 0; j < indices.length; j++) out[j] = this.nodes[indices[j]].state as S;
    return out;
  }
}

/**
 * The World an `everyNode` predicate of node `self` sees while node states are being chosen: the
 * nodes chosen so far of other roles. Reading a node not chosen yet ends the evaluation undecided;
 * reading another node of the same role, or the messages, breaks the predicate's contract.
 */
class PartialWorld implements World {
  self = 0;
  private proxy?: NodeView[];
  constructor(private readonly space: Space, readonly views: (NodeView | undefined)[]) {}
  get params() { return this.space.inst.params; }
  private at(i: number): NodeView {
    if (i !== this.self && this.space.roleOf[i] === this.space.roleOf[this.self]) throw new SameRoleRead();
    const v = this.views[i];
    if (!v) throw new Unassigned();
    return v;
  }
  get nodes(): readonly NodeView[] {
    if (!this.proxy) {
      const target = new Array<NodeView | null>(this.space.n).fill(null) as NodeView[];
      this.proxy = new Proxy(target, {
        get: (t, key, receiver) => (typeof key === 'string' && /^\d+$/.test(key) && Number(key) < this.space.n ? this.at(Number(key)) : Reflect.get(t, key, receiver)),
      });
    }
    return this.proxy;
  }
  get messages(): readonly InFlight[] { throw new MessagesRead(); }
  get outputs(): readonly OutputRecord[] { throw new OutputsRead(); }
  node(id: string): NodeView {
    const i = this.space.inst.topo.index.get(id);
    if (i === undefined) throw new Error(`no node ${JSON.stringify(id)} (nodes: ${this.space.ids.join(', ')})`);
    return this.at(i);
  }
  statesOf<S = any>(role: string): S[] {
    return this.space.inst.topo.indicesOf(role).map((i) => this.at(i).state as S);
  }
}

const NO_MESSAGES: readonly InFlight[] = Object.freeze([]);

const FALSE = 0;
const TRUE = 1;
const UNDECIDED = 2;

interface StepOutcome {
  /** Index of the new local state in the node's domain, or -1 when it is outside. */
  readonly local: number;
  readonly view: NodeView;
  /** Envelope indices of the messages sent, -1 for one outside the message domain. */
  readonly sends: Int32Array;
  readonly sent: readonly InFlight[];
}

interface TupleInfo {
  readonly views: NodeView[];
  readonly world: InductWorld;
  /** Whether a conjunct that does not read the messages is false. */
  readonly failed: boolean;
  /** Conjuncts that read the messages in flight (judged per bag). */
  readonly dependent: readonly Property[];
  /** Per envelope: 0 not yet judged, 1 allowed by every per-message conjunct, 2 ruled out. */
  readonly admissible: Int8Array;
}

interface BlockResult {
  readonly block: number;
  examined: number;
  satisfying: number;
  steps: number;
  successors: number;
  beyond: number;
  escapes: number;
  tuples: number;
  /** Whether some conjunct other than a per-message one read the messages in flight. */
  dependent: boolean;
  cti?: InductionCounterexample;
  overflow?: boolean;
}

function newBlockResult(block: number): BlockResult {
  return { block, examined: 0, satisfying: 0, steps: 0, successors: 0, beyond: 0, escapes: 0, tuples: 0, dependent: false };
}

/** Open-addressing set of 64-bit fingerprints, cleared per block of node states. */
class FingerprintTable {
  private slots = new Int32Array(1 << 17);
  private count = 0;
  add(hi: number, lo: number): boolean {
    if (this.count * 4 > this.slots.length) this.grow();
    return this.insert(hi, lo);
  }
  private insert(hi: number, lo: number): boolean {
    const mask = (this.slots.length >> 1) - 1;
    let slot = (hi ^ (lo >>> 7)) & mask;
    for (;;) {
      const at = slot << 1;
      const h = this.slots[at];
      if (h === 0) {
        this.slots[at] = hi;
        this.slots[at + 1] = lo;
        this.count++;
        return true;
      }
      if (h === hi && this.slots[at + 1] === lo) return false;
      slot = (slot + 1) & mask;
    }
  }
  private grow(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2);
    this.count = 0;
    for (let at = 0; at < old.length; at += 2) if (old[at] !== 0) this.insert(old[at], old[at + 1]);
  }
  clear(): void {
    if (this.count > 0) this.slots.fill(0);
    this.count = 0;
  }
}

function binomial(n: number, k: number): bigint {
  if (k < 0 || k > n) return 0n;
  let r = 1n;
  for (let i = 1; i <= k; i++) r = (r * BigInt(n - k + i)) / BigInt(i);
  return r;
}

function multichoose(n: number, k: number): bigint {
  return k === 0 ? 1n : binomial(n + k - 1, k);
}

/** Everything the enumeration needs, built the same way in the main thread and in every worker. */
class Space {
  readonly inst: Instance;
  readonly n: number;
  readonly ids: readonly string[];
  readonly roleOf: readonly string[];
  readonly spaces: LocalSpace[] = [];
  readonly views: NodeView[][] = [];
  /** Per node and local state: 1 unless a per-node conjunct is false of it alone. */
  readonly localOk: Uint8Array[] = [];
  readonly allowed: Int32Array[] = [];
  /** Per node: the per-node conjuncts that read other nodes (decided once those are chosen). */
  readonly contextual: NodeProperty[][] = [];
  /** For an interchangeable node, the previous node of its group (its local index may not be smaller), else -1. */
  readonly prevSym: Int32Array;
  readonly envelopes: readonly Envelope[] = [];
  readonly inFlight: readonly InFlight[] = [];
  readonly envIndex = new Map<string, number>();
  readonly envTo: Int32Array;
  readonly envKind: Int32Array;
  readonly kinds: readonly string[];
  readonly kindCap: Int32Array;
  readonly maxInFlight: number;
  readonly duplicating: boolean;
  readonly lossy: boolean;
  readonly messageConjuncts: readonly MessageProperty[];
  readonly generalConjuncts: readonly Property[];
  readonly timerCodes: Map<string, number>[] = [];
  readonly universe: UniverseSize;
  /** Set when a conjunct other than a per-message one read the messages in flight. */
  sawDependent = false;
  private readonly memo: Map<number, StepOutcome>[];
  private readonly stride: number;

  constructor(readonly plan: Resolved) {
    const inst = (this.inst = plan.inst);
    const topo = inst.topo;
    this.n = topo.ids.length;
    this.ids = topo.ids;
    this.roleOf = topo.decls.map((d) => d.role);
    this.duplicating = inst.network.duplicating;
    this.lossy = inst.network.lossy;
    const nodeConjuncts = plan.conjuncts.filter(isNodeProperty);
    this.messageConjuncts = plan.conjuncts.filter(isMessageProperty);
    this.generalConjuncts = plan.conjuncts.filter((p) => !isNodeProperty(p) && !isMessageProperty(p));

    const universe = buildUniverse(plan);
    const roleSpaces = new Map<string, LocalSpace>();
    const alone = new PartialWorld(this, new Array(this.n).fill(undefined));
    for (let i = 0; i < this.n; i++) {
      const decl = topo.decls[i];
      const rd = universe.roles[decl.role];
      if (rd === undefined) {
        throw new DomainError(`the domains of ${inst.protocol.name} declare no states for role ${decl.role} (declared roles: ${Object.keys(universe.roles).join(', ') || 'none'})`);
      }
      const roleDomain: RoleDomain = isDomain(rd) ? { state: rd } : rd;
      const timerNames = Object.keys(decl.def.timers ?? {}).sort();
      let space: LocalSpace;
      if (typeof roleDomain.state === 'function') {
        space = localSpace(`${decl.role} ${decl.id}`, roleDomain.state(decl.id), roleDomain.timers, timerNames);
      } else {
        space = roleSpaces.get(decl.role) ?? localSpace(decl.role, roleDomain.state, roleDomain.timers, timerNames);
        roleSpaces.set(decl.role, space);
      }
      this.spaces.push(space);
      const codes = new Map<string, number>();
      timerNames.forEach((t) => codes.set(t, codes.size));
      this.timerCodes.push(codes);
      this.views.push(space.locals.map((l) => ({ id: decl.id, role: decl.role, state: l.state, crashed: false, timers: l.timers })));
      // Per-node conjuncts judged on the node alone: false rules the local state out, undecided
      // (it read another node) leaves it to be judged once the other nodes are chosen.
      const mine = nodeConjuncts.filter((p) => p.role === decl.role);
      const ok = new Uint8Array(space.locals.length);
      const contextual = new Set<NodeProperty>();
      const allowed: number[] = [];
      alone.self = i;
      for (let k = 0; k < ok.length; k++) {
        alone.views[i] = this.views[i][k];
        let good = true;
        for (const p of mine) {
          const v = judgeNode(p, this.views[i][k], alone);
          if (v === UNDECIDED) contextual.add(p);
          else if (v === FALSE) { good = false; break; }
        }
        ok[k] = good ? 1 : 0;
        if (good) allowed.push(k);
      }
      alone.views[i] = undefined;
      this.localOk.push(ok);
      this.allowed.push(Int32Array.from(allowed));
      this.contextual.push(mine.filter((p) => contextual.has(p)));
    }

    // Interchangeable nodes: in sorted order only, which needs the same domain for each of them.
    this.prevSym = new Int32Array(this.n).fill(-1);
    if (plan.symmetry) {
      for (const group of inst.symmetry) {
        for (let j = 1; j < group.length; j++) {
          const [a, b] = [group[j - 1], group[j]];
          if (this.spaces[a] !== this.spaces[b]) {
            throw new InductOptionsError(`symmetry needs one domain for every node of an interchangeable role, but ${this.ids[a]} and ${this.ids[b]} have their own: declare the role's state as one domain, or turn symmetry off`);
          }
          this.prevSym[b] = a;
        }
      }
    }

    // Messages.
    const envelopes: Envelope[] = [];
    const kinds: string[] = [];
    const kindOf = new Map<string, number>();
    for (const e of universe.messages.values()) {
      const env = e as Envelope;
      if (typeof env !== 'object' || env === null || typeof env.from !== 'string' || typeof env.to !== 'string' || typeof env.msg?.type !== 'string') {
        throw new DomainError(`the message domain of ${inst.protocol.name} holds ${encode(e)}, which is not a message in flight { from, to, msg: { type, ... } }: build it with envelopes()`);
      }
      for (const end of [env.from, env.to]) {
        if (!topo.index.has(end)) throw new DomainError(`the message domain of ${inst.protocol.name} has a message ${env.from === end ? 'from' : 'to'} ${JSON.stringify(end)}, which is not a node (nodes: ${this.ids.join(', ')})`);
      }
      const key = envelopeKey(env.from, env.to, env.msg);
      if (this.envIndex.has(key)) continue;
      this.envIndex.set(key, envelopes.length);
      envelopes.push(env);
      if (!kindOf.has(env.msg.type)) { kindOf.set(env.msg.type, kinds.length); kinds.push(env.msg.type); }
    }
    this.envelopes = envelopes;
    this.inFlight = envelopes.map((e) => ({ from: e.from, to: e.to, msg: e.msg }));
    this.envTo = Int32Array.from(envelopes, (e) => topo.index.get(e.to)!);
    this.envKind = Int32Array.from(envelopes, (e) => kindOf.get(e.msg.type)!);
    this.kinds = kinds;
    this.maxInFlight = wholeOf('maxInFlight of the domains', universe.maxInFlight, 0);
    const per = universe.maxPerType;
    this.kindCap = Int32Array.from(kinds, (k) => {
      const cap = per === undefined ? this.maxInFlight : typeof per === 'number' ? per : per[k] ?? this.maxInFlight;
      return Math.min(this.maxInFlight, wholeOf(`maxPerType of ${k}`, cap, 0));
    });

    this.stride = envelopes.length + Math.max(0, ...this.timerCodes.map((c) => c.size)) + 1;
    this.memo = Array.from({ length: this.n }, () => new Map());
    this.universe = this.size();
  }

  // ---- sizes ------------------------------------------------------------------------------------

  private size(): UniverseSize {
    const count = new Array<number>(this.kinds.length).fill(0);
    for (let e = 0; e < this.envelopes.length; e++) count[this.envKind[e]]++;
    let poly: bigint[] = [1n];
    this.kinds.forEach((_, k) => {
      const term: bigint[] = [];
      for (let j = 0; j <= this.kindCap[k]; j++) term.push(this.duplicating ? binomial(count[k], j) : multichoose(count[k], j));
      const next = new Array<bigint>(Math.min(this.maxInFlight, poly.length - 1 + term.length - 1) + 1).fill(0n);
      poly.forEach((a, i) => term.forEach((b, j) => { if (i + j <= this.maxInFlight) next[i + j] += a * b; }));
      poly = next;
    });
    const messageBags = poly.reduce((a, b) => a + b, 0n);
    let nodes = 1n;
    let tuples = 1n;
    const nodeStates: Record<string, number> = {};
    const allowedNodeStates: Record<string, number> = {};
    for (let i = 0; i < this.n; i++) {
      nodes *= BigInt(this.spaces[i].locals.length);
      nodeStates[this.ids[i]] = this.spaces[i].locals.length;
      allowedNodeStates[this.ids[i]] = this.allowed[i].length;
    }
    // A group of r interchangeable nodes in sorted order: multisets of r states out of d.
    for (let i = 0; i < this.n; i++) {
      if (this.prevSym[i] >= 0) continue;
      let r = 1;
      for (let j = i + 1; j < this.n; j++) if (this.prevSym[j] >= 0 && this.groupHead(j) === i) r++;
      tuples *= r === 1 ? BigInt(this.allowed[i].length) : multichoose(this.allowed[i].length, r);
    }
    return { states: nodes * messageBags, nodeStates, allowedNodeStates, messages: this.envelopes.length, messageBags, nodeTuples: tuples, enumerated: tuples * messageBags };
  }

  private groupHead(i: number): number {
    while (this.prevSym[i] >= 0) i = this.prevSym[i];
    return i;
  }

  // ---- node steps -------------------------------------------------------------------------------

  /** Node `i` in local state `k` handling a timer (by name) or a message (by envelope index), memoized. */
  step(i: number, k: number, env: number, timer: string | null): StepOutcome {
    const code = timer === null ? env : this.envelopes.length + this.timerCodes[i].get(timer)!;
    const key = k * this.stride + code;
    let r = this.memo[i].get(key);
    if (r) return r;
    const view = this.views[i][k];
    const event: NodeEvent = timer === null
      ? { kind: 'message', from: this.envelopes[env].from, msg: this.envelopes[env].msg }
      : { kind: 'timer', name: timer };
    r = this.outcome(i, view.timers, timer, stepNode(this.inst.topo, i, view.state, event));
    this.memo[i].set(key, r);
    return r;
  }

  /** The local state and sends that a handler's result amounts to, as the checker's model computes them. */
  outcome(i: number, timersIn: readonly string[], fired: string | null, res: StepResult): StepOutcome {
    const timers = new Set(fired === null ? timersIn : timersIn.filter((t) => t !== fired));
    const sends: number[] = [];
    const sent: InFlight[] = [];
    for (const e of res.effects) {
      switch (e.kind) {
        case 'send':
          sends.push(this.envIndex.get(envelopeKey(this.ids[i], e.to, e.msg)) ?? -1);
          sent.push({ from: this.ids[i], to: e.to, msg: e.msg });
          break;
        case 'setTimer': timers.add(e.name); break;
        case 'cancelTimer': timers.delete(e.name); break;
        case 'output': break;
      }
    }
    const timerList = [...timers].sort();
    const local = this.spaces[i].keyIndex.get(`${res.encoded}#${encode(timerList)}`) ?? -1;
    const decl = this.inst.topo.decls[i];
    const view = local >= 0 ? this.views[i][local] : { id: decl.id, role: decl.role, state: res.state, crashed: false, timers: timerList };
    return { local, view, sends: Int32Array.from(sends), sent };
  }

  // ---- judging ----------------------------------------------------------------------------------

  /** Node-level facts about one combination of node states. */
  tupleInfo(locals: Int32Array): TupleInfo {
    const views = new Array<NodeView>(this.n);
    for (let i = 0; i < this.n; i++) views[i] = this.views[i][locals[i]];
    return this.infoOf(views);
  }

  infoOf(views: NodeView[]): TupleInfo {
    const world = new InductWorld(this, views, null);
    const info = (failed: boolean, dependent: Property[]): TupleInfo => ({ views, world, failed, dependent, admissible: new Int8Array(this.envelopes.length) });
    let full: PartialWorld | undefined;
    for (let i = 0; i < this.n; i++) {
      if (this.contextual[i].length === 0) continue;
      full ??= new PartialWorld(this, views);
      full.self = i;
      for (const p of this.contextual[i]) if (judgeNode(p, views[i], full) !== TRUE) return info(true, []);
    }
    const dependent: Property[] = [];
    for (const p of this.generalConjuncts) {
      world.readMessages = false;
      const ok = evaluate(p, () => p.holds(world));
      if (world.readMessages) dependent.push(p);
      else if (!ok) return info(true, dependent);
    }
    if (dependent.length > 0) this.sawDependent = true;
    return info(false, dependent);
  }

  admissible(info: TupleInfo, e: number): boolean {
    let a = info.admissible[e];
    if (a === 0) {
      a = 1;
      for (const p of this.messageConjuncts) {
        info.world.readMessages = false;
        const ok = evaluate(p, () => p.message(info.world, this.inFlight[e]));
        if (info.world.readMessages) throw new InductOptionsError(`the per-message conjunct ${JSON.stringify(p.name)} reads world.messages: an everyMessage predicate may read the node states and its own message only`);
        if (!ok) { a = 2; break; }
      }
      info.admissible[e] = a;
    }
    return a === 1;
  }

  /** Whether the bag `bag[0..t)` (sorted envelope indices) passes the conjuncts that read messages. */
  dependentHold(info: TupleInfo, bag: Int32Array, t: number): boolean {
    if (info.dependent.length === 0) return true;
    const world = new InductWorld(this, info.views, this.messagesOf(bag, t));
    for (const p of info.dependent) if (!evaluate(p, () => p.holds(world))) return false;
    return true;
  }

  messagesOf(bag: Int32Array, t: number): InFlight[] {
    const out = new Array<InFlight>(t);
    for (let j = 0; j < t; j++) out[j] = this.inFlight[bag[j]];
    return out;
  }

  /** The names of the conjuncts false in a state, each judged on its own. */
  violated(views: NodeView[], messages: readonly InFlight[]): string[] {
    const world = new InductWorld(this, views, messages);
    return this.plan.conjuncts.filter((p) => !evaluate(p, () => p.holds(world))).map((p) => p.name);
  }

  plainState(views: readonly NodeView[], messages: readonly InFlight[]): InductState {
    const states: Record<string, unknown> = {};
    const timers: Record<string, readonly string[]> = {};
    views.forEach((v) => { states[v.id] = v.state; timers[v.id] = v.timers; });
    return { states, timers, messages: [...messages] };
  }

  /** The protocol's initial state (every node started, its sends in flight) and the conjuncts false in it. */
  initial(): { state: InductState; violated: string[] } {
    const views: NodeView[] = [];
    const messages: InFlight[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < this.n; i++) {
      const r = this.outcome(i, [], null, stepNode(this.inst.topo, i, null, { kind: 'start' }));
      views.push(r.view);
      for (const m of r.sent) {
        const key = envelopeKey(m.from, m.to, m.msg);
        if (this.duplicating && seen.has(key)) continue;
        seen.add(key);
        messages.push(m);
      }
    }
    return { state: this.plainState(views, messages), violated: this.violated(views, messages) };
  }
}

function envelopeKey(from: string, to: string, msg: Message): string {
  return `${from}|${to}|${encode(msg)}`;
}

function wholeOf(what: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
    throw new DomainError(`${what} must be a whole number of at least ${min}, got ${v === undefined ? 'undefined (is a bound missing?)' : String(v)}`);
  }
  return v;
}

function localSpace(what: string, state: Domain, timers: Domain<readonly string[]> | undefined, timerNames: readonly string[]): LocalSpace {
  if (!isDomain(state)) throw new DomainError(`the state domain of ${what} is not a domain`);
  let timerSets: (readonly string[])[];
  if (timers === undefined) {
    timerSets = [];
    for (let mask = 0; mask < 1 << timerNames.length; mask++) timerSets.push(timerNames.filter((_, b) => mask & (1 << b)));
    timerSets.sort((a, b) => a.length - b.length);
  } else {
    if (!isDomain(timers)) throw new DomainError(`the timer domain of ${what} is not a domain`);
    timerSets = timers.values().map((set) => {
      if (!Array.isArray(set)) throw new DomainError(`the timer domain of ${what} holds ${encode(set)}, which is not an array of timer names`);
      for (const t of set) {
        if (!timerNames.includes(t)) throw new DomainError(`the timer domain of ${what} holds timer ${JSON.stringify(t)}, which the role has no handler for (its timers: ${timerNames.join(', ') || 'none'})`);
      }
      return [...new Set(set)].sort();
    });
  }
  const locals: Local[] = [];
  const keyIndex = new Map<string, number>();
  for (const s of state.values()) {
    const encoded = encode(s, 'state', `the state domain of ${what}`);
    for (const t of timerSets) {
      const key = `${encoded}#${encode(t)}`;
      if (keyIndex.has(key)) continue;
      keyIndex.set(key, locals.length);
      locals.push({ state: s, timers: t });
    }
  }
  return { locals, keyIndex };
}

function rethrow(p: Property, err: unknown): never {
  if (err instanceof OutputsRead) {
    throw new InductOptionsError(`the conjunct ${JSON.stringify(p.name)} reads the outputs, which inductive checking does not model: state it over node states and messages`);
  }
  if (err instanceof InductOptionsError) throw err;
  throw new PropertyError(p, err);
}

function evaluate(p: Property, run: () => boolean): boolean {
  try {
    return run() === true;
  } catch (err) {
    rethrow(p, err);
  }
}

/** A per-node conjunct of one node: TRUE, FALSE, or UNDECIDED when it read a node not chosen yet. */
function judgeNode(p: NodeProperty, view: NodeView, world: PartialWorld): number {
  try {
    return p.node(view, world) === true ? TRUE : FALSE;
  } catch (err) {
    if (err instanceof Unassigned) return UNDECIDED;
    if (err instanceof SameRoleRead) throw new InductOptionsError(`the per-node conjunct ${JSON.stringify(p.name)} reads another node of role ${p.role}: an everyNode predicate may read its own node and the nodes of other roles`);
    if (err instanceof MessagesRead) throw new InductOptionsError(`the per-node conjunct ${JSON.stringify(p.name)} reads the messages in flight: use everyMessage or always for that`);
    rethrow(p, err);
  }
}

function buildUniverse(plan: Resolved): Universe {
  const { inst, induction } = plan;
  const topo = inst.topo;
  const ctx = {
    params: inst.params,
    bounds: plan.bounds,
    bound(name: string): number {
      if (!(name in induction.bounds)) throw new DomainError(`the domains of ${inst.protocol.name} read the bound ${JSON.stringify(name)}, which they do not declare (declared: ${Object.keys(induction.bounds).join(', ') || 'none'})`);
      const v = plan.bounds[name];
      if (v === undefined) throw new MissingBoundError(inst.protocol.name, [{ name, description: induction.bounds[name].description }]);
      return v;
    },
    nodes: topo.ids,
    nodesOf: (role: string) => topo.nodesOf(role),
  };
  const universe = induction.domains(ctx);
  if (typeof universe !== 'object' || universe === null || typeof universe.roles !== 'object' || !isDomain(universe.messages)) {
    throw new DomainError(`the domains of ${inst.protocol.name} must return { roles, messages, maxInFlight }`);
  }
  return universe;
}

// ---- enumeration --------------------------------------------------------------------------------

/**
 * Walks the combinations of node states in order, the last node fastest, interchangeable nodes in
 * sorted order. A node's candidates are its allowed local states, filtered by the per-node conjuncts
 * that read the nodes of other roles chosen before it.
 */
class TupleWalker {
  readonly locals: Int32Array;
  private readonly cands: Int32Array[];
  private readonly pos: Int32Array;
  private readonly world: PartialWorld;
  private readonly cacheKey: (string | undefined)[];
  private readonly cacheList: Int32Array[];
  ordinal = 0;
  done = false;

  constructor(private readonly space: Space) {
    const n = space.n;
    this.locals = new Int32Array(n);
    this.cands = new Array(n);
    this.pos = new Int32Array(n);
    this.world = new PartialWorld(space, new Array(n).fill(undefined));
    this.cacheKey = new Array(n).fill(undefined);
    this.cacheList = new Array(n);
    this.enter(0);
    this.done = !this.settle(0);
  }

  /** Computes the candidates of depth `d` and its first position. */
  private enter(d: number): void {
    const c = (this.cands[d] = this.candidates(d));
    const prev = this.space.prevSym[d];
    let p = 0;
    if (prev >= 0) while (p < c.length && c[p] < this.locals[prev]) p++;
    this.pos[d] = p;
  }

  /** From depth `d` on, moves to the next full combination at or after the current positions. */
  private settle(d: number): boolean {
    const n = this.space.n;
    while (d < n) {
      if (this.pos[d] < this.cands[d].length) {
        this.locals[d] = this.cands[d][this.pos[d]];
        d++;
        if (d < n) this.enter(d);
      } else {
        d--;
        if (d < 0) return false;
        this.pos[d]++;
      }
    }
    return true;
  }

  next(): void {
    if (this.done) return;
    this.pos[this.space.n - 1]++;
    this.done = !this.settle(this.space.n - 1);
    if (!this.done) this.ordinal++;
  }

  seek(ordinal: number): void {
    while (!this.done && this.ordinal < ordinal) this.next();
  }

  private candidates(d: number): Int32Array {
    const space = this.space;
    const preds = space.contextual[d];
    if (preds.length === 0) return space.allowed[d];
    // The verdicts depend only on the node itself and the chosen nodes of other roles.
    const role = space.roleOf[d];
    let key = '';
    for (let i = 0; i < d; i++) if (space.roleOf[i] !== role) key += `${this.locals[i]},`;
    if (this.cacheKey[d] === key) return this.cacheList[d];
    const w = this.world;
    for (let i = 0; i < space.n; i++) w.views[i] = i < d && space.roleOf[i] !== role ? space.views[i][this.locals[i]] : undefined;
    w.self = d;
    const out: number[] = [];
    for (const k of space.allowed[d]) {
      w.views[d] = space.views[d][k];
      let keep = true;
      for (const p of preds) if (judgeNode(p, space.views[d][k], w) === FALSE) { keep = false; break; }
      if (keep) out.push(k);
    }
    const list = Int32Array.from(out);
    this.cacheKey[d] = key;
    this.cacheList[d] = list;
    return list;
  }
}

/** Examines blocks of node-state combinations; the same in the main thread and in workers. */
class Examiner {
  private readonly walker: TupleWalker;
  private readonly seen = new FingerprintTable();
  private readonly cache = new Map<string, TupleInfo>();
  private readonly fp = new Int32Array(2);
  private readonly bag: Int32Array;
  private readonly kindCount: Int32Array;
  private readonly succKinds: Int32Array;
  private scratch = new Int32Array(64);
  private vec = new Int32Array(64);
  private readonly succLocals: Int32Array;

  constructor(readonly space: Space) {
    this.walker = new TupleWalker(space);
    this.bag = new Int32Array(Math.max(1, space.maxInFlight));
    this.kindCount = new Int32Array(space.kinds.length);
    this.succKinds = new Int32Array(space.kinds.length);
    this.succLocals = new Int32Array(space.n);
  }

  /**
   * Examines block `b` (combinations b*BLOCK up to (b+1)*BLOCK), or returns null when there are not
   * that many; stops at the first counterexample, or when more than `budget` states were examined.
   */
  block(b: number, budget: number): BlockResult | null {
    const w = this.walker;
    w.seek(b * BLOCK);
    if (w.done) return null;
    const out = newBlockResult(b);
    this.seen.clear();
    this.cache.clear();
    this.space.sawDependent = false;
    while (!w.done && w.ordinal < (b + 1) * BLOCK) {
      out.tuples++;
      const stop = this.tuple(w.locals, out, budget);
      if (stop) break;
      w.next();
    }
    out.dependent = this.space.sawDependent;
    return out;
  }

  /** Every bag of messages next to one combination of node states; true to stop. */
  private tuple(locals: Int32Array, out: BlockResult, budget: number): boolean {
    const space = this.space;
    const info = space.tupleInfo(locals);
    if (info.failed) {
      out.examined++;
      return out.examined > budget ? (out.overflow = true) : false;
    }
    const adm: number[] = [];
    for (let e = 0; e < space.envelopes.length; e++) if (space.admissible(info, e)) adm.push(e);
    for (let t = 0; t <= space.maxInFlight; t++) {
      if (this.bags(info, locals, adm, 0, 0, t, out, budget)) return true;
    }
    return false;
  }

  private bags(info: TupleInfo, locals: Int32Array, adm: number[], depth: number, from: number, t: number, out: BlockResult, budget: number): boolean {
    const space = this.space;
    if (depth === t) {
      out.examined++;
      if (out.examined > budget) return (out.overflow = true);
      if (!space.dependentHold(info, this.bag, t)) return false;
      out.satisfying++;
      return this.expand(info, locals, t, out);
    }
    for (let a = from; a < adm.length; a++) {
      const e = adm[a];
      const k = space.envKind[e];
      if (this.kindCount[k] >= space.kindCap[k]) continue;
      this.bag[depth] = e;
      this.kindCount[k]++;
      const stop = this.bags(info, locals, adm, depth + 1, space.duplicating ? a + 1 : a, t, out, budget);
      this.kindCount[k]--;
      if (stop) return true;
    }
    return false;
  }

  /** Every step from one satisfying state; true when a counterexample was found. */
  private expand(info: TupleInfo, locals: Int32Array, t: number, out: BlockResult): boolean {
    const space = this.space;
    const bag = this.bag;
    for (let i = 0; i < space.n; i++) {
      const timers = info.views[i].timers;
      for (let j = 0; j < timers.length; j++) {
        const r = space.step(i, locals[i], -1, timers[j]);
        if (this.successor(info, locals, t, i, r, -1, { kind: 'timer', node: space.ids[i], timer: timers[j] }, out)) return true;
      }
    }
    for (let p = 0; p < t; p++) {
      if (p > 0 && bag[p] === bag[p - 1]) continue;
      const e = bag[p];
      const to = space.envTo[e];
      const r = space.step(to, locals[to], e, null);
      const m = space.inFlight[e];
      if (this.successor(info, locals, t, to, r, space.duplicating ? -1 : p, { kind: 'deliver', node: m.to, from: m.from, msg: m.msg }, out)) return true;
    }
    if (space.lossy) {
      for (let p = 0; p < t; p++) {
        if (p > 0 && bag[p] === bag[p - 1]) continue;
        const m = space.inFlight[bag[p]];
        if (this.successor(info, locals, t, -1, null, p, { kind: 'drop', node: m.to, from: m.from, msg: m.msg }, out)) return true;
      }
    }
    return false;
  }

  /**
   * Judges one successor: node `i` moves per `r` (none when i < 0), the message at bag position
   * `remove` is consumed (none when < 0) and `r`'s sends are added. True when it is a counterexample.
   */
  private successor(info: TupleInfo, locals: Int32Array, t: number, i: number, r: StepOutcome | null, remove: number, action: Action, out: BlockResult): boolean {
    const space = this.space;
    out.steps++;
    const sends = r ? r.sends : EMPTY;
    const escaped = (r !== null && r.local < 0) || sends.includes(-1);
    // The successor's bag, sorted.
    const cap = t + sends.length;
    if (this.scratch.length < cap) this.scratch = new Int32Array(cap * 2);
    const nb = this.scratch;
    let len = 0;
    for (let p = 0; p < t; p++) if (p !== remove) nb[len++] = this.bag[p];
    for (let s = 0; s < sends.length; s++) {
      const id = sends[s];
      if (id < 0) continue;
      let at = len;
      while (at > 0 && nb[at - 1] > id) at--;
      if (space.duplicating && at > 0 && nb[at - 1] === id) continue;
      nb.copyWithin(at + 1, at, len);
      nb[at] = id;
      len++;
    }

    if (escaped) {
      const views = info.views.slice();
      if (r && i >= 0) views[i] = r.view;
      const messages = space.messagesOf(nb, len);
      for (let s = 0; s < sends.length; s++) if (sends[s] < 0) messages.push(r!.sent[s]);
      const violated = space.violated(views, messages);
      if (violated.length > 0 || space.plan.escapes === 'fail') {
        out.cti = this.counterexample(info, t, views, messages, action, r, violated);
        return true;
      }
      out.escapes++;
      return false;
    }

    if (len > space.maxInFlight || this.overKindCap(nb, len)) out.beyond++;
    const sl = this.succLocals;
    sl.set(locals);
    if (r && i >= 0) sl[i] = r.local;
    // The fingerprint of (node states, bag) recognises repeats.
    const size = space.n + len + 1;
    if (this.vec.length < size) this.vec = new Int32Array(size * 2);
    const vec = this.vec;
    vec.set(sl, 0);
    vec[space.n] = -1;
    for (let p = 0; p < len; p++) vec[space.n + 1 + p] = nb[p];
    hashVector(vec.subarray(0, size), this.fp);
    if (!this.seen.add(this.fp[0], this.fp[1])) return false;
    out.successors++;

    let ok = true;
    let succInfo = info;
    if (r && i >= 0 && r.local !== locals[i]) {
      if (!space.localOk[i][r.local]) ok = false;
      else succInfo = this.infoFor(sl);
    }
    if (ok && succInfo.failed) ok = false;
    if (ok) {
      for (let p = 0; p < len; p++) {
        if (p > 0 && nb[p] === nb[p - 1]) continue;
        if (!space.admissible(succInfo, nb[p])) { ok = false; break; }
      }
    }
    if (ok) ok = space.dependentHold(succInfo, nb, len);
    if (ok) return false;
    const views = info.views.slice();
    if (r && i >= 0) views[i] = r.view;
    const messages = space.messagesOf(nb, len);
    out.cti = this.counterexample(info, t, views, messages, action, r, space.violated(views, messages));
    return true;
  }

  private overKindCap(nb: Int32Array, len: number): boolean {
    const space = this.space;
    const counts = this.succKinds;
    counts.fill(0);
    for (let p = 0; p < len; p++) if (++counts[space.envKind[nb[p]]] > space.kindCap[space.envKind[nb[p]]]) return true;
    return false;
  }

  private infoFor(locals: Int32Array): TupleInfo {
    const key = locals.join(',');
    let info = this.cache.get(key);
    if (!info) {
      if (this.cache.size > 100_000) this.cache.clear();
      info = this.space.tupleInfo(locals);
      this.cache.set(key, info);
    }
    return info;
  }

  private counterexample(info: TupleInfo, t: number, views: NodeView[], messages: readonly InFlight[], step: Action, r: StepOutcome | null, violated: string[]): InductionCounterexample {
    const space = this.space;
    const before = space.plainState(info.views, space.messagesOf(this.bag, t));
    const after = space.plainState(views, messages);
    const outside: string[] = [];
    if (r && r.local < 0) outside.push(`the state of ${r.view.id} ${encode(r.view.state)} with timers [${r.view.timers.join(', ')}] is not in its domain`);
    if (r) r.sends.forEach((id, s) => { if (id < 0) outside.push(`the message ${encode(r.sent[s].msg)} from ${r.sent[s].from} to ${r.sent[s].to} is not in the message domain`); });
    return {
      kind: violated.length > 0 ? 'invariant' : 'domain',
      before,
      step,
      sent: r ? r.sent : [],
      after,
      violated,
      ...(outside.length > 0 ? { outside: outside.join('; ') } : {}),
    };
  }
}

const EMPTY = new Int32Array(0);

// ---- options --------------------------------------------------------------------------------------

function splitNames(invariant: string | readonly string[]): string[] {
  const list = typeof invariant === 'string' ? [invariant] : [...invariant];
  return list.flatMap((s) => String(s).split(',')).map((s) => s.trim()).filter((s) => s.length > 0);
}

function resolve(protocol: Protocol, params: Readonly<Record<string, unknown>>, options: InductOptions): Resolved {
  const inst = instantiate(protocol, { params, network: options.network, symmetry: false });
  const induction = options.induction ?? inductionOf(protocol);
  if (options.induction !== undefined && !isInduction(options.induction)) throw new InductOptionsError('the induction option must be made with defineInduction');
  if (!induction) throw new NoDomainsError(protocol.name);
  const net = inst.network;
  if (net.ordering !== 'unordered') throw new InductOptionsError('inductive checking covers unordered networks only: FIFO channels are not enumerated (use --network unordered)');
  if (net.crashes > 0) throw new InductOptionsError(`inductive checking covers crash-free networks only, got crashes=${net.crashes}: use --crashes 0`);

  // The invariant's conjuncts.
  const own = inst.properties;
  const extra = induction.invariants(inst.params as never);
  const pool = new Map<string, Property>();
  for (const p of [...own, ...extra]) {
    if (pool.has(p.name)) throw new InductOptionsError(`${protocol.name} and its induction both declare a property named ${JSON.stringify(p.name)}`);
    pool.set(p.name, p);
  }
  const declared = [...pool.values()].filter((p) => p.kind === 'always').map((p) => p.name);
  const presets = induction.presets(inst.params as never);
  const requested = splitNames(options.invariant);
  if (requested.length === 0) throw new UnknownInvariantError(protocol.name, ['(none)'], declared, Object.keys(presets), ': name at least one');
  const names: string[] = [];
  const unknown: string[] = [];
  const notAlways: string[] = [];
  const add = (name: string) => {
    const p = pool.get(name);
    if (!p) unknown.push(name);
    else if (p.kind !== 'always') notAlways.push(`${name} (${p.kind})`);
    else if (!names.includes(name)) names.push(name);
  };
  for (const name of requested) {
    const preset = pool.has(name) ? undefined : presets[name];
    if (preset) preset.forEach(add);
    else add(name);
  }
  if (unknown.length > 0) throw new UnknownInvariantError(protocol.name, unknown, declared, Object.keys(presets));
  if (notAlways.length > 0) throw new UnknownInvariantError(protocol.name, notAlways, declared, Object.keys(presets), ': an invariant is made of always properties');

  // Bounds.
  const given = options.bounds ?? {};
  const specs = induction.bounds;
  for (const key of Object.keys(given)) {
    if (!(key in specs)) throw new InductOptionsError(`${protocol.name} declares no bound ${JSON.stringify(key)} (its bounds: ${Object.keys(specs).join(', ') || 'none'})`);
  }
  const bounds: Record<string, number> = {};
  const missing: { name: string; description: string }[] = [];
  const check = (key: string, v: unknown) => {
    const spec = specs[key];
    const min = spec.min ?? 0;
    const max = spec.max ?? 1_000_000;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
      throw new InductOptionsError(`bound ${key} of ${protocol.name} (${spec.description}) must be a whole number from ${min} to ${max}, got ${String(v)}`);
    }
    bounds[key] = v;
  };
  // Given values and fixed defaults first; defaults computed from the others after.
  for (const [key, spec] of Object.entries(specs)) {
    if (given[key] !== undefined) check(key, given[key]);
    else if (typeof spec.default === 'number') check(key, spec.default);
    else if (spec.default === undefined) missing.push({ name: key, description: spec.description });
  }
  if (missing.length > 0) throw new MissingBoundError(protocol.name, missing);
  for (const [key, spec] of Object.entries(specs)) {
    if (!(key in bounds) && typeof spec.default === 'function') check(key, spec.default(inst.params as never, { ...bounds }));
  }
  const ordered: Record<string, number> = {};
  for (const key of Object.keys(specs)) ordered[key] = bounds[key];

  const maxStates = options.maxStates ?? DEFAULT_MAX_STATES;
  if (!Number.isSafeInteger(maxStates) || maxStates < 1) throw new InductOptionsError(`maxStates must be a positive whole number, got ${maxStates}`);
  const escapes = options.escapes ?? 'fail';
  if (escapes !== 'fail' && escapes !== 'allow') throw new InductOptionsError(`escapes must be "fail" or "allow", got ${JSON.stringify(escapes)}`);
  const symmetric = (protocol.symmetric ?? []).length > 0;
  const symmetry = options.symmetry ?? symmetric;
  if (symmetry && !symmetric) throw new InductOptionsError(`${protocol.name} declares no interchangeable roles, so symmetry does not apply`);
  const withSymmetry = symmetry ? instantiate(protocol, { params, network: options.network, symmetry: true }) : inst;
  return { inst: withSymmetry, induction, names, conjuncts: names.map((n) => pool.get(n)!), bounds: ordered, symmetry, escapes, maxStates };
}

// ---- the run ------------------------------------------------------------------------------------

/**
 * Checks that the conjunction of the named `always` properties is inductive over the bounded universe
 * of `protocol` with `params`: every state of it that satisfies the invariant steps only to states
 * that satisfy it.
 */
// ---- the run ------------------------------------------------------------------------------------

/**
 * Checks that the conjunction of the named `always` properties is inductive over the bounded universe
 * of `protocol` with `params`: every state of it that satisfies the invariant steps only to states
 * that satisfy it.
 */
export async function checkInductive(protocol: Protocol, params: Readonly<Record<string, unknown>>, options: InductOptions): Promise<InductResult> {
  const started = performance.now();
  const workers = options.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) throw new InductOptionsError(`workers must be a whole number from 1 to 64, got ${workers}`);
  const plan = resolve(protocol, params, options);
  const space = new Space(plan);
  const initial = space.initial();

  const merged = newBlockResult(-1);
  let verdict: InductVerdict = 'inductive';
  let cti: InductionCounterexample | undefined;
  const progressEvery = options.progressIntervalMs ?? 1000;
  let nextProgress = started + progressEvery;
  const progress = () => {
    const now = performance.now();
    if (!options.onProgress || now < nextProgress) return;
    nextProgress = now + progressEvery;
    const seconds = (now - started) / 1000;
    options.onProgress({ examined: merged.examined, satisfying: merged.satisfying, steps: merged.steps, tuples: merged.tuples, nodeTuples: space.universe.nodeTuples, seconds, statesPerSecond: merged.examined / Math.max(seconds, 1e-9) });
  };
  /** Adds the next block's counts; true when the run is decided. */
  const merge = (r: BlockResult): boolean => {
    merged.examined += r.examined;
    merged.satisfying += r.satisfying;
    merged.steps += r.steps;
    merged.successors += r.successors;
    merged.beyond += r.beyond;
    merged.escapes += r.escapes;
    merged.tuples += r.tuples;
    merged.dependent ||= r.dependent;
    if (r.overflow || merged.examined > plan.maxStates) throw new UniverseTooLargeError(protocol.name, space.universe, plan.maxStates, plan.bounds);
    if (r.cti) { verdict = 'not inductive'; cti = r.cti; return true; }
    return false;
  };

  if (workers === 1) {
    const examiner = new Examiner(space);
    let breath = performance.now() + 50;
    for (let b = 0; ; b++) {
      if (options.signal?.aborted) { verdict = 'interrupted'; break; }
      const r = examiner.block(b, plan.maxStates - merged.examined);
      if (!r || merge(r)) break;
      progress();
      if (performance.now() > breath) {
        await new Promise((resolve) => setImmediate(resolve));
        breath = performance.now() + 50;
      }
    }
  } else {
    verdict = await runWorkers(protocol, params, options, plan, workers, merge, progress);
  }

  const seconds = (performance.now() - started) / 1000;
  const kindsOk = space.kinds.every((_, k) => space.kindCap[k] >= 2);
  return {
    protocol: protocol.name,
    params: plan.inst.params,
    network: plan.inst.network,
    invariant: plan.names,
    bounds: plan.bounds,
    symmetry: plan.symmetry,
    workers,
    verdict,
    ...(cti ? { counterexample: cti } : {}),
    initial: { holds: initial.violated.length === 0, violated: initial.violated, state: initial.state },
    universe: space.universe,
    tuples: merged.tuples,
    examined: merged.examined,
    satisfying: merged.satisfying,
    steps: merged.steps,
    successors: merged.successors,
    beyondBounds: merged.beyond,
    escapes: merged.escapes,
    anyMessageCount: verdict === 'inductive' && !merged.dependent && merged.escapes === 0 && space.maxInFlight >= 2 && kindsOk,
    seconds,
    exitCode: verdict === 'not inductive' || initial.violated.length > 0 ? 1 : verdict === 'interrupted' ? 3 : 0,
  };
}

/** What a protocol's induction declares, for usage text and listings. */
export interface InductionInfo {
  readonly bounds: readonly { readonly name: string; readonly description: string; readonly default?: number; readonly required: boolean }[];
  /** Every `always` property that may be named in an invariant: the protocol's own, then its induction's. */
  readonly invariants: readonly { readonly name: string; readonly shape: 'every-node' | 'every-message' | 'general'; readonly own: boolean }[];
  readonly presets: Readonly<Record<string, readonly string[]>>;
}

export function describeInduction(protocol: Protocol, params: Readonly<Record<string, unknown>> = {}, induction?: Induction): InductionInfo {
  const inst = instantiate(protocol, { params });
  const ind = induction ?? inductionOf(protocol);
  if (!ind) throw new NoDomainsError(protocol.name);
  const given: Record<string, number> = {};
  const bounds = Object.entries(ind.bounds).map(([name, spec]) => {
    const d = typeof spec.default === 'number' ? spec.default : undefined;
    if (d !== undefined) given[name] = d;
    return { name, description: spec.description, required: spec.default === undefined, ...(d !== undefined ? { default: d } : {}) };
  });
  const shape = (p: Property) => (isNodeProperty(p) ? 'every-node' as const : isMessageProperty(p) ? 'every-message' as const : 'general' as const);
  const always = (ps: readonly Property[], own: boolean) => ps.filter((p) => p.kind === 'always').map((p) => ({ name: p.name, shape: shape(p), own }));
  return { bounds, invariants: [...always(inst.properties, true), ...always(ind.invariants(inst.params as never), false)], presets: ind.presets(inst.params as never) };
}

/** The result as JSON-ready data (sizes as decimal strings). */
export function inductResultJson(r: InductResult): unknown {
  return JSON.parse(JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
}

// ---- worker threads -----------------------------------------------------------------------------

/** What a worker thread needs to rebuild the same universe. */
export interface InductWorkerData {
  readonly protocol: ProtocolSource;
  readonly induction?: InductionSource;
  readonly params: Readonly<Record<string, unknown>>;
  readonly options: Pick<InductOptions, 'invariant' | 'bounds' | 'maxStates' | 'symmetry' | 'network' | 'escapes'>;
  /** [next block to claim, last block worth examining]. */
  readonly ctrl: SharedArrayBuffer;
}

const CTRL_NEXT = 0;
const CTRL_LAST = 1;

interface WorkerMessage {
  readonly result?: BlockResult;
  /** The first block there are not enough combinations of node states for. */
  readonly end?: number;
  readonly done?: boolean;
  readonly error?: { readonly name: string; readonly message: string };
}

async function runWorkers(
  protocol: Protocol, params: Readonly<Record<string, unknown>>, options: InductOptions, plan: Resolved, count: number,
  merge: (r: BlockResult) => boolean, progress: () => void,
): Promise<InductVerdict> {
  const source = sourceOf(protocol);
  if (!source) throw new InductOptionsError(`${protocol.name} was not loaded from a file or the library, so worker threads cannot load it: use one worker`);
  let induction: InductionSource | undefined;
  if (options.induction !== undefined || !isInduction((protocol as { induction?: unknown }).induction)) {
    induction = inductionSourceOf(plan.induction);
    if (!induction) throw new InductOptionsError(`the domains of ${protocol.name} were not registered with rememberInductionSource, so worker threads cannot load them: use one worker`);
  }
  const ctrlBuffer = new SharedArrayBuffer(8);
  const ctrl = new Int32Array(ctrlBuffer);
  ctrl[CTRL_NEXT] = 0;
  ctrl[CTRL_LAST] = 0x7fffffff;
  const data: InductWorkerData = {
    protocol: source,
    ...(induction ? { induction } : {}),
    params,
    options: { invariant: plan.names, bounds: plan.bounds, maxStates: plan.maxStates, symmetry: plan.symmetry, network: options.network, escapes: plan.escapes },
    ctrl: ctrlBuffer,
  };
  const url = new URL('./induct-worker.js', import.meta.url);
  const threads = Array.from({ length: count }, () => new Worker(url, { workerData: data }));
  /** Later blocks are not worth examining once block `b` ended the run. */
  const lowerLast = (b: number) => {
    for (;;) {
      const last = Atomics.load(ctrl, CTRL_LAST);
      if (b >= last || Atomics.compareExchange(ctrl, CTRL_LAST, last, b) === last) return;
    }
  };
  const pending = new Map<number, BlockResult>();
  let nextToMerge = 0;
  let end = Infinity;
  let verdict: InductVerdict = 'inductive';
  let decided = false;
  const onAbort = () => lowerLast(-1);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  try {
    await new Promise<void>((resolve, reject) => {
      let running = threads.length;
      let settled = false;
      const fail = (err: unknown) => {
        if (settled) return;
        settled = true;
        lowerLast(-1);
        reject(err);
      };
      for (const t of threads) {
        t.on('message', (msg: WorkerMessage) => {
          if (settled) return;
          if (msg.error) {
            const err = new Error(msg.error.message);
            err.name = msg.error.name;
            fail(err);
            return;
          }
          if (msg.end !== undefined) end = Math.min(end, msg.end);
          if (msg.result) {
            if (msg.result.cti || msg.result.overflow) lowerLast(msg.result.block);
            pending.set(msg.result.block, msg.result);
            try {
              while (!decided && pending.has(nextToMerge)) {
                const r = pending.get(nextToMerge)!;
                pending.delete(nextToMerge);
                nextToMerge++;
                if (merge(r)) { decided = true; verdict = 'not inductive'; lowerLast(-1); }
              }
            } catch (err) {
              fail(err);
              return;
            }
            progress();
          }
          if (msg.done && --running === 0) {
            settled = true;
            resolve();
          }
        });
        t.on('error', fail);
      }
    });
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await Promise.all(threads.map((t) => t.terminate()));
  }
  if (!decided && nextToMerge < end) verdict = 'interrupted';
  return verdict;
}

/** The worker side: claims blocks in increasing order until none is left worth examining. */
export async function inductWorker(data: InductWorkerData, post: (msg: WorkerMessage) => void, load: (url: string) => Promise<Record<string, unknown>>): Promise<void> {
  const protocol = await loadFromSource(data.protocol, load);
  let induction: Induction | undefined;
  if (data.induction) {
    const mod = await load(data.induction.module);
    const value = mod[data.induction.exportName] ?? (mod.default as Record<string, unknown> | undefined)?.[data.induction.exportName];
    if (!isInduction(value)) throw new Error(`${data.induction.module} exports no induction named ${data.induction.exportName}`);
    induction = value;
  }
  const plan = resolve(protocol, data.params, { ...data.options, ...(induction ? { induction } : {}) });
  const examiner = new Examiner(new Space(plan));
  const ctrl = new Int32Array(data.ctrl);
  for (;;) {
    const b = Atomics.add(ctrl, CTRL_NEXT, 1);
    if (b > Atomics.load(ctrl, CTRL_LAST)) break;
    const r = examiner.block(b, plan.maxStates);
    if (!r) { post({ end: b }); break; }
    post({ result: r });
  }
  post({ done: true });
}

// ---- text -----------------------------------------------------------------------------------------

function describeInFlight(m: InFlight): string {
  const { type, ...rest } = m.msg;
  const fields = Object.entries(rest).map(([k, v]) => `${k}=${encode(v)}`).join(' ');
  return `${type}${fields ? ' ' + fields : ''} (${m.from} -> ${m.to})`;
}

function describeState(s: InductState, indent: string): string[] {
  const lines = Object.entries(s.states).map(([id, st]) => {
    const timers = s.timers[id] ?? [];
    return `${indent}${id}: ${encode(st)}${timers.length ? `  timers [${timers.join(', ')}]` : ''}`;
  });
  lines.push(`${indent}in flight: ${s.messages.length === 0 ? 'nothing' : s.messages.map(describeInFlight).join(', ')}`);
  return lines;
}

/** A counterexample to induction as text: the state, the step, the successor and what breaks. */
export function formatCounterexample(cti: InductionCounterexample): string {
  const lines = ['A state that satisfies the invariant:', ...describeState(cti.before, '  '), `Step: ${describeAction(cti.step)}`];
  if (cti.sent.length > 0) lines.push(`  sends ${cti.sent.map(describeInFlight).join(', ')}`);
  lines.push('The successor:', ...describeState(cti.after, '  '));
  if (cti.kind === 'invariant') lines.push(`It breaks ${cti.violated.join(', ')}.`);
  else lines.push(`It leaves the declared domains: ${cti.outside}.`);
  return lines.join('\n');
}

/** The whole result as text. */
export function formatInductResult(r: InductResult): string {
  const bounds = Object.entries(r.bounds).map(([k, v]) => `${k}=${v}`).join(' ');
  const params = Object.entries(r.params).map(([k, v]) => `${k}=${v}`).join(' ');
  const u = r.universe;
  const lines = [
    `${r.protocol} (${params})${bounds ? `, bounds ${bounds}` : ''}: invariant ${r.invariant.join(' & ')}`,
    `universe: ${formatCount(u.states)} states (${u.messages} messages, ${formatCount(u.messageBags)} bags); enumerated ${formatCount(u.enumerated)} = ${formatCount(u.nodeTuples)} node-state combinations x ${formatCount(u.messageBags)} bags${r.symmetry ? ' (interchangeable nodes sorted)' : ''}`,
    `visited ${formatCount(r.tuples)} node-state combinations; examined ${formatCount(r.examined)} states, satisfying ${formatCount(r.satisfying)}, steps ${formatCount(r.steps)} (${formatCount(r.successors)} successors judged${r.beyondBounds ? `, ${formatCount(r.beyondBounds)} beyond the count bounds` : ''}${r.escapes ? `, ${formatCount(r.escapes)} outside the domains` : ''}) in ${r.seconds.toFixed(1)} s`,
  ];
  if (r.verdict === 'inductive') lines.push(`Inductive within the bounds${r.anyMessageCount ? ', and for any number of messages in flight' : ''}.`);
  else if (r.verdict === 'interrupted') lines.push('Interrupted before a verdict.');
  else lines.push('Not inductive. Counterexample to induction:', formatCounterexample(r.counterexample!));
  lines.push(r.initial.holds ? 'The initial state satisfies the invariant.' : `The initial state breaks ${r.initial.violated.join(', ')}.`);
  return lines.join('\n');
}
