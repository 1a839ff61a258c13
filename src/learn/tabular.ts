/**
 * A tabular Q-learner for round problems with the learn-check-retrain loop of the zero-knowledge
 * learning document (section 2): processes "self play" from random votes and random crashes, every
 * process choosing its next state epsilon-greedily from one Q-table they all share, keyed like a
 * RoundTable (own state + counts of heard states, `heardKey`) with one value per next state. Rewards
 * come only at the end of a run (`problem.rewards`), so each process's final reward is the target of
 * every (key, next state) it took in the run: the document's final rewards "split equally as the
 * training target for both rounds", i.e. undiscounted Monte-Carlo with a constant step size.
 *
 * After every phase of episodes the greedy table is extracted and checked exhaustively with
 * `checkRounds`; a table that holds is returned as proven. A counterexample's votes and crashes join a
 * replay set that later phases draw from with priority, the document's "counterexamples fed back".
 *
 * This is the table the document's neural Q-function stands for; a DQN would replace the Map below.
 */
import { checkRounds } from '../check/rounds.ts';
import { LOST, playRounds, RoundsError } from '../core/rounds.ts';
import type { RoundInstance, RoundRun, RoundTable } from '../core/rounds.ts';
import { epsilonAt, randomScenario } from './self-play.ts';
import type { EpsilonSchedule, Scenario } from './self-play.ts';
import { LearnRng } from './prng.ts';

export interface TabularOptions {
  readonly seed: number;
  /** Training episodes per phase; 1000 by default. */
  readonly episodes?: number;
  /** The most phases (each one trained, then checked); 20 by default. */
  readonly maxPhases?: number;
  /** A fixed exploration rate, or a decaying schedule. */
  readonly epsilon?: number | EpsilonSchedule;
  /** The step size of the Q update, 0.05 by default. */
  readonly alpha?: number;
  /** The share of episodes that replay a past counterexample once there is one; 0.5 by default. */
  readonly replay?: number;
  /** Called after each phase's check. */
  readonly onPhase?: (report: PhaseReport) => void;
}

/** One phase: its episodes' mean reward (per process that did not crash) and the check of its greedy table. */
export interface PhaseReport {
  readonly phase: number;
  readonly episodes: number;
  readonly meanReward: number;
  readonly verdict: 'holds' | 'fails';
  /** The property the phase's table failed, if it did. */
  readonly property?: string;
}

export interface TabularResult {
  /** The proven table, or with 'budget' the checked table whose first counterexample came latest. */
  readonly table: RoundTable;
  readonly verdict: 'proven' | 'budget';
  readonly phases: number;
  /** Training episodes run over all phases. */
  readonly episodes: number;
  /** Checks that failed (one counterexample each). */
  readonly counterexamples: number;
  /** Runs checkRounds went through over all checks. */
  readonly checkedRuns: number;
  /** With 'budget': the property the returned table fails and the run that shows it. */
  readonly failure?: { readonly property: string; readonly run: RoundRun };
}

interface QEntry {
  readonly q: Float64Array;
  readonly visits: Uint32Array;
}

/** A shared Q-table: for each key, the value and visit count of every next state. */
class QTable {
  readonly entries = new Map<string, QEntry>();
  constructor(private readonly width: number) {}

  entry(key: string): QEntry {
    let e = this.entries.get(key);
    if (!e) {
      e = { q: new Float64Array(this.width), visits: new Uint32Array(this.width) };
      this.entries.set(key, e);
    }
    return e;
  }

  /**
   * The greedy next state among those tried at `key`; the own state when none was tried (as an absent
   * key in a RoundTable). Ties go to the own state, then to the first in declaration order.
   */
  greedy(key: string, own: number): number {
    const e = this.entries.get(key);
    if (!e) return own;
    let best = -1;
    for (let a = 0; a < this.width; a++) {
      if (e.visits[a] === 0) continue;
      if (best < 0 || e.q[a] > e.q[best] || (e.q[a] === e.q[best] && a === own)) best = a;
    }
    return best < 0 ? own : best;
  }
}

/** One self-played run (as runRounds plays a table) with every alive process's (key, next state) choices. */
function playEpisode(inst: RoundInstance, q: QTable, scenario: Scenario, epsilon: number, rng: LearnRng) {
  const { states } = inst;
  const taken: [string, number][][] = Array.from({ length: scenario.initial.length }, () => []);
  const run = playRounds(states, inst.rounds, scenario.initial, scenario.crashes, (p, key, ownName) => {
    const own = states.indexOf(ownName);
    const action = rng.next() < epsilon ? rng.below(states.length) : q.greedy(key, own);
    taken[p].push([key, action]);
    return states[action];
  });
  return { run, taken };
}

