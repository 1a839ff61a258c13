import { Execution, msToUs, usToMs } from './execution.ts';
import type { Copy, Fates, Lost } from './execution.ts';
import type { Instance } from '../core/instance.ts';
import { Partitions, resolveFaults } from './faults.ts';
import type { FaultSchedule } from './faults.ts';
import { checkDistribution, MAX_MS, resolveLatency, sampleMs } from './latency.ts';
import type { LatencyDistribution, LatencyOptions } from './latency.ts';
import { Monitor } from './monitor.ts';
import type { PropertyOutcome } from './monitor.ts';
import { checkNumber, show, SimOptionsError } from './options-error.ts';
import { checkSeed, Prng, PRNG_NAME } from './prng.ts';
import { EventQueue } from './queue.ts';
import { TRACE_FORMAT, TRACE_VERSION } from './trace-file.ts';
import type { EndRecord, SimTrace, StopReason, TraceHeader } from './trace-file.ts';

export interface SimOptions {
  /** A whole number from 0 to 2^32 - 1: the PRNG's seed. */
  readonly seed: number;
  /** Message latency: a default distribution (uniform 1-10 ms) and per-link overrides. */
  readonly latency?: LatencyOptions;
  /**
   * Added to every timer's delay (default uniform 0-10 ms). Timers set without a delay are the
   * checker's spontaneous steps; the jitter is what puts them in a random order in a simulation.
   */
  readonly timerJitter?: LatencyDistribution;
  readonly faults?: FaultSchedule;
  /** Virtual time after which nothing more happens (default 60,000 ms). */
  readonly maxTimeMs?: number;
  /** Event records after which the run stops (default 100,000). */
  readonly maxEvents?: number;
}

export interface SimResult {
  readonly stop: StopReason;
  readonly events: number;
  readonly endTimeMs: number;
  readonly properties: readonly PropertyOutcome[];
  readonly trace: SimTrace;
}

export const defaultTimerJitter: LatencyDistribution = { kind: 'uniform', minMs: 0, maxMs: 10 };

type Entry =
  | { readonly kind: 'start' | 'crash' | 'recover'; readonly node: number }
  | { readonly kind: 'deliver'; readonly copy: Copy }
  | ({ readonly kind: 'lost' } & Lost)
  | { readonly kind: 'timer'; readonly node: number; readonly name: string; readonly token: number };

function headerOf(inst: Instance, options: SimOptions): TraceHeader {
  const ids = inst.topo.ids;
  const maxEvents = options.maxEvents ?? 100_000;
  if (!Number.isInteger(maxEvents) || maxEvents < 1 || maxEvents > 10_000_000) {
    throw new SimOptionsError(`maxEvents must be a whole number from 1 to 10000000, got ${show(maxEvents)}`);
  }
  return {
    type: 'header', format: TRACE_FORMAT, version: TRACE_VERSION, prng: PRNG_NAME,
    protocol: inst.protocol.name, params: inst.params, seed: checkSeed(options.seed), network: inst.network,
    latency: resolveLatency(options.latency, ids),
    timerJitter: checkDistribution(options.timerJitter ?? defaultTimerJitter, 'timerJitter'),
    faults: resolveFaults(options.faults, ids),
    maxTimeMs: checkNumber(options.maxTimeMs ?? 60_000, 'maxTimeMs', 0, MAX_MS),
    maxEvents,
  };
}

/**
 * One seeded run in virtual time. Events come off a queue ordered by (time, sequence number); every
 * random choice is drawn from one PRNG in a fixed order (per send: loss, latency, duplication, the
 * copy's latency; per timer: jitter), so the same seed and options give the same trace, byte for byte.
 * The instance's network fixes the channel ordering (FIFO per sender and receiver when `ordered`);
 * loss, duplication and crashes come from `faults`.
 */
