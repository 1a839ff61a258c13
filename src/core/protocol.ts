import type { Plain } from './plain.ts';
import type { NetworkOptions } from './network.ts';
import type { Property } from './properties.ts';
import type { Induction } from './domains.ts';

/** Every message is a plain object with a string `type` that names its handler. */
export type Message = { readonly type: string } & { readonly [key: string]: Plain };

/** What a handler may do besides returning its next state; each call is recorded as data. */
export interface Ctx<M extends Message, T extends string = never> {
  /** This node's id. */
  readonly self: string;
  /** The protocol's parameters for this run. */
  readonly params: Readonly<Record<string, ParamValue>>;
  /** Every node id, in declaration order. */
  readonly nodes: readonly string[];
  /** The ids of the nodes of one role, in declaration order. */
  nodesOf(role: string): readonly string[];
  send(to: string, msg: M): void;
  /** Sends to every node of `role` (every node when omitted), this node included if it has that role. */
  broadcast(msg: M, role?: string): void;
  /** Arms a timer; `delayMs` is used by the simulator and the runtime, the checker fires timers in any order. */
  setTimer(name: T, delayMs?: number): void;
  cancelTimer(name: T): void;
  /** Something the node tells the outside world: a decision, a client reply. */
  output(value: Plain): void;
}

export interface MessageCtx<M extends Message, T extends string = never> extends Ctx<M, T> {
  /** The sender of the message being handled. */
  readonly from: string;
}

export type MessageHandlers<S, M extends Message, T extends string> = {
  readonly [K in M['type']]?: (state: S, msg: Extract<M, { type: K }>, ctx: MessageCtx<M, T>) => S;
};

export type TimerHandlers<S, M extends Message, T extends string> = {
  readonly [K in T]: (state: S, ctx: Ctx<M, T>) => S;
};

/**
 * One kind of node. Handlers are pure: they read the state, the event and `ctx`, and return the next
 * state; sends, timers and outputs are requested through `ctx` and come back to the executor as data.
 * A message with no handler is consumed and ignored.
 */
export interface Role<S = any, M extends Message = any, T extends string = any> {
  /** The initial state; effects requested here happen when the node starts (and restarts after a crash). */
  readonly init: (ctx: Ctx<M, T>) => S;
  readonly on?: MessageHandlers<S, M, T>;
  readonly timers?: TimerHandlers<S, M, T>;
  /**
   * Fields of the state that survive a crash (crash-recover): the rest is reset from `init`.
   * Leave it out for a node whose whole state is lost.
   */
  readonly durable?: readonly (keyof S & string)[];
  /**
   * Runs when the node restarts after a crash, with its durable fields restored into a fresh `init`
   * state (whose effects are then dropped): re-arm timers and resend what the state calls for.
   * Without it, a restart is a fresh start: `init`'s state with the durable fields, and its effects.
   */
  readonly recover?: (state: S, ctx: Ctx<M, T>) => S;
  /**
   * A timer that stands for suspecting a peer (an election timeout, say), and the peer it watches in
   * a state (null: none, or several). On real time the runtime fires it when its phi accrual failure
   * detector, fed by every message from that peer, suspects the peer, not after the timer's delay
   * (which still applies while the peer is null or has never been heard from). The checker fires it
   * at any moment as any timer, which covers every verdict a failure detector can reach; the simulator
   * after its delay.
   */
  readonly suspicion?: { readonly timer: T; readonly peer: (state: S, self: string) => string | null };
  /**
   * Why a message is dropped unhandled, for the runtime's log (null: it is not). The handler must
   * ignore such a message anyway: this only names the reason (a frame from a member outside the
   * current view, say). The checker and the simulator do not call it.
   */
  readonly rejects?: (state: S, msg: M, from: string) => string | null;
}

/** Declares a role; the type arguments are the state, the message union and the timer names. */
export function role<S, M extends Message, T extends string = never>(def: Role<S, M, T>): Role<S, M, T> {
  return def;
}

export interface NodeDecl {
  readonly id: string;
  readonly role: string;
  readonly def: Role;
}

export type ParamValue = number | boolean | string;

export interface IntParam { readonly kind: 'int'; readonly default: number; readonly min: number; readonly max: number; readonly description: string }
export interface BoolParam { readonly kind: 'bool'; readonly default: boolean; readonly description: string }
export interface ChoiceParam<C extends string = string> { readonly kind: 'enum'; readonly default: C; readonly choices: readonly C[]; readonly description: string }
export type ParamSpec = IntParam | BoolParam | ChoiceParam;

export const param = {
  int: (description: string, d: number, min: number, max: number): IntParam => ({ kind: 'int', default: d, min, max, description }),
  bool: (description: string, d: boolean): BoolParam => ({ kind: 'bool', default: d, description }),
  choice: <const C extends string>(description: string, d: NoInfer<C>, choices: readonly C[]): ChoiceParam<C> =>
    ({ kind: 'enum', default: d, choices, description }),
};

type ValueOf<S> = S extends IntParam ? number : S extends BoolParam ? boolean : S extends ChoiceParam<infer C> ? C : never;
export type ParamsOf<D extends Record<string, ParamSpec>> = { readonly [K in keyof D]: ValueOf<D[K]> };

export interface ProtocolDef<D extends Record<string, ParamSpec>> {
  readonly name: string;
  readonly description: string;
  readonly params?: D;
  /** The nodes of one instance; ids must be distinct. */
  readonly nodes: (params: ParamsOf<D>) => readonly NodeDecl[];
  readonly properties: (params: ParamsOf<D>) => readonly Property[];
  /** Network semantics this protocol is usually checked under; the executor's options override them. */
  readonly network?: Partial<NetworkOptions>;
  /**
   * Roles whose nodes are interchangeable, for symmetry reduction. Node ids of these roles are renamed
   * wherever they appear in states, messages and outputs, as whole strings or as object keys; arrays
   * keep their order and longer strings are left as they are, so keep sets of nodes as objects keyed by
   * node id (a sorted array is no longer sorted once renamed) and never build node ids into text.
   */
  readonly symmetric?: readonly string[];
  /**
   * For `protoforge induct`: the enumerable types of node states and messages within bounds, and the
   * strengthened invariants to check for inductiveness. Protocols that do not need it leave it out.
   */
  readonly induction?: Induction<ParamsOf<D>>;
}

export interface Protocol<D extends Record<string, ParamSpec> = any> extends ProtocolDef<D> {
  readonly kind: 'protoforge.protocol';
  readonly paramSpecs: Readonly<Record<string, ParamSpec>>;
}

export function defineProtocol<D extends Record<string, ParamSpec> = {}>(def: ProtocolDef<D>): Protocol<D> {
  return { ...def, kind: 'protoforge.protocol', paramSpecs: def.params ?? {} };
}

export function node(id: string, roleName: string, def: Role): NodeDecl {
  return { id, role: roleName, def };
}

/** `count` nodes of one role named `${prefix}1` ... `${prefix}${count}`. */
export function nodes(prefix: string, count: number, roleName: string, def: Role): NodeDecl[] {
  return Array.from({ length: count }, (_, i) => node(`${prefix}${i + 1}`, roleName, def));
}

export function isProtocol(value: unknown): value is Protocol {
  return typeof value === 'object' && value !== null && (value as Protocol).kind === 'protoforge.protocol';
}
