// Checker benchmark: throughput and memory of the exhaustive checker, next to SPIN.
//   npm run bench                 two-phase commit rms = 5..9 and Paxos 3x3, at 1 and 2 workers, + SPIN
//   npm run bench -- --quick      rms = 5..8 only (no rms = 9, no Paxos)
//   npm run bench -- --repeat 3   run each measurement 3 times, keep the fastest
//
// Every measurement runs in a fresh child process (bench/memory-probe.ts) so that its resident
// memory is its own. Progress goes to stderr; the machine and the tables go to stdout, and to
// bench/out/checker.{md,json} (bench/out/checker-quick.{md,json} with --quick).
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProbeResult } from './memory-probe.ts';
import { runSpin } from './spin/run-spin.ts';
import type { SpinResult } from './spin/run-spin.ts';
import { cpuModel } from './machine.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);
const probe = join(here, 'memory-probe.ts');
const outDir = join(here, 'out');

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const repeatAt = argv.indexOf('--repeat');
const repeat = repeatAt >= 0 ? Math.max(1, Number(argv[repeatAt + 1]) || 1) : 1;

const TARGET_STATES_PER_S = 300_000;
const TARGET_BYTES_PER_STATE = 24;
const MB = 1024 * 1024;

// ---- machine --------------------------------------------------------------------------------------


function version(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n')[0].trim();
  } catch {
    return 'not found';
  }
}

const machine = {
  cpu: cpuModel(),
  cores: os.cpus().length,
  memoryGiB: +(os.totalmem() / 1024 ** 3).toFixed(1),
  node: process.version,
  platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  spin: version('spin', ['-V']),
  gcc: version('gcc', ['--version']),
  loadAverageAtStart: os.loadavg().map((x) => +x.toFixed(2)),
  /** The checker version measured: HEAD, and whether src/ differs from it. */
  commit: version('git', ['-C', root, 'rev-parse', '--short', 'HEAD']),
  srcModified: version('git', ['-C', root, 'status', '--porcelain', '--', 'src']) !== '',
};

// ---- running one measurement ----------------------------------------------------------------------

interface Case {
  readonly label: string;
  readonly protocol: string;
  readonly params: Record<string, number>;
  readonly rms?: number;
}

function runProbe(c: Case, workers: number): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    const args = ['--expose-gc', '--import', 'tsx', probe, c.protocol, JSON.stringify(c.params), String(workers)];
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{')) {
        reject(new Error(`memory-probe ${args.slice(3).join(' ')} exited with ${code}:\n${stderr}${stdout}`));
        return;
      }
      if (stderr.trim()) process.stderr.write(stderr);
      resolve(JSON.parse(line) as ProbeResult);
    });
  });
}

/** The fastest of `repeat` runs. */
async function measure(c: Case, workers: number): Promise<ProbeResult> {
  let best: ProbeResult | undefined;
  for (let i = 0; i < repeat; i++) {
    const r = await runProbe(c, workers);
    log(`  ${c.label}, ${workers} worker${workers > 1 ? 's' : ''}: ${fmtInt(r.states)} states in ${r.seconds.toFixed(2)} s = ${fmtInt(r.states / r.seconds)} states/s` +
      ` (cpu ${(r.cpuSeconds / r.seconds).toFixed(2)}x wall, load ${r.loadBefore.toFixed(2)})`);
    if (!best || r.seconds < best.seconds) best = r;
  }
  return best!;
}

function log(s: string): void {
  process.stderr.write(s + '\n');
}

// ---- derived figures ------------------------------------------------------------------------------

interface Derived {
  statesPerSecond: number;
  transitionsPerSecond: number;
  /** result.memory: (fingerprint table + parent/action table) / states. */
  structuralBytesPerState: number;
  fingerprintBytesPerState: number;
  parentActionBytesPerState: number;
  /** (rssAfterGC - rssBefore - frontierBytes) / states: resident per stored state beyond the frontier. */
  residentBeyondFrontierPerState: number;
  /** (rssAfter - rssBefore) / states, no forced collection, frontier included. */
  rssDeltaPerState: number;
  /** (rssAfter - rssBefore - frontierBytes) / states, no forced collection. */
  rssDeltaBeyondFrontierPerState: number;
}

