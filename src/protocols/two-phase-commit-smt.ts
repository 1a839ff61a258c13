/**
 * Two-phase commit (./two-phase-commit.ts) as a symbolic protocol (../smt/symbolic.ts), for
 * inductiveness checking without bounds (../smt/induct.ts): the same handlers, timers and messages,
 * and the conjuncts of ./two-phase-commit-induct.ts under the same names.
 *
 * Two-phase commit has no ballots or values; what is unbounded is the number of resource managers.
 * With `rms: 'any'` (the default for the correct protocol) they are an open sort, so a verdict holds
 * for every number of resource managers at once; the manager waits for a prepared message from every
 * one of them ("every resource manager has prepared" is a quantifier). With a number they are a fixed
 * list rm1..rmN, which the broken `majority-commit` variant needs (a majority is a count). Either way
 * the resource managers are interchangeable.
 *
 * The network duplicates, as the protocol's: messages in flight are a set and a delivery keeps the
 * message. Counterexamples are looked for first among `window` resource managers (the instance the
 * bounded checker would check), then among 1, 2, ... up to 6.
 */
import { boolSort, defineSymbolic, finiteSort, openSort } from '../smt/symbolic.ts';
import type { BoolTerm, Conjunct, Decoded, FiniteSort, OpenSort, State, SymbolicModel, Sym, Term } from '../smt/symbolic.ts';
import type { RmState, TmState } from './two-phase-commit.ts';
import { twoPhaseCommitStrengthening } from './two-phase-commit-induct.ts';

export interface TwoPhaseCommitSmtParams {
  /** 'any' (every number of resource managers) or a fixed number; 'any' by default for the correct protocol. */
  readonly rms?: number | 'any';
  readonly variant?: 'correct' | 'majority-commit';
  /** With rms 'any': the number of resource managers a counterexample is first looked for with (3 by default). */
  readonly window?: number;
}

const TM_STATUSES = ['init', 'committed', 'aborted'] as const;
const RM_STATUSES = ['working', 'prepared', 'committed', 'aborted'] as const;

