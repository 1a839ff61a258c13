/**
 * Derecho's virtually synchronous membership in the shared state table notation (`core/sst.ts`), with
 * the atomic multicast of `derecho-multicast.ts` running inside each view: the second half of
 * "Monotonicity and Opportunistically-Batched Actions in Derecho".
 *
 * Views are epochs: every installed view has its own table (a new SST per view, as in Derecho). Each
 * row holds, besides the multicast's `slots` and `received`:
 * - `suspected`: a monotonic flag per member. Suspicions are shared through the table: a member that
 *   sees a suspicion in any row adopts it, and wedges (stops sending and delivering in the view);
 * - `changes`: the proposed removals, an append-only log. The leader (the oldest member this member
 *   does not suspect, acting once every unsuspected member suspects all the older ones) proposes to
 *   remove each suspected member, after adopting any longer list a prior leader proposed; the others
 *   accept by copying the leader's list (its length is how many they accepted);
 * - `committed`: how many changes the leader committed, echoed by the others. The leader commits once
 *   every unsuspected member accepted and the acceptors include a majority of the current view and of
 *   each proposed view;
 * - `wedged`: this member stopped the multicast of the view;
 * - `trim`: the ragged trim, per sender the number of its messages every unsuspected member received,
 *   computed by the leader once every unsuspected member is wedged (or adopted from a prior leader's
 *   row), then echoed by the others.
 *
 * Once a member has a commit, a trim, and sees the trim echoed by every member it does not suspect,
 * it delivers the trimmed messages it has not delivered yet, in round-robin order, and installs the
 * next view: the current one without the committed removals (a table over the new members). A member
 * that is not in it stops (it was removed); a member that sees a majority of its view suspected shuts
 * down. Messages beyond the trim are not delivered in the view; a surviving sender sends its own again,
 * first, in the next view (under the same names: a member numbers its messages across views), and
 * goes on with those it had not sent yet. The install output annotates the new view with the delivery order of the view it
 * closes (`closed`), which every survivor knows to be the same.
 *
 * Failures: the failure detector is an action: a member may suspect the member `faulty` at any time,
 * whether or not it crashed (false suspicions included); with `detector: any`, any member may suspect
 * any other. Crashes are the checker's crash-stop faults (`network: {crashes: 1}`).
 *
 * Variants: `derecho` (default); `no-trim` (broken): at the view change each member delivers every
 * message it received instead of the leader's trim, so survivors of a view may deliver different sets.
 */
import { always, param, sometimes } from '../core/index.ts';
import type { World } from '../core/index.ts';
import {
  action, counter, counters, defineSstProtocol, flag, flags, log, minOver, oneTime, range, recurrent, sstMembers, versioned,
} from '../core/sst.ts';
import type { Action, Predicate, Row, SstMember, SstProgram, TableView, TriggerCtx } from '../core/sst.ts';
import { memberIds, messagesOf, receivedPrefix, slotsNeeded } from './derecho-multicast.ts';
import type { Body } from './derecho-multicast.ts';

/** A ragged trim: per sender of the view, how many of its messages (nulls included) to deliver. */
export type Trim = Readonly<Record<string, number>>;

const columns = {
  slots: log<Body>(),
  received: counters(),
  suspected: flags(),
  changes: log<string>(),
  committed: counter(),
  wedged: flag(),
  trim: versioned<Trim | null>(null),
};
export type MembershipRow = Row<typeof columns>;

export type Status = 'active' | 'removed' | 'shut down';

export interface MembershipApp {
  /** The number of the view this member installed last. */
  readonly vid: number;
  /** Application messages still to send. */
  readonly queue: number;
  /** Application messages this member has sent, in every view: the next one is `${self}.${sent + 1}`. */
  readonly sent: number;
  /** Its messages that the last view change trimmed (no survivor delivered them): sent again first. */
  readonly resend: readonly string[];
  /** Per sender of the current view, how many of its messages (nulls included) were delivered. */
  readonly done: Readonly<Record<string, number>>;
  /** `delivered[v]`: the application messages delivered in view v, in order. */
  readonly delivered: readonly (readonly string[])[];
  /** `views[v]`: the members of view v, as this member installed it. */
  readonly views: readonly (readonly string[])[];
  readonly status: Status;
}

export type MembershipVariant = 'derecho' | 'no-trim';

