/**
 * A meta-model: the common structure of a family of state machines indexed by parameters (Kirby, Dearle
 * and Norcross, "Generating a Family of BFT Protocol Implementations Using a Meta-Model Architecture").
 *
 * A user declares
 * - the parameters (with `param` from core), e.g. the replication factor r;
 * - the state components for given parameters: booleans and integers whose bounds depend on them;
 * - the message kinds a running machine may receive;
 * - for each message, a rule from (state, parameters) to the new state (or the finish state), the actions
 *   performed on the way (messages sent, named actions) and one sentence of rationale;
 * - optionally the start state (default: every boolean false, every integer at its minimum) and a
 *   commentary for each state (the paragraph of the document's Figure 9).
 *
 * `generate` (generate.ts) turns it into a concrete machine for chosen parameter values.
 */
import type { ParamSpec, ParamsOf } from '../core/protocol.ts';
import { MetaModelError, ruleName } from './errors.ts';

export interface BoolComponent {
  readonly kind: 'bool';
  readonly description?: string;
}

export interface IntComponent {
  readonly kind: 'int';
  readonly min: number;
  readonly max: number;
  readonly description?: string;
}

export type Component = BoolComponent | IntComponent;

/** A boolean state component; it shows as T or F in a state's name. */
export function bool(description?: string): BoolComponent {
  return description === undefined ? { kind: 'bool' } : { kind: 'bool', description };
}

/** An integer state component from `min` to `max` inclusive (both usually computed from the parameters). */
export function int(min: number, max: number, description?: string): IntComponent {
  return description === undefined ? { kind: 'int', min, max } : { kind: 'int', min, max, description };
}

export type ValueOf<C extends Component> = C extends BoolComponent ? boolean : number;

/** The state a rule sees and returns: one field per component. */
export type StateOf<C extends Record<string, Component>> = { [K in keyof C]: ValueOf<C[K]> };

/** Something a transition does besides changing state: send a message of a declared kind, or a named action. */
export type Action<M extends string = string> = { readonly send: M } | { readonly do: string };

/** The action of sending a message of kind `message`. */
export function send<const M extends string>(message: M): { readonly send: M } {
  return { send: message };
}

/** A named action other than a send (e.g. `deliver`), shown as its name. */
export function act(name: string): { readonly do: string } {
  return { do: name };
}

/** The result of a rule: the next state, or the finish state, with the actions and the reason. */
export type Step<S, M extends string = string> =
  | { readonly to: S; readonly actions?: readonly Action<M>[]; readonly rationale: string }
  | { readonly finish: true; readonly actions?: readonly Action<M>[]; readonly rationale: string };

/**
 * What receiving a message does in a state. Returning null (or undefined) means the message cannot
 * arrive or is ignored there: no transition. A step back to the same state with no action is not a
 * transition either (as in the document's Figure 9, which lists no `put` from a state that has it).
 */
export type Rule<S, P, M extends string> = (state: Readonly<S>, params: P) => Step<S, M> | null | undefined;

export interface MetaModelDef<D extends Record<string, ParamSpec>, C extends Record<string, Component>, M extends string> {
  readonly name: string;
  readonly description: string;
  readonly params?: D;
  /** The state components for given parameters, in the order they appear in a state's name. */
  readonly components: (params: ParamsOf<D>) => C;
  /** The message kinds, in the order the transitions of a state are listed. */
  readonly messages: readonly M[];
  /** The start state; by default every boolean is false and every integer at its minimum. */
  readonly start?: (params: ParamsOf<D>) => StateOf<C>;
  /** One rule per message kind. */
  readonly rules: { readonly [K in M]: Rule<StateOf<C>, ParamsOf<D>, M> };
  /** The commentary of a state, in terms of the general algorithm (the paragraph of the document's Figure 9). */
  readonly describe?: (state: Readonly<StateOf<C>>, params: ParamsOf<D>) => string;
  /** The name of the finish state; `finish` by default. */
  readonly finishName?: string;
}

export interface MetaModel<D extends Record<string, ParamSpec> = any, C extends Record<string, Component> = any, M extends string = string>
  extends MetaModelDef<D, C, M> {
  readonly kind: 'protoforge.metamodel';
  readonly paramSpecs: Readonly<Record<string, ParamSpec>>;
}

/**
 * Declares a meta-model. The declaration itself is checked here (message names, one rule per message);
 * what depends on the parameters (bounds, the rules' results) is checked by `generate`.
 */
export function defineMetaModel<D extends Record<string, ParamSpec> = {}, C extends Record<string, Component> = {}, const M extends string = string>(
  def: MetaModelDef<D, C, M>,
): MetaModel<D, C, M> {
  const where = `meta-model ${def.name}`;
  if (typeof def.name !== 'string' || def.name === '') throw new MetaModelError('a meta-model needs a name');
  if (!Array.isArray(def.messages) || def.messages.length === 0) throw new MetaModelError(`${where} declares no messages`);
  const seen = new Set<string>();
  for (const m of def.messages) {
    if (typeof m !== 'string' || m === '') throw new MetaModelError(`${where}: message names must be non-empty strings, got ${JSON.stringify(m)}`);
    if (seen.has(m)) throw new MetaModelError(`${where} declares message ${m} twice`);
    seen.add(m);
  }
  const rules = (def.rules ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(rules)) {
    if (!seen.has(key)) {
      throw new MetaModelError(`${where}: ${ruleName(key)} is for message ${JSON.stringify(key)}, which the meta-model does not declare (its messages: ${def.messages.join(', ')})`);
    }
    if (typeof rules[key] !== 'function') throw new MetaModelError(`${where}: ${ruleName(key)} is not a function`);
  }
  for (const m of def.messages) {
    if (!(m in rules)) throw new MetaModelError(`${where}: message ${m} has no rule (add ${ruleName(m)})`);
  }
  return { ...def, kind: 'protoforge.metamodel', paramSpecs: def.params ?? {} };
}

export function isMetaModel(value: unknown): value is MetaModel {
  return typeof value === 'object' && value !== null && (value as MetaModel).kind === 'protoforge.metamodel';
}

/** How an action reads in text: `send vote message`, or the action's name. */
export function actionText(action: Action): string {
  return 'send' in action ? `send ${action.send} message` : action.do;
}
