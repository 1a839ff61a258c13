/**
 * Single-decree Paxos (./paxos.ts) as a symbolic protocol (../smt/symbolic.ts), for inductiveness
 * checking without bounds on ballots and values (../smt/induct.ts): the same handlers, node states and
 * messages, and the conjuncts of ./paxos-induct.ts under the same names.
 *
 * What is unbounded and what is not:
 * - ballots are an ordered sort with a least element 0 (the promise of an acceptor in AInit), as many as
 *   the solver likes. Proposer p<k> owns ballot k, as in the protocol, so there is one proposer per
 *   ballot: proposer states are functions of the ballot, and a state of the protocol with P proposers
 *   is a state here in which every ballot above P belongs to a proposer that has not started;
 * - values are an open sort; `own(b)` is the value of the proposer of ballot b (v<k> for p<k>), one per
 *   ballot;
 * - the acceptors are a fixed list a1..aN (`acceptors`, 3 by default): their states are functions of a
 *   finite sort, quantifiers over them are expanded, a majority is a disjunction over subsets, and they
 *   are interchangeable (the checker takes each action for a1 only, as the bounded checker enumerates
 *   them in sorted order).
 *
 * State: per proposer b, its phase, its start timer, the promises it holds (per acceptor: whether it
 * holds one, and the reported proposal if any) and its proposal; per acceptor its phase, promised,
 * accepted and votes (per ballot: whether it voted, and for which value). Messages are one relation per
 * type: prepare(from, to, n), promise with no proposal and promise(n, (b, v)) as two relations, nack,
 * accept. A field that the plain state does not have in some phase (the promises of a proposer that is
 * not collecting them, the votes of an acceptor in AInit) is ignored in that phase, by the conjuncts
 * and by the handlers alike.
 *
 * The promise handler picks the first highest-numbered reported proposal in the order the protocol
 * iterates the promises (the acceptors it already held, in order, then the new one), so even states in
 * which two reports tie at a ballot with different values step as they do in TypeScript.
 *
 * A window of size k (for counterexamples) has ballots 1..k and the values v1..vk of their proposers,
 * which is the bounded universe of k proposers (paxos-induct.ts with ballots = k).
 *
 * Learners are not modelled (`learners` must be 0).
 */
import { boolSort, defineSymbolic, finiteSort, openSort, orderedSort, withBottom } from '../smt/symbolic.ts';
import type { ActionSpec, BoolTerm, Conjunct, Decoded, Evaluator, FiniteSort, OrderedSort, Send, State, SymbolicModel, Sym, Term } from '../smt/symbolic.ts';
import type { AcceptorState, Proposal, ProposerState } from './paxos.ts';
import { paxosStrengthening } from './paxos-induct.ts';

export interface PaxosSmtParams {
  /** The proposers of the bounded instance a counterexample is first looked for in (the first window); 2 by default. */
  readonly proposers?: number;
  readonly acceptors?: number;
  readonly variant?: 'paxos' | 'simplified' | 'ignores-accepted';
  readonly learners?: number;
}

const PROPOSER_PHASES = ['PInit', 'PSentPrep', 'PWaitPrepResp', 'PSentAccReq', 'PAbort'] as const;
const ACCEPTOR_PHASES = ['AInit', 'APromised', 'AAccepted'] as const;

/** A report or an accepted proposal: whether there is one, and its ballot and value. */
interface Report {
  readonly some: BoolTerm;
  readonly b: Term;
  readonly v: Term;
}

