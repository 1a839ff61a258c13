/**
 * The whole generation of one member of a family, the document's four steps:
 *   1. enumerate every state the components allow, 2. apply every rule in every state,
 *   3. prune the states unreachable from the start state, 4. combine equivalent states,
 * repeating 3 and 4 until nothing changes; then the state-machine value.
 */
import type { EnumerateOptions, Space, TransitionTable } from './generate.ts';
import { decodeState, enumerate, layout, stateName } from './generate.ts';
import type { GenerationStats, MachineState, StateMachine, Transition } from './machine.ts';
import { merge } from './merge.ts';
import type { MetaModel } from './model.ts';
import { prune } from './prune.ts';

export type GenerateOptions = EnumerateOptions;

export interface Generation {
  readonly space: Space;
  /** After steps 1 and 2. */
  readonly enumerated: TransitionTable;
  /** After the first pruning (step 3). */
  readonly reachable: TransitionTable;
  /** After pruning and merging until nothing changed. */
  readonly final: TransitionTable;
  readonly stats: GenerationStats;
}

/** Runs the four steps and keeps the intermediate tables (for tests, benchmarks and renderers that want them). */
export function generateTables(model: MetaModel, params: Readonly<Record<string, unknown>> = {}, options: GenerateOptions = {}): Generation {
  const space = layout(model, params);
  const enumerated = enumerate(space, options);
  const reachable = prune(enumerated);
  let current = reachable;
  let rounds = 1;
  for (;;) {
    const merged = merge(current);
    const pruned = prune(merged);
    if (pruned.count === current.count) break;
    current = pruned;
    rounds++;
  }
  const stats: GenerationStats = { enumerated: space.size, reachable: reachable.count, final: current.count, rounds };
  return { space, enumerated, reachable, final: current, stats };
}

/** The state machine a table stands for, with the meta-model's commentary on each state. */
export function toMachine(space: Space, table: TransitionTable, stats: GenerationStats): StateMachine {
  const { model, params } = space;
  const m = table.messages.length;
  const finishAt = space.size;
  const names = Array.from(table.origin, (o) => stateName(space, o));
  const states: MachineState[] = [];
  for (let i = 0; i < table.count; i++) {
    const origin = table.origin[i];
    const isFinish = origin === finishAt;
    const values = isFinish ? null : decodeState(space, origin);
    const annotations: string[] = [];
    if (isFinish) annotations.push('Finished.');
    else if (model.describe) annotations.push(model.describe(values as never, params as never));
    const transitions: Transition[] = [];
    for (let j = 0; j < m; j++) {
      const d = table.dest[i * m + j];
      if (d < 0) continue;
      transitions.push({
        message: table.messages[j],
        to: d,
        actions: table.actionLists[table.action[i * m + j]],
        annotations: [table.rationales[table.rationale[i * m + j]]],
      });
    }
    const members = table.members ? table.members[i].map((o) => stateName(space, o)) : [names[i]];
    states.push({ name: names[i], values, annotations, members, transitions });
  }
  return {
    kind: 'protoforge.machine',
    name: model.name,
    description: model.description,
    params,
    components: space.slots.map((s) => {
      const c = { name: s.name, kind: s.kind, min: s.min, max: s.max };
      return s.description === undefined ? c : { ...c, description: s.description };
    }),
    messages: table.messages,
    states,
    start: table.start,
    finish: table.finish < 0 ? null : table.finish,
    stats,
  };
}

/**
 * Generates the member of the family for `params` (the document's `generateStateMachine()`).
 * Throws a ParamError for a parameter the meta-model does not declare or out of its range, a
 * MetaModelError naming the rule, the state and the message for a rule that returns something it
 * should not, and a StateBoundError when there are more states than `maxStates`.
 */
export function generate(model: MetaModel, params: Readonly<Record<string, unknown>> = {}, options: GenerateOptions = {}): StateMachine {
  const g = generateTables(model, params, options);
  return toMachine(g.space, g.final, g.stats);
}
