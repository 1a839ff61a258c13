/**
 * The generated BFT commit machines running: r replicas of one data item, each running the machine that
 * `generate(bftCommit, { r })` produces once per concurrent update, clients that put the updates, and up
 * to f = floor((r-1)/3) Byzantine replicas. The replicas are driven by the StateMachine value alone: its
 * states, its transitions per message and the actions on them; nothing of the meta-model's rules is
 * repeated here. (Kirby, Dearle and Norcross, "Generating a Family of BFT Protocol Implementations Using a
 * Meta-Model Architecture"; docs/bft-commit.md, section "The machines running".)
 *
 * Nodes
 * - `c1` .. `cU` (role `client`): client k proposes update `ck` and puts it to every correct replica at
 *   start ("the client sends a put message to each of the servers"). An update is named by its client's
 *   id, so the clients' symmetry is the updates' symmetry.
 * - `r1` .. (role `replica`): the correct replicas. Per update a correct replica holds the name of its
 *   machine's state (`T/2/F/0/F/F/F`, as in the document's Figure 9), looks up the transition on each
 *   message it gets, moves to its destination and performs its actions: `vote` and `commit` go to the other correct
 *   replicas tagged with the update; `not free` and `free` are local messages delivered at once, in the
 *   same step, to this replica's machines for the other updates (finished machines take no messages).
 * - `b1` .. (role `byzantine`): faulty replicas. A faulty replica may send any message of the protocol to
 *   anyone at any time. Correct replicas count a vote or commit once per sender and update (channels are
 *   authenticated, so a sender cannot pose as another), which makes a second copy of a message worthless;
 *   and the network delivers messages in any order at any time, or never. So a faulty replica that sends,
 *   at start, one vote and one commit for every update to every correct replica can do anything any
 *   faulty replica can: it behaves as if it sent each of those messages whenever the checker delivers it.
 *   Sending them from timers instead would only add a state per message (armed, not yet sent), and timer
 *   names, which symmetry reduction does not rename, would have to name replicas and updates.
 *
 * Where messages go. Correct replicas send nothing to faulty ones: what a faulty replica receives cannot
 * change what it may send (it may send everything already), and every message to it would only add
 * states. Puts go to the correct replicas for the same reason.
 *
 * The network. The protocol is checked on a duplicating network by default: a message once sent may be
 * delivered any number of times, in any order, or never (the TLA+ message set). Replicas count each sender
 * once per update anyway, so duplicates change nothing in the correct protocol, and the messages in flight
 * are then just the messages sent, fixed by the senders' states; on a network that consumes messages,
 * every message delivered after it stopped mattering would make states of its own (for r = 4 and one
 * update: 2,173 states against 64,918).
 *
 * When `free` is sent. The document's commentary says a replica "may not choose since another ongoing
 * update has been voted for", and its machine receives `free` when that stops being so ("No other ongoing
 * update is voted for any more", the meta-model's rationale). An update stops being ongoing at a replica
 * when its machine finishes (f + 1 external commits: "the commit algorithm completes"). So a replica sends
 * `free` when the last update it voted for finishes and no other unfinished update at it has been voted
 * for. `free` lets a waiting update be chosen, and only one may be: it goes to the unfinished update whose
 * put arrived first among those that have their put (that machine chooses it and tells the others
 * `not free`), or, when none has its put, to every unfinished update (they may then choose when their put
 * arrives). Choosing by put arrival rather than by id keeps the updates interchangeable for symmetry.
 *
 * What "committed" and "conflicting" mean. A machine has committed its update once it has performed the
 * `commit` action (sent its commit message); a machine that finishes has always done so (the finishing
 * transition sends the commit if it had not been sent). An update is committed when a correct replica has
 * committed it, and finished when a correct replica's machine for it has finished. Two different updates
 * are concurrent while neither has finished at any correct replica: both are still ongoing everywhere.
 * The property `no conflicting commits` says two concurrent updates are never both committed. Once an
 * update has finished at a correct replica, that replica is free and the next update it chooses is
 * ordered after it: committing both is then the global ordering the algorithm exists to agree, not a
 * conflict. (Why it holds, with b <= f faulty replicas: the first commit of an update by a correct
 * replica needs r - f votes, so at least r - f - b from correct replicas that chose it, since a vote
 * forced by the threshold comes later; two such sets of the r - b correct replicas share at least
 * r - 2f - b >= 1 replica, and a correct replica chooses a second update only after the first has
 * finished there.)
 *
 * Whether a machine state has voted, has committed or has its put is read off the machine itself: the
 * states reached by paths that performed a `vote` (a `commit`, received a `put`) and by paths that did
 * not must be disjoint, which is checked when the machine is loaded. With `merge` (the default) a replica
 * keeps states it cannot tell apart as one (see `driveMachine`) and forgets who sent votes once no vote can
 * change its machine (after it has committed): the generated machine for r = 4 has 33 states, of which 27
 * are kept, and the states of the whole system shrink about fourfold. `merge=false` runs it state for
 * state; the verdicts are the same.
 *
 * Other properties, witnesses that the checks are not vacuous: an update is committed; an update finishes
 * at every correct replica; two updates are committed (one after the other finished); and `stuck`, a split
 * vote: nothing committed and every vote of a correct replica counted, so that nothing more happens unless
 * the faulty replicas help (the algorithm never gives a vote up). With `history`, each replica also keeps
 * the order in which it committed, and a witness looks for two correct replicas that committed two
 * updates in opposite orders: they can, since a replica also commits an update on f + 1 external commits,
 * whenever they arrive. The order of the updates comes from finishing, not from committing.
 *
 * Variants (broken ones prove the property can fail):
 * - `correct` (default).
 * - `counts-duplicates` (broken): replicas count every vote and commit message, not once per sender;
 *   a faulty replica then sends each of its messages r - 1 times (as many as a machine counts).
 * - `free-on-commit` (broken): a replica is free once every update it voted for has committed there,
 *   without waiting for it to finish.
 *
 * `byzantine` is the number of faulty replicas, `f` by default; `f+1` (one more than the algorithm
 * tolerates) is allowed to show that the bound is tight.
 */
