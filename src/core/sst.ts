/**
 * The shared state table (SST) notation, after Derecho ("Monotonicity and Opportunistically-Batched
 * Actions in Derecho"): each member owns one row of monotonic columns, writes only its own row, and
 * pushes it to the others asynchronously; predicates over the table, each with a trigger, are
 * evaluated by a loop, and a trigger acts on everything that has become true since its last pass.
 * `defineSstProtocol` compiles such a program into an ordinary `Protocol`, so the checker, the
 * simulator and the runtime run it unchanged.
 *
 * Columns (declared with `counter`, `flag`, `counters`, `flags`, `versioned`, `log`):
 * - `counter(initial)`: a whole number that never decreases;
 * - `flag()`: false, then possibly true for good;
 * - `counters(initial)`: one counter per member of the epoch (Derecho's `num_received[]`);
 * - `flags()`: one flag per member (suspicions);
 * - `versioned(initial)`: `{version, value}`, a value guarded by a monotonic version counter: the
 *   value may change only together with a larger version;
 * - `log()`: an append-only list (a send buffer, a list of proposed changes): a write may only extend it.
 * A write that would take a column backwards, or a write by one member to another member's row,
 * throws an `SstError` that names the row, the column and the two values.
 *
 * How it compiles (one node per member, role `member` unless told otherwise):
 * - the node's state is `{ sst, app }`: `sst` is its replica of the table (its own row authoritative,
 *   the others as last pushed) with the loop's bookkeeping; `app` is the program's application state;
 * - a push is the message `sst-push {epoch, seq, row}` carrying the whole row. `seq` counts the
 *   owner's pushes in the epoch; a replica takes a push only if its `seq` is newer than the last one it
 *   took from that owner and otherwise drops it as stale. So on an unordered network each replica of a
 *   row still moves forward through its owner's versions in the owner's order (FIFO per sender), and
 *   may skip some: exactly what a one-sided RDMA write does to the memory a reader polls, and harmless
 *   because every column is monotonic (seeing a counter jump from 16 to 18 says that 17 was reported).
 *   No ordered network is needed and nothing is buffered. On an ordered network (FIFO channels, what
 *   RDMA's reliable connections give) no push is ever stale, and the checker has far fewer states to
 *   visit: the pushes in flight on a channel are then fixed by how many were sent and taken, where on
 *   an unordered one any subset of them may still be in flight. The network must not lose the last
 *   push of a row in each epoch (use a non-lossy network; a transport that overwrites a row with
 *   the next push, as one-sided writes do, must still deliver the old epoch's last push);
 * - one evaluation pass is the timer `sst-evaluate`: the predicates are evaluated in declaration
 *   order on the replica, each trigger sees the writes of the triggers before it, and at the end of the
 *   pass the member's row, if it changed, is pushed once to every other member of the epoch. The
 *   timer is armed whenever a pass would act (some predicate would fire, or a transition predicate
 *   would record that its test went false): that is the always-armed polling loop of Derecho with its
 *   idle passes left out. An idle pass is a step that changes nothing, which the checker does not
 *   count, so the state counts are those of an always-armed timer (`evaluation: 'always'` arms it
 *   for good, to compare); the simulator and the runtime reach quiescence instead of spinning. The
 *   checker fires timers in any order, so a pass may run on stale rows, before or after any push.
 *   `evaluation: 'eager'` drops the timer instead: every step that changes the replica is followed at
 *   once by passes until none would act (a loop that polls faster than anything arrives), which
 *   explores fewer interleavings and far fewer states;
 * - actions (`action(name, enabled, run)`) are spontaneous steps of a member, such as a failure
 *   detector suspecting a peer: the timer `sst-action:<name>`, armed while `enabled` holds.
 *
 * Payloads: the notation carries message bodies in a send-buffer column (a `log` in the sender's
 * row, as Derecho's small-message multicast keeps them in ring-buffer slots of the SST). The program
 * keeps its control data (counters, flags) in other columns and reads the bodies only through them,
 * so the data plane and the control plane are separate columns that travel in the same push.
 *
 * Epochs: a trigger may call `newEpoch(members)`: the pass ends, the member pushes its last row of
 * the old epoch, and starts the next epoch with a fresh table over `members` (Derecho makes a new SST
 * for every view). Pushes from an older epoch are dropped; pushes from a newer one are kept aside and
 * taken when this member reaches that epoch. `stop()` halts a member: no more passes, pushes ignored.
 */
