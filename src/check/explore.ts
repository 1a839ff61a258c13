import type { Instance } from '../core/instance.ts';
import type { InFlight, PropertyKind } from '../core/properties.ts';
import type { Action, Trace } from '../core/trace.ts';
import { createEngine, createSharedBuffers } from './engine.ts';
import type { Engine } from './engine.ts';
import { ActionList } from './model.ts';
import { replayStable } from './trace.ts';

/** One state of an interactive exploration: how it was reached, what can happen next, what holds. */
export interface ExploreView {
  /** The run from the initial state; `trace.path` addresses this state. */
  readonly trace: Trace;
  /** The enabled actions, in the stable order that paths use: taking `next[k]` appends k to the path. */
  readonly next: readonly Action[];
  /** The messages in flight in this state. */
  readonly messages: readonly InFlight[];
  /** Each property's predicate in this state (for `sometimes` and `eventually`: whether it holds here). */
  readonly properties: readonly { readonly name: string; readonly kind: PropertyKind; readonly holds: boolean }[];
}

/**
 * Steps through a protocol's state space by hand, as the checker sees it (no symmetry): a state is
 * named by its path of action ranks from the initial state, so any state can be revisited or shared.
 */
export class Explorer {
  private readonly engine: Engine;

  constructor(readonly inst: Instance) {
    this.engine = createEngine(inst, createSharedBuffers(inst.properties.length, 1), 1);
  }

  /** The state `path` leads to; throws an Error naming the step when the path leaves the protocol. */
  view(path: readonly number[]): ExploreView {
    const model = this.engine.model;
    const { trace, last } = replayStable(model, path);
    const actions = new ActionList();
    model.enumerate(last, actions);
    const next = model.stableOrder(last, actions).map((a) => model.describe(last, actions.kind[a], actions.node[a], actions.arg[a]));
    const world = model.world(last);
    const properties = this.inst.properties.map((p) => ({ name: p.name, kind: p.kind, holds: p.holds(world) }));
    return { trace, next, messages: model.messagesOf(last), properties };
  }
}
