/**
 * The generated state machine: plain data (it survives JSON), the same shape whether it was generated
 * from a meta-model or produced some other way, so renderers, the checker and the simulator can take
 * either. It follows the document's Figure 2: states with annotations, a start and a finish state, and
 * transitions that lead to a state and carry actions and annotations.
 */
import type { ParamValue } from '../core/protocol.ts';
import type { Action } from './model.ts';

export interface MachineComponent {
  readonly name: string;
  readonly kind: 'bool' | 'int';
  readonly min: number;
  readonly max: number;
  readonly description?: string;
}

export interface Transition {
  readonly message: string;
  /** Index of the destination in `states`. */
  readonly to: number;
  readonly actions: readonly Action[];
  /** The rationale of the transition (one sentence). */
  readonly annotations: readonly string[];
}

export interface MachineState {
  /** `T/2/F/0/F/F/F`: the component values of the state that stands for the combined ones. */
  readonly name: string;
  /** Component values of that state; null for the finish state. */
  readonly values: Readonly<Record<string, boolean | number>> | null;
  /** The commentary describing the state (empty when the meta-model has none). */
  readonly annotations: readonly string[];
  /** Names of the generated states combined into this one, in enumeration order (this one first). */
  readonly members: readonly string[];
  /** In the order of the machine's messages; a message with no transition is ignored in this state. */
  readonly transitions: readonly Transition[];
}

/** Counts from the document's Table 1 and section 3.2: states enumerated, reachable and in the final machine. */
export interface GenerationStats {
  /** States the components allow (the finish state not included). */
  readonly enumerated: number;
  /** States reachable from the start state, the finish state included. */
  readonly reachable: number;
  /** States after combining equivalent ones, the finish state included. */
  readonly final: number;
  /** Prune-and-merge passes until nothing changed. */
  readonly rounds: number;
}

export interface StateMachine {
  readonly kind: 'protoforge.machine';
  readonly name: string;
  readonly description: string;
  readonly params: Readonly<Record<string, ParamValue>>;
  readonly components: readonly MachineComponent[];
  readonly messages: readonly string[];
  readonly states: readonly MachineState[];
  readonly start: number;
  /** Index of the finish state, or null when no transition finishes. */
  readonly finish: number | null;
  readonly stats: GenerationStats;
}

export function isStateMachine(value: unknown): value is StateMachine {
  return typeof value === 'object' && value !== null && (value as StateMachine).kind === 'protoforge.machine';
}

/** The state of that name, or undefined. */
export function findState(machine: StateMachine, name: string): MachineState | undefined {
  return machine.states.find((s) => s.name === name);
}

/** The transition from state `from` (a name) on `message`, or undefined when the message is ignored there. */
export function transitionOn(machine: StateMachine, from: string, message: string): Transition | undefined {
  return findState(machine, from)?.transitions.find((t) => t.message === message);
}

/**
 * Delivers `messages` in order from the start state; a message a state has no transition for is ignored
 * (the machine stays). Returns the state reached and every action performed on the way.
 */
export function run(machine: StateMachine, messages: readonly string[]): { state: string; actions: Action[] } {
  let at = machine.start;
  const actions: Action[] = [];
  for (const msg of messages) {
    const t = machine.states[at].transitions.find((x) => x.message === msg);
    if (!t) continue;
    actions.push(...t.actions);
    at = t.to;
  }
  return { state: machine.states[at].name, actions };
}
