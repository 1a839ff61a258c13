/**
 * Deep Q-learning for round problems, as the zero-knowledge learning document does it: a neural
 * network maps what a process knows at a step (its own state, one-hot, and how many copies of each
 * state and of Lost it heard, as shares of n) to a value per next state; processes self-play from
 * random votes and crashes, choosing epsilon-greedily; the run's final reward is the training target of
 * every step each process took ("split equally ... for both rounds"); the learning rate decays from
 * 0.01 to 0.001 and epsilon to 0.1. After every phase the network is turned into an explicit table
 * (the greedy next state for every key) and checked exhaustively; a counterexample joins a replay
 * set that later episodes draw from with priority. TensorFlow.js on its WebAssembly backend.
 *
 * The inputs of a whole instance are few (every own state times every count vector), so the network
 * is evaluated on all of them at once after each training step and episodes read that table: one
 * forward pass per step instead of one per process and round.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import * as tfl from '@tensorflow/tfjs-layers';
import { checkRounds } from '../check/rounds.ts';
import { allKeys, LOST, playRounds, RoundsError } from '../core/rounds.ts';
import type { RoundInstance, RoundRun, RoundTable } from '../core/rounds.ts';
import { LearnRng } from './prng.ts';
import { epsilonAt, randomScenario } from './self-play.ts';
import type { Scenario } from './self-play.ts';
import type { TabularOptions, TabularResult } from './tabular.ts';

/** The tabular learner's options (its step size aside: Adam's learning rate decays on its own), and the network's. */
export interface DqnOptions extends Omit<TabularOptions, 'alpha'> {
  /** Episodes per training step; 50 by default. */
  readonly batchEpisodes?: number;
  /** Units of each of the two hidden layers; 64 by default. */
  readonly hidden?: number;
}

/** The same outcome as the tabular learner's. */
export type DqnResult = TabularResult;

let backend: Promise<void> | undefined;
/** The WebAssembly backend, once per process. */
function ready(): Promise<void> {
  return (backend ??= tf.setBackend('wasm').then((ok) => {
    if (!ok) throw new Error('the TensorFlow.js WebAssembly backend did not start');
    return tf.ready();
  }));
}

