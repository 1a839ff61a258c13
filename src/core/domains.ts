/**
 * Enumerable types of node states and messages, for bounded inductiveness checking.
 *
 * A protocol that wants its invariants checked for inductiveness declares an `Induction`: the bounds
 * it reads (how many messages may be in flight, the highest ballot, ...), a function from parameters
 * and bounds to the domains of its node states (per role) and of its messages in flight, and the
 * extra `always` properties that strengthen its own ones. Protocols that never ask for it declare
 * nothing.
 *
 * Domains are finite and enumerated in a fixed order: records and tuples vary their last component
 * fastest, sequences, sets and maps go from small to large, unions list their members in order. Values
 * are plain data; two values with the same canonical encoding are the same value.
 */
import { encode } from './plain.ts';
import { always } from './properties.ts';
import type { InFlight, NodeView, Property, World } from './properties.ts';
import type { Message, ParamValue, Protocol } from './protocol.ts';

/** A domain that cannot be built or enumerated: a limit that is not a whole number, too many values. */
export class DomainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DomainError';
  }
}

/** A bound that a domain needs was not given and has no default. */
export class MissingBoundError extends Error {
  /** The bounds that are missing, with what they limit. */
  readonly missing: readonly { readonly name: string; readonly description: string }[];
  constructor(subject: string, missing: readonly { readonly name: string; readonly description: string }[]) {
    const list = missing.map((m) => `${m.name} (${m.description})`).join(', ');
    const example = missing.map((m) => `--bound ${m.name}=N`).join(' ');
    super(`${subject} needs ${missing.length === 1 ? 'a bound' : 'bounds'} to enumerate its states: ${list}; give ${missing.length === 1 ? 'it' : 'them'}, e.g. ${example}`);
    this.name = 'MissingBoundError';
    this.missing = missing;
  }
}

/** Most values one domain may hold once enumerated. */
export const DOMAIN_LIMIT = 4_000_000;

const UNDEFINED_KEY = '\u0000undefined';

/** The canonical key of a value: its encoding (undefined, an absent record field, has its own key). */
export function valueKey(value: unknown): string {
  return value === undefined ? UNDEFINED_KEY : encode(value);
}

/** A finite set of plain values in a fixed order. */
export abstract class Domain<T = unknown> {
  readonly kind = 'protoforge.domain' as const;
  private cache?: readonly T[];
  private index?: Map<string, number>;

  /** @param text how the domain prints, e.g. `1..3` or `{ n: 1..3 }` @param upper an upper bound on its number of values */
  constructor(readonly text: string, readonly upper: number) {}

  /** Produces the values in order; may repeat a value (repeats are dropped). */
  protected abstract produce(): Iterable<T>;

  /** Every value, in order, without repeats. */
  values(): readonly T[] {
    if (!this.cache) {
      if (!(this.upper <= DOMAIN_LIMIT)) {
        throw new DomainError(`the domain ${this.text} may hold ${formatCount(this.upper)} values, more than ${formatCount(DOMAIN_LIMIT)} can be enumerated: lower the bounds it is built from`);
      }
      const out: T[] = [];
      const index = new Map<string, number>();
      for (const v of this.produce()) {
        const key = valueKey(v);
        if (index.has(key)) continue;
        index.set(key, out.length);
        out.push(v);
      }
      this.cache = out;
      this.index = index;
    }
    return this.cache;
  }

  get size(): number {
    return this.values().length;
  }

  /** The position of `value` in `values()`, or -1 when the domain does not hold it. */
  indexOf(value: unknown): number {
    this.values();
    let key: string;
    try {
      key = valueKey(value);
    } catch {
      return -1;
    }
    return this.index!.get(key) ?? -1;
  }

  contains(value: unknown): boolean {
    return this.indexOf(value) >= 0;
  }

  toString(): string {
    return this.text;
  }
}

/** By its tag rather than its class, so that domains from another copy of this module (a worker's loader) count. */
export function isDomain(value: unknown): value is Domain {
  return typeof value === 'object' && value !== null && (value as Domain).kind === 'protoforge.domain' && typeof (value as Domain).values === 'function';
}