function derive(r: ProbeResult): Derived {
  const s = Math.max(1, r.states);
  return {
    statesPerSecond: r.states / r.seconds,
    transitionsPerSecond: r.transitions / r.seconds,
    structuralBytesPerState: r.memory.bytesPerState,
    fingerprintBytesPerState: r.memory.fingerprintBytes / s,
    parentActionBytesPerState: r.memory.stateBytes / s,
    residentBeyondFrontierPerState: (r.rssAfterGC - r.rssBefore - r.frontierBytes) / s,
    rssDeltaPerState: (r.rssAfter - r.rssBefore) / s,
    rssDeltaBeyondFrontierPerState: (r.rssAfter - r.rssBefore - r.frontierBytes) / s,
  };
}

interface Row {
  readonly case: Case;
  readonly runs: { workers: number; probe: ProbeResult; derived: Derived }[];
  readonly spin?: SpinResult & { statesPerSecond: number | null; bytesPerState: number };
  readonly warnings: string[];
}

// ---- formatting -----------------------------------------------------------------------------------

const fmtInt = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a');
const fmt = (x: number | null | undefined, digits = 1) => (x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(digits));
const fmtMB = (bytes: number) => (bytes / MB).toFixed(1);

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map((h, i) => (i === 0 ? '---' : '---:'))), ...rows.map(line)].join('\n');
}

