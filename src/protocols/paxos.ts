/**
 * Single-decree Paxos as send/receive transitions, after the adapted protocol of Pillai's
 * "Mechanised Verification of Paxos-like Consensus Protocols" (Disel): proposer states PInit,
 * PSentPrep, PWaitPrepResp, PSentAccReq, PAbort; acceptor states AInit, APromised, AAccepted;
 * messages prepare, promise, nack and accept.
 *
 * Proposer k has the unique proposal number k and proposes the value `vk`. It starts (PInit) by
 * sending prepare requests to every acceptor (PSentPrep), collects promises (PWaitPrepResp), and
 * once it has enough sends accept requests to every acceptor (PSentAccReq), after which it is done;
 * a nack ends its attempt (PAbort). Where the document sends to one acceptor per transition, each
 * request here goes to every acceptor in one step: the acceptors then stay interchangeable, so
 * symmetry reduction applies to them, and the messages still arrive in any order.
 *
 * Variants:
 * - `paxos` (default): the proposer proceeds on a majority of promises and takes the value of the
 *   highest-numbered proposal reported in them; acceptors keep answering after they accept and report
 *   their accepted proposal in promises, as real Paxos does.
 * - `simplified`: the document's version: the proposer waits for a promise from every acceptor, and
 *   an acceptor stops answering once it has accepted.
 * - `ignores-accepted` (broken): as `paxos`, but the proposer ignores the accepted proposals reported
 *   in promises and always proposes its own value.
 *
 * With `learners` > 0 (the client application of the document's section 5), acceptors also tell the
 * learners each proposal they accept, and a learner announces, exactly once, the first proposal it
 * hears accepted by a majority, as the output `{consensus: v, acceptors: {a1: true, a2: true}}`
 * (`announcement` renders it as "consensus reached on value v, accepted by a majority {a1, a2}"). Sets
 * of nodes are objects keyed by node id, never strings or arrays, so symmetry can rename them.
 */
import { always, defineProtocol, node, nodes, param, role, sometimes } from '../core/index.ts';
import type { World } from '../core/index.ts';
import { paxosInduction } from './paxos-induct.ts';

/** A proposal: [proposal number, value]. */
export type Proposal = readonly [number, string];

export type Msg =
  | { type: 'prepare'; n: number }
  | { type: 'promise'; n: number; accepted: Proposal | null }
  | { type: 'nack'; n: number }
  | { type: 'accept'; n: number; value: string }
  | { type: 'accepted'; n: number; value: string };

export type ProposerState =
  | { phase: 'PInit' }
  | { phase: 'PSentPrep' }
  | { phase: 'PWaitPrepResp'; promises: Record<string, Proposal | null> }
  | { phase: 'PSentAccReq'; proposal: Proposal }
  | { phase: 'PAbort' };

/**
 * `promised` is the highest proposal number promised; `accepted` the highest-numbered proposal
 * accepted; `votes` every proposal this acceptor ever accepted, by number (what `chosen` is defined on).
 */
/** `accepted`: by proposal (`n:value`), the acceptors heard accepting it; `announced` once a majority did. */
export interface LearnerState {
  readonly accepted: Record<string, Record<string, true>>;
  readonly announced: Announcement | null;
}

/** What a learner outputs once: the value and the majority of acceptors that accepted it. */
export interface Announcement {
  readonly consensus: string;
  readonly acceptors: Readonly<Record<string, true>>;
}

export function announcement(a: Announcement): string {
  return `consensus reached on value ${a.consensus}, accepted by a majority {${Object.keys(a.acceptors).sort().join(', ')}}`;
}

export type AcceptorState =
  | { phase: 'AInit' }
  | { phase: 'APromised' | 'AAccepted'; promised: number; accepted: Proposal | null; votes: Record<string, string> };

type Variant = 'paxos' | 'simplified' | 'ignores-accepted';