/** The greedy table: every key seen in training whose greedy next state is not the own state. */
function greedyTable(inst: RoundInstance, q: QTable, name: string): RoundTable {
  const next: Record<string, string> = {};
  for (const key of [...q.entries.keys()].sort()) {
    const own = inst.states.indexOf(key.slice(0, key.indexOf('|')));
    const to = q.greedy(key, own);
    if (to !== own) next[key] = inst.states[to];
  }
  return {
    kind: 'protoforge.round-table', name,
    description: `greedy table of a tabular Q-learner trained by self-play on ${inst.problem.name} (n=${inst.n}, rounds=${inst.rounds}, crashes=${inst.crashes})`,
    states: inst.states, processes: inst.n, next,
  };
}

/** Learns a RoundTable for `inst` by tabular Q-learning, checking the greedy table after every phase. */
export function learnTabular(inst: RoundInstance, options: TabularOptions): TabularResult {
  const rewardsOf = inst.problem.rewards;
  if (!rewardsOf) throw new RoundsError(`${inst.problem.name} defines no rewards to learn from`);
  if (inst.states.includes(LOST)) throw new RoundsError(`${inst.problem.name} declares a state named ${LOST}`);
  const perPhase = options.episodes ?? 1000;
  const maxPhases = options.maxPhases ?? 20;
  const alpha = options.alpha ?? 0.05;
  const replayShare = options.replay ?? 0.5;
  const eps = options.epsilon;
  const whole = (v: number) => Number.isInteger(v) && v >= 1;
  const share = (v: number | undefined) => v === undefined || (v >= 0 && v <= 1);
  if (!whole(perPhase)) throw new RangeError(`episodes must be a whole number of at least 1, got ${perPhase}`);
  if (!whole(maxPhases)) throw new RangeError(`maxPhases must be a whole number of at least 1, got ${maxPhases}`);
  if (!(alpha > 0 && alpha <= 1)) throw new RangeError(`alpha must be in (0, 1], got ${alpha}`);
  if (!share(replayShare)) throw new RangeError(`replay must be in [0, 1], got ${replayShare}`);
  if (typeof eps === 'number' ? !share(eps) : !share(eps?.start) || !share(eps?.end)) throw new RangeError('epsilon must be in [0, 1]');
  const rng = new LearnRng(options.seed);
  const q = new QTable(inst.states.length);
  const name = `tabular-q-seed-${options.seed}`;
  const replay: Scenario[] = [];
  const replayKeys = new Set<string>();

  let episodes = 0;
  let counterexamples = 0;
  let checkedRuns = 0;
  let best: { table: RoundTable; runs: number; property: string; run: RoundRun } | null = null;
  for (let phase = 1; phase <= maxPhases; phase++) {
    let rewardSum = 0;
    let rewarded = 0;
    for (let e = 0; e < perPhase; e++, episodes++) {
      const scenario = replay.length > 0 && rng.next() < replayShare ? replay[rng.below(replay.length)] : randomScenario(inst, rng);
      const { run, taken } = playEpisode(inst, q, scenario, epsilonAt(options.epsilon, episodes, perPhase), rng);
      const rewards = rewardsOf(run, inst.params as never);
      const last = run.states[run.states.length - 1];
      for (let p = 0; p < taken.length; p++) {
        if (last[p] === null) continue; // a crashed process earns nothing and learns nothing
        rewardSum += rewards[p];
        rewarded++;
        for (const [key, action] of taken[p]) {
          const entry = q.entry(key);
          entry.visits[action]++;
          entry.q[action] += alpha * (rewards[p] - entry.q[action]);
        }
      }
    }
    const table = greedyTable(inst, q, name);
    const result = checkRounds(inst, table);
    checkedRuns += result.runs;
    const meanReward = rewarded === 0 ? 0 : rewardSum / rewarded;
    options.onPhase?.({ phase, episodes, meanReward, verdict: result.verdict, ...(result.verdict === 'fails' ? { property: result.property } : {}) });
    if (result.verdict === 'holds') return { table, verdict: 'proven', phases: phase, episodes, counterexamples, checkedRuns };
    counterexamples++;
    if (!best || result.runs >= best.runs) best = { table, runs: result.runs, property: result.property, run: result.run };
    const scenario = { initial: result.run.initial, crashes: result.run.crashes };
    const id = JSON.stringify(scenario);
    if (!replayKeys.has(id)) {
      replayKeys.add(id);
      replay.push(scenario);
    }
  }
  // Every phase failed its check, so `best` is set.
  return { table: best!.table, verdict: 'budget', phases: maxPhases, episodes, counterexamples, checkedRuns, failure: { property: best!.property, run: best!.run } };
}
