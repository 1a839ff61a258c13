/**
 * Shrinking (delta debugging) of a simulated run that violates an `always` property: the events of the
 * run are removed in ever smaller chunks, each candidate is re-executed as a schedule, and a removal
 * is kept only when the same property still fails.
 */
import type { Instance } from '../core/instance.ts';
import { encode } from '../core/plain.ts';
import type { Message } from '../core/protocol.ts';
import { Execution, msToUs } from './execution.ts';
import type { Copy, Fates, Lost } from './execution.ts';
import { Monitor } from './monitor.ts';
import { replayTrace } from './replay.ts';
import type { EventRecord, SimEvent, SimTrace } from './trace-file.ts';

export class ShrinkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShrinkError';
  }
}

export interface ShrinkOptions {
  /** Candidate runs to try at most (default 10,000); the smallest failing run found by then is returned. */
  readonly maxAttempts?: number;
}

export interface ShrinkResult {
  /** A run that violates the same property, with the original header and times. */
  readonly trace: SimTrace;
  /** Candidate runs tried. */
  readonly attempts: number;
  /** Event records fewer than the original trace. */
  readonly removed: number;
}

/** Virtual times (µs) keyed by creation order: of each message copy, of each timer armed. */
interface Times {
  readonly copies: Map<number, number>;
  readonly timers: Map<number, number>;
}

interface Run {
  /**
   * The original records that happened, up to and including the first violation, and the drop records
   * (after it) of sends it lost: a schedule that runs the same way again.
   */
  readonly schedule: readonly number[];
  readonly events: readonly EventRecord[];
  /** The first `always` property that failed, if one did. */
  readonly violated: string | null;
  /** When each copy was delivered or dropped, and when each timer fired. */
  readonly times: Times;
}

/** The first moves of each round: every fault, every delivery, every timer firing at once. */
const KINDS: readonly (readonly SimEvent['kind'][])[] = [['crash', 'recover', 'drop'], ['message'], ['timer']];

/** For each send the network lost (`record:k`), the drop record that reports it, matched in order. */
function lossDrops(records: readonly EventRecord[]): Map<string, number> {
  const waiting = new Map<string, string[]>();
  const out = new Map<string, number>();
  const key = (from: string, to: string, msg: Message) => `${from} ${to} ${encode(msg)}`;
  records.forEach((r, i) => {
    r.sent.forEach((s, k) => {
      if (s.at.length > 0) return;
      const sends = waiting.get(key(r.node, s.to, s.msg)) ?? [];
      sends.push(`${i}:${k}`);
      waiting.set(key(r.node, s.to, s.msg), sends);
    });
    const e = r.event;
    const send = e.kind === 'drop' && e.reason === 'loss' ? waiting.get(key(e.from, e.to, e.msg))?.shift() : undefined;
    if (send) out.set(send, i);
  });
  return out;
}

/**
 * Runs the records listed in `plan` (indices into `records`, in order) as a schedule: each one
 * happens if it still can (its message is in flight, its timer armed, its node up or down as needed)
 * and is skipped otherwise; the run stops at the first violation. A send keeps the copies the trace
 * gave it when the step sends what it sent then, and a lost one stays lost unless its drop record was
 * taken out; any other send makes one copy. Arrival and firing times come from `pinned`, else from the trace.
 */
