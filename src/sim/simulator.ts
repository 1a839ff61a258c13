import { Execution, msToUs, usToMs } from './execution.ts';
import type { Copy, Fates, Lost } from './execution.ts';
import type { Instance } from '../core/instance.ts';
import { Partitions, resolveFaults } from './faults.ts';
import type { FaultSchedule } from './faults.ts';
import { checkDistribution, MAX_MS, resolveLatency, sampleMs } from './latency.ts';
import type { LatencyDistribution, LatencyOptions, ResolvedLatency } from './latency.ts';
import { Monitor } from './monitor.ts';
import type { PropertyOutcome } from './monitor.ts';
import { checkNumber, show, SimOptionsError } from './options-error.ts';
import { checkSeed, Prng, PRNG_NAME } from './prng.ts';
import { EventQueue } from './queue.ts';
import { TRACE_FORMAT, TRACE_VERSION } from './trace-file.ts';
import type { EndRecord, EventRecord, SimTrace, StopReason, TraceHeader } from './trace-file.ts';

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

const CRASH = 1;
const RECOVER = 2;
const DELIVER = 3;
const LOST = 4;
const TIMER = 5;

/** A queued event: a node's crash or recovery, a copy's arrival, a send lost at once, or a timer firing. */
class Entry {
  constructor(
    readonly kind: number,
    readonly node: number,
    readonly copy: Copy | Lost | null,
    readonly name: string,
    readonly token: number,
  ) {}
}

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
  const latencyOf = linkLatencies(header.latency, inst.topo.index, n);
  const skew = ids.map((id) => 1 + (faults.clockSkew[id] ?? 0));
  const partitions = new Partitions(faults, ids, msToUs);
  const fifo = inst.network.ordering === 'ordered';
  const lastArrival = new Map<number, number>();
  const jitter = header.timerJitter;
  const { dropRate, duplicateRate } = faults;
  let now = 0;

  const arrival = (from: number, to: number): number => {
    let due = now + msToUs(sampleMs(latencyOf(from, to), rng));
    if (fifo) {
      // Equal times keep send order: the queue breaks ties by sequence.
      const key = from * n + to;
      due = Math.max(due, lastArrival.get(key) ?? 0);
      lastArrival.set(key, due);
    }
    return due;
  };
  const fates: Fates = {
    deliveries(from, to) {
      if (rng.float() < dropRate) return [];
      const first = arrival(from, to);
      return rng.float() < duplicateRate ? [first, arrival(from, to)] : [first];
    },
    timerDue: (node, _name, delayMs) => now + msToUs(delayMs * skew[node] + sampleMs(jitter, rng)),
  };

  const exec = new Execution(inst);
  const queue = new EventQueue<Entry>();
  const scheduleEffects = () => {
    for (const lost of exec.newLosses) queue.push(now, new Entry(LOST, lost.to, lost, '', 0));
    for (const copy of exec.newCopies) queue.push(copy.dueUs, new Entry(DELIVER, copy.to, copy, '', 0));
    for (const t of exec.newTimers) queue.push(t.dueUs, new Entry(TIMER, t.node, null, t.name, t.token));
  };
  for (const e of faults.events) {
    if (e.kind !== 'partition') queue.push(msToUs(e.atMs), new Entry(e.kind === 'crash' ? CRASH : RECOVER, inst.topo.index.get(e.node)!, null, '', 0));
  }

  const monitor = new Monitor(inst.properties);
  const maxUs = msToUs(header.maxTimeMs);
  const maxEvents = header.maxEvents;
  let stop: StopReason | undefined;
  let violation: EndRecord['violation'] = null;
  const observe = () => {
    if (!exec.allStarted) return;
    const i = exec.eventCount - 1;
    const failed = monitor.check(exec, i);
    if (failed) {
      stop = 'violation';
      violation = { i, property: failed.name };
    }
  };
  // Every node starts at time 0 in declaration order, before anything else: nothing can be due earlier,
  // and whatever is due at 0 was scheduled after the starts.
  for (let i = 0; i < n && !stop; i++) {
    if (exec.eventCount >= maxEvents) { stop = 'events'; break; }
    exec.start(0, i, fates);
    scheduleEffects();
    observe();
  }
  while (!stop) {
    // A timer that was cancelled, re-set or cleared by a crash since it was queued is not an event.
    let e = queue.peek();
    while (e !== undefined && e.kind === TIMER && !exec.isArmed(e.node, e.name, e.token)) {
      queue.pop();
      e = queue.peek();
    }
    if (e === undefined) { stop = 'quiescent'; break; }
    const tUs = queue.peekTime()!;
    if (tUs > maxUs) { stop = 'time'; break; }
    if (exec.eventCount >= maxEvents) { stop = 'events'; break; }
    queue.pop();
    now = tUs;
    switch (e.kind) {
      case TIMER: exec.timer(now, e.node, e.name, fates); break;
      case CRASH: exec.crash(now, e.node); break;
      case RECOVER: exec.recover(now, e.node, fates); break;
      case LOST: exec.drop(now, e.copy!, 'loss'); break;
      case DELIVER: {
        const copy = e.copy as Copy;
        if (exec.isCrashed(copy.to)) exec.drop(now, copy, 'crashed');
        else if (partitions.separates(copy.from, copy.to, now)) exec.drop(now, copy, 'partition');
        else exec.message(now, copy, fates);
        break;
      }
    }
    scheduleEffects();
    observe();
  }
  const events = exec.eventCount;
  const endTimeMs = stop === 'time' ? header.maxTimeMs : usToMs(now);
  return {
    stop, events, endTimeMs,
    properties: monitor.outcomes(),
    trace: lazyTrace(header, exec, { type: 'end', stop, events, endTimeMs, violation }),
  };
}

