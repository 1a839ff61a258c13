/**
 * The textual representation of the document's Figure 9: each state's name, its generated commentary,
 * and its transitions with their actions and destinations.
 *
 *   state: T/2/F/0/F/F/F
 *   Have received initial put from client. ...
 *   Transitions:
 *         message: VOTE
 *             action: send vote message
 *             transition to: T/3/T/0/T/F/F
 */
import type { MachineState, StateMachine } from './machine.ts';
import { actionText } from './model.ts';

export interface TextOptions {
  /** Wrap the commentary at this many columns; 0 does not wrap. Default 72. */
  readonly width?: number;
  /** Add each transition's rationale (`because: ...`) under its destination. Default false, as Figure 9. */
  readonly rationale?: boolean;
}

/** Breaks `text` into lines of at most `width` columns at spaces (a longer word stays whole). */
export function wrap(text: string, width: number): string[] {
  if (width <= 0) return [text];
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/** One state as in Figure 9. */
export function renderState(machine: StateMachine, state: MachineState | number | string, options: TextOptions = {}): string {
  const s = typeof state === 'number' ? machine.states[state]
    : typeof state === 'string' ? machine.states.find((x) => x.name === state) : state;
  if (!s) throw new Error(`${machine.name} has no state ${JSON.stringify(state)}`);
  const width = options.width ?? 72;
  const out = [`state: ${s.name}`];
  for (const a of s.annotations) out.push(...wrap(a, width));
  out.push('Transitions:');
  if (s.transitions.length === 0) out.push('      (none)');
  for (const t of s.transitions) {
    out.push(`      message: ${t.message.toUpperCase()}`);
    for (const a of t.actions) out.push(`          action: ${actionText(a)}`);
    out.push(`          transition to: ${machine.states[t.to].name}`);
    if (options.rationale) for (const a of t.annotations) out.push(`          because: ${a}`);
  }
  return out.join('\n');
}

/** The whole machine: a header, then every state as in Figure 9, separated by blank lines. */
export function renderText(machine: StateMachine, options: TextOptions = {}): string {
  const params = Object.entries(machine.params).map(([k, v]) => `${k}=${v}`).join(', ');
  const { enumerated, reachable, final } = machine.stats;
  const head = [
    `state machine: ${machine.name}${params ? ` (${params})` : ''}`,
    `${machine.description}`,
    `states: ${final} (${enumerated} enumerated, ${reachable} reachable); start: ${machine.states[machine.start].name}` +
      (machine.finish === null ? '' : `; finish: ${machine.states[machine.finish].name}`),
    `messages: ${machine.messages.join(', ')}`,
  ].join('\n');
  return [head, ...machine.states.map((s) => renderState(machine, s, options))].join('\n\n') + '\n';
}