export function twoPhaseCommitSymbolic(params: TwoPhaseCommitSmtParams = {}): SymbolicModel {
  const variant = params.variant ?? 'correct';
  const rms = params.rms ?? (variant === 'correct' ? 'any' : 3);
  if (rms === 'any' && variant !== 'correct') throw new Error('the majority-commit variant counts resource managers: give rms a number');
  if (rms !== 'any' && (!Number.isInteger(rms) || rms < 1)) throw new Error(`rms must be a whole number of at least 1 or 'any', got ${rms}`);
  const first = rms === 'any' ? params.window ?? 3 : rms;
  const rm: OpenSort | FiniteSort = rms === 'any'
    ? openSort('rm', 'rm')
    : finiteSort('rm', Array.from({ length: rms }, (_, i) => `rm${i + 1}`), { symmetric: true });
  const tmStatus = finiteSort('tmstatus', TM_STATUSES);
  const rmStatus = finiteSort('rmstatus', RM_STATUSES);

  const vars = {
    tmStatus: { args: [], type: tmStatus },
    tmPrepared: { args: [rm], type: boolSort },
    tmCommitTimer: { args: [], type: boolSort },
    tmAbortTimer: { args: [], type: boolSort },
    rmStatus: { args: [rm], type: rmStatus },
    rmPrepareTimer: { args: [rm], type: boolSort },
    rmAbortTimer: { args: [rm], type: boolSort },
  };
  const messages = {
    prepared: { args: [rm], decode: ([r]: readonly Decoded[]) => ({ from: String(r), to: 'tm', msg: { type: 'prepared' } }) },
    commit: { args: [rm], decode: ([r]: readonly Decoded[]) => ({ from: 'tm', to: String(r), msg: { type: 'commit' } }) },
    abort: { args: [rm], decode: ([r]: readonly Decoded[]) => ({ from: 'tm', to: String(r), msg: { type: 'abort' } }) },
  };

  /** Whether the manager has heard enough prepared messages to commit (`prepared` a function of the resource manager). */
  const ready = (S: Sym, prepared: (r: Term) => BoolTerm): BoolTerm => {
    if (variant === 'correct') return S.forall([rm], (r: Term) => prepared(r));
    const ids = (rm as FiniteSort).elements;
    return S.atLeast(Math.floor(ids.length / 2) + 1, ids.map((x) => prepared(S.el(rm as FiniteSort, x))));
  };
  const tmIs = (s: State, S: Sym, status: string) => S.is(s.tmStatus(), tmStatus, status);
  const rmIs = (s: State, S: Sym, r: Term, status: string) => S.is(s.rmStatus(r), rmStatus, status);
  /** A resource manager that has sent prepared: past working, and aborted only after the manager. */
  const hasPrepared = (s: State, S: Sym, r: Term) => S.and(S.not(rmIs(s, S, r, 'working')), S.implies(rmIs(s, S, r, 'aborted'), tmIs(s, S, 'aborted')));

  const invariants: Conjunct[] = [
    { name: 'consistency', holds: (s, S) => S.forall([rm, rm], (r1: Term, r2: Term) => S.not(S.and(rmIs(s, S, r1, 'committed'), rmIs(s, S, r2, 'aborted')))) },
    {
      name: 'rm-wellformed',
      holds: (s, S) => S.forall([rm], (r: Term) => S.and(S.iff(s.rmPrepareTimer(r), rmIs(s, S, r, 'working')), S.iff(s.rmAbortTimer(r), rmIs(s, S, r, 'working')))),
    },
    {
      name: 'tm-wellformed',
      holds: (s, S) => S.and(
        S.iff(s.tmAbortTimer(), tmIs(s, S, 'init')),
        S.iff(s.tmCommitTimer(), S.and(tmIs(s, S, 'init'), ready(S, (r) => s.tmPrepared(r)))),
      ),
    },
    { name: 'commit-needs-all-prepared', holds: (s, S) => S.implies(tmIs(s, S, 'committed'), S.forall([rm], (r: Term) => s.tmPrepared(r))) },
    {
      name: 'rm-follows-tm',
      holds: (s, S) => S.forall([rm], (r: Term) => S.and(
        S.implies(rmIs(s, S, r, 'committed'), tmIs(s, S, 'committed')),
        S.implies(s.tmPrepared(r), hasPrepared(s, S, r)),
      )),
    },
    { name: 'prepared-from-prepared-rm', holds: (s, S) => S.forall([rm], (r: Term) => S.implies(s.prepared(r), hasPrepared(s, S, r))) },
    {
      name: 'decisions-follow-tm',
      holds: (s, S) => S.forall([rm], (r: Term) => S.and(S.implies(s.commit(r), tmIs(s, S, 'committed')), S.implies(s.abort(r), tmIs(s, S, 'aborted')))),
    },
  ];

  const timer = (node: (p: Readonly<Record<string, Decoded>>) => string, name: string) => (p: Readonly<Record<string, Decoded>>) => ({ kind: 'timer' as const, node: node(p), timer: name });
  const rmNode = (p: Readonly<Record<string, Decoded>>) => String(p.r);

  return defineSymbolic({
    name: 'two-phase-commit',
    params: { rms, variant },
    vars,
    messages,
    duplicating: true,
    init: (s, S) => S.and(
      tmIs(s, S, 'init'), s.tmAbortTimer(), S.not(s.tmCommitTimer()),
      S.forall([rm], (r: Term) => S.and(S.not(s.tmPrepared(r)), rmIs(s, S, r, 'working'), s.rmPrepareTimer(r), s.rmAbortTimer(r),
        S.not(s.prepared(r)), S.not(s.commit(r)), S.not(s.abort(r)))),
    ),
    invariants,
    presets: { inductive: ['consistency', ...twoPhaseCommitStrengthening] },
    actions: [
      {
        name: 'rm prepares',
        params: { r: rm },
        step: timer(rmNode, 'prepare'),
        apply: (s, { r }, S) => ({
          guard: s.rmPrepareTimer(r),
          update: {
            rmPrepareTimer: S.at(s.rmPrepareTimer, [r], S.bool(false)),
            rmAbortTimer: S.at(s.rmAbortTimer, [r], S.bool(false)),
            rmStatus: S.at(s.rmStatus, [r], S.el(rmStatus, 'prepared')),
          },
          send: [{ type: 'prepared', args: [r] }],
        }),
      },
      {
        name: 'rm aborts',
        params: { r: rm },
        step: timer(rmNode, 'abort'),
        apply: (s, { r }, S) => ({
          guard: s.rmAbortTimer(r),
          update: {
            rmPrepareTimer: S.at(s.rmPrepareTimer, [r], S.bool(false)),
            rmAbortTimer: S.at(s.rmAbortTimer, [r], S.bool(false)),
            rmStatus: S.at(s.rmStatus, [r], S.el(rmStatus, 'aborted')),
          },
        }),
      },
      {
        name: 'rm receives commit',
        params: { r: rm },
        apply: (s, { r }, S) => ({
          receive: { type: 'commit', args: [r] },
          update: { rmStatus: S.at(s.rmStatus, [r], S.el(rmStatus, 'committed')) },
        }),
      },
      {
        name: 'rm receives abort',
        params: { r: rm },
        apply: (s, { r }, S) => ({
          receive: { type: 'abort', args: [r] },
          update: {
            rmPrepareTimer: S.at(s.rmPrepareTimer, [r], S.bool(false)),
            rmAbortTimer: S.at(s.rmAbortTimer, [r], S.bool(false)),
            rmStatus: S.at(s.rmStatus, [r], S.el(rmStatus, 'aborted')),
          },
        }),
      },
      {
        name: 'tm receives prepared',
        params: { r: rm },
        apply: (s, { r }, S) => {
          const active = S.let(tmIs(s, S, 'init'), 'active');
          const enough = S.let(ready(S, (x) => S.or(x.eq(r), s.tmPrepared(x))), 'enough');
          return {
            receive: { type: 'prepared', args: [r] },
            update: {
              tmPrepared: S.at(s.tmPrepared, [r], S.bool(true), active),
              tmCommitTimer: S.at(s.tmCommitTimer, [], S.bool(true), S.and(active, enough)),
            },
          };
        },
      },
      {
        name: 'tm commits',
        params: {},
        step: timer(() => 'tm', 'commit'),
        apply: (s, _p, S) => ({
          guard: s.tmCommitTimer(),
          update: { tmCommitTimer: () => S.bool(false), tmAbortTimer: () => S.bool(false), tmStatus: () => S.el(tmStatus, 'committed') },
          send: [{ type: 'commit', args: [null] }],
        }),
      },
      {
        name: 'tm aborts',
        params: {},
        step: timer(() => 'tm', 'abort'),
        apply: (s, _p, S) => ({
          guard: s.tmAbortTimer(),
          update: { tmCommitTimer: () => S.bool(false), tmAbortTimer: () => S.bool(false), tmStatus: () => S.el(tmStatus, 'aborted') },
          send: [{ type: 'abort', args: [null] }],
        }),
      },
    ],
    windows: rms === 'any' ? [first, ...[1, 2, 3, 4, 5, 6].filter((k) => k !== first)] : [1],
    decode: (s, ev) => {
      const states: Record<string, TmState | RmState> = {};
      const timers: Record<string, string[]> = {};
      const rmList = ev.elements(rm);
      const prepared: Record<string, true> = {};
      for (const [x, r] of rmList) if (ev.bool(s.tmPrepared(r))) prepared[String(x)] = true;
      states.tm = { status: ev.name(s.tmStatus(), tmStatus) as TmState['status'], prepared };
      timers.tm = [...(ev.bool(s.tmAbortTimer()) ? ['abort'] : []), ...(ev.bool(s.tmCommitTimer()) ? ['commit'] : [])];
      for (const [x, r] of rmList) {
        states[String(x)] = { status: ev.name(s.rmStatus(r), rmStatus) as RmState['status'] };
        timers[String(x)] = [...(ev.bool(s.rmAbortTimer(r)) ? ['abort'] : []), ...(ev.bool(s.rmPrepareTimer(r)) ? ['prepare'] : [])];
      }
      return { states, timers };
    },
  });
}

/**
 * The symbolic model for an instance of the protocol (its parameters rms and variant): for the correct
 * protocol, every number of resource managers, with counterexamples first looked for among `rms` of
 * them; for the broken variant, exactly `rms`.
 */
export function twoPhaseCommitSymbolicFor(params: { readonly rms?: number; readonly variant?: string }): SymbolicModel {
  const rms = params.rms ?? 3;
  const variant = params.variant === 'majority-commit' ? 'majority-commit' : 'correct';
  return variant === 'correct' ? twoPhaseCommitSymbolic({ rms: 'any', window: rms }) : twoPhaseCommitSymbolic({ rms, variant });
}