export function simulate(inst: Instance, options: SimOptions): SimResult {
  const header = headerOf(inst, options);
  const { faults } = header;
  const ids = inst.topo.ids;
  const n = ids.length;
  const rng = new Prng(header.seed);
  const linkLatency = ids.map((from) => ids.map((to) =>
    header.latency.links.findLast((l) => l.from === from && l.to === to)?.latency ?? header.latency.default));
  const skew = ids.map((id) => 1 + (faults.clockSkew[id] ?? 0));
  const partitions = new Partitions(faults, ids, msToUs);
  const fifo = inst.network.ordering === 'ordered';
  const lastArrival = new Array<number>(n * n).fill(0);
  let now = 0;

  const arrival = (from: number, to: number): number => {
    let due = now + msToUs(sampleMs(linkLatency[from][to], rng));
    if (fifo) due = Math.max(due, lastArrival[from * n + to]); // equal times keep send order: the queue breaks ties by sequence
    lastArrival[from * n + to] = due;
    return due;
  };
  const fates: Fates = {
    deliveries(from, to) {
      if (rng.float() < faults.dropRate) return [];
      const first = arrival(from, to);
      return rng.float() < faults.duplicateRate ? [first, arrival(from, to)] : [first];
    },
    timerDue: (node, _name, delayMs) => now + msToUs(delayMs * skew[node] + sampleMs(header.timerJitter, rng)),
  };

  const exec = new Execution(inst);
  const queue = new EventQueue<Entry>();
  const scheduleEffects = () => {
    for (const lost of exec.newLosses) queue.push(now, { kind: 'lost', ...lost });
    for (const copy of exec.newCopies) queue.push(copy.dueUs, { kind: 'deliver', copy });
    for (const t of exec.newTimers) queue.push(t.dueUs, { kind: 'timer', node: t.node, name: t.name, token: t.token });
  };
  for (let i = 0; i < n; i++) queue.push(0, { kind: 'start', node: i });
  for (const e of faults.events) {
    if (e.kind !== 'partition') queue.push(msToUs(e.atMs), { kind: e.kind, node: inst.topo.index.get(e.node)! });
  }

  const monitor = new Monitor(inst.properties);
  const maxUs = msToUs(header.maxTimeMs);
  let stop: StopReason | undefined;
  let violation: EndRecord['violation'] = null;
  while (!stop) {
    // A timer that was cancelled, re-set or cleared by a crash since it was queued is not an event.
    let top = queue.peek();
    while (top && top.item.kind === 'timer' && !exec.isArmed(top.item.node, top.item.name, top.item.token)) {
      queue.pop();
      top = queue.peek();
    }
    if (!top) { stop = 'quiescent'; break; }
    if (top.tUs > maxUs) { stop = 'time'; break; }
    if (exec.events.length >= header.maxEvents) { stop = 'events'; break; }
    queue.pop();
    now = top.tUs;
    const e = top.item;
    switch (e.kind) {
      case 'start': exec.start(now, e.node, fates); break;
      case 'timer': exec.timer(now, e.node, e.name, fates); break;
      case 'crash': exec.crash(now, e.node); break;
      case 'recover': exec.recover(now, e.node, fates); break;
      case 'lost': exec.drop(now, e, 'loss'); break;
      case 'deliver':
        if (exec.isCrashed(e.copy.to)) exec.drop(now, e.copy, 'crashed');
        else if (partitions.separates(e.copy.from, e.copy.to, now)) exec.drop(now, e.copy, 'partition');
        else exec.message(now, e.copy, fates);
        break;
    }
    scheduleEffects();
    if (exec.allStarted) {
      const i = exec.events.length - 1;
      const failed = monitor.observe(exec.world(), i);
      if (failed) {
        stop = 'violation';
        violation = { i, property: failed.name };
      }
    }
  }
  const events = exec.events.length;
  const endTimeMs = stop === 'time' ? header.maxTimeMs : usToMs(now);
  return {
    stop, events, endTimeMs,
    properties: monitor.outcomes(),
    trace: { header, events: exec.events, end: { type: 'end', stop, events, endTimeMs, violation } },
  };
}
