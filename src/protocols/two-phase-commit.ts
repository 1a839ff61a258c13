/**
 * Two-phase commit: a transaction manager (tm) and N resource managers (rm1..rmN), as in the classic
 * TwoPhase specification. A resource manager may prepare or choose to abort on its own; the manager
 * commits only when every resource manager has prepared, and may abort at any time before that.
 * Spontaneous choices are timers, which the checker fires in every order.
 *
 * On the default network (unordered, duplicating, no loss) the distinct states are exactly those of
 * the TLA+ specification: 288 for 3 resource managers, 1,745,408 for 8.
 */
import { always, defineProtocol, node, nodes, param, role, sometimes } from '../core/index.ts';
import { twoPhaseCommitInduction } from './two-phase-commit-induct.ts';

export type Msg =
  | { type: 'prepared' }
  | { type: 'commit' }
  | { type: 'abort' };

export type RmStatus = 'working' | 'prepared' | 'committed' | 'aborted';
export interface RmState { status: RmStatus }

export type TmStatus = 'init' | 'committed' | 'aborted';
/** `prepared` is the set of resource managers heard from, keyed by id. */
export interface TmState { status: TmStatus; prepared: Record<string, true> }

const rm = role<RmState, Msg, 'prepare' | 'abort'>({
  init(ctx) {
    ctx.setTimer('prepare');
    ctx.setTimer('abort');
    return { status: 'working' };
  },
  // A resource manager logs its status: once prepared it must not forget it (crash-recover).
  durable: ['status'],
  recover(s, ctx) {
    if (s.status === 'working') {
      ctx.setTimer('prepare');
      ctx.setTimer('abort');
    }
    return s;
  },
  timers: {
    prepare(_s, ctx) {
      ctx.cancelTimer('abort');
      ctx.send('tm', { type: 'prepared' });
      return { status: 'prepared' };
    },
    abort(_s, ctx) {
      ctx.cancelTimer('prepare');
      return { status: 'aborted' };
    },
  },
  on: {
    commit: () => ({ status: 'committed' }),
    abort(_s, _m, ctx) {
      ctx.cancelTimer('prepare');
      ctx.cancelTimer('abort');
      return { status: 'aborted' };
    },
  },
});

/** `quorum` is how many prepared messages the manager waits for before it may commit. */
const tm = (quorum: number) => role<TmState, Msg, 'commit' | 'abort'>({
  init(ctx) {
    ctx.setTimer('abort');
    return { status: 'init', prepared: {} };
  },
  durable: ['status', 'prepared'],
  recover(s, ctx) {
    if (s.status === 'init') {
      ctx.setTimer('abort');
      if (Object.keys(s.prepared).length >= quorum) ctx.setTimer('commit');
    }
    return s;
  },
  on: {
    prepared(s, _m, ctx) {
      if (s.status !== 'init') return s;
      const prepared = { ...s.prepared, [ctx.from]: true as const };
      if (Object.keys(prepared).length >= quorum) ctx.setTimer('commit');
      return { ...s, prepared };
    },
  },
  timers: {
    commit(s, ctx) {
      ctx.cancelTimer('abort');
      ctx.broadcast({ type: 'commit' }, 'rm');
      return { ...s, status: 'committed' };
    },
    abort(s, ctx) {
      ctx.cancelTimer('commit');
      ctx.broadcast({ type: 'abort' }, 'rm');
      return { ...s, status: 'aborted' };
    },
  },
});

export const twoPhaseCommit = defineProtocol({
  name: 'two-phase-commit',
  description: 'Two-phase commit: a transaction manager and N resource managers (TLA+ TwoPhase)',
  params: {
    rms: param.int('number of resource managers', 3, 1, 1000),
    variant: param.choice('correct, or majority-commit (broken: commits on a majority of prepares)', 'correct', ['correct', 'majority-commit']),
  },
  network: { duplicating: true },
  symmetric: ['rm'],
  induction: twoPhaseCommitInduction,
  nodes: ({ rms, variant }) => [
    node('tm', 'tm', tm(variant === 'correct' ? rms : Math.floor(rms / 2) + 1)),
    ...nodes('rm', rms, 'rm', rm),
  ],
  properties: () => [
    always('consistency', (w) => {
      const s = w.statesOf<RmState>('rm').map((r) => r.status);
      return !(s.includes('committed') && s.includes('aborted'));
    }),
    sometimes('commit happens', (w) => w.statesOf<RmState>('rm').some((r) => r.status === 'committed')),
  ],
});
