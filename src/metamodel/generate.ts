/**
 * Steps 1 and 2 of the document's generation process: enumerate every state the components allow, and
 * for each state and message apply the rule and record the transition.
 *
 * A state is a number: the components in declaration order are the digits of a mixed-radix number whose
 * last component varies fastest (so states are listed as in the document's Figure 10). Transitions are
 * kept in flat typed arrays indexed by `state * messages + message`; rules see plain objects.
 */
import { resolveParams } from '../core/instance.ts';
import type { ParamValue } from '../core/protocol.ts';
import { MetaModelError, StateBoundError, ruleName } from './errors.ts';
import { isMetaModel } from './model.ts';
import type { Action, Component, MetaModel } from './model.ts';

export interface Slot {
  readonly name: string;
  readonly kind: 'bool' | 'int';
  readonly min: number;
  readonly max: number;
  /** Number of values. */
  readonly size: number;
  /** Weight of this component's digit in a state number. */
  readonly stride: number;
  readonly description?: string;
}

/** A meta-model specialised to parameter values: its components' layout and how states are named. */
export interface Space {
  readonly model: MetaModel;
  readonly params: Readonly<Record<string, ParamValue>>;
  /** `meta-model bft-commit (r=4)`: how errors name this generation. */
  readonly label: string;
  readonly slots: readonly Slot[];
  /** Number of states the components allow (the document's "initial states"). */
  readonly size: number;
  readonly finishName: string;
}

/**
 * The transition graph. States are numbered 0..count-1; `origin[i]` is the enumeration number of the
 * generated state that names state i (`space.size` stands for the finish state).
 */
export interface TransitionTable {
  readonly count: number;
  readonly messages: readonly string[];
  /** `dest[i * messages.length + j]`: the state reached from i on message j, or -1 (no transition). */
  readonly dest: Int32Array;
  /** Index into `actionLists` (0 is the empty list). */
  readonly action: Int32Array;
  /** Index into `rationales`. */
  readonly rationale: Int32Array;
  readonly actionLists: readonly (readonly Action[])[];
  readonly rationales: readonly string[];
  readonly start: number;
  /** The finish state, or -1 when there is none. */
  readonly finish: number;
  readonly origin: Int32Array;
  /** Enumeration numbers of the generated states combined into each state (null: each state is itself only). */
  readonly members: readonly (readonly number[])[] | null;
}

export interface EnumerateOptions {
  /** Generation stops with a StateBoundError once it has enumerated this many states (default 5,000,000). */
  readonly maxStates?: number;
}

export const DEFAULT_MAX_STATES = 5_000_000;

const fmt = (v: unknown): string => {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === undefined) return 'undefined';
  if (typeof v === 'function') return 'a function';
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
};

const withCommas = (n: number): string => n.toLocaleString('en-US');


/** Resolves the parameters and lays out the components; checks their bounds. */
export function layout(model: MetaModel, given: Readonly<Record<string, unknown>> = {}): Space {
  if (!isMetaModel(model)) throw new MetaModelError('not a meta-model: define it with defineMetaModel()');
  // resolveParams only reads a protocol's name and parameter specs, which a meta-model has too.
  const params = resolveParams(model, given);
  const shown = Object.entries(params).map(([k, v]) => `${k}=${v}`).join(', ');
  const label = `meta-model ${model.name}${shown ? ` (${shown})` : ''}`;
  let components: Record<string, Component>;
  try {
    components = model.components(params as never);
  } catch (err) {
    throw new MetaModelError(`${label}: components threw: ${(err as Error)?.message ?? String(err)}`, { cause: err });
  }
  if (typeof components !== 'object' || components === null || Object.keys(components).length === 0) {
    throw new MetaModelError(`${label}: components returned no components`);
  }
  const names = Object.keys(components);
  const raw = names.map((name) => {
    const c = components[name];
    if (c?.kind === 'bool') return { name, kind: 'bool' as const, min: 0, max: 1, size: 2, description: c.description };
    if (c?.kind === 'int') {
      if (!Number.isSafeInteger(c.min) || !Number.isSafeInteger(c.max) || c.max < c.min) {
        throw new MetaModelError(`${label}: component ${name} has bounds ${fmt(c.min)}..${fmt(c.max)}, which are not whole numbers from a minimum to a maximum at least as large`);
      }
      return { name, kind: 'int' as const, min: c.min, max: c.max, size: c.max - c.min + 1, description: c.description };
    }
    throw new MetaModelError(`${label}: component ${name} is ${fmt(c)}, not a component (use bool() or int(min, max))`);
  });
  let size = 1;
  const strides = new Array<number>(raw.length);
  for (let k = raw.length - 1; k >= 0; k--) {
    strides[k] = size;
    size *= raw[k].size;
  }
  const slots: Slot[] = raw.map((r, k) => {
    const slot = { name: r.name, kind: r.kind, min: r.min, max: r.max, size: r.size, stride: strides[k] };
    return r.description === undefined ? slot : { ...slot, description: r.description };
  });
  return { model, params, label, slots, size, finishName: model.finishName ?? 'finish' };
}