import { always, defineProtocol, node, nodes, param, ParamError, role, sometimes } from '../core/index.ts';
import type { Ctx, World } from '../core/index.ts';
import { generate } from '../metamodel/build.ts';
import type { StateMachine } from '../metamodel/machine.ts';
import { bftCommit, bftThresholds } from './bft-commit.ts';

export type Msg =
  | { type: 'put' }
  | { type: 'vote'; u: string }
  | { type: 'commit'; u: string };

/** A correct replica's record of one update: its machine's state, and who it has counted votes and commits from. */
export interface UpdateState {
  /** The name of the machine's state (`T/2/F/0/F/F/F`, or `finish`). */
  s: string;
  /** Senders whose vote has been counted (absent once no vote can change the machine: after it commits). */
  v?: Record<string, true>;
  /** Senders whose commit has been counted (absent once the machine has finished). */
  c?: Record<string, true>;
}

export interface ReplicaState {
  /** Per update (client id). */
  u: Record<string, UpdateState>;
  /** Updates waiting to be chosen (put received, not voted for, unfinished), in the order their puts arrived. */
  q: string[];
  /** Updates this replica has committed, in the order it committed them (kept only with `history`). */
  log?: string[];
}

export type Variant = 'correct' | 'counts-duplicates' | 'free-on-commit';

/** What the wrapper needs to know about a generated machine, all read off the StateMachine value. */
export interface DrivenMachine {
  readonly machine: StateMachine;
  readonly start: number;
  /** Index of the finish state (-1 when the machine has none). */
  readonly finish: number;
  /** Per state and message (in `machine.messages` order): the destination and the actions, or null when ignored. */
  readonly next: readonly (readonly ({ readonly to: number; readonly actions: readonly string[] } | null)[])[];
  readonly message: Readonly<Record<string, number>>;
  /** Per state: every path from the start performed a `vote` action. */
  readonly voted: readonly boolean[];
  /** Per state: every path from the start performed a `commit` action (true for the finish state). */
  readonly committed: readonly boolean[];
  /** Per state: every path from the start received a `put`. */
  readonly hasPut: readonly boolean[];
  /** Per state: the state it is kept as (itself when states are not merged). */
  readonly rep: readonly number[];
  /** How many states are kept. */
  readonly kept: number;
  /** State names by index. */
  readonly names: readonly string[];
  /** The index of a state given its name. */
  at(name: string): number;
  /** Per kept state: no vote can change anything from here on. */
  readonly voteInert: readonly boolean[];
  /** Per kept state: no commit can change anything from here on. */
  readonly commitInert: readonly boolean[];
}

