/**
 * Atomic commit as the zero-knowledge learning document poses it: each process starts with a vote
 * (LocalCommit or LocalAbort), Commit and Abort are the decision states, and a protocol may use some
 * anonymous states besides. Properties P1-P5 are the document's appendix; rewards are its rules 1-6.
 */
import { param } from '../core/protocol.ts';
import { defineRoundProblem, LOST, roundFunction } from '../core/rounds.ts';
import type { RoundProperty, RoundRun } from '../core/rounds.ts';

export const LOCAL_COMMIT = 'LocalCommit';
export const LOCAL_ABORT = 'LocalAbort';
export const COMMIT = 'Commit';
export const ABORT = 'Abort';

export type Decision = 'FINAL_COMMIT' | 'FINAL_ABORT' | 'FINAL_CONFLICTING' | 'FINAL_UNDECIDED';

/**
 * F_n: the decision states process p reached after some round, in the order Commit, Abort. A crashed
 * process has no decision, so its F_n is empty.
 */
export function finalDecisions(run: RoundRun, p: number): string[] {
  const path = run.states.slice(1).map((row) => row[p]);
  if (path.includes(null)) return [];
  return [COMMIT, ABORT].filter((d) => path.includes(d));
}

/** The document's section 2.2 decision of each process; null for a crashed one. */
export function decisions(run: RoundRun): (Decision | null)[] {
  return run.initial.map((_, p) => {
    if (run.states.some((row) => row[p] === null)) return null;
    const f = finalDecisions(run, p);
    const c = f.includes(COMMIT);
    const a = f.includes(ABORT);
    return c && a ? 'FINAL_CONFLICTING' : c ? 'FINAL_COMMIT' : a ? 'FINAL_ABORT' : 'FINAL_UNDECIDED';
  });
}

const only = (run: RoundRun, p: number, d: string) => finalDecisions(run, p).every((f) => f === d);
const has = (run: RoundRun, p: number, d: string) => finalDecisions(run, p).includes(d);
const processes = (run: RoundRun) => run.initial.map((_, p) => p);

/**
 * P1-P5 as the appendix writes them (b_n = run.initial[n], L = run.lost). As written, P3 implies P1 and
 * P2 implies P4 (F_n holds only Commit and Abort), and a process that never decides meets P4 and P5:
 * the properties are safety only, liveness is left to rules 4-6. P5 as written also forbids a process
 * that voted LocalCommit to abort in a run without Lost even when another process voted LocalAbort,
 * although rule 4 asks it to (and rule 5, which P5 is said to formalize, only speaks of runs where every
 * vote is LocalCommit); `p5: 'rule-5'` reads it as rule 5: ¬L ∧ ∀n b_n = LocalCommit ⟹ ∀n ∀f ∈ F_n f = Commit.
 */
function properties(p5: 'as-written' | 'rule-5'): RoundProperty[] {
  return [
    { name: 'P1', description: 'no process reaches both Commit and Abort',
      holds: (run) => processes(run).every((n) => !(has(run, n, COMMIT) && has(run, n, ABORT))) },
    { name: 'P2', description: 'a process that voted LocalAbort never commits',
      holds: (run) => processes(run).every((n) => run.initial[n] !== LOCAL_ABORT || !has(run, n, COMMIT)) },
    { name: 'P3', description: 'no process commits while another (or the same) aborts',
      holds: (run) => !(processes(run).some((n) => has(run, n, COMMIT)) && processes(run).some((m) => has(run, m, ABORT))) },
    { name: 'P4', description: 'without Lost, a process that voted LocalAbort decides only Abort',
      holds: (run) => run.lost || processes(run).every((n) => run.initial[n] !== LOCAL_ABORT || only(run, n, ABORT)) },
    p5 === 'as-written'
      ? { name: 'P5', description: 'without Lost, a process that voted LocalCommit decides only Commit',
          holds: (run) => run.lost || processes(run).every((n) => run.initial[n] !== LOCAL_COMMIT || only(run, n, COMMIT)) }
      : { name: 'P5', description: 'without Lost, if every process voted LocalCommit, every process decides only Commit',
          holds: (run) => run.lost || run.initial.some((b) => b !== LOCAL_COMMIT) || processes(run).every((n) => only(run, n, COMMIT)) },
  ];
}

/**
 * T, a liveness condition in the only form a bounded round model can state: P1-P5 are met by a
 * protocol that never decides, so a learner asked for them alone may learn exactly that. Runs with
 * Lost may leave processes undecided (blocking, which rule 6 charges at -0.5).
 */
const DECIDES: RoundProperty = {
  name: 'T', description: 'without Lost, every process that did not crash decides Commit or Abort',
  holds: (run) => run.lost || decisions(run).every((d) => d === null || d === 'FINAL_COMMIT' || d === 'FINAL_ABORT'),
};

/** The values of rules 1-6 (section 2.2); rules 4 and 5 have one value when met and one when missed. */
export interface RewardValues {
  readonly conflicting: number;
  readonly abortVoterCommits: number;
  readonly commitAndAbort: number;
  readonly abortVoteAllAbort: number;
  readonly abortVoteNotAllAbort: number;
  readonly allCommitVotesAllCommit: number;
  readonly allCommitVotesNotAllCommit: number;
  readonly undecided: number;
}

export const PAPER_REWARDS: RewardValues = {
  conflicting: -2000, abortVoterCommits: -2000, commitAndAbort: -2000, abortVoteAllAbort: 100, abortVoteNotAllAbort: -2000,
  allCommitVotesAllCommit: 100, allCommitVotesNotAllCommit: -2000, undecided: -0.5,
};

export interface ProcessReward {
  /** The rules (1-6) that applied to this process. */
  readonly rules: readonly number[];
  /** Their values summed. */
  readonly reward: number;
}

