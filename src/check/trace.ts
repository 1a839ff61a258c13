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
 * Renders a run from the initial state. `choose` picks, at each step, the index of the action to take
 * among those `model.enumerate` lists for the real current state. The trace's `path` names each
 * action by its rank in `model.stableOrder`, which does not depend on the run that found it, so a
 * fresh process replays it.
 */
function render(model: Model, length: number, choose: (actual: Int32Array, actions: ActionList, step: number) => number): { trace: Trace; last: Int32Array } {
  const actions = new ActionList();
  let actual = model.initial();
  const steps: TraceStep[] = [stepOf(model, 0, null, actual, { kind: 'init' })];
  const path: number[] = [];
  for (let i = 0; i < length; i++) {
    model.enumerate(actual, actions);
    const b = choose(actual, actions, i);
    const next = model.apply(actual, actions.kind[b], actions.node[b], actions.arg[b]).slice();
    steps.push(stepOf(model, i + 1, actual, next, model.describe(actual, actions.kind[b], actions.node[b], actions.arg[b])));
    path.push(model.stableOrder(actual, actions).indexOf(b));
    actual = next;
  }
  const inst = model.inst;
  return { trace: { protocol: inst.protocol.name, params: inst.params, network: inst.network, path: path.join('/'), steps }, last: actual };
}

/**
 * The trace of a state the checker stored, from its path of the checker's own action indices. Under
 * symmetry that path runs through representatives; the replay keeps the renaming `sigma` that takes
 * the current representative to the real state, so the trace shows one consistent run of real node ids.
 */
export function buildTrace(model: Model, path: readonly number[], canon: Canonicalizer | null,
  normalize: (w: Int32Array, parentFlags: number) => Int32Array): Trace {
  const repActions = new ActionList();
  const raw = model.initial();
  let rep = normalize(raw.slice(), model.eventuallyMask).slice();
  let sigma: number[] = identity(model.n);
  if (canon) sigma = invert(canon.permutation(raw) ?? identity(model.n));
  return render(model, path.length, (actual, actions, i) => {
    const a = path[i];
    model.enumerate(rep, repActions);
    if (a >= repActions.length) throw new Error(`trace step ${i + 1}: action ${a} does not exist (${repActions.length} enabled)`);
    const successor = model.apply(rep, repActions.kind[a], repActions.node[a], repActions.arg[a]).slice();
    const nextRep = normalize(successor.slice(), rep[0]).slice();
    let next = successor;
    if (canon) {
      next = canon.rename(successor, sigma).slice();
      const tauInv = invert(canon.permutation(successor) ?? identity(model.n));
      sigma = sigma.map((_, x) => sigma[tauInv[x]]);
    }
    rep = nextRep;
    // The same step taken from the real state: the action whose successor is exactly `next`.
    for (let b = 0; b < actions.length; b++) {
      if (sameState(model.apply(actual, actions.kind[b], actions.node[b], actions.arg[b]), next)) return b;
    }
    throw new Error(`trace step ${i + 1}: no action leads to the recorded state`);
  }).trace;
}

/** The run a path of stable action ranks (a trace's `path`) names, without symmetry, and its last state. */
export function replayStable(model: Model, path: readonly number[]): { trace: Trace; last: Int32Array } {
  return render(model, path.length, (actual, actions, i) => {
    const order = model.stableOrder(actual, actions);
    if (path[i] >= order.length) throw new Error(`trace step ${i + 1}: action ${path[i]} does not exist (${order.length} enabled)`);
    return order[path[i]];
  });
}

const identity = (n: number) => Array.from({ length: n }, (_, i) => i);

function invert(perm: readonly number[]): number[] {
  const out = new Array<number>(perm.length);
  perm.forEach((to, from) => { out[to] = from; });
  return out;
}

/** Equal states, ignoring the `eventually` bits of the flags word (traces do not track them). */
function sameState(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length || (a[0] & 0xff) !== (b[0] & 0xff)) return false;
  for (let i = 1; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
