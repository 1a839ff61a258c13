import { encode } from '../core/plain.ts';
import type { Message } from '../core/protocol.ts';
import { Execution, msToUs } from './execution.ts';
import type { Copy, Fates } from './execution.ts';
import type { Instance } from '../core/instance.ts';
import { Monitor } from './monitor.ts';
import type { EventRecord, SimTrace } from './trace-file.ts';

export class TraceReplayError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TraceReplayError';
  }
}

/** The first place where what the protocol does now differs from what the trace recorded. */
export interface ReplayDifference {
  readonly record: number;
  /** Which part of the record: `changes[0]`, `sent[1]`, `timers[0]`, `outputs[0]`, `event` or `violation`. */
  readonly field: string;
  readonly recorded: unknown;
  readonly now: unknown;
}

export interface ReplayResult {
  readonly matches: boolean;
  readonly difference: ReplayDifference | null;
  /**
   * The event records as the protocol makes them now, up to and including the first difference (all
   * of them when it matches: `writeTrace({ ...trace, events })` then re-records the trace's bytes).
   */
  readonly events: readonly EventRecord[];
  readonly explanation: string;
}

function checkInstance(inst: Instance, trace: SimTrace): void {
  const { header } = trace;
  if (header.protocol !== inst.protocol.name) {
    throw new TraceReplayError(`the trace is a run of ${JSON.stringify(header.protocol)}, but the protocol given is ${JSON.stringify(inst.protocol.name)}`);
  }
  const keys = [...new Set([...Object.keys(header.params), ...Object.keys(inst.params)])];
  for (const key of keys) {
    const recorded = header.params[key];
    const now = inst.params[key];
    if (recorded !== now) {
      throw new TraceReplayError(`parameter ${key} of ${header.protocol} is ${JSON.stringify(recorded) ?? '(absent)'} in the trace ` +
        `but ${JSON.stringify(now) ?? '(absent)'} in the instance: instantiate it with the trace's parameters`);
    }
  }
}

/** Fates read back from the record being replayed: the arrival times of each send's copies and each timer's firing time. */
function recordedFates(r: EventRecord): Fates {
  return {
    deliveries: (_from, _to, _msg, k) => (r.sent[k]?.at ?? []).map(msToUs),
    timerDue: (_node, _name, _delay, k) => {
      const x = r.timers[k];
      return x && 'set' in x ? msToUs(x.at) : 0;
    },
  };
}

/** The first element of two lists that differs (compared as canonical plain data). */
function firstDifference(field: string, recorded: readonly unknown[], now: readonly unknown[]): Omit<ReplayDifference, 'record'> | null {
  for (let k = 0; k < Math.max(recorded.length, now.length); k++) {
    const a = recorded[k];
    const b = now[k];
    if (a === undefined || b === undefined || encode(a) !== encode(b)) return { field: `${field}[${k}]`, recorded: a, now: b };
  }
  return null;
}

/** Applies one recorded event to the execution; says why not when the event cannot happen now. */
function applyRecorded(exec: Execution, r: EventRecord): string | null {
  const topo = exec.inst.topo;
  const node = topo.index.get(r.node);
  if (node === undefined) return `node ${r.node} does not exist`;
  const tUs = msToUs(r.t);
  const fates = recordedFates(r);
  const e = r.event;
  const copyOf = (from: string, msg: Message): Copy | string => {
    const f = topo.index.get(from);
    const copy = f === undefined ? undefined : exec.findCopy(f, node, msg, tUs);
    return copy ?? `no such message from ${from} to ${r.node} is in flight then`;
  };
  switch (e.kind) {
    case 'start':
      if (exec.hasStarted(node)) return `${r.node} has already started`;
      exec.start(tUs, node, fates);
      return null;
    case 'crash':
      if (exec.isCrashed(node)) return `${r.node} is already crashed`;
      exec.crash(tUs, node);
      return null;
    case 'recover':
      if (!exec.isCrashed(node)) return `${r.node} is not crashed`;
      exec.recover(tUs, node, fates);
      return null;
    case 'timer':
      if (!exec.isArmed(node, e.name)) return `timer ${e.name} of ${r.node} is not armed then`;
      exec.timer(tUs, node, e.name, fates);
      return null;
    case 'message': {
      if (exec.isCrashed(node)) return `${r.node} is crashed then`;
      const copy = copyOf(e.from, e.msg);
      if (typeof copy === 'string') return copy;
      exec.message(tUs, copy, fates);
      return null;
    }
    case 'drop': {
      if (e.reason === 'loss') {
        const from = topo.index.get(e.from);
        if (from === undefined) return `node ${e.from} does not exist`;
        exec.drop(tUs, { from, to: node, msg: e.msg }, 'loss');
        return null;
      }
      const copy = copyOf(e.from, e.msg);
      if (typeof copy === 'string') return copy;
      exec.drop(tUs, copy, e.reason);
      return null;
    }
  }
}

/**
 * Re-executes a recorded run event by event with the protocol's handlers as they are now, taking from
 * the trace only what the simulator decided (which event came next, when each message arrived), and
 * reports the first record where the protocol now does something else, or that the whole run matches.
 */
export function replayTrace(inst: Instance, trace: SimTrace): ReplayResult {
  checkInstance(inst, trace);
  const exec = new Execution(inst);
  const monitor = new Monitor(inst.properties);
  const recordedViolation = trace.end.violation;
  let difference: ReplayDifference | null = null;
  for (const r of trace.events) {
    const refused = applyRecorded(exec, r);
    if (refused !== null) {
      difference = { record: r.i, field: 'event', recorded: r.event, now: refused };
      break;
    }
    const now = exec.events[exec.events.length - 1];
    const diff = firstDifference('changes', r.changes, now.changes) ?? firstDifference('sent', r.sent, now.sent)
      ?? firstDifference('timers', r.timers, now.timers) ?? firstDifference('outputs', r.outputs, now.outputs);
    if (diff) {
      difference = { record: r.i, ...diff };
      break;
    }
    const failed = exec.allStarted ? monitor.check(exec, r.i) : undefined;
    const recordedHere = recordedViolation?.i === r.i ? recordedViolation.property : null;
    if ((failed?.name ?? null) !== recordedHere) {
      difference = { record: r.i, field: 'violation', recorded: recordedHere, now: failed?.name ?? null };
      break;
    }
  }
  return {
    matches: difference === null,
    difference,
    events: exec.events,
    explanation: difference ? explain(trace, difference) : `all ${trace.events.length} records match`,
  };
}

function explain(trace: SimTrace, d: ReplayDifference): string {
  const show = (v: unknown) => (v === undefined ? '(none)' : v === null ? 'none' : JSON.stringify(v));
  const r = trace.events[d.record];
  return `record ${d.record} (${r.node}, ${r.event.kind} at ${r.t} ms) differs in ${d.field}: recorded ${show(d.recorded)}, now ${show(d.now)}`;
}
