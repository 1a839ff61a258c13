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
// The frontier (the two breadth-first level arenas): the largest number of bytes each level buffer
// ever held is what of it was touched, hence what of it is still resident at the end.
import { readFileSync } from 'node:fs';
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
  /** The frontier's peak bytes: result.memory.frontierBytes when the checker reports it, else frontierOwnBytes. */
  frontierBytes: number;
  /** Peak bytes ever held by each level buffer (records + offsets), summed, as measured here. */
  frontierOwnBytes: number;
  /** Bytes the level buffers had grown to (their current length), summed. */
  frontierAllocatedBytes: number;
  /** The widest level, in states. */
  frontierMaxStates: number;
  /** CPU time (user + system, all threads) over the check, and the 1-minute load average before it. */
  cpuSeconds: number;
  loadBefore: number;
  /** Full process.memoryUsage() at the three points, and /proc/self/status RSS parts (kB) after GC. */
  usage: { before: NodeJS.MemoryUsage; after: NodeJS.MemoryUsage; afterGC: NodeJS.MemoryUsage; statusAfterGC: Record<string, number> };
}

function procStatus(): Record<string, number> {
  try {
    const text = readFileSync('/proc/self/status', 'utf8');
    const out: Record<string, number> = {};
    for (const m of text.matchAll(/^(VmRSS|RssAnon|RssFile|RssShmem|VmHWM):\s+(\d+) kB$/gm)) out[m[1]] = Number(m[2]);
    return out;
  } catch {
    return {};
  }
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
// The search reports the frontier's peak itself (result.memory.frontierBytes). As a cross-check, and
// for the widest level and the buffers' grown length, wrap Level.clear, which the search calls on
// every level buffer before reusing it, and read the buffers' shared [count, words used] directly.
interface Seen { peakBytes: number; peakStates: number }
const levels = new Map<LevelBuffers, Seen>();
function note(buffers: LevelBuffers): void {
  let s = levels.get(buffers);
  if (!s) levels.set(buffers, (s = { peakBytes: 0, peakStates: 0 }));
  const meta = new Int32Array(buffers.meta);
  const count = Atomics.load(meta, 0);
  s.peakBytes = Math.max(s.peakBytes, Atomics.load(meta, 1) * 4 + count * 4);
  s.peakStates = Math.max(s.peakStates, count);
}
const clear = Level.prototype.clear;
if (typeof clear === 'function') {
  Level.prototype.clear = function (this: Level) {
    note(this.buffers); // what the buffer held last, before it is reused
    clear.call(this);
  };
}

// ---- keep the live tables reachable past check(), so a forced GC only frees garbage -------------
// The search reads FingerprintSet.bytes on its current table (last in result()) and
// StateStore.bytesUsed in result(): remember only the latest of each, so old tables stay garbage.
const keep: { fingerprints?: unknown; store?: unknown } = {};
/** Wraps a getter of a class prototype, if it is still there (the checker may change under us). */
function tap<T extends object>(proto: T, name: string, seen: (self: T) => void): boolean {
  const getter = Object.getOwnPropertyDescriptor(proto, name)?.get;
  if (!getter) return false;
  Object.defineProperty(proto, name, {
    configurable: true,
    get(this: T) { seen(this); return getter.call(this); },
  });
  return true;
}
tap(FingerprintSet.prototype, 'bytes', (self) => { keep.fingerprints = self.buffers; });
tap(StateStore.prototype, 'bytesUsed', (self) => { keep.store = (self as unknown as { buffers: unknown }).buffers; });

// ---- the measurement ----------------------------------------------------------------------------
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const { loadavg } = await import('node:os');
const loadBefore = loadavg()[0];
const usageBefore = process.memoryUsage();
const rssBefore = usageBefore.rss;
const cpu0 = process.cpuUsage();
const result = await check(protocol, { params, workers });
const cpu = process.cpuUsage(cpu0);
const usageAfter = process.memoryUsage();
const rssAfter = usageAfter.rss;
// Final contents of both level buffers (they are not cleared after the last level).
for (const buffers of levels.keys()) note(buffers);
if (gc) { gc(); gc(); }
const usageAfterGC = process.memoryUsage();
const rssAfterGC = usageAfterGC.rss;
const statusAfterGC = procStatus();
const maxRss = process.resourceUsage().maxRSS * 1024;

let frontierOwnBytes = 0, frontierAllocatedBytes = 0, frontierMaxStates = 0;
for (const [buffers, s] of levels) {
  frontierOwnBytes += s.peakBytes;
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
  frontierBytes: (result.memory as { frontierBytes?: number }).frontierBytes ?? frontierOwnBytes,
  frontierOwnBytes,
  frontierAllocatedBytes,
  frontierMaxStates,
  cpuSeconds: (cpu.user + cpu.system) / 1e6,
  loadBefore,
  usage: { before: usageBefore, after: usageAfter, afterGC: usageAfterGC, statusAfterGC },
};
process.stdout.write(JSON.stringify(out) + '\n');
if (!keep.fingerprints || !keep.store) process.stderr.write('memory-probe: could not retain the search tables, so rssAfterGC undercounts them\n');
