import { describeNetwork } from '../core/network.ts';
import type { CheckResult, Progress } from '../check/index.ts';
import { formatTrace } from '../viz/trace-text.ts';

const num = (n: number) => n.toLocaleString('en-US');

export function formatParams(params: Readonly<Record<string, unknown>>): string {
  const entries = Object.entries(params);
  return entries.length ? entries.map(([k, v]) => `${k}=${v}`).join(' ') : '(none)';
}

export function formatProgress(p: Progress): string {
  return `Checking: ${num(p.states)} states, ${num(Math.round(p.statesPerSecond))} states/s, depth ${p.depth}, queue ${num(p.queue)}`;
}

const boundText = {
  states: 'the state bound (--max-states)',
  depth: 'the depth bound (--max-depth)',
  time: 'the time limit (--time-limit)',
  memory: 'the memory limit (--memory-limit)',
  interrupted: 'an interrupt',
};

/** A check's outcome as text: summary, one line per property, then every counterexample. */
export function formatResult(r: CheckResult, replay: (path: string) => string): string {
  const out: string[] = [];
  out.push(`${r.protocol}  ${formatParams(r.params)}  network: ${describeNetwork(r.network)}${r.symmetry ? '  symmetry: on' : ''}  search: ${r.strategy}, ${r.workers} worker${r.workers > 1 ? 's' : ''}`);
  out.push(`${num(r.states)} distinct states${r.symmetry ? ' (up to symmetry)' : ''}, ${num(r.transitions)} transitions, depth ${r.depth}, ${r.seconds.toFixed(2)} s (${num(Math.round(r.states / Math.max(r.seconds, 1e-6)))} states/s)`);
  if (r.bound) out.push(`Stopped at ${boundText[r.bound]} before the search was complete: "unknown" means not decided.`);
  else if (!r.complete) out.push('Stopped once every safety property had a counterexample: "unknown" means not decided.');
  const width = Math.max(...r.properties.map((p) => p.name.length));
  for (const p of r.properties) {
    const mark = p.verdict === 'holds' || p.verdict === 'found' ? 'ok  ' : p.verdict === 'unknown' ? '?   ' : 'FAIL';
    const extra = p.trace ? `  (${p.kind === 'sometimes' ? 'witness' : 'counterexample'}: ${p.trace.steps.length - 1} steps)` : '';
    out.push(`  ${mark} ${p.name.padEnd(width)}  ${p.kind.padEnd(10)}  ${p.verdict}${extra}`);
  }
  for (const p of r.properties) {
    if (p.verdict === 'fails' && p.trace) {
      out.push('', `Counterexample to ${p.name} (${p.kind}), ${p.trace.steps.length - 1} steps:`, formatTrace(p.trace));
      if (p.kind === 'eventually') out.push(`     (no further step leads anywhere else, and ${p.name} never held)`);
      out.push(`Replay: ${replay(p.trace.path)}`);
    }
    if (p.verdict === 'not found') out.push('', `No reachable state satisfies ${p.name} (sometimes): the check of the other properties may be vacuous.`);
  }
  return out.join('\n');
}

/** The table `check-all` prints: one row per protocol. */
export function formatTable(results: readonly CheckResult[]): string {
  const rows = results.map((r) => [
    r.protocol,
    formatParams(r.params),
    num(r.states),
    String(r.depth),
    `${r.seconds.toFixed(2)} s`,
    r.properties.map((p) => `${p.name}: ${p.verdict}`).join(', '),
  ]);
  const header = ['protocol', 'parameters', 'states', 'depth', 'time', 'verdicts'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 2 || i === 3 || i === 4 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
