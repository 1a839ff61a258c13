import type { EventRecord, SimResult, SimTrace } from '../sim/index.ts';
import { formatParams } from './report.ts';

const show = (v: unknown) => (v === undefined ? '(none)' : JSON.stringify(v));

function describeSimEvent(r: EventRecord): string {
  const e = r.event;
  switch (e.kind) {
    case 'start': return `${r.node} starts`;
    case 'message': return `${r.node} receives ${e.msg.type} from ${e.from}`;
    case 'timer': return `${r.node} fires timer ${e.name}`;
    case 'crash': return `${r.node} crashes`;
    case 'recover': return `${r.node} recovers`;
    case 'drop': return `network drops ${e.msg.type} from ${e.from} to ${e.to} (${e.reason})`;
  }
}

/** One event record as lines: time, what happened, the fields that changed, what was sent. */
export function formatRecord(r: EventRecord): string {
  const lines = [`${String(r.i).padStart(4)}  t=${r.t.toFixed(3)} ms  ${describeSimEvent(r)}`];
  for (const c of r.changes) lines.push(`        ${r.node}${c.field ? '.' + c.field : ''}: ${show(c.before)} -> ${show(c.after)}`);
  for (const s of r.sent) lines.push(`        sent ${r.node} -> ${s.to}: ${show(s.msg)}${s.at.length === 0 ? ' (lost)' : ''}`);
  for (const o of r.outputs) lines.push(`        output ${show(o)}`);
  return lines.join('\n');
}

/**
 * A simulated run: how it ended, each property's outcome, and for a failure the events that led to
 * it, from `shown` (the run's trace, or a shrunk one).
 */
export function formatSimResult(r: SimResult, shown: SimTrace = r.trace, tail = 40): string {
  const h = r.trace.header;
  const out = [
    `${h.protocol}  ${formatParams(h.params)}  seed ${h.seed}`,
    `stopped (${r.stop}) after ${r.events} events, ${r.endTimeMs.toFixed(3)} ms of virtual time`,
  ];
  const width = Math.max(...r.properties.map((p) => p.name.length));
  for (const p of r.properties) {
    out.push(`  ${p.ok ? 'ok  ' : 'FAIL'} ${p.name.padEnd(width)}  ${p.kind.padEnd(10)}  ${p.explanation}`);
  }
  const violation = shown.end.violation;
  if (violation) {
    const from = Math.max(0, violation.i - tail + 1);
    const shrunk = shown.header.shrunkFrom && shown.header.shrunkFrom.events > shown.events.length ? ` (shrunk from ${shown.header.shrunkFrom.events} events to ${shown.events.length})` : '';
    out.push('', `${from === 0 ? 'The' : `The last ${violation.i - from + 1} of the`} events up to the violation of ${violation.property}${shrunk}:`);
    for (const rec of shown.events.slice(from, violation.i + 1)) out.push(formatRecord(rec));
  }
  return out.join('\n');
}