function execute(inst: Instance, records: readonly EventRecord[], losses: Map<string, number>, plan: readonly number[], pinned?: Times): Run {
  const ids = inst.topo.ids;
  const exec = new Execution(inst);
  const monitor = new Monitor(inst.properties);
  const scheduled = new Set(plan);
  const inFlight: { copy: Copy; n: number }[] = [];
  const armed = new Map<string, number>(); // `node name` -> creation number of the timer armed under it
  const lost = new Map<number, Lost>(); // loss drop record -> the send it reports
  const times: Times = { copies: new Map(), timers: new Map() };
  const happened: number[] = [];
  let copies = 0;
  let timers = 0;
  let violated: string | null = null;

  for (const i of plan) {
    const r = records[i];
    const tUs = msToUs(r.t);
    const node = inst.topo.index.get(r.node)!;
    const fates: Fates = {
      deliveries(from, to, msg, k) {
        const s = r.sent[k];
        let due = [tUs];
        if (s && s.to === ids[to] && encode(s.msg) === encode(msg)) {
          // Lost while its drop record is scheduled; a send lost by the violating step has no drop record.
          const drop = losses.get(`${i}:${k}`);
          if (s.at.length > 0) due = s.at.map(msToUs);
          else if (drop === undefined || scheduled.has(drop)) {
            if (drop !== undefined) lost.set(drop, { from, to, msg });
            return [];
          }
        }
        return due.map((d) => {
          const n = copies++;
          return pinned?.copies.get(n) ?? d;
        });
      },
      timerDue(_node, name, delayMs, k) {
        const x = r.timers[k];
        const due = x && 'set' in x && x.set === name ? msToUs(x.at) : tUs + msToUs(delayMs);
        const n = timers++;
        return pinned?.timers.get(n) ?? due;
      },
    };
    /**
     * Takes a copy in flight of this message from `from`, noting when it left the network: the one due
     * now if there is one (so recorded arrival times stay as they were), else the first sent.
     */
    const take = (from: string, msg: Message): Copy | undefined => {
      const text = encode(msg);
      const matches = ({ copy: c }: { copy: Copy }) => ids[c.from] === from && c.to === node && encode(c.msg) === text;
      let k = inFlight.findIndex((f) => matches(f) && f.copy.dueUs === tUs);
      if (k < 0) k = inFlight.findIndex(matches);
      if (k < 0) return undefined;
      const [{ copy, n }] = inFlight.splice(k, 1);
      times.copies.set(n, tUs);
      return copy;
    };
    const perform = (e: SimEvent): boolean => {
      switch (e.kind) {
        case 'start':
          exec.start(tUs, node, fates);
          return true;
        case 'crash':
          if (exec.isCrashed(node)) return false;
          exec.crash(tUs, node);
          return true;
        case 'recover':
          if (!exec.isCrashed(node)) return false;
          exec.recover(tUs, node, fates);
          return true;
        case 'timer':
          if (!exec.isArmed(node, e.name)) return false;
          times.timers.set(armed.get(`${node} ${e.name}`)!, tUs);
          exec.timer(tUs, node, e.name, fates);
          return true;
        case 'message': {
          const copy = exec.isCrashed(node) ? undefined : take(e.from, e.msg);
          if (copy) exec.message(tUs, copy, fates);
          return copy !== undefined;
        }
        case 'drop': {
          if (e.reason === 'loss') {
            const send = lost.get(i);
            if (send) exec.drop(tUs, send, 'loss');
            return lost.delete(i);
          }
          const copy = e.reason === 'crashed' && !exec.isCrashed(node) ? undefined : take(e.from, e.msg);
          if (copy) exec.drop(tUs, copy, e.reason);
          return copy !== undefined;
        }
      }
    };
    if (!perform(r.event)) continue;
    happened.push(i);
    // The fates above numbered this step's copies and timers in the order the execution made them.
    exec.newCopies.forEach((copy, j) => inFlight.push({ copy, n: copies - exec.newCopies.length + j }));
    exec.newTimers.forEach((t, j) => armed.set(`${t.node} ${t.name}`, timers - exec.newTimers.length + j));
    const failed = exec.allStarted ? monitor.check(exec, exec.eventCount - 1) : undefined;
    if (failed) {
      violated = failed.name;
      break;
    }
  }
  // A send lost just before the violation stays lost when this schedule runs again: keep its drop.
  const schedule = [...happened, ...lost.keys()].sort((a, b) => a - b);
  return { schedule, events: exec.events, violated, times };
}

/**
 * Shrinks a run that ends with an `always` property violated to a smaller run that violates the same
 * property. Greedy and repeated until nothing changes: remove all faults (crashes, recoveries, drops),
 * all deliveries, all timer firings, then chunks of halving size down to single records. Removing a
 * delivery leaves its message in flight, removing a drop lets the message stay in flight, and
 * everything after the violation goes. Node starts stay. The result is 1-minimal (no single record can
 * be removed) unless `maxAttempts` ran out. The same trace always shrinks to the same trace.
 *
 * The result keeps the original header (the trace format has no field to mark a shrunk run) and the
 * original record times; the arrival time of each copy and the firing time of each timer are those of
 * the deliveries and firings that remain, so it replays.
 */
export function shrinkTrace(inst: Instance, trace: SimTrace, options: ShrinkOptions = {}): ShrinkResult {
  const violation = trace.end.violation;
  if (!violation) {
    throw new ShrinkError(`the trace has no violation to shrink: it stopped for ${JSON.stringify(trace.end.stop)} with every always property holding`);
  }
  const replay = replayTrace(inst, trace);
  if (!replay.matches) throw new ShrinkError(`the trace cannot be shrunk because it does not replay: ${replay.explanation}`);
  const maxAttempts = options.maxAttempts ?? 10_000;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 0) {
    throw new ShrinkError(`maxAttempts must be a whole number from 0, got ${JSON.stringify(maxAttempts)}`);
  }
  const records = trace.events;
  const losses = lossDrops(records);
  const run = (schedule: readonly number[], pinned?: Times) => execute(inst, records, losses, schedule, pinned);

  let best = run(records.map((_, i) => i)).schedule;
  let attempts = 0;
  const removable = () => best.filter((i) => records[i].event.kind !== 'start');
  const tryWithout = (chunk: readonly number[]): boolean => {
    if (chunk.length === 0 || attempts >= maxAttempts) return false;
    attempts++;
    const gone = new Set(chunk);
    const candidate = run(best.filter((i) => !gone.has(i)));
    if (candidate.violated !== violation.property) return false;
    best = candidate.schedule;
    return true;
  };

  let changed = true;
  while (changed && attempts < maxAttempts) {
    changed = false;
    for (const kinds of KINDS) {
      if (tryWithout(removable().filter((i) => kinds.includes(records[i].event.kind)))) changed = true;
    }
    let size = removable().length;
    do {
      size = Math.ceil(size / 2);
      for (let at = 0; at < removable().length;) {
        if (tryWithout(removable().slice(at, at + size))) changed = true;
        else at += size;
      }
    } while (size > 1);
  }

  // Run the result twice: the first run finds when each remaining copy arrives and timer fires, the
  // second writes those times into the sends and timers that made them.
  const { events } = run(best, run(best).times);
  const last = events[events.length - 1];
  return {
    trace: {
      header: { ...trace.header, shrunkFrom: { events: trace.header.shrunkFrom?.events ?? records.length } },
      events,
      end: { type: 'end', stop: 'violation', events: events.length, endTimeMs: last.t, violation: { i: last.i, property: violation.property } },
    },
    attempts,
    removed: records.length - events.length,
  };
}