/** Paxos over every ballot and value, for `acceptors` acceptors. */
export function paxosSymbolic(params: PaxosSmtParams = {}): SymbolicModel {
  const proposers = params.proposers ?? 2;
  const n = params.acceptors ?? 3;
  const variant = params.variant ?? 'paxos';
  if ((params.learners ?? 0) !== 0) throw new Error('the symbolic Paxos model has no learners: use learners=0');
  if (!Number.isInteger(n) || n < 1) throw new Error(`acceptors must be a whole number of at least 1, got ${n}`);
  if (!Number.isInteger(proposers) || proposers < 1) throw new Error(`proposers must be a whole number of at least 1, got ${proposers}`);
  const ids = Array.from({ length: n }, (_, i) => `a${i + 1}`);
  const acceptor = finiteSort('acceptor', ids, { symmetric: true });
  const ballot = orderedSort('ballot', { bottom: true });
  const anyBallot = withBottom(ballot);
  const value = openSort('value', 'v', (s, S) => S.windowElements(ballot).map((b) => s.own(b)));
  const pphase = finiteSort('pphase', PROPOSER_PHASES);
  const aphase = finiteSort('aphase', ACCEPTOR_PHASES);
  const quorum = Math.floor(n / 2) + 1;
  const needed = variant === 'simplified' ? n : quorum;

  const vars = {
    own: { args: [ballot], type: value },
    pPhase: { args: [ballot], type: pphase },
    pTimer: { args: [ballot], type: boolSort },
    pGot: { args: [ballot, acceptor], type: boolSort },
    pRepSome: { args: [ballot, acceptor], type: boolSort },
    pRepBal: { args: [ballot, acceptor], type: ballot },
    pRepVal: { args: [ballot, acceptor], type: value },
    pPropBal: { args: [ballot], type: ballot },
    pPropVal: { args: [ballot], type: value },
    aPhase: { args: [acceptor], type: aphase },
    aPromised: { args: [acceptor], type: ballot },
    aAccSome: { args: [acceptor], type: boolSort },
    aAccBal: { args: [acceptor], type: ballot },
    aAccVal: { args: [acceptor], type: value },
    aVoted: { args: [acceptor, ballot], type: boolSort },
    aVote: { args: [acceptor, ballot], type: value },
  };

  const messages = {
    prepare: { args: [ballot, acceptor, ballot], decode: ([f, a, b]: readonly Decoded[]) => ({ from: `p${f}`, to: String(a), msg: { type: 'prepare', n: b } }) },
    promiseNull: { args: [acceptor, ballot, ballot], decode: ([a, t, b]: readonly Decoded[]) => ({ from: String(a), to: `p${t}`, msg: { type: 'promise', n: b, accepted: null } }) },
    promise: {
      args: [acceptor, ballot, ballot, ballot, value],
      decode: ([a, t, b, pb, pv]: readonly Decoded[]) => ({ from: String(a), to: `p${t}`, msg: { type: 'promise', n: b, accepted: [pb, pv] } }),
    },
    nack: { args: [acceptor, ballot, ballot], decode: ([a, t, b]: readonly Decoded[]) => ({ from: String(a), to: `p${t}`, msg: { type: 'nack', n: b } }) },
    accept: { args: [ballot, acceptor, ballot, value], decode: ([f, a, b, v]: readonly Decoded[]) => ({ from: `p${f}`, to: String(a), msg: { type: 'accept', n: b, value: v } }) },
  };

  /** The facts the conjuncts are written with, over one state. */
  const facts = (s: State, S: Sym) => {
    const zero = S.bottom(ballot);
    const phaseIs = (b: Term, ...names: string[]) => S.isOneOf(s.pPhase(b), pphase, names);
    const isInit = (a: Term) => S.is(s.aPhase(a), aphase, 'AInit');
    const promisedOf = (a: Term): Term => S.ite(isInit(a), zero, s.aPromised(a));
    const hasVote = (a: Term, b: Term) => S.and(S.not(isInit(a)), s.aVoted(a, b));
    const votedFor = (a: Term, b: Term, v: Term) => S.and(hasVote(a, b), s.aVote(a, b).eq(v));
    const chosen = (b: Term, v: Term) => S.atLeast(quorum, ids.map((x) => votedFor(S.el(acceptor, x), b, v)));
    /** (b, the value a voted at b) is chosen. */
    const chosenAt = (b: Term, a: Term) => S.and(hasVote(a, b), chosen(b, s.aVote(a, b)));
    /** No vote of `a` strictly between lo and hi (no bound when null). */
    const noVoteBetween = (a: Term, lo: Term | null, hi: Term | null) =>
      S.forall([ballot], (x: Term) => S.implies(S.and(lo === null ? true : S.gt(x, lo), hi === null ? true : S.lt(x, hi)), S.not(hasVote(a, x))));
    /** A report (or none) is a's highest vote below `hi` (below nothing: its highest vote). */
    const isHighestBelow = (a: Term, hi: Term | null, r: Report | null) => {
      const none = noVoteBetween(a, null, hi);
      if (r === null) return none;
      return S.or(S.and(r.some, hi === null ? true : S.lt(r.b, hi), votedFor(a, r.b, r.v), noVoteBetween(a, r.b, hi)), S.and(S.not(r.some), none));
    };
    const positive = (...bs: Term[]) => S.and(...bs.map((b) => S.not(b.eq(zero))));
    return { zero, phaseIs, isInit, promisedOf, hasVote, votedFor, chosen, chosenAt, isHighestBelow, positive };
  };

  const conjunct = (name: string, holds: (s: State, S: Sym, f: ReturnType<typeof facts>) => BoolTerm): Conjunct =>
    ({ name, holds: (s, S) => holds(s, S, facts(s, S)) });

  const invariants: Conjunct[] = [
    // A chosen value is named by an acceptor of the majority that chose it (the value it voted), never
    // quantified itself: a variable that only appears in equalities gives the solver nothing to match.
    conjunct('agreement', (s, S, f) => S.forall([ballot, ballot, acceptor, acceptor], (b1: Term, b2: Term, a1: Term, a2: Term) =>
      S.implies(S.and(f.chosenAt(b1, a1), f.chosenAt(b2, a2)), s.aVote(a1, b1).eq(s.aVote(a2, b2))))),
    conjunct('I1', (s, S, f) => S.forall([acceptor, acceptor, ballot], (a1: Term, a2: Term, b: Term) =>
      S.implies(S.and(f.hasVote(a1, b), f.hasVote(a2, b)), s.aVote(a1, b).eq(s.aVote(a2, b))))),
    conjunct('I2', (s, S, f) => S.forall([ballot, ballot, acceptor, acceptor], (b: Term, m: Term, a0: Term, a: Term) =>
      S.implies(S.and(f.chosenAt(b, a0), f.hasVote(a, m), S.gt(m, b)), s.aVote(a, m).eq(s.aVote(a0, b))))),
    conjunct('acceptor-wellformed', (s, S, f) => S.forall([acceptor], (a: Term) => {
      const anyVote = S.exists([ballot], (b: Term) => s.aVoted(a, b));
      return S.or(f.isInit(a), S.and(
        S.forall([ballot], (b: Term) => S.implies(s.aVoted(a, b), S.le(b, s.aPromised(a)))),
        S.or(S.and(S.is(s.aPhase(a), aphase, 'AAccepted'), anyVote), S.and(S.is(s.aPhase(a), aphase, 'APromised'), S.not(anyVote))),
        f.isHighestBelow(a, null, { some: s.aAccSome(a), b: s.aAccBal(a), v: s.aAccVal(a) }),
      ));
    })),
    conjunct('proposer-wellformed', (s, S, f) => S.forall([ballot], (b: Term) => {
      const got = ids.map((x) => s.pGot(b, S.el(acceptor, x)) as BoolTerm);
      return S.and(
        S.iff(s.pTimer(b), f.phaseIs(b, 'PInit')),
        S.implies(f.phaseIs(b, 'PSentAccReq'), s.pPropBal(b).eq(b)),
        S.implies(f.phaseIs(b, 'PWaitPrepResp'), S.and(
          S.atLeast(1, got), S.not(S.atLeast(needed, got)),
          S.forall([acceptor], (a: Term) => S.implies(S.and(s.pGot(b, a), s.pRepSome(b, a)), S.lt(s.pRepBal(b, a), b))),
        )),
      );
    })),
    conjunct('votes-follow-proposals', (s, S, f) => S.forall([acceptor, ballot], (a: Term, b: Term) =>
      S.implies(f.hasVote(a, b), S.and(f.phaseIs(b, 'PSentAccReq'), s.pPropVal(b).eq(s.aVote(a, b)))))),
    // For every lower ballot m and every other value u, a majority promised above m without voting (m, u).
    // There are infinitely many values, so u ranges over a value nobody voted at m (the majority then only
    // has to have promised above m) and over the values voted at m, each named by an acceptor that voted it.
    conjunct('proposals-safe', (s, S, f) => S.forall([ballot, ballot], (p: Term, m: Term) => {
      const majority = (u: Term | null) => S.atLeast(quorum, ids.map((x) => {
        const a = S.el(acceptor, x);
        return S.and(S.gt(f.promisedOf(a), m), u === null ? true : S.not(f.votedFor(a, m, u)));
      }));
      return S.implies(S.and(f.phaseIs(p, 'PSentAccReq'), S.lt(m, s.pPropBal(p))), S.and(
        majority(null),
        ...ids.map((x) => {
          const a = S.el(acceptor, x);
          return S.implies(S.and(f.hasVote(a, m), S.not(s.aVote(a, m).eq(s.pPropVal(p)))), majority(s.aVote(a, m)));
        }),
      ));
    })),
    conjunct('promises-received-report-votes', (s, S, f) => S.forall([ballot, acceptor], (b: Term, a: Term) =>
      S.implies(S.and(f.phaseIs(b, 'PWaitPrepResp'), s.pGot(b, a)),
        S.and(S.ge(f.promisedOf(a), b), f.isHighestBelow(a, b, { some: s.pRepSome(b, a), b: s.pRepBal(b, a), v: s.pRepVal(b, a) }))))),
    conjunct('promise-reports-votes', (s, S, f) => S.and(
      S.forall([acceptor, ballot, ballot], (a: Term, t: Term, b: Term) =>
        S.implies(s.promiseNull(a, t, b), S.and(S.ge(f.promisedOf(a), b), f.isHighestBelow(a, b, null)))),
      S.forall([acceptor, ballot, ballot, ballot, value], (a: Term, t: Term, b: Term, pb: Term, pv: Term) =>
        S.implies(s.promise(a, t, b, pb, pv), S.and(S.ge(f.promisedOf(a), b), f.isHighestBelow(a, b, { some: S.bool(true), b: pb, v: pv })))),
    )),
    conjunct('accept-carries-proposal', (s, S, f) => S.forall([ballot, acceptor, ballot, value], (p: Term, a: Term, b: Term, v: Term) =>
      S.implies(s.accept(p, a, b, v), S.and(p.eq(b), f.phaseIs(b, 'PSentAccReq'), s.pPropBal(b).eq(b), s.pPropVal(b).eq(v))))),
    conjunct('prepare-from-ballot-owner', (s, S, f) => S.forall([ballot, acceptor, ballot], (p: Term, a: Term, b: Term) =>
      S.implies(s.prepare(p, a, b), S.and(p.eq(b), S.not(f.phaseIs(b, 'PInit')))))),
    conjunct('nack-after-higher-promise', (s, S, f) => S.forall([acceptor, ballot, ballot], (a: Term, t: Term, b: Term) =>
      S.implies(s.nack(a, t, b), S.and(t.eq(b), S.ge(f.promisedOf(a), b))))),
  ];

  /** The plain types of the bounded domains, without their upper bounds: ballots from 1, one value per proposer. */
  const domain: Conjunct[] = [
    conjunct('own-values', (s, S) => S.forall([ballot, ballot], (b1: Term, b2: Term) => S.implies(s.own(b1).eq(s.own(b2)), b1.eq(b2)))),
    conjunct('proposer-fields', (s, S, f) => S.forall([ballot], (b: Term) => S.and(
      S.implies(f.phaseIs(b, 'PSentAccReq'), f.positive(s.pPropBal(b))),
      S.implies(f.phaseIs(b, 'PWaitPrepResp'), S.forall([acceptor], (a: Term) => S.implies(S.and(s.pGot(b, a), s.pRepSome(b, a)), f.positive(s.pRepBal(b, a))))),
    ))),
    conjunct('acceptor-fields', (s, S, f) => S.forall([acceptor], (a: Term) => S.or(f.isInit(a), S.and(
      f.positive(s.aPromised(a)),
      S.implies(s.aAccSome(a), f.positive(s.aAccBal(a))),
      S.not(s.aVoted(a, f.zero)),
    )))),
    conjunct('message-fields', (s, S, f) => S.and(
      S.forall([anyBallot, acceptor, anyBallot], (p: Term, a: Term, b: Term) => S.implies(s.prepare(p, a, b), f.positive(p, b))),
      S.forall([acceptor, anyBallot, anyBallot], (a: Term, t: Term, b: Term) => S.implies(s.promiseNull(a, t, b), f.positive(t, b))),
      S.forall([acceptor, anyBallot, anyBallot, anyBallot, value], (a: Term, t: Term, b: Term, pb: Term, pv: Term) =>
        S.implies(s.promise(a, t, b, pb, pv), f.positive(t, b, pb))),
      S.forall([acceptor, anyBallot, anyBallot], (a: Term, t: Term, b: Term) => S.implies(s.nack(a, t, b), f.positive(t, b))),
      S.forall([anyBallot, acceptor, anyBallot, value], (p: Term, a: Term, b: Term, v: Term) => S.implies(s.accept(p, a, b, v), f.positive(p, b))),
    )),
  ];

  const noMessages = (s: State, S: Sym) => S.and(...Object.entries(messages).map(([type, m]) =>
    S.forall(m.args.map((a) => (a.kind === 'ordered' ? anyBallot : a)), (...xs: Term[]) => S.not(s[type](...xs)))));

  const promiseAction = (withProposal: boolean): ActionSpec => ({
    name: withProposal ? 'receive promise(n, (b, v))' : 'receive promise(n, null)',
    params: withProposal ? { a: acceptor, t: ballot, n: ballot, b: ballot, v: value } : { a: acceptor, t: ballot, n: ballot },
    apply: (s, p, S) => {
      const { a, t } = p;
      const f = facts(s, S);
      const report: Report = withProposal ? { some: S.bool(true), b: p.b, v: p.v } : { some: S.bool(false), b: f.zero, v: s.own(f.zero) };
      const active = S.let(S.and(p.n.eq(t), f.phaseIs(t, 'PSentPrep', 'PWaitPrepResp')), 'active');
      const waiting = S.let(f.phaseIs(t, 'PWaitPrepResp'), 'waiting');
      const me = ids.find((x) => S.el(acceptor, x).eqIdentity(a))!;
      const held = new Map(ids.map((x) => [x, S.let(S.and(waiting, s.pGot(t, S.el(acceptor, x))), `held.${x}`)]));
      const enough = S.let(S.atLeast(needed, ids.map((x) => (x === me ? S.bool(true) : held.get(x)!))), 'enough');
      // The first highest-numbered report, in the order the handler iterates the promises.
      let best: Report = { some: S.bool(false), b: f.zero, v: s.own(f.zero) };
      const consider = (present: BoolTerm, r: Report) => {
        const take = S.let(S.and(present, r.some, S.or(S.not(best.some), S.gt(r.b, best.b))), 'take');
        best = { some: S.let(S.or(best.some, take), 'best.some'), b: S.let(S.ite(take, r.b, best.b), 'best.b'), v: S.let(S.ite(take, r.v, best.v), 'best.v') };
      };
      for (const x of ids) {
        const e = S.el(acceptor, x);
        consider(held.get(x)!, x === me ? report : { some: s.pRepSome(t, e), b: s.pRepBal(t, e), v: s.pRepVal(t, e) });
      }
      consider(S.not(held.get(me)!), report);
      const proposed = variant === 'ignores-accepted' ? s.own(t) : S.let(S.ite(best.some, best.v, s.own(t)), 'proposed');
      const proposing = S.let(S.and(active, enough), 'proposing');
      const send: Send[] = ids.map((x) => ({ type: 'accept', args: [t, S.el(acceptor, x), t, proposed], when: proposing }));
      return {
        receive: withProposal ? { type: 'promise', args: [a, t, p.n, p.b, p.v] } : { type: 'promiseNull', args: [a, t, p.n] },
        update: {
          pPhase: S.at(s.pPhase, [t], S.ite(enough, S.el(pphase, 'PSentAccReq'), S.el(pphase, 'PWaitPrepResp')), active),
          pGot: (q: Term, x: Term) => S.ite(S.and(active, q.eq(t)), S.or(x.eq(a), S.and(waiting, s.pGot(t, x))), s.pGot(q, x)),
          pRepSome: S.at(s.pRepSome, [t, a], report.some, active),
          pRepBal: S.at(s.pRepBal, [t, a], report.b, S.and(active, report.some)),
          pRepVal: S.at(s.pRepVal, [t, a], report.v, S.and(active, report.some)),
          pPropBal: S.at(s.pPropBal, [t], t, proposing),
          pPropVal: S.at(s.pPropVal, [t], proposed, proposing),
        },
        send,
      };
    },
  });

  return defineSymbolic({
    name: 'paxos',
    params: { acceptors: n, variant, ballots: 'any', values: 'any' },
    vars,
    messages,
    duplicating: false,
    init: (s, S) => S.and(
      S.forall([ballot], (b: Term) => S.and(S.is(s.pPhase(b), pphase, 'PInit'), s.pTimer(b))),
      S.forall([acceptor], (a: Term) => S.is(s.aPhase(a), aphase, 'AInit')),
      noMessages(s, S),
    ),
    domain,
    invariants,
    presets: {
      'I1-I2': ['agreement', 'I1', 'I2'],
      inductive: ['agreement', 'I1', 'I2', ...paxosStrengthening],
      'inductive+messages': ['agreement', 'I1', 'I2', ...paxosStrengthening, 'prepare-from-ballot-owner', 'nack-after-higher-promise'],
    },
    actions: [
      {
        name: 'start',
        params: { b: ballot },
        step: (p) => ({ kind: 'timer', node: `p${p.b}`, timer: 'start' }),
        apply: (s, { b }, S) => ({
          guard: s.pTimer(b),
          update: { pTimer: S.at(s.pTimer, [b], S.bool(false)), pPhase: S.at(s.pPhase, [b], S.el(pphase, 'PSentPrep')) },
          send: ids.map((x) => ({ type: 'prepare', args: [b, S.el(acceptor, x), b] })),
        }),
      },
      {
        name: 'receive prepare',
        params: { a: acceptor, p: ballot, b: ballot },
        apply: (s, { a, p, b }, S) => {
          const f = facts(s, S);
          const init = S.let(f.isInit(a), 'init');
          const ignore = variant === 'simplified' ? S.is(s.aPhase(a), aphase, 'AAccepted') : S.bool(false);
          const answering = S.and(S.not(init), S.not(ignore));
          const higher = S.let(S.and(answering, S.gt(b, s.aPromised(a))), 'higher');
          const lower = S.let(S.and(answering, S.le(b, s.aPromised(a))), 'lower');
          return {
            receive: { type: 'prepare', args: [p, a, b] },
            update: {
              aPhase: S.at(s.aPhase, [a], S.el(aphase, 'APromised'), init),
              aPromised: S.at(s.aPromised, [a], b, S.or(init, higher)),
              aAccSome: S.at(s.aAccSome, [a], S.bool(false), init),
              aVoted: (x: Term, k: Term) => S.ite(S.and(init, x.eq(a)), S.bool(false), s.aVoted(x, k)),
            },
            send: [
              { type: 'promiseNull', args: [a, p, b], when: S.or(init, S.and(higher, S.not(s.aAccSome(a)))) },
              { type: 'promise', args: [a, p, b, s.aAccBal(a), s.aAccVal(a)], when: S.and(higher, s.aAccSome(a)) },
              { type: 'nack', args: [a, p, b], when: lower },
            ],
          };
        },
      },
      {
        name: 'receive accept',
        params: { a: acceptor, p: ballot, b: ballot, v: value },
        apply: (s, { a, p, b, v }, S) => {
          const f = facts(s, S);
          const ignore = variant === 'simplified' ? S.is(s.aPhase(a), aphase, 'AAccepted') : S.bool(false);
          const go = S.let(S.and(S.not(ignore), S.ge(b, f.promisedOf(a))), 'go');
          return {
            receive: { type: 'accept', args: [p, a, b, v] },
            update: {
              aPhase: S.at(s.aPhase, [a], S.el(aphase, 'AAccepted'), go),
              aPromised: S.at(s.aPromised, [a], b, go),
              aAccSome: S.at(s.aAccSome, [a], S.bool(true), go),
              aAccBal: S.at(s.aAccBal, [a], b, go),
              aAccVal: S.at(s.aAccVal, [a], v, go),
              aVoted: (x: Term, k: Term) => S.ite(S.and(go, x.eq(a)), S.or(k.eq(b), f.hasVote(a, k)), s.aVoted(x, k)),
              aVote: S.at(s.aVote, [a, b], v, go),
            },
          };
        },
      },
      promiseAction(false),
      promiseAction(true),
      {
        name: 'receive nack',
        params: { a: acceptor, t: ballot, b: ballot },
        apply: (s, { a, t, b }, S) => ({
          receive: { type: 'nack', args: [a, t, b] },
          update: { pPhase: S.at(s.pPhase, [t], S.el(pphase, 'PAbort'), S.let(S.and(b.eq(t), facts(s, S).phaseIs(t, 'PSentPrep', 'PWaitPrepResp')), 'active')) },
        }),
      },
    ],
    windows: [proposers, proposers + 1, proposers + 2, proposers + 3],
    decode: (s, ev) => decodePaxos(s, ev, { acceptor, ballot, value, pphase, aphase }),
  });
}

