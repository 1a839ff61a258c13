import { diffFields } from '../core/trace.ts';
import type { Trace, TraceStep } from '../core/trace.ts';
import { ActionList, Model } from './model.ts';
import type { Canonicalizer } from './symmetry.ts';

function stepOf(model: Model, step: number, before: Int32Array | null, after: Int32Array, action: TraceStep['action']): TraceStep {
  const n = model.n;
  const states: Record<string, unknown> = {};
  const crashed: string[] = [];
  const changes = [];
  for (let i = 0; i < n; i++) {
    const view = model.nodeView(i, after[1 + i]);
    states[view.id] = view.state;
    if (view.crashed) crashed.push(view.id);
    if (before) changes.push(...diffFields(view.id, model.nodeView(i, before[1 + i]).state, view.state));
  }
  // What this step added: messages and outputs present after it and not (as often) before it.
  const count = (xs: string[]) => xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<string, number>());
  const prevMsgs = count(before ? model.messagesOf(before).map((x) => JSON.stringify(x)) : []);
  const order = model.inst.topo.index;
  const sent = model.messagesOf(after).filter((x) => {
    const key = JSON.stringify(x);
    const left = prevMsgs.get(key) ?? 0;
    if (left > 0) { prevMsgs.set(key, left - 1); return false; }
    return true;
  }).sort((a, b) => order.get(a.to)! - order.get(b.to)!);
  const prevOuts = new Set(before ? model.outputsOf(before).map((x) => JSON.stringify(x)) : []);
  const outputs = model.outputsOf(after).filter((x) => !prevOuts.has(JSON.stringify(x)));
  return { step, action, changes, sent, outputs, states, crashed };
}

/**
 * Replays a path of action indices from the initial state into a readable trace. Under symmetry the
 * path runs through representatives; the replay keeps the renaming `sigma` that takes the current
 * representative to the real state, so the trace shows one consistent run of real node ids, and
 * its `path` is the same run's action indices without symmetry.
 */
export function buildTrace(model: Model, path: readonly number[], canon: Canonicalizer | null,
  normalize: (w: Int32Array, parentFlags: number) => Int32Array): Trace {
  const actions = new ActionList();
  const probe = new ActionList();
  const raw = model.initial();
  let rep = normalize(raw.slice(), model.eventuallyMask).slice();
  let actual = raw.slice();
  actual[0] = rep[0];
  let sigma: number[] = identity(model.n);
  if (canon) sigma = invert(canon.permutation(withFlags(raw, rep[0])) ?? identity(model.n));
  const steps: TraceStep[] = [stepOf(model, 0, null, actual, { kind: 'init' })];
  const realPath: number[] = [];
  path.forEach((a, i) => {
    model.enumerate(rep, actions);
    if (a >= actions.length) throw new Error(`trace step ${i + 1}: action ${a} does not exist (${actions.length} enabled)`);
    const successor = model.apply(rep, actions.kind[a], actions.node[a], actions.arg[a]).slice();
    const nextRep = normalize(successor.slice(), rep[0]).slice();
    let next = successor;
    if (canon) {
      next = canon.rename(successor, sigma).slice();
      const tau = canon.permutation(withFlags(successor, nextRep[0])) ?? identity(model.n);
      const tauInv = invert(tau);
      sigma = sigma.map((_, x) => sigma[tauInv[x]]);
    }
    // The same step taken from the real state: the action whose successor is exactly `next`.
    model.enumerate(actual, probe);
    let chosen = -1;
    for (let b = 0; b < probe.length && chosen < 0; b++) {
      const w = model.apply(actual, probe.kind[b], probe.node[b], probe.arg[b]);
      if (sameAfterFlags(w, next)) chosen = b;
    }
    if (chosen < 0) throw new Error(`trace step ${i + 1}: no action leads to the recorded state`);
    next[0] = nextRep[0];
    steps.push(stepOf(model, i + 1, actual, next, model.describe(actual, probe.kind[chosen], probe.node[chosen], probe.arg[chosen])));
    realPath.push(chosen);
    actual = next;
    rep = nextRep;
  });
  const inst = model.inst;
  return { protocol: inst.protocol.name, params: inst.params, network: inst.network, path: realPath.join('/'), steps };
}

const identity = (n: number) => Array.from({ length: n }, (_, i) => i);

function invert(perm: readonly number[]): number[] {
  const out = new Array<number>(perm.length);
  perm.forEach((to, from) => { out[to] = from; });
  return out;
}

function withFlags(w: Int32Array, flags: number): Int32Array {
  const c = w.slice();
  c[0] = flags;
  return c;
}

/** Equal vectors, ignoring the `eventually` bits of the flags word (they are settled afterwards). */
function sameAfterFlags(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length || (a[0] & 0xff) !== (b[0] & 0xff)) return false;
  for (let i = 1; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