/** The values of state number `index`, as the rules see them. */
export function decodeState(space: Space, index: number): Record<string, boolean | number> {
  const out: Record<string, boolean | number> = {};
  for (const s of space.slots) {
    const digit = Math.floor(index / s.stride) % s.size;
    out[s.name] = s.kind === 'bool' ? digit === 1 : s.min + digit;
  }
  return out;
}

/** The name of state number `index`: its component values joined by `/`, booleans as T and F (`T/2/F/0/F/F/F`). */
export function stateName(space: Space, index: number): string {
  if (index === space.size) return space.finishName;
  let name = '';
  for (let k = 0; k < space.slots.length; k++) {
    const s = space.slots[k];
    const digit = Math.floor(index / s.stride) % s.size;
    if (k > 0) name += '/';
    name += s.kind === 'bool' ? (digit === 1 ? 'T' : 'F') : String(s.min + digit);
  }
  return name;
}

const said = (who: string | (() => string)): string => (typeof who === 'string' ? who : who());

/** The state number of a state value; `who` says who produced it, for the error (`... returned`). */
export function encodeState(space: Space, value: unknown, who: string | (() => string)): number {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MetaModelError(`${said(who)} ${fmt(value)}, which is not a state (an object with one field per component)`);
  }
  const obj = value as Record<string, unknown>;
  let index = 0;
  for (const s of space.slots) {
    const v = obj[s.name];
    if (s.kind === 'bool') {
      if (v === true) index += s.stride;
      else if (v !== false) throw new MetaModelError(`${said(who)} ${s.name} = ${fmt(v)}, which is not true or false`);
    } else {
      if (typeof v !== 'number' || !Number.isInteger(v)) throw new MetaModelError(`${said(who)} ${s.name} = ${fmt(v)}, which is not a whole number`);
      if (v < s.min || v > s.max) throw new MetaModelError(`${said(who)} ${s.name} = ${v}, outside its bounds ${s.min}..${s.max}`);
      index += (v - s.min) * s.stride;
    }
  }
  // Every component was read above; the state has no other field when it has as many fields as components.
  let fields = 0;
  for (const _ in obj) fields++;
  if (fields !== space.slots.length) {
    const extra = Object.keys(obj).find((key) => !space.slots.some((s) => s.name === key));
    throw new MetaModelError(`${said(who)} a state with ${extra}, which is not a component (its components: ${space.slots.map((s) => s.name).join(', ')})`);
  }
  return index;
}

/** The start state's number. */
export function startState(space: Space): number {
  const { model, params, label } = space;
  if (!model.start) return 0;
  let value: unknown;
  try {
    value = model.start(params as never);
  } catch (err) {
    throw new MetaModelError(`${label}: start threw: ${(err as Error)?.message ?? String(err)}`, { cause: err });
  }
  return encodeState(space, value, `${label}: start returned`);
}

/**
 * Steps 1 and 2: every state the components allow and, for each, the transition on every message.
 * The finish state is number `space.size`, after the enumerated ones.
 */