import type { Plain } from './plain.ts';
import { encode } from './plain.ts';
import type { Ctx, Message, MessageCtx, ParamSpec, ParamsOf, ParamValue, Protocol, Role } from './protocol.ts';
import { defineProtocol, node } from './protocol.ts';
import type { NetworkOptions } from './network.ts';
import type { Property, World } from './properties.ts';

/** A program broke a rule of the table: a column going backwards, a write to another row, a bad column. */
export class SstError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SstError';
  }
}

// ---------------------------------------------------------------- columns

export type ColumnKind = 'counter' | 'flag' | 'counters' | 'flags' | 'versioned' | 'log';

/** One column of every row; `T` is the type of its value. */
export interface Column<T> {
  readonly kind: ColumnKind;
  /** The value in a fresh row of a table over `members`. */
  readonly initial: (members: readonly string[]) => T;
  /** Only carries `T` for type inference. */
  readonly __value?: T;
}

/** A value guarded by a monotonic version counter. */
export interface Versioned<T> {
  readonly version: number;
  readonly value: T;
}

/** A whole number that never goes back. */
export function counter(initial = 0): Column<number> {
  return { kind: 'counter', initial: () => initial };
}

/** A flag that may go from false to true, never back. */
export function flag(): Column<boolean> {
  return { kind: 'flag', initial: () => false };
}

/** A monotonic counter per member of the epoch, keyed by member id. */
export function counters(initial = 0): Column<Readonly<Record<string, number>>> {
  return { kind: 'counters', initial: (members) => Object.fromEntries(members.map((m) => [m, initial])) };
}

/** A monotonic flag per member of the epoch, keyed by member id. */
export function flags(): Column<Readonly<Record<string, boolean>>> {
  return { kind: 'flags', initial: (members) => Object.fromEntries(members.map((m) => [m, false])) };
}

/** A value that may change only together with a larger version; starts at version 0. */
export function versioned<T extends Plain>(initial: T): Column<Versioned<T>> {
  return { kind: 'versioned', initial: () => ({ version: 0, value: initial }) };
}

/** An append-only list: a write must keep every entry and may add more at the end. */
export function log<T extends Plain>(): Column<readonly T[]> {
  return { kind: 'log', initial: () => [] };
}

export const column = { counter, flag, counters, flags, versioned, log };

export type Columns = { readonly [name: string]: Column<any> };

/** The row type of a set of columns. */
export type Row<C extends Columns> = { readonly [K in keyof C]: C[K] extends Column<infer T> ? T : never };

const show = (v: unknown): string => JSON.stringify(v);

function sameValue(a: unknown, b: unknown): boolean {
  return a === b || encode(a as Plain) === encode(b as Plain);
}

/**
 * Checks that `after` may follow `before` in column `name` of `owner`'s row; throws an SstError naming
 * the column and both values otherwise.
 */
