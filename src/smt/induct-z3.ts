/**
 * The Z3 context an inductiveness check runs in: a fresh one on the solver ../smt/z3.ts loads once per
 * process, with Z3's releases held back while the solver works.
 *
 * Why: `solver.check()` runs on an Emscripten worker thread while the main thread waits, and meanwhile
 * the main thread runs garbage-collection finalizers, which z3-solver registers for every term, model
 * and solver it wraps (`Z3_dec_ref` and friends). Releasing objects while the solver works corrupts
 * Z3's memory: the checks here failed that way about one run in three (a worker's "memory access out
 * of bounds", an out-of-memory abort, a spurious answer or a "canceled" result, at a different call
 * each time); with finalizers held back, never. `Z3_enable_concurrent_dec_ref` alone did not help.
 *
 * So every releasing function of the low-level API (`*dec_ref`, `del_*`) is wrapped: while an
 * asynchronous call (a function of the low-level API that returns a promise, e.g.
 * `solver_check_assumptions`) is pending, releases are queued, and the queue is emptied, on the main
 * thread, once no call is pending. The wrapping is installed once on the shared API object; it changes
 * nothing when no call is pending.
 */
import type { Z3Api, Z3Context } from './z3.ts';
import { z3 } from './z3.ts';

const GUARDED = Symbol.for('protoforge.z3.releases-guarded');

type Fn = (...args: unknown[]) => unknown;

/** Holds releases back while an asynchronous call of the low-level API is pending. */
export function guardReleases(api: Z3Api): void {
  const low = api.Z3 as unknown as Record<string | symbol, unknown>;
  if (low[GUARDED]) return;
  low[GUARDED] = true;
  let pending = 0;
  let queue: (() => void)[] = [];
  const flush = () => {
    while (pending === 0 && queue.length > 0) {
      const now = queue;
      queue = [];
      for (let i = 0; i < now.length; i++) {
        if (pending > 0) {
          queue = [...now.slice(i), ...queue];
          return;
        }
        now[i]();
      }
    }
  };
  for (const name of Object.keys(low)) {
    const f = low[name];
    if (typeof f !== 'function') continue;
    if (/dec_ref$/.test(name) && name !== 'enable_concurrent_dec_ref' || /^del_/.test(name)) {
      low[name] = (...args: unknown[]) => {
        if (pending > 0) queue.push(() => (f as Fn)(...args));
        else return (f as Fn)(...args);
      };
    } else {
      low[name] = (...args: unknown[]) => {
        const r = (f as Fn)(...args);
        if (r instanceof Promise) {
          pending++;
          const done = () => {
            pending--;
            flush();
          };
          r.then(done, done);
        }
        return r;
      };
    }
  }
}

/** A fresh context for one check, on the shared solver, with releases guarded. */
export async function inductContext(): Promise<Z3Context> {
  const api = await z3();
  guardReleases(api);
  return api.Context('main');
}