class ListDomain<T> extends Domain<T> {
  constructor(text: string, private readonly list: readonly T[]) {
    super(text, list.length);
  }
  protected produce(): Iterable<T> {
    return this.list;
  }
}

class LazyDomain<T> extends Domain<T> {
  constructor(text: string, upper: number, private readonly gen: () => Iterable<T>) {
    super(text, upper);
  }
  protected produce(): Iterable<T> {
    return this.gen();
  }
}

function wholeLimit(what: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new DomainError(`${what} must be a whole number, got ${value === undefined ? 'undefined (is a bound missing?)' : String(value)}`);
  }
  return value;
}

function text(value: unknown): string {
  return value === undefined ? 'absent' : encode(value);
}

function product(a: number, b: number): number {
  return a === 0 || b === 0 ? 0 : a * b;
}

/** Exactly one value. */
export function constant<const T>(value: T): Domain<T> {
  return new ListDomain(text(value), [value]);
}

/** A finite set of values, in the order given. */
export function oneOf<const T>(values: readonly T[]): Domain<T> {
  if (!Array.isArray(values)) throw new DomainError(`oneOf takes an array of values, got ${String(values)}`);
  return new ListDomain(`{${values.map(text).join(', ')}}`, [...values]);
}

/** The whole numbers from `lo` to `hi`, both included (empty when hi < lo). */
export function range(lo: number, hi: number): Domain<number> {
  const a = wholeLimit('the low end of a range', lo);
  const b = wholeLimit(`the high end of the range from ${lo}`, hi);
  return new LazyDomain(`${a}..${b}`, Math.max(0, b - a + 1), function* () {
    for (let i = a; i <= b; i++) yield i;
  });
}

export const bool: Domain<boolean> = new ListDomain('boolean', [false, true]);

/** null, then the values of `d`. */
export function nullable<T>(d: Domain<T>): Domain<T | null> {
  return new LazyDomain(`${d.text} | null`, d.upper + 1, function* () {
    yield null;
    yield* d.values();
  });
}

/** As a record field: absent, then the values of `d`. */
export function optional<T>(d: Domain<T>): Domain<T | undefined> {
  return new LazyDomain(`${d.text}?`, d.upper + 1, function* () {
    yield undefined;
    yield* d.values();
  });
}

type Elements<Ds extends readonly Domain<any>[]> = { -readonly [K in keyof Ds]: Ds[K] extends Domain<infer T> ? T : never };

/** Cartesian product of value lists, last position fastest. */
function* cartesian(lists: readonly (readonly unknown[])[]): Generator<unknown[]> {
  if (lists.some((l) => l.length === 0)) return;
  const pos = new Array<number>(lists.length).fill(0);
  for (;;) {
    yield pos.map((p, i) => lists[i][p]);
    let i = lists.length - 1;
    while (i >= 0 && ++pos[i] === lists[i].length) pos[i--] = 0;
    if (i < 0) return;
  }
}

/** Fixed-length arrays: one value of each domain, the last varying fastest. */
export function tuple<const Ds extends readonly Domain<any>[]>(...ds: Ds): Domain<Elements<Ds>> {
  return new LazyDomain(`[${ds.map((d) => d.text).join(', ')}]`, ds.reduce((n, d) => product(n, d.upper), 1), function* () {
    yield* cartesian(ds.map((d) => d.values())) as Iterable<Elements<Ds>>;
  });
}

type RecordOf<F extends Record<string, Domain<any>>> = { -readonly [K in keyof F]: F[K] extends Domain<infer T> ? T : never };

/**
 * Objects with the given fields, one value of each field's domain, the last field varying fastest.
 * A field whose value is `undefined` (see `optional`) is left out of the object.
 */