export function checkColumnWrite(col: Column<unknown>, name: string, owner: string, members: readonly string[], before: unknown, after: unknown): void {
  const where = `column ${name} of row ${owner}`;
  switch (col.kind) {
    case 'counter': {
      if (typeof after !== 'number' || !Number.isInteger(after)) throw new SstError(`${where} is a counter: expected a whole number, got ${show(after)}`);
      if (after < (before as number)) throw new SstError(`${where} is a monotonic counter: it cannot go back from ${before} to ${after}`);
      return;
    }
    case 'flag': {
      if (typeof after !== 'boolean') throw new SstError(`${where} is a flag: expected true or false, got ${show(after)}`);
      if (before === true && after === false) throw new SstError(`${where} is a monotonic flag: it cannot go back from true to false`);
      return;
    }
    case 'counters':
    case 'flags': {
      const counts = col.kind === 'counters';
      if (typeof after !== 'object' || after === null || Array.isArray(after)) {
        throw new SstError(`${where} holds one ${counts ? 'counter' : 'flag'} per member: expected an object keyed by member, got ${show(after)}`);
      }
      const old = before as Record<string, number | boolean>;
      const now = after as Record<string, unknown>;
      for (const key of Object.keys(now)) {
        if (!members.includes(key)) throw new SstError(`${where} has an entry per member (${members.join(', ')}), got ${show(key)}`);
      }
      for (const m of members) {
        const b = old[m];
        const a = now[m];
        if (counts) {
          if (typeof a !== 'number' || !Number.isInteger(a)) throw new SstError(`${where} is a counter per member: ${name}[${m}] must be a whole number, got ${show(a)}`);
          if (a < (b as number)) throw new SstError(`${where} is a monotonic counter per member: ${name}[${m}] cannot go back from ${b} to ${a}`);
        } else {
          if (typeof a !== 'boolean') throw new SstError(`${where} is a flag per member: ${name}[${m}] must be true or false, got ${show(a)}`);
          if (b === true && a === false) throw new SstError(`${where} is a monotonic flag per member: ${name}[${m}] cannot go back from true to false`);
        }
      }
      return;
    }
    case 'versioned': {
      const old = before as Versioned<unknown>;
      const now = after as Versioned<unknown>;
      if (typeof now !== 'object' || now === null || typeof now.version !== 'number' || !Number.isInteger(now.version) || !('value' in now)) {
        throw new SstError(`${where} is versioned: expected {version, value} with a whole version, got ${show(after)}`);
      }
      if (now.version < old.version) throw new SstError(`${where} is versioned: its version cannot go back from ${old.version} to ${now.version}`);
      if (now.version === old.version && !sameValue(old.value, now.value)) {
        throw new SstError(`${where} is versioned: its value cannot change from ${show(old.value)} to ${show(now.value)} without a new version (still ${now.version})`);
      }
      return;
    }
    case 'log': {
      if (!Array.isArray(after)) throw new SstError(`${where} is an append-only log: expected an array, got ${show(after)}`);
      const old = before as readonly unknown[];
      const ok = after.length >= old.length && old.every((v, i) => sameValue(v, after[i]));
      if (!ok) throw new SstError(`${where} is an append-only log: it cannot go from ${show(old)} to ${show(after)}`);
      return;
    }
  }
}

// ---------------------------------------------------------------- the table

/** One member's replica of the table for one epoch. */
export interface Table<R = Record<string, any>> {
  readonly epoch: number;
  /** The members of the epoch, in rank order: one row each. */
  readonly members: readonly string[];
  readonly rows: Readonly<Record<string, R>>;
  /** Per member, the `seq` of the last push taken from it; for the owner itself, the pushes it sent. */
  readonly seq: Readonly<Record<string, number>>;
}

/** What a push carries: the owner's whole row at its `seq`-th push of the epoch. */
export interface Push<R = Record<string, any>> {
  readonly epoch: number;
  readonly seq: number;
  readonly row: R;
}

export const PUSH = 'sst-push';
export const EVALUATE = 'sst-evaluate';
export const ACTION_PREFIX = 'sst-action:';

export type PushMessage = { readonly type: typeof PUSH } & Push;

/** A fresh row: every column at its initial value. */
export function initialRow<C extends Columns>(columns: C, members: readonly string[]): Row<C> {
  const row: Record<string, unknown> = {};
  for (const [name, col] of Object.entries(columns)) row[name] = col.initial(members);
  return row as Row<C>;
}

/** A fresh table over `members`: every row initial, nothing pushed. */
export function createTable<C extends Columns>(columns: C, members: readonly string[], epoch = 0): Table<Row<C>> {
  if (members.length === 0) throw new SstError('a table needs at least one member');
  if (new Set(members).size !== members.length) throw new SstError(`the members of a table must be distinct, got ${members.join(', ')}`);
  const row = initialRow(columns, members);
  return {
    epoch,
    members: [...members],
    rows: Object.fromEntries(members.map((m) => [m, row])),
    seq: Object.fromEntries(members.map((m) => [m, 0])),
  };
}

/**
 * The table after `writer` writes `values` into `owner`'s row. Throws unless `writer` is `owner`, the
 * columns exist, and every monotonic column moves forward (or stays).
 */
export function writeRow<C extends Columns>(columns: C, table: Table<Row<C>>, writer: string, owner: string, values: Partial<Row<C>>): Table<Row<C>> {
  const names = Object.keys(values as object);
  if (writer !== owner) {
    const what = names.map((n) => `${n} = ${show((values as Record<string, unknown>)[n])}`).join(', ');
    throw new SstError(`member ${writer} cannot write row ${owner} (${what}): a member writes only its own row`);
  }
  const before = table.rows[owner];
  if (before === undefined) throw new SstError(`${owner} has no row in this table (members: ${table.members.join(', ')})`);
  let changed = false;
  for (const name of names) {
    const col = columns[name];
    if (!col) throw new SstError(`row ${owner} has no column ${name} (columns: ${Object.keys(columns).join(', ')})`);
    const after = (values as Record<string, unknown>)[name];
    checkColumnWrite(col, name, owner, table.members, (before as Record<string, unknown>)[name], after);
    if (!sameValue((before as Record<string, unknown>)[name], after)) changed = true;
  }
  if (!changed) return table;
  return { ...table, rows: { ...table.rows, [owner]: { ...before, ...values } } };
}

