import type { Protocol } from '../core/protocol.ts';
import type { Trace } from '../core/trace.ts';
import { createEngine, createSharedBuffers } from './engine.ts';
import { instantiate } from '../core/instance.ts';
import type { InstanceOptions } from '../core/instance.ts';
import { replayStable } from './trace.ts';

export class ReplayError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplayError';
  }
}

/**
 * Re-executes a path of action indices (`0/2/1`, as in a counterexample's `path`) from the initial
 * state, without symmetry reduction, and returns the full trace.
 */
export function replayPath(protocol: Protocol, options: InstanceOptions, path: string): Trace {
  const steps = path.trim() === '' ? [] : path.trim().split('/');
  const indices = steps.map((s, i) => {
    if (!/^\d+$/.test(s)) throw new ReplayError(`path step ${i + 1} is ${JSON.stringify(s)}: a path is action indices separated by "/", like 0/2/1`);
    return Number(s);
  });
  const engine = createEngine(instantiate(protocol, { ...options, symmetry: false }), createSharedBuffers(1, 1 << 20), 1 << 20);
  try {
    return replayStable(engine.model, indices).trace;
  } catch (err) {
    throw new ReplayError(`cannot replay path ${path}: ${(err as Error).message}`);
  }
}