/**
 * Labels each state with whether the paths reaching it did something: `does(t, message)` says whether a
 * transition does it. Throws when some state is reached both ways, unless it is the finish state and
 * `mixedAtFinish` allows it (a finished machine takes no more messages, so nothing reads it there).
 */
function label(m: StateMachine, what: string, does: (actions: readonly string[], message: string) => boolean, mixedAtFinish: boolean): boolean[] {
  const seen: (boolean | 'both' | undefined)[] = new Array(m.states.length);
  seen[m.start] = false;
  const work = [m.start];
  while (work.length > 0) {
    const i = work.pop()!;
    const here = seen[i];
    for (const t of m.states[i].transitions) {
      const actions = t.actions.map((a) => ('send' in a ? a.send : a.do));
      const there = here === 'both' ? 'both' : here || does(actions, t.message);
      const old = seen[t.to];
      const merged = old === undefined ? there : old === there ? old : 'both';
      if (merged !== old) {
        seen[t.to] = merged;
        work.push(t.to);
      }
    }
  }
  return seen.map((x, i) => {
    if (x === 'both' && !(mixedAtFinish && i === m.finish)) {
      throw new Error(`machine ${m.name} (${JSON.stringify(m.params)}): state ${m.states[i].name} is reached both with and without ${what}, so a replica cannot tell from it whether it has`);
    }
    return x === true;
  });
}

/**
 * Reads a generated machine into the tables the replicas run on. With `merge`, states that no replica
 * could tell apart are kept as one: states that agree on the labels above and, on every message, perform
 * the same actions and go to states kept as one, where a message the state has no transition for leaves
 * it where it is (which is what a running replica does with it). The generator keeps such states apart
 * (a missing transition is an outcome of its own there, which Table 1's counts need); a replica has no
 * use for the difference. Each merged set is kept as its first state, and `voteInert` / `commitInert`
 * say when no vote (commit) can change anything any more, so a replica can forget who sent them.
 */
export function driveMachine(machine: StateMachine, options: { readonly merge?: boolean } = {}): DrivenMachine {
  const merge = options.merge ?? true;
  const message: Record<string, number> = {};
  machine.messages.forEach((name, j) => { message[name] = j; });
  for (const name of ['put', 'vote', 'commit', 'free', 'not free']) {
    if (!(name in message)) throw new Error(`machine ${machine.name} has no message ${JSON.stringify(name)}`);
  }
  const raw = machine.states.map((s) => machine.messages.map((name) => {
    const t = s.transitions.find((x) => x.message === name);
    return t ? { to: t.to, actions: t.actions.map((a) => ('send' in a ? a.send : a.do)) } : null;
  }));
  const finish = machine.finish ?? -1;
  const committed = label(machine, 'a commit sent', (a) => a.includes('commit'), false);
  if (finish >= 0 && !committed[finish]) throw new Error(`machine ${machine.name}: the finish state is reached without a commit sent`);
  const voted = label(machine, 'a vote sent', (a) => a.includes('vote'), true);
  const hasPut = label(machine, 'the put received', (_a, msg) => msg === 'put', true);
  const n = machine.states.length;
  const names = machine.states.map((s) => s.name);
  const byName = new Map(names.map((name, i) => [name, i]));
  if (byName.size !== n) throw new Error(`machine ${machine.name} has two states with the same name`);

  // Moore refinement from the labels; a missing transition stays put with no action.
  let block = machine.states.map((_, i) => `${i === finish ? 1 : 0}${voted[i] ? 1 : 0}${committed[i] ? 1 : 0}${hasPut[i] ? 1 : 0}`);
  if (merge) {
    for (;;) {
      const ids = new Map<string, number>();
      const next = block.map((b, i) => {
        const key = b + '|' + raw[i].map((t) => (t ? `${block[t.to]}:${t.actions.join(',')}` : `${b}:`)).join(';');
        let id = ids.get(key);
        if (id === undefined) ids.set(key, (id = ids.size));
        return String(id);
      });
      const before = new Set(block).size;
      block = next;
      if (ids.size === before) break;
    }
  } else {
    block = block.map((_, i) => String(i));
  }
  const rep = new Array<number>(n);
  const first = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    if (!first.has(block[i])) first.set(block[i], i);
    rep[i] = first.get(block[i])!;
  }
  // On a kept state: the kept destination and the actions, or null when nothing would change.
  const next = raw.map((row, i) => row.map((t) => {
    if (!t) return null;
    const to = rep[t.to];
    return to === rep[i] && t.actions.length === 0 ? null : { to, actions: t.actions };
  }));
  // A message kind is live in a state whose transition on it does something; inert where no live state is reachable.
  const inert = (kind: number): boolean[] => {
    const live = next.map((row) => row[kind] !== null);
    let changed = true;
    while (changed) {
      changed = false;
      for (let i = 0; i < n; i++) {
        if (live[i]) continue;
        if (next[i].some((t) => t !== null && live[t.to])) { live[i] = true; changed = true; }
      }
    }
    return live.map((x) => !x);
  };
  return {
    machine, start: rep[machine.start], finish, next, message, voted, committed, hasPut, rep,
    kept: new Set(rep).size,
    names,
    at(name: string): number {
      const i = byName.get(name);
      if (i === undefined) throw new Error(`machine ${machine.name} has no state ${JSON.stringify(name)}`);
      return i;
    },
    voteInert: inert(message.vote),
    commitInert: inert(message.commit),
  };
}

