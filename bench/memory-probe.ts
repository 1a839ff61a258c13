// One measurement in a fresh process, so that resident memory can be read cleanly.
//   node --expose-gc --import tsx bench/memory-probe.ts <protocol> '<json params>' <workers>
// Prints one line of JSON (see ProbeResult) on stdout.
//
// Memory readings (all process.memoryUsage().rss, i.e. the whole process, worker threads included):
//   rssBefore   after importing the checker and the protocols, before anything big exists;
//   rssAfter    straight after check() returns, without forcing a collection;
//   rssAfterGC  after a forced full collection, with the search's live tables (final fingerprint
//               table, parent/action table, both frontier arenas) deliberately kept reachable, so
//               that garbage (old fingerprint tables, dead successor vectors, terminated workers'
//               heaps) no longer counts but the stored states do;
//   maxRss      the process's peak resident set (getrusage), for reference.
// The frontier (the two breadth-first level arenas) is measured by wrapping Level.clear, which
// the search calls on every level buffer before reusing it: the largest number of bytes a level
// buffer ever held is what of it was touched, hence what of it is resident at the end.
import { check } from '../src/check/index.ts';
import type { CheckResult } from '../src/check/index.ts';
import { Level } from '../src/check/frontier.ts';
import type { LevelBuffers } from '../src/check/frontier.ts';
import { FingerprintSet } from '../src/check/fingerprints.ts';
import { StateStore } from '../src/check/states.ts';
import { findProtocol } from '../src/protocols/index.ts';

export interface ProbeResult {
  protocol: string;
  params: Record<string, unknown>;
  workers: number;
  states: number;
  transitions: number;
  depth: number;
  seconds: number;
  exitCode: number;
  complete: boolean;
  verdicts: Record<string, string>;
  /** result.memory: fingerprint table bytes, parent/action table bytes, their sum per state. */
  memory: CheckResult['memory'];
  rssBefore: number;
  rssAfter: number;
  rssAfterGC: number;
  maxRss: number;
  /** Peak bytes ever held by each level buffer (records + offsets), summed over the level buffers. */
  frontierBytes: number;
  /** Bytes the level buffers had grown to (their current length), summed. */
  frontierAllocatedBytes: number;
  /** The widest level, in states. */
  frontierMaxStates: number;
  /** CPU time (user + system, all threads) over the check, and the 1-minute load average before it. */
  cpuSeconds: number;
  loadBefore: number;
}

const [name, paramsJson = '{}', workersArg = '1'] = process.argv.slice(2);
const protocol = name ? findProtocol(name) : undefined;
if (!protocol) {
  console.error(`usage: memory-probe.ts <protocol> '<json params>' <workers>  (unknown protocol ${JSON.stringify(name)})`);
  process.exit(2);
}
const params = JSON.parse(paramsJson) as Record<string, number | string | boolean>;
const workers = Number(workersArg);

// ---- frontier accounting ------------------------------------------------------------------------
interface Seen { peakBytes: number; peakStates: number }
const levels = new Map<LevelBuffers, Seen>();
function note(level: Level): void {
  let s = levels.get(level.buffers);
  if (!s) levels.set(level.buffers, (s = { peakBytes: 0, peakStates: 0 }));
  s.peakBytes = Math.max(s.peakBytes, level.bytes);
  s.peakStates = Math.max(s.peakStates, level.size);
}
const clear = Level.prototype.clear;
Level.prototype.clear = function (this: Level) {
  note(this); // what the buffer held last, before it is reused
  clear.call(this);
};
// ---- keep the live tables reachable past check(), so a forced GC only frees garbage -------------
// The search reads FingerprintSet.bytes on its current table (last in result()) and
// StateStore.bytesUsed in result(): remember only the latest of each, so old tables stay garbage.
const keep: { fingerprints?: unknown; store?: unknown } = {};
const fpBytes = Object.getOwnPropertyDescriptor(FingerprintSet.prototype, 'bytes')!.get!;
Object.defineProperty(FingerprintSet.prototype, 'bytes', {
  configurable: true,
  get(this: FingerprintSet) { keep.fingerprints = this.buffers; return fpBytes.call(this); },
});
const storeBytes = Object.getOwnPropertyDescriptor(StateStore.prototype, 'bytesUsed')!.get!;
Object.defineProperty(StateStore.prototype, 'bytesUsed', {
  configurable: true,
  get(this: StateStore) { keep.store = (this as unknown as { buffers: unknown }).buffers; return storeBytes.call(this); },
});

// ---- the measurement ----------------------------------------------------------------------------
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const { loadavg } = await import('node:os');
const loadBefore = loadavg()[0];
const rssBefore = process.memoryUsage().rss;
const cpu0 = process.cpuUsage();
const result = await check(protocol, { params, workers });
const cpu = process.cpuUsage(cpu0);
const rssAfter = process.memoryUsage().rss;
// Final contents of both level buffers (they are not cleared after the last level).
for (const buffers of levels.keys()) note(new Level(buffers));
if (gc) { gc(); gc(); }
const rssAfterGC = process.memoryUsage().rss;
const maxRss = process.resourceUsage().maxRSS * 1024;

let frontierBytes = 0, frontierAllocatedBytes = 0, frontierMaxStates = 0;
for (const [buffers, s] of levels) {
  frontierBytes += s.peakBytes;
  frontierAllocatedBytes += buffers.arena.byteLength + buffers.offsets.byteLength;
  frontierMaxStates = Math.max(frontierMaxStates, s.peakStates);
}

const out: ProbeResult = {
  protocol: protocol.name,
  params,
  workers,
  states: result.states,
  transitions: result.transitions,
  depth: result.depth,
  seconds: result.seconds,
  exitCode: result.exitCode,
  complete: result.complete,
  verdicts: Object.fromEntries(result.properties.map((p) => [p.name, p.verdict])),
  memory: result.memory,
  rssBefore,
  rssAfter,
  rssAfterGC: gc ? rssAfterGC : NaN,
  maxRss,
  frontierBytes,
  frontierAllocatedBytes,
  frontierMaxStates,
  cpuSeconds: (cpu.user + cpu.system) / 1e6,
  loadBefore,
};
process.stdout.write(JSON.stringify(out) + '\n');
if (!keep.fingerprints || !keep.store) process.stderr.write('memory-probe: could not retain the search tables\n');