export function record<F extends Record<string, Domain<any>>>(fields: F): Domain<RecordOf<F>> {
  const keys = Object.keys(fields);
  for (const k of keys) if (!isDomain(fields[k])) throw new DomainError(`field ${k} of a record domain is not a domain`);
  return new LazyDomain(`{ ${keys.map((k) => `${k}: ${fields[k].text}`).join(', ')} }`, keys.reduce((n, k) => product(n, fields[k].upper), 1), function* () {
    for (const combo of cartesian(keys.map((k) => fields[k].values()))) {
      const out: Record<string, unknown> = {};
      keys.forEach((k, i) => { if (combo[i] !== undefined) out[k] = combo[i]; });
      yield out as RecordOf<F>;
    }
  });
}

/** The values of each domain in turn. */
export function union<const Ds extends readonly Domain<any>[]>(...ds: Ds): Domain<Elements<Ds>[number]> {
  return new LazyDomain(ds.map((d) => d.text).join(' | '), ds.reduce((n, d) => n + d.upper, 0), function* () {
    for (const d of ds) yield* d.values();
  });
}

function binomialUpper(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}

function sizes(what: string, limits: { minSize?: number; maxSize?: number }, most: number): [number, number] {
  const min = limits.minSize === undefined ? 0 : wholeLimit(`the least size of ${what}`, limits.minSize);
  const max = limits.maxSize === undefined ? most : wholeLimit(`the greatest size of ${what}`, limits.maxSize);
  return [Math.max(0, min), Math.min(most, max)];
}

/** Arrays of `minLength` to `maxLength` values of `d`, shorter ones first. */
export function seq<T>(d: Domain<T>, maxLength: number, minLength = 0): Domain<T[]> {
  const max = wholeLimit('the greatest length of a sequence', maxLength);
  const min = wholeLimit('the least length of a sequence', minLength);
  let upper = 0;
  for (let len = Math.max(0, min); len <= max; len++) upper += d.upper ** len;
  return new LazyDomain(`seq(${d.text}, ${min}..${max})`, upper, function* () {
    const values = d.values();
    for (let len = Math.max(0, min); len <= max; len++) yield* cartesian(new Array(len).fill(values)) as Iterable<T[]>;
  });
}

/** Index combinations of `k` out of `n`, in lexicographic order. */
function* combinations(n: number, k: number): Generator<number[]> {
  if (k > n) return;
  const c = Array.from({ length: k }, (_, i) => i);
  for (;;) {
    yield [...c];
    let i = k - 1;
    while (i >= 0 && c[i] === n - k + i) i--;
    if (i < 0) return;
    c[i]++;
    for (let j = i + 1; j < k; j++) c[j] = c[j - 1] + 1;
  }
}

/** Finite sets of values of `d`, as arrays in the domain's order: smaller sets first. */
export function setOf<T>(d: Domain<T>, limits: { minSize?: number; maxSize?: number } = {}): Domain<T[]> {
  const [min, max] = sizes('a set', limits, Math.max(0, d.upper));
  let upper = 0;
  for (let k = min; k <= max; k++) upper += binomialUpper(d.upper, k);
  return new LazyDomain(`set(${d.text})`, upper, function* () {
    const values = d.values();
    for (let k = min; k <= Math.min(max, values.length); k++) for (const c of combinations(values.length, k)) yield c.map((i) => values[i]);
  });
}

/**
 * Objects whose keys are some of `keys` (from `minSize` to `maxSize` of them), each mapped to a value of
 * `d`: maps with fewer keys first, key sets in the order of `keys`, then values.
 */
export function mapOf<T>(keys: readonly string[], d: Domain<T>, limits: { minSize?: number; maxSize?: number } = {}): Domain<Record<string, T>> {
  const [min, max] = sizes('a map', limits, keys.length);
  let upper = 0;
  for (let k = min; k <= max; k++) upper += binomialUpper(keys.length, k) * d.upper ** k;
  return new LazyDomain(`map(${keys.join('|')} -> ${d.text})`, upper, function* () {
    const values = d.values();
    for (let k = min; k <= max; k++) {
      for (const c of combinations(keys.length, k)) {
        for (const combo of cartesian(new Array(k).fill(values))) {
          const out: Record<string, T> = {};
          c.forEach((ki, j) => { out[keys[ki]] = combo[j] as T; });
          yield out;
        }
      }
    }
  });
}