const machines = new Map<string, DrivenMachine>();

/** The machine of replication factor r, generated once (and read with or without merging). */
export function replicaMachine(r: number, merge = true): DrivenMachine {
  const key = `${r}/${merge}`;
  let d = machines.get(key);
  if (!d) machines.set(key, (d = driveMachine(generate(bftCommit, { r }), { merge })));
  return d;
}

export interface Setup {
  readonly r: number;
  readonly f: number;
  readonly byzantine: number;
  readonly correct: readonly string[];
  readonly faulty: readonly string[];
  readonly updates: readonly string[];
}

/** The node ids and counts for the parameters. */
export function setup(params: { readonly r: number; readonly updates: number; readonly byzantine: string }): Setup {
  const { r, updates } = params;
  const { f } = bftThresholds(r);
  const byzantine = params.byzantine === 'f' ? f : params.byzantine === 'f+1' ? f + 1 : Number(params.byzantine);
  if (params.byzantine !== 'f+1' && byzantine > f) {
    throw new ParamError(`parameter byzantine of bft-replicas must be at most f = floor((r-1)/3) = ${f} for r = ${r} (or f+1 to exceed the bound on purpose), got ${params.byzantine}`);
  }
  if (byzantine > r) throw new ParamError(`parameter byzantine of bft-replicas must be at most r = ${r}, got ${byzantine}`);
  return {
    r, f, byzantine,
    correct: Array.from({ length: r - byzantine }, (_, i) => `r${i + 1}`),
    faulty: Array.from({ length: byzantine }, (_, i) => `b${i + 1}`),
    updates: Array.from({ length: updates }, (_, i) => `c${i + 1}`),
  };
}

const client = role<null, Msg>({
  init(ctx) {
    for (const to of ctx.nodesOf('replica')) ctx.send(to, { type: 'put' });
    return null;
  },
});

function byzantine(copies: number) {
  return role<null, Msg>({
    init(ctx) {
      for (const to of ctx.nodesOf('replica')) {
        for (const u of ctx.nodesOf('client')) {
          for (let k = 0; k < copies; k++) {
            ctx.send(to, { type: 'vote', u });
            ctx.send(to, { type: 'commit', u });
          }
        }
      }
      return null;
    },
  });
}

/** A replica's state while one event is handled: copied on write, then returned. */
interface Draft {
  u: Record<string, UpdateState>;
  q: string[];
  log?: string[];
}