function decodePaxos(
  s: State, ev: Evaluator,
  sorts: { acceptor: FiniteSort; ballot: OrderedSort; value: ReturnType<typeof openSort>; pphase: FiniteSort; aphase: FiniteSort },
) {
  const states: Record<string, ProposerState | AcceptorState> = {};
  const timers: Record<string, string[]> = {};
  const proposal = (b: Term, v: Term): Proposal => [ev.int(b), ev.name(v, sorts.value)];
  const acceptors = ev.elements(sorts.acceptor);
  for (const [k, b] of ev.elements(sorts.ballot)) {
    const id = `p${k}`;
    const phase = ev.name(s.pPhase(b), sorts.pphase) as ProposerState['phase'];
    timers[id] = ev.bool(s.pTimer(b)) ? ['start'] : [];
    if (phase === 'PWaitPrepResp') {
      const promises: Record<string, Proposal | null> = {};
      for (const [x, a] of acceptors) if (ev.bool(s.pGot(b, a))) promises[String(x)] = ev.bool(s.pRepSome(b, a)) ? proposal(s.pRepBal(b, a), s.pRepVal(b, a)) : null;
      states[id] = { phase, promises };
    } else if (phase === 'PSentAccReq') {
      states[id] = { phase, proposal: proposal(s.pPropBal(b), s.pPropVal(b)) };
    } else {
      states[id] = { phase };
    }
  }
  for (const [x, a] of acceptors) {
    const id = String(x);
    timers[id] = [];
    const phase = ev.name(s.aPhase(a), sorts.aphase) as AcceptorState['phase'];
    if (phase === 'AInit') {
      states[id] = { phase };
      continue;
    }
    const votes: Record<string, string> = {};
    for (const [k, b] of ev.elements(sorts.ballot)) if (ev.bool(s.aVoted(a, b))) votes[String(k)] = ev.name(s.aVote(a, b), sorts.value);
    states[id] = { phase, promised: ev.int(s.aPromised(a)), accepted: ev.bool(s.aAccSome(a)) ? proposal(s.aAccBal(a), s.aAccVal(a)) : null, votes };
  }
  return { states, timers };
}
