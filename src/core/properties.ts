import type { Message, ParamValue } from './protocol.ts';
import type { Plain } from './plain.ts';

export interface NodeView {
  readonly id: string;
  readonly role: string;
  readonly state: any;
  readonly crashed: boolean;
  readonly timers: readonly string[];
}

export interface InFlight {
  readonly from: string;
  readonly to: string;
  readonly msg: Message;
}

export interface OutputRecord {
  readonly node: string;
  readonly value: Plain;
}

/** The global state as properties see it: node states, messages in flight, outputs so far. */
export interface World {
  readonly params: Readonly<Record<string, ParamValue>>;
  readonly nodes: readonly NodeView[];
  readonly messages: readonly InFlight[];
  readonly outputs: readonly OutputRecord[];
  node(id: string): NodeView;
  /** The states of the nodes of one role, in declaration order. */
  statesOf<S = any>(role: string): S[];
}

export type PropertyKind = 'always' | 'sometimes' | 'eventually';

export interface Property {
  readonly kind: PropertyKind;
  readonly name: string;
  readonly holds: (world: World) => boolean;
}

/** Safety: holds in every reachable state. A counterexample is the shortest path to a state where it fails. */
export function always(name: string, holds: (world: World) => boolean): Property {
  return { kind: 'always', name, holds };
}

/** A witness: holds in at least one reachable state. Guards against checks that pass vacuously. */
export function sometimes(name: string, holds: (world: World) => boolean): Property {
  return { kind: 'sometimes', name, holds };
}

/**
 * Progress: on every path the predicate holds at some point. The checker decides it on finite paths:
 * it fails when a state with no transition to another state is reached along a path on which the
 * predicate never held. Paths that cycle forever without it are not reported (as with weak fairness
 * on every action that leaves the cycle).
 */
export function eventually(name: string, holds: (world: World) => boolean): Property {
  return { kind: 'eventually', name, holds };
}
