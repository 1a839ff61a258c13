import { actionText } from '../metamodel/model.ts';
import type { StateMachine, Transition } from '../metamodel/machine.ts';

/** A transition's label: the message, then what the machine does. */
function label(machine: StateMachine, t: Transition): string {
  const actions = t.actions.map(actionText);
  return actions.length ? `${t.message} / ${actions.join(', ')}` : t.message;
}

const dotString = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** Graphviz DOT: one node per state (the start marked by an arrow from a point, the finish doubled). */
export function renderDot(machine: StateMachine): string {
  const lines = [
    `digraph ${dotString(machine.name)} {`,
    '  rankdir=LR;',
    '  node [shape=box, style=rounded, fontname="Helvetica", fontsize=10];',
    '  edge [fontname="Helvetica", fontsize=9];',
    '  start [shape=point];',
  ];
  machine.states.forEach((s, i) => {
    const shape = i === machine.finish ? ', peripheries=2' : '';
    lines.push(`  s${i} [label=${dotString(s.name)}${shape}];`);
  });
  lines.push(`  start -> s${machine.start};`);
  machine.states.forEach((s, i) => {
    for (const t of s.transitions) lines.push(`  s${i} -> s${t.to} [label=${dotString(label(machine, t))}];`);
  });
  lines.push('}');
  return lines.join('\n') + '\n';
}

/** Mermaid `stateDiagram-v2` (renders on GitHub). State names become ids s0, s1, ... with their names as labels. */
export function renderMermaid(machine: StateMachine): string {
  const lines = ['stateDiagram-v2'];
  machine.states.forEach((s, i) => lines.push(`  s${i} : ${s.name.replace(/:/g, '#58;')}`));
  lines.push(`  [*] --> s${machine.start}`);
  machine.states.forEach((s, i) => {
    for (const t of s.transitions) lines.push(`  s${i} --> s${t.to} : ${label(machine, t).replace(/:/g, '#58;')}`);
  });
  if (machine.finish !== null) lines.push(`  s${machine.finish} --> [*]`);
  return lines.join('\n') + '\n';
}