function replica(d: DrivenMachine, variant: Variant, history: boolean) {
  const { finish, next, message } = d;
  const dedupe = variant !== 'counts-duplicates';
  /** An update that keeps its replica from choosing another: voted for and still ongoing. */
  const holds = variant === 'free-on-commit'
    ? (s: number) => s !== finish && d.voted[s] && !d.committed[s]
    : (s: number) => s !== finish && d.voted[s];
  const busy = (st: Draft) => Object.values(st.u).some((x) => holds(d.at(x.s)));

  /** Delivers `msg` to the machine for update `u`, and the local messages that follow, all in this step. */
  function deliver(st: Draft, u: string, msg: string, ctx: Ctx<Msg>): void {
    const local: [string, string][] = [[u, msg]];
    while (local.length > 0) {
      const [x, m] = local.shift()!;
      const before = st.u[x];
      const from = d.at(before.s);
      if (from === finish) continue;
      const t = next[from][message[m]];
      if (!t) continue;
      const wasBusy = busy(st);
      const after: UpdateState = { s: d.names[t.to] };
      if (t.to !== finish && before.v && !d.voteInert[t.to]) after.v = before.v;
      if (t.to !== finish && before.c && !d.commitInert[t.to]) after.c = before.c;
      st.u = { ...st.u, [x]: after };
      if (!d.committed[from] && d.committed[t.to] && st.log) st.log = [...st.log, x];
      for (const a of t.actions) {
        if (a === 'vote' || a === 'commit') {
          for (const to of ctx.nodesOf('replica')) if (to !== ctx.self) ctx.send(to, { type: a, u: x });
        } else if (a === 'not free' || a === 'free') {
          for (const y of Object.keys(st.u)) if (y !== x) local.push([y, a]);
        } else {
          throw new Error(`machine action ${JSON.stringify(a)} is not one a replica knows how to perform`);
        }
      }
      // The queue of waiting updates: those with their put, not voted for and unfinished, by put arrival.
      const waiting = d.hasPut[t.to] && !d.voted[t.to] && t.to !== finish;
      const queued = st.q.includes(x);
      if (waiting && !queued) st.q = [...st.q, x];
      else if (!waiting && queued) st.q = st.q.filter((y) => y !== x);
      if (wasBusy && !busy(st)) {
        // Free again: the first waiting update may be chosen; with none waiting, every unfinished one may.
        if (st.q.length > 0) local.push([st.q[0], 'free']);
        else for (const y of Object.keys(st.u)) if (d.at(st.u[y].s) !== finish) local.push([y, 'free']);
      }
    }
  }

  /** Counts `kind` from the sender once per update (unless the variant counts duplicates), then delivers it. */
  function receive(s: ReplicaState, m: Extract<Msg, { type: 'vote' | 'commit' }>, ctx: Ctx<Msg> & { from: string }): ReplicaState {
    const rec = s.u[m.u];
    if (!rec) return s;
    const at = d.at(rec.s);
    if (at === finish || (m.type === 'vote' ? d.voteInert : d.commitInert)[at]) return s;
    const key = m.type === 'vote' ? 'v' : 'c';
    const counted = rec[key] ?? {};
    if (dedupe && counted[ctx.from]) return s;
    const st: Draft = { ...s, u: { ...s.u, [m.u]: dedupe ? { ...rec, [key]: { ...counted, [ctx.from]: true } } : rec } };
    deliver(st, m.u, m.type, ctx);
    return st;
  }

  return role<ReplicaState, Msg>({
    init(ctx) {
      const u: Record<string, UpdateState> = {};
      const s = d.names[d.start];
      for (const c of ctx.nodesOf('client')) u[c] = dedupe ? { s, v: {}, c: {} } : { s };
      return history ? { u, q: [], log: [] } : { u, q: [] };
    },
    on: {
      put(s, _m, ctx) {
        if (!s.u[ctx.from]) return s;
        const st: Draft = { ...s };
        deliver(st, ctx.from, 'put', ctx);
        return st;
      },
      vote: receive,
      commit: receive,
    },
  });
}

/** Per update: committed by some correct replica, finished at some correct replica. */
interface Outcome {
  readonly committed: Record<string, boolean>;
  readonly finished: Record<string, boolean>;
  readonly anyCommitted: boolean;
}

const outcomes = new WeakMap<World, Outcome>();

function outcome(w: World, d: DrivenMachine): Outcome {
  let o = outcomes.get(w);
  if (!o) {
    const committed: Record<string, boolean> = {};
    const finished: Record<string, boolean> = {};
    let anyCommitted = false;
    for (const st of w.statesOf<ReplicaState>('replica')) {
      for (const u in st.u) {
        const s = d.at(st.u[u].s);
        if (d.committed[s]) committed[u] = anyCommitted = true;
        if (s === d.finish) finished[u] = true;
      }
    }
    outcomes.set(w, (o = { committed, finished, anyCommitted }));
  }
  return o;
}

/** Two different updates both committed by correct replicas while neither has finished at any correct replica. */
export function conflictingCommits(w: World, d: DrivenMachine): [string, string] | null {
  const o = outcome(w, d);
  if (!o.anyCommitted) return null;
  const ongoing = Object.keys(o.committed).filter((u) => !o.finished[u]).sort();
  return ongoing.length >= 2 ? [ongoing[0], ongoing[1]] : null;
}