function proposer(variant: Variant, number: number) {
  const own = `v${number}`;
  const needed = (acceptors: number) => (variant === 'simplified' ? acceptors : Math.floor(acceptors / 2) + 1);

  return role<ProposerState, Msg, 'start'>({
    init(ctx) {
      ctx.setTimer('start');
      return { phase: 'PInit' };
    },
    timers: {
      start(_s, ctx) {
        ctx.broadcast({ type: 'prepare', n: number }, 'acceptor');
        return { phase: 'PSentPrep' };
      },
    },
    on: {
      promise(s, m, ctx) {
        if (m.n !== number || (s.phase !== 'PSentPrep' && s.phase !== 'PWaitPrepResp')) return s;
        const promises = { ...(s.phase === 'PSentPrep' ? {} : s.promises), [ctx.from]: m.accepted };
        const got = Object.values(promises);
        if (got.length < needed(ctx.nodesOf('acceptor').length)) return { phase: 'PWaitPrepResp', promises };
        // Phase 2: the value of the highest-numbered proposal reported, or our own if none was.
        let proposal: Proposal = [number, own];
        if (variant !== 'ignores-accepted') {
          let best: Proposal | null = null;
          for (const p of got) if (p && (!best || p[0] > best[0])) best = p;
          if (best) proposal = [number, best[1]];
        }
        ctx.broadcast({ type: 'accept', n: number, value: proposal[1] }, 'acceptor');
        return { phase: 'PSentAccReq', proposal };
      },
      nack(s, m) {
        if (m.n !== number || (s.phase !== 'PSentPrep' && s.phase !== 'PWaitPrepResp')) return s;
        return { phase: 'PAbort' };
      },
    },
  });
}

function acceptor(variant: Variant) {
  const stopsAfterAccept = variant === 'simplified';
  return role<AcceptorState, Msg>({
    init: () => ({ phase: 'AInit' }),
    durable: ['phase', 'promised', 'accepted', 'votes'] as never,
    on: {
      prepare(s, m, ctx) {
        if (s.phase === 'AInit') {
          ctx.send(ctx.from, { type: 'promise', n: m.n, accepted: null });
          return { phase: 'APromised', promised: m.n, accepted: null, votes: {} };
        }
        if (s.phase === 'AAccepted' && stopsAfterAccept) return s;
        if (m.n > s.promised) {
          ctx.send(ctx.from, { type: 'promise', n: m.n, accepted: s.accepted });
          return { ...s, promised: m.n };
        }
        ctx.send(ctx.from, { type: 'nack', n: m.n });
        return s;
      },
      accept(s, m, ctx) {
        if (s.phase === 'AAccepted' && stopsAfterAccept) return s;
        const promised = s.phase === 'AInit' ? 0 : s.promised;
        if (m.n < promised) return s;
        const votes = s.phase === 'AInit' ? {} : s.votes;
        ctx.broadcast({ type: 'accepted', n: m.n, value: m.value }, 'learner');
        return { phase: 'AAccepted', promised: m.n, accepted: [m.n, m.value], votes: { ...votes, [m.n]: m.value } };
      },
    },
  });
}

function learner() {
  return role<LearnerState, Msg>({
    init: () => ({ accepted: {}, announced: null }),
    on: {
      accepted(s, m, ctx) {
        const key = `${m.n}:${m.value}`;
        const by = { ...s.accepted[key], [ctx.from]: true as const };
        const accepted = { ...s.accepted, [key]: by };
        const majority = Math.floor(ctx.nodesOf('acceptor').length / 2) + 1;
        if (s.announced || Object.keys(by).length < majority) return { ...s, accepted };
        const announced: Announcement = { consensus: m.value, acceptors: by };
        ctx.output({ ...announced });
        return { accepted, announced };
      },
    },
  });
}