/**
 * Each process's reward in a run. Rules 1, 2, 4 and 6 speak of "a process' decision / initial input"
 * and apply to that process; rules 3 and 5 are about the whole run and apply to every process. "All
 * processes' decisions" means those of the processes that did not crash. A crashed process earns nothing.
 */
export function rewards(run: RoundRun, values: RewardValues = PAPER_REWARDS): ProcessReward[] {
  const ds = decisions(run);
  const alive = ds.filter((d) => d !== null);
  const mixed = alive.includes('FINAL_COMMIT') && alive.includes('FINAL_ABORT');
  const allCommitVotes = run.initial.every((b) => b === LOCAL_COMMIT);
  return ds.map((d, p) => {
    if (d === null) return { rules: [], reward: 0 };
    const fired: [number, number][] = [];
    if (d === 'FINAL_CONFLICTING') fired.push([1, values.conflicting]);
    if (run.initial[p] === LOCAL_ABORT && d === 'FINAL_COMMIT') fired.push([2, values.abortVoterCommits]);
    if (mixed) fired.push([3, values.commitAndAbort]);
    if (run.initial[p] === LOCAL_ABORT && !run.lost) {
      fired.push([4, alive.every((x) => x === 'FINAL_ABORT') ? values.abortVoteAllAbort : values.abortVoteNotAllAbort]);
    }
    if (allCommitVotes && !run.lost) {
      fired.push([5, alive.every((x) => x === 'FINAL_COMMIT') ? values.allCommitVotesAllCommit : values.allCommitVotesNotAllCommit]);
    }
    if (d === 'FINAL_UNDECIDED') fired.push([6, values.undecided]);
    return { rules: fired.map(([r]) => r), reward: fired.reduce((sum, [, v]) => sum + v, 0) };
  });
}

/** The atomic commit problem with the given reward values (the paper's by default). */
export function atomicCommitProblem(values: RewardValues = PAPER_REWARDS) {
  return defineRoundProblem({
    name: 'atomic-commit',
    description: 'every process votes LocalCommit or LocalAbort; all that decide agree, and commit only if all voted to',
    params: {
      n: param.int('processes', 3, 1, 6),
      rounds: param.int('rounds', 2, 1, 8),
      crashes: param.int('the most processes that crash over the run', 1, 0, 6),
      extra: param.int('anonymous states a protocol may use besides the named ones', 0, 0, 8),
      p5: param.choice('P5 as the appendix writes it, or as rule 5 states it', 'as-written', ['as-written', 'rule-5']),
      decide: param.bool('also require T: without Lost, every process that did not crash decides (P1-P5 alone are met by never deciding)', false),
    },
    states: ({ extra }) => ({ initial: [LOCAL_COMMIT, LOCAL_ABORT], named: [COMMIT, ABORT], extra }),
    properties: ({ p5, decide }) => (decide ? [...properties(p5), DECIDES] : properties(p5)),
    rewards: (run) => rewards(run, values).map((r) => r.reward),
  });
}

export const atomicCommit = atomicCommitProblem();

/**
 * Correct for any N, R >= 1 and F: a LocalAbort voter aborts; a LocalCommit voter commits once it has
 * heard LocalCommit from all N (every vote is LocalCommit) or Commit from anyone (someone heard that),
 * and otherwise waits. Only LocalAbort voters abort, so nobody commits in a run where anybody aborts.
 * It never aborts a LocalCommit voter, which P5 as written forbids without Lost; rule 4 penalizes that.
 */
export const commitIfAllVoteCommit = roundFunction('commit-if-all-vote-commit',
  'abort on a LocalAbort vote; commit on N LocalCommit votes or a Commit heard; otherwise wait',
  (own, heard, n) => {
    if (own === LOCAL_ABORT) return ABORT;
    if (own === LOCAL_COMMIT && (heard[LOCAL_COMMIT] === n || heard[COMMIT] > 0)) return COMMIT;
    return own;
  });

/** Broken (P1): like the correct one, but a process that committed aborts when it hears Lost. */
export const abortAfterCommitOnLost = roundFunction('abort-after-commit-on-lost',
  'the correct protocol, except that Commit turns to Abort on hearing Lost',
  (own, heard, n) => (own === COMMIT && heard[LOST] > 0 ? ABORT : commitIfAllVoteCommit.next(own, heard, n)));

/** Broken (P2): every process commits when it hears no Lost, whatever the votes. */
export const ignoreVotes = roundFunction('ignore-votes',
  'commit unless something was lost, abort otherwise',
  (own, heard) => (own === LOCAL_COMMIT || own === LOCAL_ABORT ? (heard[LOST] > 0 ? ABORT : COMMIT) : own));

/** Broken (P3): a LocalCommit voter aborts on hearing Lost, while one that heard the crashed process commits. */
export const abortOnLost = roundFunction('abort-on-lost',
  'the correct protocol, except that a waiting LocalCommit voter aborts on hearing Lost',
  (own, heard, n) => (own === LOCAL_COMMIT && heard[LOST] > 0 ? ABORT : commitIfAllVoteCommit.next(own, heard, n)));

/**
 * The textbook rule: also abort a LocalCommit voter that hears LocalAbort or Abort. Correct under
 * `p5: 'rule-5'`; violates P5 as written in the first run with mixed votes.
 */
export const abortOnAbortVote = roundFunction('abort-on-abort-vote',
  'the correct protocol, except that a LocalCommit voter aborts on hearing LocalAbort or Abort',
  (own, heard, n) => (own === LOCAL_COMMIT && heard[LOCAL_ABORT] + heard[ABORT] > 0 ? ABORT : commitIfAllVoteCommit.next(own, heard, n)));
