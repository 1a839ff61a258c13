/**
 * Single-decree Paxos (./paxos.ts) for inductiveness checking: the domains of its node states and
 * messages, and the conjuncts that strengthen agreement, I1 and I2 into an inductive invariant.
 *
 * Ballot b belongs to proposer p<b> and values are v1..v<proposers>. The domains are the plain types
 * of the states and messages, with ballots up to the bound `ballots`; proposers send prepare and
 * accept requests to acceptors, acceptors answer with promises and nacks.
 *
 * The strengthened invariant (preset `inductive`):
 * - acceptor-wellformed: an acceptor's `accepted` is its highest vote, every vote is at a ballot it
 *   has promised, and it is AAccepted exactly when it has voted;
 * - proposer-wellformed: only a proposer that has not started has its start timer; a proposer sending
 *   accepts does so at its own ballot; a proposer collecting promises has fewer than it needs, and
 *   each reports a proposal below its ballot;
 * - votes-follow-proposals: a vote (n, v) means the proposer of n is sending accepts for v;
 * - proposals-safe: if the proposer of n sends accepts for v, then for every lower ballot m and every
 *   other value w a majority of acceptors has promised above m without voting (m, w);
 * - promises-received-report-votes: a promise a proposer has collected reports the acceptor's highest
 *   vote below the proposer's ballot, and the acceptor still promises at least that ballot;
 * - and for each message in flight: promise-reports-votes (a promise for ballot n reports the
 *   sender's highest vote below n, and the sender still promises at least n) and
 *   accept-carries-proposal (an accept for ballot n carries the value its proposer is proposing).
 *
 * Dropping any of these seven leaves a counterexample to induction; agreement, I1 and I2 follow from
 * them. Two further message conjuncts, prepare-from-ballot-owner and nack-after-higher-promise, are
 * not needed but rule out many states (preset `inductive+messages`), which makes larger instances
 * quicker to check.
 *
 * With learners, three more conjuncts: learner-wellformed (an announcement names a majority the
 * learner heard accepting one proposal of the announced value), learner-heard-votes (an acceptor a
 * learner heard accepting (n, v) has voted (n, v)), accepted-reports-vote (likewise for the accepted
 * messages in flight); the presets then also name the protocol's learner properties.
 */
import {
  constant, defineInduction, envelopes, everyMessage, everyNode, mapOf, nullable, oneOf, range, record, rememberInductionSource, tuple, union,
} from '../core/domains.ts';
import type { InFlight, World } from '../core/properties.ts';
import type { ParamValue } from '../core/protocol.ts';
import type { AcceptorState, LearnerState, Msg, Proposal, ProposerState } from './paxos.ts';

interface PaxosParams {
  readonly proposers: number;
  readonly acceptors: number;
  readonly variant: string;
  readonly learners?: number;
}

/** The ballot of proposer `p<k>`. */
function ballotOf(proposer: string): number {
  return Number(proposer.slice(1));
}

function proposerOf(ballot: number): string {
  return `p${ballot}`;
}

function majority(acceptors: number): number {
  return Math.floor(acceptors / 2) + 1;
}

/** Promises a proposer waits for before it sends accepts. */
function needed(params: Readonly<Record<string, ParamValue>>): number {
  const acceptors = params.acceptors as number;
  return params.variant === 'simplified' ? acceptors : majority(acceptors);
}

function valuesOf(proposers: number): string[] {
  return Array.from({ length: proposers }, (_, i) => `v${i + 1}`);
}

/** The highest-numbered vote of an acceptor below ballot `n` (all votes when n is Infinity), or null. */
export function highestVoteBelow(a: AcceptorState, n: number): Proposal | null {
  if (a.phase === 'AInit') return null;
  let best: Proposal | null = null;
  for (const key in a.votes) {
    const b = Number(key);
    if (b < n && (!best || b > best[0])) best = [b, a.votes[key]];
  }
  return best;
}

function sameProposal(a: Proposal | null, b: Proposal | null): boolean {
  return a === null || b === null ? a === b : a[0] === b[0] && a[1] === b[1];
}

function promisedOf(a: AcceptorState): number {
  return a.phase === 'AInit' ? 0 : a.promised;
}

/** The state of the proposer of ballot `n`, if there is one. */
function proposerState(w: World, n: number): ProposerState | undefined {
  return Number.isInteger(n) && n >= 1 && n <= (w.params.proposers as number) ? (w.node(proposerOf(n)).state as ProposerState) : undefined;
}

function acceptorState(w: World, id: string): AcceptorState {
  return w.node(id).state as AcceptorState;
}