/** Every proposal an acceptor has accepted, computed once per distinct acceptor state. */
const votesCache = new WeakMap<AcceptorState, Proposal[]>();
function votesOf(a: AcceptorState): Proposal[] {
  let out = votesCache.get(a);
  if (!out) {
    out = [];
    if (a.phase !== 'AInit') for (const n in a.votes) out.push([Number(n), a.votes[n]]);
    votesCache.set(a, out);
  }
  return out;
}

interface Ballots {
  /** Every proposal any acceptor has accepted (once per acceptor that accepted it). */
  readonly votes: Proposal[];
  /** Every proposal accepted by a majority of acceptors. */
  readonly chosen: Proposal[];
}

/** Several properties ask about the same state: work it out once per state. */
const ballotsCache = new WeakMap<World, Ballots>();
function ballots(w: World): Ballots {
  let b = ballotsCache.get(w);
  if (!b) {
    const acceptors = w.statesOf<AcceptorState>('acceptor');
    const votes: Proposal[] = [];
    for (const a of acceptors) for (const p of votesOf(a)) votes.push(p);
    const majority = Math.floor(acceptors.length / 2) + 1;
    const chosen: Proposal[] = [];
    for (const [n, v] of votes) {
      if (chosen.some((p) => p[0] === n && p[1] === v)) continue;
      let count = 0;
      for (const a of acceptors) if (a.phase !== 'AInit' && a.votes[n] === v) count++;
      if (count >= majority) chosen.push([n, v]);
    }
    ballotsCache.set(w, (b = { votes, chosen }));
  }
  return b;
}

/** Every (number, value) accepted by a majority of acceptors. */
export function chosen(w: World): Proposal[] {
  return ballots(w).chosen;
}

function votes(w: World): Proposal[] {
  return ballots(w).votes;
}

export const paxos = defineProtocol({
  name: 'paxos',
  description: 'Single-decree Paxos: proposers and acceptors (Disel-style states)',
  params: {
    proposers: param.int('number of proposers', 2, 1, 99),
    acceptors: param.int('number of acceptors', 3, 1, 999),
    variant: param.choice('paxos, simplified (the document\'s), or ignores-accepted (broken)', 'paxos', ['paxos', 'simplified', 'ignores-accepted']),
    learners: param.int('learners that announce the chosen value once a majority accepted it', 0, 0, 9),
  },
  symmetric: ['acceptor'],
  induction: paxosInduction,
  nodes: ({ proposers, acceptors, variant, learners }) => [
    ...Array.from({ length: proposers }, (_, i) => node(`p${i + 1}`, 'proposer', proposer(variant, i + 1))),
    ...nodes('a', acceptors, 'acceptor', acceptor(variant)),
    ...nodes('l', learners, 'learner', learner()),
  ],
  properties: ({ proposers, learners }) => [
    always('agreement', (w) => new Set(chosen(w).map((p) => p[1])).size <= 1),
    always('validity', (w) => chosen(w).every(([, v]) => /^v\d+$/.test(v) && Number(v.slice(1)) <= proposers)),
    always('I1', (w) => {
      const byNumber = new Map<number, string>();
      for (const [n, v] of votes(w)) {
        if (byNumber.has(n) && byNumber.get(n) !== v) return false;
        byNumber.set(n, v);
      }
      return true;
    }),
    always('I2', (w) => {
      const all = votes(w);
      return chosen(w).every(([n, v]) => all.every(([m, u]) => m <= n || u === v));
    }),
    sometimes('a value is chosen', (w) => chosen(w).length > 0),
    ...(learners === 0 ? [] : [
      always('learners announce only a chosen value', (w) =>
        w.statesOf<LearnerState>('learner').every((l) => !l.announced || chosen(w).some(([, v]) => v === l.announced!.consensus))),
      always('learners agree', (w) => new Set(w.statesOf<LearnerState>('learner').flatMap((l) => (l.announced ? [l.announced.consensus] : []))).size <= 1),
      sometimes('a learner announces', (w) => w.statesOf<LearnerState>('learner').some((l) => l.announced !== null)),
    ]),
  ],
});