/** The image of `d` under `f` (values that map to the same value count once). */
export function mapped<A, B>(d: Domain<A>, f: (value: A) => B, description = `f(${d.text})`): Domain<B> {
  return new LazyDomain(description, d.upper, function* () {
    for (const v of d.values()) yield f(v);
  });
}

/** The values of `d` that satisfy `keep`. */
export function where<T>(d: Domain<T>, keep: (value: T) => boolean, description = `${d.text} where ...`): Domain<T> {
  return new LazyDomain(description, d.upper, function* () {
    for (const v of d.values()) if (keep(v)) yield v;
  });
}

/** A message in flight as a domain value: sender, receiver and payload. */
export interface Envelope<M extends Message = Message> {
  readonly from: string;
  readonly to: string;
  readonly msg: M;
}

/** Messages with a payload of `payload` from any of `from` to any of `to`: payload slowest, then sender, then receiver. */
export function envelopes<M extends Message>(from: readonly string[], to: readonly string[], payload: Domain<M>): Domain<Envelope<M>> {
  return new LazyDomain(`(${from.join('|')} -> ${to.join('|')}: ${payload.text})`, product(product(from.length, to.length), payload.upper), function* () {
    for (const msg of payload.values()) for (const f of from) for (const t of to) yield { from: f, to: t, msg };
  });
}

// ---- the universe of a protocol instance -------------------------------------------------------

/** The local states of the nodes of one role. */
export interface RoleDomain<S = any> {
  /** The node states: one domain for every node of the role, or one per node id. */
  readonly state: Domain<S> | ((node: string) => Domain<S>);
  /** The sets of armed timers, as sorted arrays of names; by default every subset of the role's timers. */
  readonly timers?: Domain<readonly string[]>;
}

/** What the global states of the bounded universe are made of. */
export interface Universe {
  /** For every role of the protocol: the domain of its node states (a domain alone means no timers beyond the default). */
  readonly roles: Readonly<Record<string, RoleDomain | Domain>>;
  /** Every message that may be in flight. */
  readonly messages: Domain<Envelope>;
  /** Most messages in flight at once. */
  readonly maxInFlight: number;
  /** Most messages of one type in flight at once: one number for every type, or per type (others unlimited). */
  readonly maxPerType?: number | Readonly<Record<string, number>>;
}

export interface BoundSpec<P = Readonly<Record<string, ParamValue>>> {
  /** What the bound limits, for messages and usage text. */
  readonly description: string;
  /** The value when none is given (a function sees the parameters and the bounds given or fixed); without one the bound is required. */
  readonly default?: number | ((params: P, bounds: Readonly<Record<string, number>>) => number);
  readonly min?: number;
  readonly max?: number;
}

export interface DomainContext<P = Readonly<Record<string, ParamValue>>> {
  readonly params: P;
  /** Every bound, resolved: the given values and the defaults. */
  readonly bounds: Readonly<Record<string, number>>;
  /** One bound's value; throws MissingBoundError when it was neither given nor has a default. */
  bound(name: string): number;
  /** Every node id, in declaration order. */
  readonly nodes: readonly string[];
  nodesOf(role: string): readonly string[];
}

/** What a protocol declares so that its invariants can be checked for inductiveness. */
export interface Induction<P = any> {
  readonly kind: 'protoforge.induction';
  /** The bounds the domains read. */
  readonly bounds: Readonly<Record<string, BoundSpec<P>>>;
  /** The domains of node states and messages for given parameters and bounds. */
  readonly domains: (ctx: DomainContext<P>) => Universe;
  /** Further `always` properties that may be named in an invariant, besides the protocol's own. */
  readonly invariants: (params: P) => readonly Property[];
  /** Named lists of property names, usable wherever an invariant is named. */
  readonly presets: (params: P) => Readonly<Record<string, readonly string[]>>;
}

export interface InductionDef<P> {
  readonly bounds?: Readonly<Record<string, BoundSpec<P>>>;
  readonly domains: (ctx: DomainContext<P>) => Universe;
  readonly invariants?: (params: P) => readonly Property[];
  readonly presets?: Readonly<Record<string, readonly string[]>> | ((params: P) => Readonly<Record<string, readonly string[]>>);
}

