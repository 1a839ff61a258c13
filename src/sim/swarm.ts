import { Worker } from 'node:worker_threads';
import type { Instance, InstanceOptions } from '../core/instance.ts';
import { instantiate } from '../core/instance.ts';
import type { Protocol } from '../core/protocol.ts';
import { sourceOf } from '../core/source.ts';
import { simulate } from './simulator.ts';
import type { SimOptions } from './simulator.ts';
import { writeTrace } from './trace-file.ts';

/** One run of a swarm: its seed, its length, and the violation (with the trace) if it failed. */
export interface SwarmRun {
  readonly seed: number;
  readonly events: number;
  readonly violation: { readonly i: number; readonly property: string } | null;
  /** The run's trace as JSON Lines, for failing runs only. */
  readonly trace?: string;
}

export interface SwarmOptions {
  readonly instance: InstanceOptions;
  /** Every run's options but the seed. */
  readonly sim: Omit<SimOptions, 'seed'>;
  readonly firstSeed: number;
  readonly runs: number;
  readonly workers: number;
  /** Called after each finished run, with how many are done. */
  readonly onRun?: (done: number, run: SwarmRun) => void;
}

export function runOne(inst: Instance, options: SwarmOptions, seed: number): SwarmRun {
  const result = simulate(inst, { ...options.sim, seed });
  const violation = result.trace.end.violation;
  return { seed, events: result.events, violation, ...(violation ? { trace: writeTrace(result.trace) } : {}) };
}

/**
 * Runs seeds firstSeed .. firstSeed + runs - 1, on worker threads when `workers` > 1 (each takes the
 * next seed from a shared counter). Every run depends on its seed alone, so the results, returned in
 * seed order, are the same for any number of workers.
 */
export async function simulateSwarm(protocol: Protocol, options: SwarmOptions): Promise<SwarmRun[]> {
  const inst = instantiate(protocol, options.instance);
  const runs: SwarmRun[] = [];
  const record = (run: SwarmRun) => { runs.push(run); options.onRun?.(runs.length, run); };
  // The first run happens here, so that bad options fail in this thread with their own error.
  record(runOne(inst, options, options.firstSeed));
  if (options.workers <= 1) {
    for (let k = 1; k < options.runs; k++) {
      record(runOne(inst, options, options.firstSeed + k));
      if (k % 64 === 63) await new Promise((resolve) => setImmediate(resolve)); // let progress and signals through
    }
  } else {
    const source = sourceOf(protocol);
    if (!source) throw new Error(`${protocol.name} was not loaded from a file or the library, so worker threads cannot load it: use one worker`);
    const next = new Int32Array(new SharedArrayBuffer(4));
    next[0] = 1;
    const { onRun: _, ...plain } = options;
    await Promise.all(Array.from({ length: Math.min(options.workers, options.runs - 1) }, () => new Promise<void>((resolve, reject) => {
      const worker = new Worker(new URL('./swarm-worker.js', import.meta.url), { workerData: { source, options: plain, next } });
      worker.on('message', (msg: { run?: SwarmRun; error?: { name: string; message: string } }) => {
        if (msg.run) record(msg.run);
        if (msg.error) {
          const err = new Error(msg.error.message);
          err.name = msg.error.name;
          reject(err);
          void worker.terminate();
        }
      });
      worker.on('error', reject);
      worker.on('exit', () => resolve());
    })));
  }
  return runs.sort((a, b) => a.seed - b.seed);
}