/**
 * Takes a push from `from` into the replica. A push of the same epoch with a newer `seq` replaces the
 * row; an older or repeated one is stale and changes nothing, so the row only moves forward in its
 * owner's order. Pushes of other epochs are the caller's business (see `defineSstProtocol`).
 */
export function applyPush<R>(table: Table<R>, from: string, push: Push<R>): Table<R> {
  if (push.epoch !== table.epoch || !(from in table.rows) || push.seq <= (table.seq[from] ?? 0)) return table;
  return { ...table, rows: { ...table.rows, [from]: push.row }, seq: { ...table.seq, [from]: push.seq } };
}

// ---------------------------------------------------------------- reading the table

/** A member's view of its replica, as predicates and triggers read it. */
export interface TableView<R> {
  readonly self: string;
  readonly epoch: number;
  /** The members of the epoch, in rank order. */
  readonly members: readonly string[];
  readonly params: Readonly<Record<string, ParamValue>>;
  /** `member`'s row as this member last saw it (its own row as it is). */
  row(member: string): R;
  /** This member's own row. */
  readonly mine: R;
}

/** The least of `f` over the rows of `among` (every member of the epoch by default). */
export function minOver<R>(t: TableView<R>, f: (row: R, member: string) => number, among: readonly string[] = t.members): number {
  let out = Infinity;
  for (const m of among) out = Math.min(out, f(t.row(m), m));
  return out;
}

/** The greatest of `f` over the rows of `among` (every member of the epoch by default). */
export function maxOver<R>(t: TableView<R>, f: (row: R, member: string) => number, among: readonly string[] = t.members): number {
  let out = -Infinity;
  for (const m of among) out = Math.max(out, f(t.row(m), m));
  return out;
}

/** How many rows of `among` pass `test` (every member of the epoch by default). */
export function countOver<R>(t: TableView<R>, test: (row: R, member: string) => boolean, among: readonly string[] = t.members): number {
  let out = 0;
  for (const m of among) if (test(t.row(m), m)) out++;
  return out;
}

/** Whether every row of `among` passes `test`. */
export function allOver<R>(t: TableView<R>, test: (row: R, member: string) => boolean, among: readonly string[] = t.members): boolean {
  return countOver(t, test, among) === among.length;
}

/** The whole numbers from `from` up to but not including `to`: the items that became true. */
export function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i < to; i++) out.push(i);
  return out;
}

// ---------------------------------------------------------------- predicates and actions

/** What a trigger (or an action) may do. */
export interface TriggerCtx<R> extends TableView<R> {
  /** Writes into this member's own row; the row is pushed at the end of the pass. */
  write(values: Partial<R>): void;
  /** Writes into `member`'s row: only this member's own row may be written, any other throws. */
  writeRow(member: string, values: Partial<R>): void;
  output(value: Plain): void;
  /** Ends the pass and starts the next epoch with a fresh table over `members`. */
  newEpoch(members: readonly string[]): void;
  /** Halts this member for good: no more passes, pushes ignored. */
  stop(): void;
}

export type PredicateKind = 'one-time' | 'recurrent' | 'transition';

/**
 * A predicate and its trigger. `test` says whether the predicate holds: true or false, or the list
 * of items that are ready (empty: it does not hold), on which the trigger then acts all at once
 * (opportunistic batching), or one at a time when the program runs with `batching: false`.
 */
export interface Predicate<R, A, I = any> {
  readonly kind: PredicateKind;
  readonly name: string;
  readonly test: (app: A, t: TableView<R>) => boolean | readonly I[];
  readonly trigger: (app: A, t: TriggerCtx<R>, items: readonly I[]) => A;
}

/** Fires once, at the first pass in which it holds, then is removed (for the epoch). */
export function oneTime<R, A, I = unknown>(name: string, test: Predicate<R, A, I>['test'], trigger: Predicate<R, A, I>['trigger']): Predicate<R, A, I> {
  return { kind: 'one-time', name, test, trigger };
}