export function defineInduction<P = Readonly<Record<string, ParamValue>>>(def: InductionDef<P>): Induction<P> {
  const presets = def.presets;
  return {
    kind: 'protoforge.induction',
    bounds: def.bounds ?? {},
    domains: def.domains,
    invariants: def.invariants ?? (() => []),
    presets: typeof presets === 'function' ? presets : () => presets ?? {},
  };
}

export function isInduction(value: unknown): value is Induction {
  return typeof value === 'object' && value !== null && (value as Induction).kind === 'protoforge.induction';
}

const attached = new WeakMap<Protocol, Induction>();

/** Associates an induction declaration with a protocol; returns the protocol. */
export function attachInduction<P extends Protocol>(protocol: P, induction: Induction): P {
  attached.set(protocol, induction);
  return protocol;
}

/** The induction declaration of a protocol: its own `induction` field, or one attached to it. */
export function inductionOf(protocol: Protocol): Induction | undefined {
  const own = (protocol as { induction?: unknown }).induction;
  return isInduction(own) ? own : attached.get(protocol);
}

/** Where an induction declaration can be loaded from again (by a worker thread): a module URL and an export name. */
export interface InductionSource {
  readonly module: string;
  readonly exportName: string;
}

const inductionSources = new WeakMap<Induction, InductionSource>();

export function rememberInductionSource<I extends Induction>(induction: I, source: InductionSource): I {
  inductionSources.set(induction, source);
  return induction;
}

export function inductionSourceOf(induction: Induction): InductionSource | undefined {
  return inductionSources.get(induction);
}

// ---- invariants with a known shape -------------------------------------------------------------

/** An `always` property that holds when every node of one role satisfies a predicate of it (and of nodes of other roles). */
export interface NodeProperty extends Property {
  readonly shape: 'every-node';
  readonly role: string;
  readonly node: (node: NodeView, world: World) => boolean;
}

/** An `always` property that holds when every message in flight satisfies a predicate of it and the node states. */
export interface MessageProperty extends Property {
  readonly shape: 'every-message';
  readonly message: (world: World, m: InFlight) => boolean;
}

/**
 * Every node of `role` satisfies `holds`, which sees that node and may read, through `world.node(id)`,
 * `world.statesOf(otherRole)` or `world.nodes`, the nodes of other roles, but neither the other nodes
 * of its own role nor the messages. Checkers use the shape to rule out node states one at a time:
 * a predicate of the node alone filters its domain, one that reads other roles filters it once those
 * are chosen.
 */
export function everyNode(name: string, role: string, holds: (node: NodeView, world: World) => boolean): NodeProperty {
  const p = always(name, (w) => w.nodes.every((n) => n.role !== role || holds(n, w)));
  return { ...p, shape: 'every-node', role, node: holds };
}

/**
 * Every message in flight satisfies `holds`, which may read the node states but not the other
 * messages (`world.messages`). Checkers use the shape to rule out messages one at a time.
 */
export function everyMessage(name: string, holds: (world: World, m: InFlight) => boolean): MessageProperty {
  const p = always(name, (w) => w.messages.every((m) => holds(w, m)));
  return { ...p, shape: 'every-message', message: holds };
}

export function isNodeProperty(p: Property): p is NodeProperty {
  return (p as NodeProperty).shape === 'every-node';
}

export function isMessageProperty(p: Property): p is MessageProperty {
  return (p as MessageProperty).shape === 'every-message';
}

/** A count for messages: exact below 10^18, then in powers of ten. */
export function formatCount(n: number | bigint): string {
  if (typeof n === 'bigint') {
    if (n < 1_000_000_000_000_000_000n) return n.toLocaleString('en-US');
    const s = n.toString();
    return `${s[0]}.${s.slice(1, 3)}e${s.length - 1}`;
  }
  if (!Number.isFinite(n)) return String(n);
  if (n < 1e15) return Math.round(n).toLocaleString('en-US');
  return n.toExponential(2).replace('+', '');
}
