import { describeAction } from '../core/trace.ts';
import type { Trace } from '../core/trace.ts';

const show = (v: unknown) => (v === undefined ? '(none)' : JSON.stringify(v));

/**
 * A trace as TLA+ users read one: numbered states, the action that led to each, what changed in
 * which node's state, and the messages and outputs the step produced. The first state is shown whole.
 */
export function formatTrace(trace: Trace): string {
  const lines: string[] = [];
  for (const step of trace.steps) {
    lines.push(`${step.step}: ${describeAction(step.action)}`);
    if (step.step === 0) {
      for (const [node, state] of Object.entries(step.states)) lines.push(`     ${node} = ${show(state)}`);
    }
    for (const c of step.changes) {
      lines.push(`     ${c.node}${c.field ? '.' + c.field : ''}: ${show(c.before)} -> ${show(c.after)}`);
    }
    for (const m of step.sent) lines.push(`     sent ${m.from} -> ${m.to}: ${show(m.msg)}`);
    for (const o of step.outputs) lines.push(`     output ${o.node}: ${show(o.value)}`);
    if (step.action.kind === 'crash' || step.action.kind === 'recover') lines.push(`     crashed: ${step.crashed.join(', ') || '(none)'}`);
  }
  return lines.join('\n');
}