type View = TableView<MembershipRow>;
type Ctx = TriggerCtx<MembershipRow>;
type P<I = unknown> = Predicate<MembershipRow, MembershipApp, I>;

const majority = (n: number) => Math.floor(n / 2) + 1;
const isPrefix = <T>(a: readonly T[], b: readonly T[]) => a.length <= b.length && a.every((v, i) => v === b[i]);

/** The members this member does not suspect, in rank order. */
function unsuspected(t: View): string[] {
  return t.members.filter((m) => !t.mine.suspected[m]);
}

/** The oldest member this member does not suspect. */
function leaderOf(t: View): string | undefined {
  return t.members.find((m) => !t.mine.suspected[m]);
}

/** This member leads: it is the oldest it does not suspect, and every member it does not suspect suspects all older ones. */
function leads(t: View): boolean {
  if (leaderOf(t) !== t.self) return false;
  const older = t.members.slice(0, t.members.indexOf(t.self));
  return unsuspected(t).every((m) => older.every((o) => t.row(m).suspected[o]));
}

/** The view after removing the first `k` changes. */
function afterChanges(members: readonly string[], changes: readonly string[], k: number): string[] {
  const gone = new Set(changes.slice(0, k));
  return members.filter((m) => !gone.has(m));
}

function receive(): P<{ from: string; k: number }> {
  return recurrent('receive',
    (_app, t) => {
      const out: { from: string; k: number }[] = [];
      for (const m of t.members) {
        if (m === t.self) continue;
        for (let k = t.mine.received[m]; k < t.row(m).slots.length; k++) out.push({ from: m, k });
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

function learnSuspicions(): P<string> {
  return recurrent('suspicions',
    (_app, t) => t.members.filter((x) => !t.mine.suspected[x] && t.members.some((r) => t.row(r).suspected[x])),
    (app, t, items) => {
      const suspected = { ...t.mine.suspected };
      for (const x of items) suspected[x] = true;
      t.write({ suspected, wedged: true });
      return app;
    });
}

function shutdown(): P {
  return oneTime('partition', (_app, t) => unsuspected(t).length < majority(t.members.length), (app, t) => {
    t.output({ shutdown: t.self, vid: app.vid });
    t.stop();
    return { ...app, status: 'shut down' };
  });
}

function propose(): P<string> {
  return recurrent('propose',
    (_app, t) => {
      if (!leads(t)) return [];
      // A new leader first adopts any longer list of proposals a prior leader made.
      let base = t.mine.changes;
      for (const m of t.members) {
        const theirs = t.row(m).changes;
        if (theirs.length > base.length && isPrefix(base, theirs)) base = theirs;
      }
      const extra = t.members.filter((m) => t.mine.suspected[m] && !base.includes(m));
      return [...base.slice(t.mine.changes.length), ...extra];
    },
    (app, t, items) => {
      t.write({ changes: [...t.mine.changes, ...items], wedged: true });
      return app;
    });
}

function accept(): P<string> {
  return recurrent('accept',
    (_app, t) => {
      const leader = leaderOf(t);
      if (leader === undefined || leader === t.self) return [];
      const theirs = t.row(leader).changes;
      return theirs.length > t.mine.changes.length && isPrefix(t.mine.changes, theirs) ? theirs.slice(t.mine.changes.length) : [];
    },
    (app, t, items) => {
      t.write({ changes: [...t.mine.changes, ...items], wedged: true });
      return app;
    });
}

function commit(): P {
  return recurrent('commit',
    (_app, t) => {
      if (!leads(t)) return false;
      const changes = t.mine.changes;
      const k = changes.length;
      if (t.mine.committed >= k) return false;
      const live = unsuspected(t);
      const acceptors = live.filter((m) => t.row(m).changes.length >= k && isPrefix(changes, t.row(m).changes));
      if (acceptors.length < live.length) return false;
      for (let i = 0; i <= k; i++) {
        const view = afterChanges(t.members, changes, i);
        if (acceptors.filter((m) => view.includes(m)).length < majority(view.length)) return false;
      }
      return true;
    },
    (app, t) => {
      t.write({ committed: t.mine.changes.length });
      return app;
    });
}

function echoCommit(): P {
  return recurrent('echo-commit',
    (_app, t) => {
      const leader = leaderOf(t);
      if (leader === undefined || leader === t.self) return false;
      const c = t.row(leader).committed;
      return c > t.mine.committed && t.mine.changes.length >= c;
    },
    (app, t) => {
      t.write({ committed: t.row(leaderOf(t)!).committed });
      return app;
    });
}

function computeTrim(): P {
  return recurrent('trim',
    (_app, t) => leads(t) && t.mine.committed > 0 && t.mine.trim.value === null && unsuspected(t).every((m) => t.row(m).wedged),
    (app, t) => {
      const live = unsuspected(t);
      // A trim a prior leader already published is adopted as it is.
      const prior = live.map((m) => t.row(m).trim.value).find((v) => v !== null);
      const trim = prior ?? Object.fromEntries(t.members.map((s) => [s, minOver(t, (row) => row.received[s], live)]));
      t.write({ trim: { version: 1, value: trim } });
      return app;
    });
}

function echoTrim(): P {
  return recurrent('echo-trim',
    (_app, t) => {
      const leader = leaderOf(t);
      return leader !== undefined && leader !== t.self && t.mine.trim.value === null && t.row(leader).trim.value !== null;
    },
    (app, t) => {
      t.write({ trim: t.row(leaderOf(t)!).trim });
      return app;
    });
}

/** Delivers, in round-robin order, every message of `upTo` (per sender) not delivered yet. */
function deliverUpTo(app: MembershipApp, t: Ctx, upTo: Trim): MembershipApp {
  const n = t.members.length;
  let most = 0;
  t.members.forEach((s, j) => { most = Math.max(most, upTo[s] * n + j); });
  const done = { ...app.done };
  const delivered = [...app.delivered[app.vid]];
  for (let g = 0; g <= most; g++) {
    const sender = t.members[g % n];
    const k = Math.floor(g / n);
    if (k < done[sender] || k >= upTo[sender]) continue;
    const body = t.row(sender).slots[k];
    if (body === undefined) throw new Error(`${t.self} delivers message ${k + 1} of ${sender}, which it does not hold`);
    done[sender] = k + 1;
    if (body === null) continue;
    delivered.push(body);
    t.output({ deliver: body, vid: app.vid });
  }
  return { ...app, done, delivered: app.delivered.map((d, v) => (v === app.vid ? delivered : d)) };
}

function install(variant: MembershipVariant): P {
  return oneTime('install',
    (_app, t) => t.mine.committed > 0 && t.mine.trim.value !== null && unsuspected(t).every((m) => t.row(m).trim.value !== null),
    (app, t) => {
      const upTo = variant === 'no-trim' ? t.mine.received : t.mine.trim.value!;
      const after = deliverUpTo(app, t, upTo);
      const next = afterChanges(t.members, t.mine.changes, t.mine.committed);
      if (!next.includes(t.self)) {
        t.output({ removed: t.self, vid: app.vid });
        t.stop();
        return { ...after, status: 'removed' };
      }
      const vid = app.vid + 1;
      // Its own messages beyond the trim were delivered by no survivor: they go again in the new view.
      const resend = t.mine.slots.slice(upTo[t.self]).filter((b): b is string => b !== null);
      if (resend.length > 0) t.output({ resend, vid });
      // The view carries what every survivor agrees on when it is installed (the document's
      // effectively-common knowledge): the delivery order of the view it closes.
      t.output({ install: vid, members: next, closed: { vid: app.vid, delivered: after.delivered[app.vid] } });
      t.newEpoch(next);
      return {
        ...after, vid, resend: [...after.resend, ...resend],
        done: Object.fromEntries(next.map((m) => [m, 0])),
        delivered: [...after.delivered, []],
        views: [...after.views, next],
      };
    });
}

function append(t: Ctx, bodies: readonly Body[]): void {
  const slots = [...t.mine.slots, ...bodies];
  t.write({ slots, received: { ...t.mine.received, [t.self]: slots.length } });
}

function send(): P<string> {
  return recurrent('send',
    (app, t) => {
      if (t.mine.wedged) return [];
      return [...app.resend, ...range(app.sent, app.sent + app.queue).map((k) => `${t.self}.${k + 1}`)];
    },
    (app, t, bodies) => {
      append(t, bodies);
      const again = Math.min(bodies.length, app.resend.length);
      const fresh = bodies.length - again;
      return { ...app, resend: app.resend.slice(again), sent: app.sent + fresh, queue: app.queue - fresh };
    });
}

function nulls(): P<number> {
  return recurrent('nulls',
    (app, t) => {
      if (t.mine.wedged || app.queue > 0 || app.resend.length > 0) return [];
      return range(t.mine.slots.length, slotsNeeded(t));
    },
    (app, t, rounds) => {
      append(t, rounds.map(() => null));
      return app;
    });
}

function deliver(): P<number> {
  return recurrent('deliver',
    (app, t) => {
      if (t.mine.wedged) return [];
      const n = t.members.length;
      let next = Infinity;
      t.members.forEach((m, j) => { next = Math.min(next, app.done[m] * n + j); });
      return range(next, minOver(t, (row) => receivedPrefix(row, t.members)));
    },
    (app, t, items) => {
      const n = t.members.length;
      const upTo = { ...app.done };
      for (const g of items) upTo[t.members[g % n]] = Math.floor(g / n) + 1;
      return deliverUpTo(app, t, upTo);
    });
}

/** The failure detector suspecting `target`: possible at any time in view 0, whether or not it crashed. */
function suspicion(target: string, delayMs: number): Action<MembershipRow, MembershipApp> {
  return action<MembershipRow, MembershipApp>(`suspect-${target}`,
    (app, t) => app.status === 'active' && t.epoch === 0 && t.self !== target && t.members.includes(target) && !t.mine.suspected[target],
    (app, t) => {
      t.write({ suspected: { ...t.mine.suspected, [target]: true }, wedged: true });
      return app;
    },
    delayMs);
}

type Member = SstMember<MembershipRow, MembershipApp>;
const membersCache = new WeakMap<World, Member[]>();
function membersOf(w: World): Member[] {
  let out = membersCache.get(w);
  if (!out) membersCache.set(w, (out = sstMembers<MembershipRow, MembershipApp>(w)));
  return out;
}

/** The members that installed a view after `v`: the survivors of view v. */
const survivorsOf = (all: readonly Member[], v: number) => all.filter((m) => m.app.vid > v);

const membershipParams = {
  members: param.int('number of members', 3, 2, 5),
  messages: param.int('application messages each sending member multicasts in view 0', 1, 0, 4),
  quiet: param.int('how many of the last members send no application message (only nulls)', 2, 0, 4),
  faulty: param.int('the member (by rank, from 1) that may fail and that the failure detector may suspect', 1, 1, 5),
  detector: param.choice('faulty: only the faulty member is ever suspected; any: any member may suspect any other', 'faulty', ['faulty', 'any']),
  detectorMs: param.int('after how long the failure detector suspects, in the simulator and the runtime (the checker: at any time)', 50, 0, 60000),
  batching: param.bool('triggers act on everything that became true (false: one item per pass)', true),
  variant: param.choice('derecho, or no-trim (broken: delivers what it received instead of the ragged trim)', 'derecho', ['derecho', 'no-trim']),
};

type MembershipParams = typeof membershipParams;

/** Whether a member that may be suspected sends an application message. */
function removableSender(p: { members: number; messages: number; quiet: number; faulty: number; detector: string }): boolean {
  const suspectable = p.detector === 'any' ? memberIds(p.members).map((_, j) => j) : [Math.min(p.faulty, p.members) - 1];
  return suspectable.some((j) => messagesOf(j, p) > 0);
}

/** Whether a sender can survive a view change (it may be suspected by nobody). */
function survivingSender(p: { members: number; messages: number; quiet: number; faulty: number; detector: string }): boolean {
  return p.detector !== 'any' && memberIds(p.members).some((_, j) => j !== Math.min(p.faulty, p.members) - 1 && messagesOf(j, p) > 0);
}

/** The program itself, for compiling it again with other options. */
export const derechoMembershipProgram = {
  name: 'derecho-membership',
  description: 'Derecho virtually synchronous membership in the shared state table notation: suspicions, proposals, commit, ragged trim, new view',
  params: membershipParams,
  network: { ordering: 'ordered', crashes: 1 } as const,
  members: ({ members }) => memberIds(members),
  columns,
  init: (self, p) => ({
    vid: 0,
    queue: messagesOf(memberIds(p.members).indexOf(self), p),
    sent: 0,
    resend: [],
    done: Object.fromEntries(memberIds(p.members).map((m) => [m, 0])),
    delivered: [[]],
    views: [memberIds(p.members)],
    status: 'active' as Status,
  }),
  predicates: ({ variant }) => [
    receive(), learnSuspicions(), shutdown(), propose(), accept(), commit(), echoCommit(), computeTrim(), echoTrim(), install(variant),
    send(), nulls(), deliver(),
  ],
  actions: (p) => {
    const ids = memberIds(p.members);
    const targets = p.detector === 'any' ? ids : [ids[Math.min(p.faulty, p.members) - 1]];
    return targets.map((target) => suspicion(target, p.detectorMs));
  },
  properties: (p) => [
    always('virtual synchrony', (w) => {
      const all = membersOf(w);
      for (const m of all) {
        for (let v = 0; v < m.app.vid; v++) {
          for (const o of survivorsOf(all, v)) {
            const a = m.app.delivered[v];
            const b = o.app.delivered[v];
            if (a.length !== b.length || a.some((x, i) => x !== b[i])) return false;
          }
        }
      }
      return true;
    }),
    always('atomicity', (w) => {
      const all = membersOf(w);
      for (const m of all) {
        for (let v = 0; v < m.app.delivered.length; v++) {
          for (const o of survivorsOf(all, v)) if (m.app.delivered[v].some((x) => !o.app.delivered[v].includes(x))) return false;
        }
      }
      return true;
    }),
    always('total order in each view', (w) => {
      const all = membersOf(w);
      for (let i = 0; i < all.length; i++) {
        for (let j = i + 1; j < all.length; j++) {
          const a = all[i].app.delivered;
          const b = all[j].app.delivered;
          for (let v = 0; v < Math.min(a.length, b.length); v++) if (!isPrefix(a[v], b[v]) && !isPrefix(b[v], a[v])) return false;
        }
      }
      return true;
    }),
    always('each message delivered once', (w) => membersOf(w).every((m) => {
      const all = m.app.delivered.flat();
      return new Set(all).size === all.length;
    })),
    always('view annotations agree', (w) => {
      const seen = new Map<number, string>();
      for (const o of w.outputs) {
        const v = o.value as { install?: number; closed?: { delivered: string[] } };
        if (v.install === undefined) continue;
        const key = JSON.stringify(v.closed);
        if ((seen.get(v.install) ?? key) !== key) return false;
        seen.set(v.install, key);
      }
      return true;
    }),
    always('one view per number', (w) => {
      const seen = new Map<number, string>();
      for (const m of membersOf(w)) {
        for (let v = 0; v < m.app.views.length; v++) {
          const key = m.app.views[v].join(',');
          if ((seen.get(v) ?? key) !== key) return false;
          seen.set(v, key);
        }
      }
      return true;
    }),
    // Witnesses, each only where the parameters make it possible.
    ...(p.members < 3 ? [] : [
      sometimes('a view change is installed', (w) => membersOf(w).some((m) => m.app.vid > 0)),
      sometimes('a suspected member that did not crash is removed', (w) => membersOf(w).some((m) => !m.crashed && m.app.status === 'removed')),
    ]),
    ...(p.members < 3 || !removableSender(p) ? [] : [
      sometimes('survivors deliver a message of a member they removed', (w) => membersOf(w).some((m) =>
        m.app.vid > 0 && m.app.delivered[0].some((b) => !m.app.views[1].includes(b.slice(0, b.lastIndexOf('.')))))),
    ]),
    // With three members and one failure nothing of a survivor is trimmed: its pushes (slots first)
    // reach the other survivor before that one's acceptance, which the commit waits for.
    ...(p.members < 4 || !survivingSender(p) ? [] : [
      sometimes('a message the trim left out is delivered in the next view', (w) => w.outputs.some((o) => {
        const v = o.value as { resend?: string[]; vid?: number };
        return v.resend !== undefined && membersOf(w).some((m) => v.resend!.every((x) => m.app.delivered[v.vid!]?.includes(x)));
      })),
    ]),
    ...(p.detector === 'any' || p.members < 3 ? [sometimes('a member shuts down', (w) => membersOf(w).some((m) => m.app.status === 'shut down'))] : []),
  ],
} satisfies SstProgram<MembershipParams, typeof columns, MembershipApp>;

export const derechoMembership = defineSstProtocol(derechoMembershipProgram);