const EXECUTION = Symbol('execution');

const INSPECT_KEY = Symbol.for('nodejs.util.inspect.custom');

/** Writes out the records; from then on `events` is a plain property and the execution is let go. */
function eventsOfTrace(this: { [EXECUTION]?: Execution; [INSPECT_KEY]?: unknown }): readonly EventRecord[] {
  const events = this[EXECUTION]!.events;
  try {
    Object.defineProperty(this, 'events', { value: events, writable: true, enumerable: true, configurable: true });
    delete this[EXECUTION];
    delete this[INSPECT_KEY];
  } catch {
    // A frozen or sealed trace keeps its accessor.
  }
  return events;
}

/** How Node's `util.inspect` (console.log) shows a trace: as the plain data it is. */
function inspectTrace(this: SimTrace): object {
  return { header: this.header, events: this.events, end: this.end };
}

const EVENTS: PropertyDescriptor = { get: eventsOfTrace, enumerable: true, configurable: true };

/**
 * The trace of a run, whose event records are written out from the execution when `events` is first
 * read (a run whose trace nobody reads never builds them): an enumerable accessor, so the trace still
 * spreads, serializes, clones and compares as the plain data it stands for.
 */
function lazyTrace(header: TraceHeader, exec: Execution, end: EndRecord): SimTrace {
  // (An accessor written in an object literal, or one closing over the execution, made V8 keep runs
  // alive across young-generation collections; a shared getter that finds the execution does not.)
  return Object.defineProperties({ header, events: NO_RECORDS, end }, {
    [EXECUTION]: { value: exec, configurable: true },
    events: EVENTS,
    [INSPECT_KEY]: { value: inspectTrace, configurable: true },
  });
}

const NO_RECORDS: readonly EventRecord[] = [];

/**
 * The latency distribution of each directed link, by node index: the last matching entry of
 * `links`, else the default.
 */
function linkLatencies(latency: ResolvedLatency, index: ReadonlyMap<string, number>, n: number): (from: number, to: number) => LatencyDistribution {
  const def = latency.default;
  if (latency.links.length === 0) return () => def;
  const byLink = new Map<number, LatencyDistribution>();
  for (const l of latency.links) byLink.set(index.get(l.from)! * n + index.get(l.to)!, l.latency);
  return (from, to) => byLink.get(from * n + to) ?? def;
}
