/**
 * A round table (learned, synthesized or written) as a state machine in the meta-model's format, so
 * `viz/` draws it and renders it as text or TypeScript like any generated machine. A round is one
 * transition: what a process received in the round (how many copies of each state, and of Lost) is
 * the "message", and the table's entry for (own state, message) is the destination. Entries that
 * keep the state are left out, as in the table.
 */
import type { RoundInstance, RoundTable } from '../core/rounds.ts';
import { validateTable } from '../core/rounds.ts';
import type { MachineState, StateMachine, Transition } from '../metamodel/machine.ts';

export function tableToMachine(inst: RoundInstance, table: RoundTable): StateMachine {
  validateTable(inst, table);
  const { states } = inst;
  const heardOf = (key: string) => key.slice(key.indexOf('|') + 1);
  const entries = Object.entries(table.next).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const messages = [...new Set(entries.map(([key]) => heardOf(key)))].sort();
  const described = (s: string) => [
    inst.initial.includes(s) ? `An initial state: a process starts in it.` : '',
    s.startsWith('x') && !inst.initial.includes(s) ? 'An anonymous state the protocol may use.' : '',
  ].filter(Boolean);
  const machineStates: MachineState[] = states.map((s) => {
    const transitions: Transition[] = entries
      .filter(([key]) => key.slice(0, key.indexOf('|')) === s)
      .map(([key, to]) => ({
        message: heardOf(key),
        to: states.indexOf(to),
        actions: [],
        annotations: [`Having heard ${heardOf(key).split(',').map((part) => part.replace(':', ' x')).join(', ')} this round, move to ${to}.`],
      }))
      .sort((a, b) => messages.indexOf(a.message) - messages.indexOf(b.message));
    return { name: s, values: { state: states.indexOf(s) }, annotations: described(s), members: [s], transitions };
  });
  return {
    kind: 'protoforge.machine',
    name: table.name,
    description: `${table.description} (one transition per round: the states heard, with Lost for crashed senders)`,
    params: inst.params,
    components: [{ name: 'state', kind: 'int', min: 0, max: states.length - 1, description: `the process's state, one of ${states.join(', ')}` }],
    messages,
    states: machineStates,
    start: states.indexOf(inst.initial[0]),
    finish: null,
    stats: { enumerated: states.length, reachable: states.length, final: states.length, rounds: 0 },
  };
}