function render(rows: Row[], baseline: ProbeResult[], started: Date, finished: Date): string {
  const out: string[] = [];
  out.push('# Checker benchmark');
  out.push('');
  out.push(`- Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB; ${machine.platform}`);
  out.push(`- Node ${machine.node}; ${machine.spin}; ${machine.gcc}`);
  out.push(`- Checker: commit ${machine.commit}${machine.srcModified ? ' with uncommitted changes in src/' : ''}`);
  out.push(`- Load average at start: ${machine.loadAverageAtStart.join(', ')} (1, 5, 15 min); run ${started.toISOString()} to ${finished.toISOString()}`);
  out.push(`- Command: \`npm run bench${argv.length ? ' -- ' + argv.join(' ') : ''}\`${repeat > 1 ? ` (fastest of ${repeat} runs each)` : ''}`);
  out.push('');

  out.push('## Throughput');
  out.push('');
  out.push('states/s = distinct states / seconds of the search (`result.seconds`, worker start-up included); each run in a fresh process.');
  out.push('2w CPU/wall: CPU seconds (all threads of the process) / wall seconds of the 2-worker run; below ~2 means the workers did not get two cores to themselves (other load on the machine, or waiting).');
  out.push('SPIN: `pan` (gcc -O2 -DSAFETY) on the equivalent Promela model, single-threaded; its time is pan\'s own "elapsed time" (10 ms resolution, compilation excluded).');
  out.push('');
  const tp: string[][] = [];
  for (const row of rows) {
    const w1 = row.runs.find((r) => r.workers === 1);
    const w2 = row.runs.find((r) => r.workers === 2);
    const ref = w1 ?? w2;
    if (!ref) continue;
    const sp = row.spin;
    const ratio = (r?: { derived: Derived }) => (r && sp?.statesPerSecond ? fmt(r.derived.statesPerSecond / sp.statesPerSecond, 2) : 'n/a');
    tp.push([
      row.case.label,
      fmtInt(ref.probe.states),
      fmtInt(ref.probe.transitions),
      w1 ? fmt(w1.probe.seconds, 2) : 'n/a',
      w1 ? fmtInt(w1.derived.statesPerSecond) : 'n/a',
      w1 ? fmtInt(w1.derived.transitionsPerSecond) : 'n/a',
      w2 ? fmt(w2.probe.seconds, 2) : 'n/a',
      w2 ? fmtInt(w2.derived.statesPerSecond) : 'n/a',
      w2 ? fmtInt(w2.derived.transitionsPerSecond) : 'n/a',
      w2 ? fmt(w2.probe.cpuSeconds / w2.probe.seconds, 2) : 'n/a',
      w1 && w2 ? fmt(w1.probe.seconds / w2.probe.seconds, 2) + 'x' : 'n/a',
      sp ? fmtInt(sp.states) : '-',
      sp ? fmt(sp.seconds, 2) : '-',
      sp ? fmtInt(sp.statesPerSecond ?? NaN) : '-',
      sp ? ratio(w1) : '-',
      sp ? ratio(w2) : '-',
    ]);
  }
  out.push(table(
    ['Model', 'Distinct states', 'Transitions', '1w s', '1w states/s', '1w trans/s', '2w s', '2w states/s', '2w trans/s', '2w CPU/wall', 'Speedup 2w/1w', 'SPIN states', 'SPIN s', 'SPIN states/s', '1w / SPIN', '2w / SPIN'],
    tp,
  ));
  out.push('');
  out.push('Transitions: ours counts every enabled action fired (including steps that change nothing); SPIN counts its own transitions, so the two columns are not comparable. States are.');
  out.push('');

  out.push('## Memory');
  out.push('');
  out.push('- **Structural B/state**: `result.memory.bytesPerState` = (fingerprint table bytes + parent/action table bytes) / states; split as fingerprint + parent/action.');
  out.push('- **Frontier MiB**: the two breadth-first level arenas (records + offsets), the most each ever held; (widest level, in states).');
  out.push('- **RSS beyond frontier B/state**: (rssAfterGC − rssBefore − frontier) / states, where rssBefore is read after importing the modules, rssAfterGC after the check and a forced full GC with the search\'s live tables kept reachable (so old fingerprint tables and other garbage are not counted, the stored states are). Includes the fixed cost of a check (JIT code, memo tables, heap growth), see the baseline line below.');
  out.push('- **of which V8 heap MiB**: growth of the V8 heap (`heapTotal`) over the check, still reserved after the forced GC; a runtime cost, not a per-state table.');
  out.push('- **Raw RSS Δ B/state**: (rssAfter − rssBefore) / states straight after the check, no forced GC, frontier and garbage included.');
  out.push('- **SPIN B/state**: pan\'s "total actual memory usage" / states (its hash table is sized -w2^(2·rms+7) slots, state vectors stored in full).');
  out.push('');
  const mem: string[][] = [];
  for (const row of rows) {
    for (const r of row.runs) {
      const d = r.derived;
      const p = r.probe;
      const sp = row.spin;
      mem.push([
        row.case.label,
        String(r.workers),
        fmtInt(p.states),
        `${fmt(d.structuralBytesPerState, 1)} (${fmt(d.fingerprintBytesPerState, 1)} + ${fmt(d.parentActionBytesPerState, 1)})`,
        `${fmtMB(p.frontierBytes)} (${fmtInt(p.frontierMaxStates)})`,
        fmtMB(p.rssAfterGC - p.rssBefore),
        fmtMB(p.usage.afterGC.heapTotal - p.usage.before.heapTotal),
        fmt(d.residentBeyondFrontierPerState, 1),
        fmt(d.rssDeltaPerState, 1),
        fmtMB(p.maxRss),
        sp ? fmt(sp.memoryMB, 1) : '-',
        sp ? fmt(sp.bytesPerState, 1) : '-',
      ]);
    }
  }
  out.push(table(
    ['Model', 'Workers', 'States', 'Structural B/state (fp + parent/action)', 'Frontier MiB (widest level)', 'RSS Δ after GC MiB', 'of which V8 heap MiB', 'RSS beyond frontier B/state', 'Raw RSS Δ B/state', 'Peak RSS MiB', 'SPIN MiB', 'SPIN B/state'],
    mem,
  ));
  out.push('');
  if (baseline.length) {
    out.push('Baseline (fixed cost of a check, two-phase commit rms = 2, ~60 states): ' + baseline.map((b) =>
      `${b.workers} worker${b.workers > 1 ? 's' : ''}: RSS Δ after GC ${fmtMB(b.rssAfterGC - b.rssBefore)} MiB, raw ${fmtMB(b.rssAfter - b.rssBefore)} MiB`).join('; ') + '.');
    out.push('');
  }

  out.push('## Targets');
  out.push('');
  for (const t of targets(rows)) out.push(`- ${t.text}: **${t.met === null ? 'not measured' : t.met ? 'met' : 'NOT met'}** (${t.detail})`);
  out.push('');

  const warnings = rows.flatMap((r) => r.warnings);
  out.push('## State-count check');
  out.push('');
  if (warnings.length === 0) out.push('All state counts agree: 1 worker = 2 workers = SPIN (where SPIN ran).');
  else for (const w of warnings) out.push(`- **WARNING** ${w}`);
  out.push('');
  return out.join('\n');
}