/**
 * Stuck: nothing is committed, and every correct replica has its puts and has counted every vote sent to
 * it by the other correct replicas wherever a vote could still change its machine (no commit has been
 * sent, so there are none to count). What the faulty replicas sent may or may not have arrived: they may
 * stay silent. A split vote leaves the replicas here for good unless the faulty replicas help, since the
 * algorithm has no way to give up a vote. Needs the counted senders (`dedupe`).
 */
function stuck(w: World, d: DrivenMachine): boolean {
  if (outcome(w, d).anyCommitted) return false;
  const correct = w.nodes.filter((n) => n.role === 'replica');
  for (const y of correct) {
    const st = y.state as ReplicaState;
    for (const u in st.u) {
      const rec = st.u[u];
      const at = d.at(rec.s);
      if (!d.hasPut[at]) return false;
      if (d.voteInert[at]) continue;
      if (!rec.v) return false;
      for (const x of correct) if (x.id !== y.id && d.voted[d.at((x.state as ReplicaState).u[u].s)] && !rec.v[x.id]) return false;
    }
  }
  return true;
}

/** Two correct replicas whose commit logs put two updates in opposite orders (needs `history`). */
function opposite(w: World): boolean {
  const logs = w.statesOf<ReplicaState>('replica').map((s) => s.log ?? []);
  for (let i = 0; i < logs.length; i++) {
    for (let j = i + 1; j < logs.length; j++) {
      const a = logs[i];
      const b = logs[j];
      for (let x = 0; x < a.length; x++) {
        for (let y = x + 1; y < a.length; y++) {
          const bx = b.indexOf(a[x]);
          const by = b.indexOf(a[y]);
          if (bx >= 0 && by >= 0 && by < bx) return true;
        }
      }
    }
  }
  return false;
}

export const bftReplicas = defineProtocol({
  name: 'bft-replicas',
  description: 'The generated BFT commit machines run by r replicas (up to f Byzantine) for concurrent client puts',
  params: {
    r: param.int('replication factor: replicas of the data item (4 and 7 are the f = 1 and f = 2 members checked)', 4, 1, 7),
    updates: param.int('concurrent updates, one client each', 2, 1, 3),
    byzantine: param.choice('faulty replicas: f = floor((r-1)/3) (default), a number up to f, or f+1 (beyond the bound)', 'f', ['f', '0', '1', '2', 'f+1']),
    variant: param.choice('correct, counts-duplicates (broken: votes counted per message) or free-on-commit (broken: free before finishing)', 'correct',
      ['correct', 'counts-duplicates', 'free-on-commit']),
    merge: param.bool('keep machine states that behave the same as one, and forget senders once their messages cannot change anything', true),
    history: param.bool('keep each replica\'s commit order, to look for replicas that commit in opposite orders', false),
  },
  network: { duplicating: true },
  symmetric: ['replica', 'client', 'byzantine'],
  nodes: (params) => {
    const { r, variant, history } = params;
    const set = setup(params);
    const d = replicaMachine(r, params.merge);
    return [
      ...nodes('c', params.updates, 'client', client),
      ...nodes('r', set.correct.length, 'replica', replica(d, variant, history)),
      ...nodes('b', set.faulty.length, 'byzantine', byzantine(variant === 'counts-duplicates' ? r - 1 : 1)),
    ];
  },
  properties: (params) => {
    const d = replicaMachine(params.r, params.merge);
    const props = [
      always('no conflicting commits', (w) => conflictingCommits(w, d) === null),
      sometimes('an update is committed', (w) => outcome(w, d).anyCommitted),
      sometimes('an update finishes at every correct replica', (w) => {
        const states = w.statesOf<ReplicaState>('replica');
        return Object.keys(states[0]?.u ?? {}).some((u) => states.every((s) => d.at(s.u[u].s) === d.finish));
      }),
    ];
    if (params.updates >= 2) {
      props.push(sometimes('two updates are committed', (w) => Object.keys(outcome(w, d).committed).length >= 2));
      props.push(sometimes('stuck: nothing committed, every correct vote counted', (w) => stuck(w, d)));
    }
    if (params.history) props.push(sometimes('two correct replicas commit two updates in opposite orders', opposite));
    return props;
  },
});