/** Fires at every pass in which it holds; its trigger should make it false, or the loop spins. */
export function recurrent<R, A, I = unknown>(name: string, test: Predicate<R, A, I>['test'], trigger: Predicate<R, A, I>['trigger']): Predicate<R, A, I> {
  return { kind: 'recurrent', name, test, trigger };
}

/** Fires at a pass in which it holds when it did not hold at its previous evaluation (false to true). */
export function transition<R, A, I = unknown>(name: string, test: Predicate<R, A, I>['test'], trigger: Predicate<R, A, I>['trigger']): Predicate<R, A, I> {
  return { kind: 'transition', name, test, trigger };
}

/** A spontaneous step of a member (an input, a failure detector's suspicion), possible while `enabled`. */
export interface Action<R, A> {
  readonly name: string;
  readonly enabled: (app: A, t: TableView<R>) => boolean;
  readonly run: (app: A, t: TriggerCtx<R>) => A;
  /** The delay for the simulator and the runtime (the checker fires it in any order). */
  readonly delayMs?: number;
}

export function action<R, A>(name: string, enabled: Action<R, A>['enabled'], run: Action<R, A>['run'], delayMs?: number): Action<R, A> {
  return { name, enabled, run, delayMs };
}

// ---------------------------------------------------------------- node state

/** The loop's bookkeeping and the replica, as kept in a member's state. */
export interface SstState<R = Record<string, any>> extends Table<R> {
  /** One-time predicates that fired in this epoch. */
  readonly fired: Readonly<Record<string, true>>;
  /** Transition predicates whose test held at their last evaluation. */
  readonly held: Readonly<Record<string, true>>;
  /** The newest push of a later epoch from each member, kept until this member gets there. */
  readonly ahead: Readonly<Record<string, Push<R>>>;
  readonly stopped: boolean;
}

/** A member's whole state: its replica and loop (`sst`) and the application's state (`app`). */
export interface SstNodeState<R = Record<string, any>, A = unknown> {
  readonly sst: SstState<R>;
  readonly app: A;
}

/** One member as properties see it. */
export interface SstMember<R = Record<string, any>, A = any> {
  readonly id: string;
  readonly crashed: boolean;
  readonly table: SstState<R>;
  /** Its own row. */
  readonly row: R;
  readonly app: A;
}

/** The members of an SST protocol's world, in rank order (the nodes of role `role`). */
export function sstMembers<R = Record<string, any>, A = any>(w: World, role = 'member'): SstMember<R, A>[] {
  const out: SstMember<R, A>[] = [];
  for (const n of w.nodes) {
    if (n.role !== role) continue;
    const s = n.state as SstNodeState<R, A>;
    out.push({ id: n.id, crashed: n.crashed, table: s.sst, row: s.sst.rows[n.id], app: s.app });
  }
  return out;
}

// ---------------------------------------------------------------- compiling a program

/**
 * When passes run: `when-enabled` (default), a pass is the timer `sst-evaluate`, armed while a pass
 * would act; `always`, the same timer armed for good (idle passes included); `eager`, no timer: every
 * step that changes the replica is followed at once by passes until none would act (a loop that polls
 * faster than anything arrives; smaller state spaces, fewer interleavings).
 */
export type Evaluation = 'when-enabled' | 'always' | 'eager';

export interface SstProgram<D extends Record<string, ParamSpec>, C extends Columns, A> {
  readonly name: string;
  readonly description: string;
  readonly params?: D;
  /** The members of the first epoch, in rank order; each is a node. */
  readonly members: (params: ParamsOf<D>) => readonly string[];
  /** The role name of the member nodes (default `member`). */
  readonly role?: string;
  readonly columns: C | ((params: ParamsOf<D>) => C);
  /** The application state a member starts with. */
  readonly init: (self: string, params: ParamsOf<D>) => A;
  /** Evaluated in this order at every pass. */
  readonly predicates: (params: ParamsOf<D>) => readonly Predicate<Row<C>, A>[];
  readonly actions?: (params: ParamsOf<D>) => readonly Action<Row<C>, A>[];
  readonly properties: (params: ParamsOf<D>) => readonly Property[];
  /**
   * Whether triggers act on everything that became true (default), or on one item per pass. By
   * default the boolean parameter `batching` decides when the program has one.
   */
  readonly batching?: (params: ParamsOf<D>) => boolean;
  /** When passes run (see `Evaluation`); default `when-enabled`. */
  readonly evaluation?: Evaluation;
  /** The delay of the evaluation timer for the simulator and the runtime (default 0: the executor's). */
  readonly evaluateMs?: number;
  readonly network?: Partial<NetworkOptions>;
}