export function enumerate(space: Space, options: EnumerateOptions = {}): TransitionTable {
  const { model, params, label, slots, size } = space;
  const bound = options.maxStates ?? DEFAULT_MAX_STATES;
  if (!Number.isSafeInteger(bound) || bound < 1) throw new MetaModelError(`maxStates must be a whole number of at least 1, got ${fmt(bound)}`);
  const messages = model.messages;
  const m = messages.length;
  const declared = new Set<string>(messages);
  const rules = messages.map((msg) => model.rules[msg] as (s: unknown, p: unknown) => unknown);
  const start = startState(space);
  const reached = Math.min(size, bound);
  const count = reached + 1;
  const finish = reached;
  const dest = new Int32Array(count * m).fill(-1);
  const action = new Int32Array(count * m);
  const rationale = new Int32Array(count * m);
  const actionLists: (readonly Action[])[] = [[]];
  const actionIds = new Map<string, number>();
  const rationales: string[] = [];
  const rationaleIds = new Map<string, number>();
  const nc = slots.length;
  const names = slots.map((s) => s.name);
  const isBool = slots.map((s) => s.kind === 'bool');
  const mins = slots.map((s) => s.min);
  const sizes = slots.map((s) => s.size);
  const digits = new Int32Array(nc);
  let finishes = false;
  let i = 0;
  let j = 0;
  // Says which rule, state and message an error is about (a function: only errors pay for the name).
  const where = (): string => `${label}: ${ruleName(messages[j])}, applied to message ${messages[j]} in state ${stateName(space, i)},`;
  const returned = (): string => `${where()} returned`;

  for (i = 0; i < reached; i++) {
    const base: Record<string, boolean | number> = {};
    for (let k = 0; k < nc; k++) base[names[k]] = isBool[k] ? digits[k] === 1 : mins[k] + digits[k];
    for (j = 0; j < m; j++) {
      const state = { ...base }; // a copy per rule: a rule that mutates its argument affects nothing else
      let step: any;
      try {
        step = rules[j](state, params);
      } catch (err) {
        if (err instanceof MetaModelError) throw err;
        throw new MetaModelError(`${where()} threw: ${(err as Error)?.message ?? String(err)}`, { cause: err });
      }
      if (step === null || step === undefined) continue;
      if (typeof step !== 'object') throw new MetaModelError(`${where()} returned ${fmt(step)}, which is not a step ({ to, actions, rationale } or { finish: true, actions, rationale })`);
      let to: number;
      if (step.finish === true) {
        to = finish;
        finishes = true;
      } else if ('to' in step) {
        to = encodeState(space, step.to, returned);
        if (to >= reached) to = -2; // a state past the bound: generation stops below anyway
      } else {
        throw new MetaModelError(`${where()} returned ${fmt(step)}, which is not a step ({ to, actions, rationale } or { finish: true, actions, rationale })`);
      }
      const acts = step.actions;
      let actionId = 0;
      if (acts !== undefined && acts !== null) {
        if (!Array.isArray(acts)) throw new MetaModelError(`${where()} returned actions ${fmt(acts)}, which is not an array`);
        if (acts.length > 0) {
          let key = '';
          for (const a of acts) {
            if (typeof a === 'object' && a !== null && typeof a.send === 'string') {
              if (!declared.has(a.send)) {
                throw new MetaModelError(`${where()} sends message ${JSON.stringify(a.send)}, which the meta-model does not declare (its messages: ${messages.join(', ')})`);
              }
              key += 's' + a.send + '\n';
            } else if (typeof a === 'object' && a !== null && typeof a.do === 'string') {
              key += 'd' + a.do + '\n';
            } else {
              throw new MetaModelError(`${where()} returned action ${fmt(a)}, which is neither { send: message } nor { do: name }`);
            }
          }
          let id = actionIds.get(key);
          if (id === undefined) {
            id = actionLists.length;
            actionIds.set(key, id);
            actionLists.push(acts.map((a: Action) => ('send' in a ? { send: a.send } : { do: a.do })));
          }
          actionId = id;
        }
      }
      if (to === i && actionId === 0) continue; // nothing changes and nothing is done: not a transition
      const why = step.rationale;
      if (typeof why !== 'string' || why === '') throw new MetaModelError(`${where()} returned no rationale (a sentence saying why)`);
      let rid = rationaleIds.get(why);
      if (rid === undefined) {
        rid = rationales.length;
        rationaleIds.set(why, rid);
        rationales.push(why);
      }
      const at = i * m + j;
      dest[at] = to;
      action[at] = actionId;
      rationale[at] = rid;
    }
    for (let k = nc - 1; k >= 0; k--) {
      if (++digits[k] < sizes[k]) break;
      digits[k] = 0;
    }
  }
  if (size > bound) {
    const total = Number.isSafeInteger(size) ? withCommas(size) : 'more than 2^53';
    throw new StateBoundError(
      `${label}: generation stopped at the state bound: enumerated ${withCommas(reached)} of ${total} states (maxStates ${bound})`,
      reached, size, bound,
    );
  }
  const origin = new Int32Array(count);
  for (let i = 0; i < count; i++) origin[i] = i;
  return { count, messages, dest, action, rationale, actionLists, rationales, start, finish: finishes ? finish : -1, origin, members: null };
}
