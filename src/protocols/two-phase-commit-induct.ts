/**
 * Two-phase commit (./two-phase-commit.ts) for inductiveness checking: the domains of its node states
 * and messages, and the conjuncts that strengthen consistency into an inductive invariant.
 *
 * The domains are the plain types: a resource manager's status and armed timers, the manager's
 * status, the set of resource managers it heard prepared from and its armed timers; `prepared`
 * messages to the manager, `commit` and `abort` messages to each resource manager. The protocol is
 * checked on a duplicating network, where messages in flight are a set, so every set of messages is
 * in the universe unless the bound `messages` says fewer.
 *
 * The strengthened invariant (preset `inductive`):
 * - rm-wellformed: a resource manager has both its timers armed exactly while it is working;
 * - tm-wellformed: the manager has its abort timer armed exactly while it is undecided, and its commit
 *   timer exactly while it is undecided and has heard enough prepared messages;
 * - commit-needs-all-prepared: the manager commits only once every resource manager has prepared;
 * - rm-follows-tm: a committed resource manager means a committed manager; one the manager heard
 *   prepared from is no longer working, and has aborted only if the manager has;
 * - prepared-from-prepared-rm: a prepared message comes from a resource manager that is no longer
 *   working, and has aborted only if the manager has;
 * - decisions-follow-tm: a commit message means the manager committed, an abort message that it aborted.
 */
import { constant, defineInduction, envelopes, everyMessage, everyNode, mapOf, oneOf, record, rememberInductionSource, union } from '../core/domains.ts';
import type { InFlight, NodeView, World } from '../core/properties.ts';
import type { ParamValue } from '../core/protocol.ts';
import type { Msg, RmState, TmState } from './two-phase-commit.ts';

interface TwoPhaseParams {
  readonly rms: number;
  readonly variant: string;
}

/** How many prepared messages the manager waits for (as the protocol computes it). */
function quorum(params: Readonly<Record<string, ParamValue>>): number {
  const rms = params.rms as number;
  return params.variant === 'correct' ? rms : Math.floor(rms / 2) + 1;
}

function tmOf(w: World): TmState {
  return w.node('tm').state as TmState;
}

const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

const rmWellformed = everyNode('rm-wellformed', 'rm', (node: NodeView) => {
  const s = node.state as RmState;
  return same(node.timers, s.status === 'working' ? ['abort', 'prepare'] : []);
});

const tmWellformed = everyNode('tm-wellformed', 'tm', (node: NodeView, w) => {
  const s = node.state as TmState;
  if (s.status !== 'init') return node.timers.length === 0;
  const ready = Object.keys(s.prepared).length >= quorum(w.params);
  return same(node.timers, ready ? ['abort', 'commit'] : ['abort']);
});

const commitNeedsAllPrepared = everyNode('commit-needs-all-prepared', 'tm', (node: NodeView, w) => {
  const s = node.state as TmState;
  return s.status !== 'committed' || Object.keys(s.prepared).length === (w.params.rms as number);
});

/** A resource manager that has sent prepared: it is past working, and aborted only after the manager. */
function hasPrepared(rm: RmState, tm: TmState): boolean {
  return rm.status !== 'working' && (rm.status !== 'aborted' || tm.status === 'aborted');
}

const rmFollowsTm = everyNode('rm-follows-tm', 'rm', (node: NodeView, w) => {
  const s = node.state as RmState;
  const tm = tmOf(w);
  if (s.status === 'committed' && tm.status !== 'committed') return false;
  return !tm.prepared[node.id] || hasPrepared(s, tm);
});

const preparedFromPreparedRm = everyMessage('prepared-from-prepared-rm', (w, m: InFlight) => {
  const msg = m.msg as Msg;
  return msg.type !== 'prepared' || hasPrepared(w.node(m.from).state as RmState, tmOf(w));
});

const decisionsFollowTm = everyMessage('decisions-follow-tm', (w, m: InFlight) => {
  const msg = m.msg as Msg;
  if (msg.type === 'commit') return tmOf(w).status === 'committed';
  if (msg.type === 'abort') return tmOf(w).status === 'aborted';
  return true;
});

/** The conjuncts that, with consistency, make an inductive invariant. */
export const twoPhaseCommitStrengthening = [
  'rm-wellformed', 'tm-wellformed', 'commit-needs-all-prepared', 'rm-follows-tm', 'prepared-from-prepared-rm', 'decisions-follow-tm',
] as const;

export const twoPhaseCommitInduction = defineInduction<TwoPhaseParams>({
  bounds: {
    messages: { description: 'most messages in flight at once (default: all of them)', default: (p) => 3 * p.rms, min: 0, max: 3000 },
  },
  domains: (ctx) => {
    const rms = ctx.nodesOf('rm');
    return {
      roles: {
        tm: record({ status: oneOf(['init', 'committed', 'aborted']), prepared: mapOf(rms, constant(true)) }),
        rm: record({ status: oneOf(['working', 'prepared', 'committed', 'aborted']) }),
      },
      messages: union(
        envelopes(rms, ['tm'], record({ type: constant('prepared') })),
        envelopes(['tm'], rms, record({ type: constant('commit') })),
        envelopes(['tm'], rms, record({ type: constant('abort') })),
      ),
      maxInFlight: ctx.bound('messages'),
    };
  },
  invariants: () => [rmWellformed, tmWellformed, commitNeedsAllPrepared, rmFollowsTm, preparedFromPreparedRm, decisionsFollowTm],
  presets: {
    inductive: ['consistency', ...twoPhaseCommitStrengthening],
  },
});

rememberInductionSource(twoPhaseCommitInduction, { module: import.meta.url, exportName: 'twoPhaseCommitInduction' });