interface Compiled<R, A> {
  readonly columns: Columns;
  readonly predicates: readonly Predicate<R, A>[];
  readonly actions: readonly Action<R, A>[];
  readonly batching: boolean;
  readonly evaluation: Evaluation;
  readonly evaluateMs: number;
}

function viewOf<R>(table: Table<R>, self: string, params: Readonly<Record<string, ParamValue>>): TableView<R> {
  return {
    self, params,
    epoch: table.epoch,
    members: table.members,
    row: (m) => {
      const r = table.rows[m];
      if (r === undefined) throw new SstError(`${m} has no row in epoch ${table.epoch} (members: ${table.members.join(', ')})`);
      return r;
    },
    get mine() { return table.rows[self]; },
  };
}

const holdsOf = (r: boolean | readonly unknown[]): boolean => (typeof r === 'boolean' ? r : r.length > 0);

/** Whether predicate `p` would act on `s`: fire, or (a transition predicate) record a change of its test. */
function acts<R, A>(p: Predicate<R, A>, s: SstNodeState<R, A>, view: TableView<R>): boolean {
  if (p.kind === 'one-time' && s.sst.fired[p.name]) return false;
  const holds = holdsOf(p.test(s.app, view));
  if (p.kind === 'transition') return holds !== (s.sst.held[p.name] === true);
  return holds;
}

/** Whether a pass over `s` would change anything: the first predicate that acts sees `s` as it is. */
function evaluationEnabled<R, A>(c: Compiled<R, A>, s: SstNodeState<R, A>, self: string, params: Readonly<Record<string, ParamValue>>): boolean {
  if (s.sst.stopped) return false;
  const view = viewOf(s.sst, self, params);
  for (const p of c.predicates) if (acts(p, s, view)) return true;
  return false;
}

function actionEnabled<R, A>(a: Action<R, A>, s: SstNodeState<R, A>, self: string, params: Readonly<Record<string, ParamValue>>): boolean {
  return !s.sst.stopped && a.enabled(s.app, viewOf(s.sst, self, params));
}

/** Arms and disarms timers so that each is armed exactly while it may do something. */
function syncTimers<R, A>(c: Compiled<R, A>, before: SstNodeState<R, A> | null, after: SstNodeState<R, A>, ctx: Ctx<any, string>, fired?: string): void {
  const was = (enabled: boolean, name: string) => before !== null && name !== fired && enabled;
  if (c.evaluation === 'when-enabled') {
    const prev = was(before !== null && evaluationEnabled(c, before, ctx.self, ctx.params), EVALUATE);
    const next = evaluationEnabled(c, after, ctx.self, ctx.params);
    if (next && !prev) ctx.setTimer(EVALUATE, c.evaluateMs);
    if (!next && prev) ctx.cancelTimer(EVALUATE);
  } else if (c.evaluation === 'always' && (before === null || fired === EVALUATE)) {
    if (!after.sst.stopped) ctx.setTimer(EVALUATE, c.evaluateMs);
  }
  for (const a of c.actions) {
    const name = ACTION_PREFIX + a.name;
    const prev = was(before !== null && actionEnabled(a, before, ctx.self, ctx.params), name);
    const next = actionEnabled(a, after, ctx.self, ctx.params);
    if (next && !prev) ctx.setTimer(name, a.delayMs ?? 0);
    if (!next && prev) ctx.cancelTimer(name);
  }
}

/** Runs triggers (or an action) against a working copy of the replica, collecting writes and requests. */
class Working<R, A> {
  table: Table<R>;
  nextEpoch: readonly string[] | null = null;
  stopped = false;
  constructor(private readonly c: Compiled<R, A>, table: Table<R>, private readonly ctx: Ctx<any, string>) {
    this.table = table;
  }