interface Target { text: string; met: boolean | null; detail: string }

function targets(rows: Row[]): Target[] {
  const rms8 = rows.find((r) => r.case.rms === 8);
  const w2 = rms8?.runs.find((r) => r.workers === 2);
  const res: Target[] = [];
  res.push(w2
    ? { text: `≥ ${fmtInt(TARGET_STATES_PER_S)} distinct states/s with 2 workers, two-phase commit rms = 8`, met: w2.derived.statesPerSecond >= TARGET_STATES_PER_S, detail: `${fmtInt(w2.derived.statesPerSecond)} states/s` }
    : { text: `≥ ${fmtInt(TARGET_STATES_PER_S)} distinct states/s with 2 workers, two-phase commit rms = 8`, met: null, detail: 'no run' });
  const at8 = rms8?.runs ?? [];
  const detail = (pick: (d: Derived) => number) => at8.map((x) => `${x.workers} worker${x.workers > 1 ? 's' : ''}: ${fmt(pick(x.derived), 1)} B/state`).join(', ') || 'no run';
  res.push({
    text: `≤ ${TARGET_BYTES_PER_STATE} B per stored state beyond the frontier, structural (fingerprint + parent/action tables), rms = 8`,
    met: at8.length ? at8.every((x) => x.derived.structuralBytesPerState <= TARGET_BYTES_PER_STATE) : null,
    detail: detail((d) => d.structuralBytesPerState),
  });
  res.push({
    text: `≤ ${TARGET_BYTES_PER_STATE} B per stored state beyond the frontier, measured resident (RSS after GC − frontier), rms = 8`,
    met: at8.length ? at8.every((x) => x.derived.residentBeyondFrontierPerState <= TARGET_BYTES_PER_STATE) : null,
    detail: detail((d) => d.residentBeyondFrontierPerState),
  });
  return res;
}

// ---- main -----------------------------------------------------------------------------------------

const header = [
  `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB memory, ${machine.platform}`,
  `Node ${machine.node}; ${machine.spin}; ${machine.gcc}`,
  `Checker: commit ${machine.commit}${machine.srcModified ? ' with uncommitted changes in src/' : ''}`,
  `Load average at start: ${machine.loadAverageAtStart.join(', ')}`,
  '',
].join('\n');
process.stdout.write(header + '\n');

const cases: Case[] = [];
for (const rms of quick ? [5, 6, 7, 8] : [5, 6, 7, 8, 9]) cases.push({ label: `2PC rms=${rms}`, protocol: 'two-phase-commit', params: { rms }, rms });
if (!quick) cases.push({ label: 'Paxos 3x3', protocol: 'paxos', params: { proposers: 3, acceptors: 3 } });