const acceptorWellformed = everyNode('acceptor-wellformed', 'acceptor', (node) => {
  const a = node.state as AcceptorState;
  if (node.timers.length > 0) return false;
  if (a.phase === 'AInit') return true;
  let voted = false;
  for (const key in a.votes) {
    voted = true;
    if (Number(key) > a.promised) return false;
  }
  if (a.phase !== (voted ? 'AAccepted' : 'APromised')) return false;
  return sameProposal(a.accepted, highestVoteBelow(a, Infinity));
});

const proposerWellformed = everyNode('proposer-wellformed', 'proposer', (node, w) => {
  const s = node.state as ProposerState;
  const own = ballotOf(node.id);
  if (node.timers.length !== (s.phase === 'PInit' ? 1 : 0)) return false;
  if (s.phase === 'PSentAccReq') return s.proposal[0] === own;
  if (s.phase === 'PWaitPrepResp') {
    const got = Object.values(s.promises);
    if (got.length < 1 || got.length >= needed(w.params)) return false;
    return got.every((p) => p === null || p[0] < own);
  }
  return true;
});

const votesFollowProposals = everyNode('votes-follow-proposals', 'acceptor', (node, w) => {
  const a = node.state as AcceptorState;
  if (a.phase === 'AInit') return true;
  for (const key in a.votes) {
    const p = proposerState(w, Number(key));
    if (!p || p.phase !== 'PSentAccReq' || p.proposal[1] !== a.votes[key]) return false;
  }
  return true;
});

const proposalsSafe = everyNode('proposals-safe', 'proposer', (node, w) => {
  const p = node.state as ProposerState;
  if (p.phase !== 'PSentAccReq') return true;
  const acceptors = w.statesOf<AcceptorState>('acceptor');
  const quorum = majority(acceptors.length);
  const [n, v] = p.proposal;
  for (let m = 1; m < n; m++) {
    for (const u of valuesOf(w.params.proposers as number)) {
      if (u === v) continue;
      let count = 0;
      for (const a of acceptors) if (promisedOf(a) > m && (a.phase === 'AInit' || a.votes[m] !== u)) count++;
      if (count < quorum) return false;
    }
  }
  return true;
});

const promisesReceivedReportVotes = everyNode('promises-received-report-votes', 'proposer', (node, w) => {
  const s = node.state as ProposerState;
  if (s.phase !== 'PWaitPrepResp') return true;
  const n = ballotOf(node.id);
  for (const [from, reported] of Object.entries(s.promises)) {
    const a = acceptorState(w, from);
    if (promisedOf(a) < n || !sameProposal(reported, highestVoteBelow(a, n))) return false;
  }
  return true;
});

const promiseReportsVotes = everyMessage('promise-reports-votes', (w, m: InFlight) => {
  const msg = m.msg as Msg;
  if (msg.type !== 'promise') return true;
  const a = acceptorState(w, m.from);
  return promisedOf(a) >= msg.n && sameProposal(msg.accepted, highestVoteBelow(a, msg.n));
});

const prepareFromBallotOwner = everyMessage('prepare-from-ballot-owner', (w, m: InFlight) => {
  const msg = m.msg as Msg;
  if (msg.type !== 'prepare') return true;
  const p = proposerState(w, msg.n);
  return m.from === proposerOf(msg.n) && p !== undefined && p.phase !== 'PInit';
});

const nackAfterHigherPromise = everyMessage('nack-after-higher-promise', (w, m: InFlight) => {
  const msg = m.msg as Msg;
  if (msg.type !== 'nack') return true;
  return m.to === proposerOf(msg.n) && promisedOf(acceptorState(w, m.from)) >= msg.n;
});

const acceptCarriesProposal = everyMessage('accept-carries-proposal', (w, m: InFlight) => {
  const msg = m.msg as Msg;
  if (msg.type !== 'accept') return true;
  if (m.from !== proposerOf(msg.n)) return false;
  const p = proposerState(w, msg.n);
  return p !== undefined && p.phase === 'PSentAccReq' && p.proposal[0] === msg.n && p.proposal[1] === msg.value;
});

/** Whether acceptor `id` has voted (n, v). */
function votedFor(w: World, id: string, n: number, v: string): boolean {
  const a = acceptorState(w, id);
  return a.phase !== 'AInit' && a.votes[n] === v;
}

const learnerWellformed = everyNode('learner-wellformed', 'learner', (node, w) => {
  const l = node.state as LearnerState;
  if (node.timers.length > 0 || l.announced === null) return true;
  const { consensus, acceptors } = l.announced;
  const members = Object.keys(acceptors);
  if (members.length < majority(w.params.acceptors as number)) return false;
  return Object.entries(l.accepted).some(([key, by]) => key.endsWith(`:${consensus}`) && members.every((a) => by[a]));
});