  triggerCtx(): TriggerCtx<R> {
    const self = this.ctx.self;
    const ctx = this.ctx;
    const w = this;
    const view = (): TableView<R> => viewOf(w.table, self, ctx.params);
    return {
      self, params: ctx.params,
      get epoch() { return w.table.epoch; },
      get members() { return w.table.members; },
      row: (m) => view().row(m),
      get mine() { return w.table.rows[self]; },
      write: (values) => { w.table = writeRow(w.c.columns, w.table as Table<any>, self, self, values as never) as Table<R>; },
      writeRow: (member, values) => { w.table = writeRow(w.c.columns, w.table as Table<any>, self, member, values as never) as Table<R>; },
      output: (value) => ctx.output(value),
      newEpoch: (members) => {
        if (!members.includes(self)) throw new SstError(`member ${self} started an epoch without itself (members: ${members.join(', ')}): call stop() to leave`);
        w.nextEpoch = [...members];
      },
      stop: () => { w.stopped = true; },
    };
  }

  /** The member's state after the step: pushes its row if it changed, then switches epoch or stops. */
  finish(before: SstState<R>, app: A, fired: Readonly<Record<string, true>>, held: Readonly<Record<string, true>>): SstNodeState<R, A> {
    const self = this.ctx.self;
    let table = this.table;
    if (table.rows[self] !== before.rows[self]) {
      const seq = table.seq[self] + 1;
      table = { ...table, seq: { ...table.seq, [self]: seq } };
      const msg: PushMessage = { type: PUSH, epoch: table.epoch, seq, row: table.rows[self] as Plain as Record<string, Plain> };
      for (const m of table.members) if (m !== self) this.ctx.send(m, msg as never);
    }
    let sst: SstState<R> = { ...table, fired, held, ahead: before.ahead, stopped: before.stopped || this.stopped };
    if (this.nextEpoch && !sst.stopped) sst = enterEpoch(this.c, sst, this.nextEpoch);
    return { sst, app };
  }
}

/** A fresh table for the next epoch, with whatever pushes of it arrived early. */
function enterEpoch<R, A>(c: Compiled<R, A>, s: SstState<R>, members: readonly string[]): SstState<R> {
  let table = createTable(c.columns, members, s.epoch + 1) as Table<R>;
  const ahead: Record<string, Push<R>> = {};
  for (const [from, push] of Object.entries(s.ahead)) {
    if (push.epoch === table.epoch) table = applyPush(table, from, push);
    else if (push.epoch > table.epoch) ahead[from] = push;
  }
  return { ...table, fired: {}, held: {}, ahead, stopped: false };
}

function pass<R, A>(c: Compiled<R, A>, s: SstNodeState<R, A>, ctx: Ctx<any, string>): SstNodeState<R, A> {
  if (s.sst.stopped) return s;
  const w = new Working(c, s.sst, ctx);
  const t = w.triggerCtx();
  let app = s.app;
  let fired = s.sst.fired;
  let held = s.sst.held;
  for (const p of c.predicates) {
    if (p.kind === 'one-time' && fired[p.name]) continue;
    const result = p.test(app, viewOf(w.table, ctx.self, ctx.params));
    const holds = holdsOf(result);
    if (p.kind === 'transition') {
      const before = held[p.name] === true;
      if (holds !== before) {
        if (holds) held = { ...held, [p.name]: true };
        else {
          const { [p.name]: _, ...rest } = held;
          held = rest;
        }
      }
      if (!holds || before) continue;
    } else if (!holds) continue;
    const all: readonly unknown[] = typeof result === 'boolean' ? [] : result;
    const items = c.batching || all.length <= 1 ? all : all.slice(0, 1);
    app = p.trigger(app, t, items);
    if (app === undefined) throw new SstError(`the trigger of predicate ${p.name} returned undefined: it must return the application state`);
    if (p.kind === 'one-time') fired = { ...fired, [p.name]: true };
    if (w.nextEpoch || w.stopped) break;
  }
  return w.finish(s.sst, app, fired, held);
}

/** Passes until none would act (the `eager` evaluation: no step leaves a predicate pending). */
function settle<R, A>(c: Compiled<R, A>, s: SstNodeState<R, A>, ctx: Ctx<any, string>): SstNodeState<R, A> {
  if (c.evaluation !== 'eager') return s;
  for (let i = 0; i < 1000; i++) {
    if (!evaluationEnabled(c, s, ctx.self, ctx.params)) return s;
    s = pass(c, s, ctx);
  }
  throw new SstError(`member ${ctx.self}: predicates still fire after 1000 passes in a row (a recurrent trigger must make its test false)`);
}

