/**
 * What the learners share: random scenarios to play (initial votes and crashes, within the fault
 * model) and the exploration schedule.
 */
import type { Crash, RoundInstance } from '../core/rounds.ts';
import type { LearnRng } from './prng.ts';

export interface EpsilonSchedule {
  /** Exploration at the first episode; 1 by default. */
  readonly start?: number;
  /** The floor it decays to; 0.1 by default, the document's. */
  readonly end?: number;
  /** Episodes (over all phases) of linear decay from start to end; 2 phases' worth by default. */
  readonly decayEpisodes?: number;
}

/** A run to play: everyone's initial state and who crashes when, heard by whom. */
export interface Scenario {
  readonly initial: readonly string[];
  readonly crashes: readonly Crash[];
}

/** A scenario drawn uniformly: votes, how many crash (up to the bound), who, in which round, heard by whom. */
export function randomScenario(inst: RoundInstance, rng: LearnRng): Scenario {
  const { n, rounds } = inst;
  const initial = Array.from({ length: n }, () => inst.initial[rng.below(inst.initial.length)]);
  const k = rng.below(inst.crashes + 1);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + rng.below(n - i);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const crashes = order.slice(0, k).sort((a, b) => a - b).map((process): Crash => {
    const round = 1 + rng.below(rounds);
    const heardBy = order.filter((q) => q !== process).sort((a, b) => a - b).filter(() => rng.below(2) === 1);
    return { process, round, heardBy };
  });
  return { initial, crashes };
}

/** Exploration at episode `episode` (over all phases). */
export function epsilonAt(schedule: number | EpsilonSchedule | undefined, episode: number, perPhase: number): number {
  if (typeof schedule === 'number') return schedule;
  const start = schedule?.start ?? 1;
  const end = schedule?.end ?? 0.1;
  const decay = schedule?.decayEpisodes ?? 2 * perPhase;
  return decay <= 0 || episode >= decay ? end : start + ((end - start) * episode) / decay;
}