const learnerHeardVotes = everyNode('learner-heard-votes', 'learner', (node, w) => {
  const l = node.state as LearnerState;
  for (const [key, by] of Object.entries(l.accepted)) {
    const [n, v] = key.split(':');
    for (const a in by) if (!votedFor(w, a, Number(n), v)) return false;
  }
  return true;
});

const acceptedReportsVote = everyMessage('accepted-reports-vote', (w, m: InFlight) => {
  const msg = m.msg as Msg;
  return msg.type !== 'accepted' || votedFor(w, m.from, msg.n, msg.value);
});

/** The conjuncts that, with agreement, I1 and I2, make an inductive invariant. */
export const paxosStrengthening = [
  'acceptor-wellformed', 'proposer-wellformed',
  'votes-follow-proposals', 'proposals-safe', 'promises-received-report-votes',
  'promise-reports-votes', 'accept-carries-proposal',
] as const;

/** With learners: what they have heard and announced follows the acceptors' votes. */
export const paxosLearnerStrengthening = ['learner-wellformed', 'learner-heard-votes', 'accepted-reports-vote'] as const;

export const paxosInduction = defineInduction<PaxosParams>({
  bounds: {
    messages: { description: 'most messages in flight at once', min: 0, max: 12 },
    perType: { description: 'most messages of one type in flight at once (default: messages)', default: (_p, b) => b.messages, min: 0, max: 12 },
    ballots: { description: 'highest ballot number in node states and messages', default: (p) => p.proposers, min: 1, max: 9 },
  },
  domains: (ctx) => {
    const ballot = range(1, ctx.bound('ballots'));
    const values = oneOf(valuesOf(ctx.params.proposers));
    const proposal = tuple(ballot, values);
    const acceptors = ctx.nodesOf('acceptor');
    const proposers = ctx.nodesOf('proposer');
    const learners = ctx.nodesOf('learner');
    const ballotKeys = ballot.values().map(String);
    const proposalKeys = ballot.values().flatMap((n) => values.values().map((v) => `${n}:${v}`));
    const acceptorSet = (least: number) => mapOf(acceptors, constant(true as const), { minSize: least });
    return {
      roles: {
        proposer: union(
          constant({ phase: 'PInit' }),
          constant({ phase: 'PSentPrep' }),
          record({ phase: constant('PWaitPrepResp'), promises: mapOf(acceptors, nullable(proposal)) }),
          record({ phase: constant('PSentAccReq'), proposal }),
          constant({ phase: 'PAbort' }),
        ),
        acceptor: union(
          constant({ phase: 'AInit' }),
          record({ phase: oneOf(['APromised', 'AAccepted']), promised: ballot, accepted: nullable(proposal), votes: mapOf(ballotKeys, values) }),
        ),
        learner: record({
          accepted: mapOf(proposalKeys, acceptorSet(1)),
          announced: nullable(record({ consensus: values, acceptors: acceptorSet(majority(acceptors.length)) })),
        }),
      },
      messages: union(
        envelopes(proposers, acceptors, record({ type: constant('prepare'), n: ballot })),
        envelopes(acceptors, proposers, record({ type: constant('promise'), n: ballot, accepted: nullable(proposal) })),
        envelopes(acceptors, proposers, record({ type: constant('nack'), n: ballot })),
        envelopes(proposers, acceptors, record({ type: constant('accept'), n: ballot, value: values })),
        envelopes(acceptors, learners, record({ type: constant('accepted'), n: ballot, value: values })),
      ),
      maxInFlight: ctx.bound('messages'),
      maxPerType: ctx.bound('perType'),
    };
  },
  invariants: (params) => [
    acceptorWellformed, proposerWellformed,
    votesFollowProposals, proposalsSafe, promisesReceivedReportVotes,
    promiseReportsVotes, acceptCarriesProposal,
    prepareFromBallotOwner, nackAfterHigherPromise,
    ...(params.learners ? [learnerWellformed, learnerHeardVotes, acceptedReportsVote] : []),
  ],
  presets: (params) => {
    const learners = params.learners ? [...paxosLearnerStrengthening, 'learners announce only a chosen value', 'learners agree'] : [];
    return {
      'I1-I2': ['agreement', 'I1', 'I2'],
      inductive: ['agreement', 'I1', 'I2', ...paxosStrengthening, ...learners],
      'inductive+messages': ['agreement', 'I1', 'I2', ...paxosStrengthening, 'prepare-from-ballot-owner', 'nack-after-higher-promise', ...learners],
    };
  },
});

rememberInductionSource(paxosInduction, { module: import.meta.url, exportName: 'paxosInduction' });