function receivePush<R, A>(s: SstNodeState<R, A>, from: string, m: PushMessage): SstNodeState<R, A> {
  const sst = s.sst;
  if (sst.stopped || m.epoch < sst.epoch) return s;
  const push: Push<R> = { epoch: m.epoch, seq: m.seq, row: m.row as R };
  if (m.epoch > sst.epoch) {
    const kept = sst.ahead[from];
    if (kept && (kept.epoch > m.epoch || (kept.epoch === m.epoch && kept.seq >= m.seq))) return s;
    return { ...s, sst: { ...sst, ahead: { ...sst.ahead, [from]: push } } };
  }
  const table = applyPush(sst, from, push);
  return table === sst ? s : { ...s, sst: { ...sst, rows: table.rows, seq: table.seq } };
}

function memberRole<R, A>(c: Compiled<R, A>, members: readonly string[], init: (self: string) => A): Role {
  const timers: Record<string, (s: SstNodeState<R, A>, ctx: Ctx<any, string>) => SstNodeState<R, A>> = {
    [EVALUATE](s, ctx) {
      const next = pass(c, s, ctx);
      syncTimers(c, s, next, ctx, EVALUATE);
      return next;
    },
  };
  for (const a of c.actions) {
    const name = ACTION_PREFIX + a.name;
    timers[name] = (s, ctx) => {
      if (!actionEnabled(a, s, ctx.self, ctx.params)) return s;
      const w = new Working(c, s.sst, ctx);
      const app = a.run(s.app, w.triggerCtx());
      if (app === undefined) throw new SstError(`action ${a.name} returned undefined: it must return the application state`);
      const next = settle(c, w.finish(s.sst, app, s.sst.fired, s.sst.held), ctx);
      syncTimers(c, s, next, ctx, name);
      return next;
    };
  }
  return {
    init(ctx) {
      const table = createTable(c.columns, members) as Table<R>;
      const s = settle(c, { sst: { ...table, fired: {}, held: {}, ahead: {}, stopped: false }, app: init(ctx.self) }, ctx);
      syncTimers(c, null, s, ctx);
      return s;
    },
    timers,
    on: {
      [PUSH](s: SstNodeState<R, A>, m: PushMessage, ctx: MessageCtx<any, string>) {
        const next = settle(c, receivePush(s, ctx.from, m), ctx);
        if (next !== s) syncTimers(c, s, next, ctx);
        return next;
      },
    },
    rejects: (s: SstNodeState<R, A>, m: Message, from: string) =>
      m.type === PUSH && (m as unknown as PushMessage).epoch === s.sst.epoch && !(from in s.sst.rows)
        ? `push from ${from}, which is not a member of epoch ${s.sst.epoch} (members: ${s.sst.members.join(', ')})`
        : null,
  } as Role;
}

/** Compiles an SST program into a protocol: one node per member, pushes as messages, passes as a timer. */
export function defineSstProtocol<D extends Record<string, ParamSpec> = {}, C extends Columns = Columns, A = unknown>(program: SstProgram<D, C, A>): Protocol<D> {
  const roleName = program.role ?? 'member';
  const compile = (params: ParamsOf<D>): Compiled<Row<C>, A> => {
    const columns = typeof program.columns === 'function' ? program.columns(params) : program.columns;
    if (Object.keys(columns).length === 0) throw new SstError(`${program.name}: a table needs at least one column`);
    const predicates = program.predicates(params);
    const names = new Set<string>();
    for (const p of predicates) {
      if (names.has(p.name)) throw new SstError(`${program.name}: two predicates are named ${p.name}`);
      names.add(p.name);
    }
    const batchingParam = (params as Record<string, unknown>).batching;
    return {
      columns,
      predicates,
      actions: program.actions?.(params) ?? [],
      batching: program.batching ? program.batching(params) : typeof batchingParam === 'boolean' ? batchingParam : true,
      evaluation: program.evaluation ?? 'when-enabled',
      evaluateMs: program.evaluateMs ?? 0,
    };
  };
  return defineProtocol<D>({
    name: program.name,
    description: program.description,
    params: program.params,
    network: program.network,
    nodes: (params) => {
      const members = program.members(params);
      const compiled = compile(params);
      const role = memberRole(compiled, members, (self) => program.init(self, params));
      return members.map((m) => node(m, roleName, role));
    },
    properties: program.properties,
  });
}