/** Learns a RoundTable for `inst` by deep Q-learning, checking the extracted table after every phase. */
export async function learnDqn(inst: RoundInstance, options: DqnOptions): Promise<DqnResult> {
  const rewardsOf = inst.problem.rewards;
  if (!rewardsOf) throw new RoundsError(`${inst.problem.name} defines no rewards to learn from`);
  const perPhase = options.episodes ?? 1000;
  const batch = options.batchEpisodes ?? 50;
  const maxPhases = options.maxPhases ?? 20;
  const replayShare = options.replay ?? 0.5;
  await ready();
  const { states, n } = inst;
  const m = states.length;
  const keys = [...allKeys(inst)];
  const keyIndex = new Map(keys.map((k, i) => [k.key, i]));
  const width = 2 * m + 1;
  const inputs = new Float32Array(keys.length * width);
  keys.forEach((k, i) => {
    inputs[i * width + states.indexOf(k.own)] = 1;
    k.counts.forEach((c, j) => { inputs[i * width + m + j] = c / n; });
  });
  const allInputs = tf.tensor2d(inputs, [keys.length, width]);

  const init = (s: number) => tfl.initializers.glorotUniform({ seed: options.seed * 7 + s });
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [width], units: options.hidden ?? 64, activation: 'relu', kernelInitializer: init(1) }),
      tfl.layers.dense({ units: options.hidden ?? 64, activation: 'relu', kernelInitializer: init(2) }),
      tfl.layers.dense({ units: m, kernelInitializer: init(3) }),
    ],
  });
  const optimizer = tf.train.adam(0.01);
  model.compile({ optimizer, loss: 'meanSquaredError' });
  const qOfAll = (): Float32Array => tf.tidy(() => (model.predict(allInputs) as tf.Tensor).dataSync() as Float32Array);
  let q = qOfAll();
  const greedy = (k: number): number => {
    let best = 0;
    for (let a = 1; a < m; a++) if (q[k * m + a] > q[k * m + best]) best = a;
    return best;
  };
  const extract = (): RoundTable => {
    const next: Record<string, string> = {};
    keys.forEach((k, i) => {
      const to = states[greedy(i)];
      if (to !== k.own) next[k.key] = to;
    });
    return {
      kind: 'protoforge.round-table', name: `dqn-seed-${options.seed}`,
      description: `greedy table of a deep Q-network trained by self-play on ${inst.problem.name} (n=${inst.n}, rounds=${inst.rounds}, crashes=${inst.crashes})`,
      states, processes: n, next,
    };
  };

  const rng = new LearnRng(options.seed);
  const replay: Scenario[] = [];
  const replayKeys = new Set<string>();
  const totalEpisodes = perPhase * maxPhases;
  let episodes = 0;
  let counterexamples = 0;
  let checkedRuns = 0;
  let best: { table: RoundTable; runs: number; property: string; run: RoundRun } | null = null;
  try {
    for (let phase = 1; phase <= maxPhases; phase++) {
      let rewardSum = 0;
      let rewarded = 0;
      for (let done = 0; done < perPhase; done += batch) {
        // Targets: the mean final reward of every (key, next state) taken in this batch of episodes.
        const sum = new Float64Array(keys.length * m);
        const count = new Uint32Array(keys.length * m);
        for (let e = 0; e < Math.min(batch, perPhase - done); e++, episodes++) {
          const scenario = replay.length > 0 && rng.next() < replayShare ? replay[rng.below(replay.length)] : randomScenario(inst, rng);
          const epsilon = epsilonAt(options.epsilon, episodes, perPhase);
          const taken: [number, number][][] = scenario.initial.map(() => []);
          const run = playRounds(states, inst.rounds, scenario.initial, scenario.crashes, (p, key) => {
            const k = keyIndex.get(key);
            if (k === undefined) throw new RoundsError(`key ${key} is not a key of ${inst.problem.name} (a state named ${LOST}?)`);
            const a = rng.next() < epsilon ? rng.below(m) : greedy(k);
            taken[p].push([k, a]);
            return states[a];
          });
          const rewards = rewardsOf(run, inst.params as never);
          const last = run.states[run.states.length - 1];
          taken.forEach((steps, p) => {
            if (last[p] === null) return; // a crashed process earns nothing and learns nothing
            rewardSum += rewards[p];
            rewarded++;
            for (const [k, a] of steps) {
              sum[k * m + a] += rewards[p];
              count[k * m + a]++;
            }
          });
        }
        const rows: number[] = [];
        for (let k = 0; k < keys.length; k++) for (let a = 0; a < m; a++) if (count[k * m + a] > 0 && !rows.includes(k)) rows.push(k);
        if (rows.length === 0) continue;
        const x = new Float32Array(rows.length * width);
        const y = new Float32Array(rows.length * m);
        rows.forEach((k, r) => {
          x.set(inputs.subarray(k * width, (k + 1) * width), r * width);
          // Untaken next states keep the network's own value: only the taken ones move.
          for (let a = 0; a < m; a++) y[r * m + a] = count[k * m + a] > 0 ? sum[k * m + a] / count[k * m + a] / 1000 : q[k * m + a];
        });
        // The learning rate decays from 0.01 to 0.001 over the budget, as the document's.
        // (Adam reads the field on every step; TensorFlow.js declares it protected but has no setter.)
        (optimizer as unknown as { learningRate: number }).learningRate = 0.01 * Math.pow(0.1, Math.min(1, episodes / totalEpisodes));
        const xt = tf.tensor2d(x, [rows.length, width]);
        const yt = tf.tensor2d(y, [rows.length, m]);
        await model.fit(xt, yt, { epochs: 4, batchSize: 32, shuffle: false, verbose: 0 });
        xt.dispose();
        yt.dispose();
        q = qOfAll();
      }
      const table = extract();
      const result = checkRounds(inst, table);
      checkedRuns += result.runs;
      options.onPhase?.({ phase, episodes, meanReward: rewarded ? rewardSum / rewarded : 0, verdict: result.verdict, ...(result.verdict === 'fails' ? { property: result.property } : {}) });
      if (result.verdict === 'holds') return { table, verdict: 'proven', phases: phase, episodes, counterexamples, checkedRuns };
      counterexamples++;
      if (!best || result.runs >= best.runs) best = { table, runs: result.runs, property: result.property, run: result.run };
      const id = JSON.stringify({ initial: result.run.initial, crashes: result.run.crashes });
      if (!replayKeys.has(id)) {
        replayKeys.add(id);
        replay.push({ initial: result.run.initial, crashes: result.run.crashes });
      }
    }
    return { table: best!.table, verdict: 'budget', phases: maxPhases, episodes, counterexamples, checkedRuns, failure: { property: best!.property, run: best!.run } };
  } finally {
    allInputs.dispose();
    model.dispose();
  }
}