const started = new Date();
const rows: Row[] = [];
let failed = false;

log('baseline (fixed cost of a check): two-phase commit rms=2');
const baseline: ProbeResult[] = [];
for (const w of [1, 2]) {
  try {
    baseline.push(await runProbe({ label: '2PC rms=2', protocol: 'two-phase-commit', params: { rms: 2 } }, w));
  } catch (err) {
    log(String(err));
  }
}

for (const c of cases) {
  log(`${c.label}`);
  const row: Row = { case: c, runs: [], warnings: [] };
  for (const workers of [1, 2]) {
    try {
      const p = await measure(c, workers);
      row.runs.push({ workers, probe: p, derived: derive(p) });
      if (p.frontierOwnBytes !== p.frontierBytes) row.warnings.push(`${c.label}, ${workers} workers: frontier reported by the checker (${p.frontierBytes} B) differs from the probe's own measurement (${p.frontierOwnBytes} B)`);
      if (!p.complete || p.exitCode !== 0) row.warnings.push(`${c.label}, ${workers} workers: search ended with exit code ${p.exitCode}${p.complete ? '' : ' (incomplete)'}`);
    } catch (err) {
      failed = true;
      row.warnings.push(`${c.label}, ${workers} workers failed: ${(err as Error).message.split('\n')[0]}`);
      log(String(err));
    }
  }
  const counts = new Set(row.runs.map((r) => r.probe.states));
  if (counts.size > 1) row.warnings.push(`${c.label}: state counts differ between worker counts: ${row.runs.map((r) => `${r.workers}w ${fmtInt(r.probe.states)}`).join(', ')}`);
  if (c.rms !== undefined) {
    try {
      const s = await runSpin(c.rms);
      const statesPerSecond = s.seconds > 0 ? s.states / s.seconds : null;
      (row as { spin?: Row['spin'] }).spin = { ...s, statesPerSecond, bytesPerState: (s.memoryMB * MB) / s.states };
      log(`  SPIN: ${fmtInt(s.states)} states in ${s.seconds} s, ${s.memoryMB} MB, ${s.errors} errors`);
      for (const r of row.runs) {
        if (r.probe.states !== s.states) row.warnings.push(`STATE COUNT MISMATCH ${c.label}: ours ${fmtInt(r.probe.states)} (${r.workers} workers) vs SPIN ${fmtInt(s.states)}`);
      }
      if (s.errors !== 0) row.warnings.push(`${c.label}: SPIN reported ${s.errors} errors`);
    } catch (err) {
      failed = true;
      row.warnings.push(`${c.label}: SPIN failed: ${(err as Error).message.split('\n')[0]}`);
      log(String(err));
    }
  }
  for (const w of row.warnings) log(`  WARNING: ${w}`);
  rows.push(row);
}

const finished = new Date();
const markdown = render(rows, baseline, started, finished);
process.stdout.write(markdown + '\n');
mkdirSync(outDir, { recursive: true });
// A quick run does not overwrite the last full one.
const base = join(outDir, quick ? 'checker-quick' : 'checker');
writeFileSync(`${base}.md`, markdown + '\n');
writeFileSync(`${base}.json`, JSON.stringify({
  machine,
  command: `npm run bench${argv.length ? ' -- ' + argv.join(' ') : ''}`,
  repeat,
  started: started.toISOString(),
  finished: finished.toISOString(),
  loadAverageAtEnd: os.loadavg().map((x) => +x.toFixed(2)),
  baseline,
  rows: rows.map((r) => ({ label: r.case.label, protocol: r.case.protocol, params: r.case.params, runs: r.runs, spin: r.spin ?? null, warnings: r.warnings })),
  targets: targets(rows),
}, null, 2) + '\n');
log(`wrote ${base}.md and ${base}.json`);
if (failed || rows.some((r) => r.warnings.some((w) => w.startsWith('STATE COUNT MISMATCH')))) process.exitCode = 1;
