/**
 * Simulation traces as JSON Lines: a header, one record per event, and an end record. Every record's
 * fields (and its event's) are written in a fixed order; data the protocol made (states, messages,
 * outputs, parameters) keeps the key order the protocol gave it, which a deterministic run repeats.
 * The end record is always written, so a file cut at a line boundary is caught too.
 */
import type { NetworkOptions } from '../core/network.ts';
import type { Plain } from '../core/plain.ts';
import type { PropertyKind } from '../core/properties.ts';
import type { Message, ParamValue } from '../core/protocol.ts';
import type { ResolvedFaults } from './faults.ts';
import type { LatencyDistribution, ResolvedLatency } from './latency.ts';

export const TRACE_FORMAT = 'protoforge-trace';
export const TRACE_VERSION = 1;

/** Why a message never reached its receiver: lost at send, cut off by a partition, or the receiver was down. */
export type DropReason = 'loss' | 'partition' | 'crashed';

export type SimEvent =
  | { readonly kind: 'start' }
  | { readonly kind: 'message'; readonly from: string; readonly msg: Message }
  | { readonly kind: 'timer'; readonly name: string }
  | { readonly kind: 'crash' }
  | { readonly kind: 'recover' }
  | { readonly kind: 'drop'; readonly from: string; readonly to: string; readonly msg: Message; readonly reason: DropReason };

/** A field of the node's state (a dotted path, empty for the whole state); `before` is absent at start. */
export interface StateChange {
  readonly field: string;
  readonly before?: unknown;
  readonly after?: unknown;
}

/** A send, with the arrival time (ms) of each copy the network made of it: none when it was lost. */
export interface SentRecord {
  readonly to: string;
  readonly msg: Message;
  readonly at: readonly number[];
}

/** A timer armed (to fire at `at` ms, after skew and jitter) or cancelled. */
export type TimerChange =
  | { readonly set: string; readonly delayMs: number; readonly at: number }
  | { readonly cancel: string };

export interface EventRecord {
  readonly type: 'event';
  readonly i: number;
  /** Virtual time in ms (microsecond resolution). */
  readonly t: number;
  /** The node the event happened to; for a drop, the receiver. */
  readonly node: string;
  readonly event: SimEvent;
  readonly changes: readonly StateChange[];
  readonly sent: readonly SentRecord[];
  readonly timers: readonly TimerChange[];
  readonly outputs: readonly Plain[];
}

export interface TraceHeader {
  readonly type: 'header';
  readonly format: typeof TRACE_FORMAT;
  readonly version: typeof TRACE_VERSION;
  readonly prng: string;
  readonly protocol: string;
  readonly params: Readonly<Record<string, ParamValue>>;
  readonly seed: number;
  readonly network: NetworkOptions;
  readonly latency: ResolvedLatency;
  readonly timerJitter: LatencyDistribution;
  readonly faults: ResolvedFaults;
  readonly maxTimeMs: number;
  readonly maxEvents: number;
  /** Present on a shrunk trace: how many events the run it was shrunk from had. */
  readonly shrunkFrom?: { readonly events: number };
  /** Present on a run the model checker found: the property it shows and the checker's path. */
  readonly checker?: { readonly property?: string; readonly kind?: PropertyKind; readonly path: string };
  /** Present on a run of real processes: when its first step was taken (ISO time). */
  readonly runtime?: { readonly startedAt: string };
}

export type StopReason = 'quiescent' | 'time' | 'events' | 'violation';
export const STOP_REASONS: readonly StopReason[] = ['quiescent', 'time', 'events', 'violation'];

export interface EndRecord {
  readonly type: 'end';
  readonly stop: StopReason;
  readonly events: number;
  readonly endTimeMs: number;
  /** The first `always` property that failed, and after which record. */
  readonly violation: { readonly i: number; readonly property: string } | null;
}

export interface SimTrace {
  readonly header: TraceHeader;
  readonly events: readonly EventRecord[];
  readonly end: EndRecord;
}

export class TraceFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TraceFormatError';
  }
}

// ---- writing ---------------------------------------------------------------------------------------

function orderedEvent(e: SimEvent): SimEvent {
  switch (e.kind) {
    case 'message': return { kind: e.kind, from: e.from, msg: e.msg };
    case 'timer': return { kind: e.kind, name: e.name };
    case 'drop': return { kind: e.kind, from: e.from, to: e.to, msg: e.msg, reason: e.reason };
    default: return { kind: e.kind };
  }
}

function orderedRecord(r: EventRecord): EventRecord {
  return {
    type: 'event', i: r.i, t: r.t, node: r.node, event: orderedEvent(r.event),
    changes: r.changes.map((c) => ({ field: c.field, before: c.before, after: c.after })),
    sent: r.sent.map((s) => ({ to: s.to, msg: s.msg, at: s.at })),
    timers: r.timers.map((x) => ('set' in x ? { set: x.set, delayMs: x.delayMs, at: x.at } : { cancel: x.cancel })),
    outputs: r.outputs,
  };
}

function orderedOrigin(c: NonNullable<TraceHeader['checker']>): TraceHeader['checker'] {
  return { ...(c.property === undefined ? {} : { property: c.property }), ...(c.kind === undefined ? {} : { kind: c.kind }), path: c.path };
}

/** The trace as JSON Lines, one `JSON.stringify` per record, each line ending in a newline. */
export function writeTrace(trace: SimTrace): string {
  const h = trace.header;
  const e = trace.end;
  const lines = [
    JSON.stringify({
      type: 'header', format: h.format, version: h.version, prng: h.prng, protocol: h.protocol, params: h.params,
      seed: h.seed, network: h.network, latency: h.latency, timerJitter: h.timerJitter, faults: h.faults,
      maxTimeMs: h.maxTimeMs, maxEvents: h.maxEvents, ...(h.shrunkFrom ? { shrunkFrom: { events: h.shrunkFrom.events } } : {}),
      ...(h.checker ? { checker: orderedOrigin(h.checker) } : {}),
      ...(h.runtime ? { runtime: { startedAt: h.runtime.startedAt } } : {}),
    }),
    ...trace.events.map((r) => JSON.stringify(orderedRecord(r))),
    JSON.stringify({
      type: 'end', stop: e.stop, events: e.events, endTimeMs: e.endTimeMs,
      violation: e.violation && { i: e.violation.i, property: e.violation.property },
    }),
  ];
  return lines.join('\n') + '\n';
}

// ---- reading ---------------------------------------------------------------------------------------

type Obj = Record<string, unknown>;

/** Field checks for one line: each takes the value and its path inside the record, and returns it typed. */
class Line {
  constructor(readonly n: number) {}

  fail(path: string, expected: string, got: unknown): never {
    const shown = got === undefined ? 'nothing' : JSON.stringify(got);
    throw new TraceFormatError(`trace line ${this.n}: field "${path}" must be ${expected}, got ${shown}`);
  }

  obj(v: unknown, path: string): Obj {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(path, 'an object', v);
    return v as Obj;
  }

  str(v: unknown, path: string): string {
    if (typeof v !== 'string') this.fail(path, 'a string', v);
    return v;
  }

  num(v: unknown, path: string, whole = false): number {
    if (typeof v !== 'number' || v < 0 || (whole && !Number.isInteger(v))) this.fail(path, whole ? 'a whole number from 0' : 'a number from 0', v);
    return v;
  }

  list(v: unknown, path: string): unknown[] {
    if (!Array.isArray(v)) this.fail(path, 'a list', v);
    return v;
  }

  oneOf<T extends string>(v: unknown, path: string, choices: readonly T[]): T {
    if (!choices.includes(v as T)) this.fail(path, `one of ${choices.join(', ')}`, v);
    return v as T;
  }

  msg(v: unknown, path: string): void {
    this.str(this.obj(v, path).type, `${path}.type`);
  }
}

const EVENT_KINDS = ['start', 'message', 'timer', 'crash', 'recover', 'drop'] as const;

function checkHeader(line: Line, h: Obj): TraceHeader {
  if (h.format !== TRACE_FORMAT) {
    throw new TraceFormatError(`trace line ${line.n}: the format is ${JSON.stringify(h.format)}, but only "${TRACE_FORMAT}" is supported`);
  }
  if (h.version !== TRACE_VERSION) {
    throw new TraceFormatError(`trace line ${line.n}: ${TRACE_FORMAT} version ${JSON.stringify(h.version)} is not supported (this protoforge reads version ${TRACE_VERSION})`);
  }
  line.str(h.prng, 'prng');
  line.str(h.protocol, 'protocol');
  line.obj(h.params, 'params');
  line.num(h.seed, 'seed', true);
  for (const key of ['network', 'latency', 'timerJitter', 'faults']) line.obj(h[key], key);
  line.num(h.maxTimeMs, 'maxTimeMs');
  line.num(h.maxEvents, 'maxEvents', true);
  if (h.shrunkFrom !== undefined) line.num(line.obj(h.shrunkFrom, 'shrunkFrom').events, 'shrunkFrom.events', true);
  if (h.checker !== undefined) {
    const c = line.obj(h.checker, 'checker');
    if (c.property !== undefined) line.str(c.property, 'checker.property');
    if (c.kind !== undefined) line.oneOf(c.kind, 'checker.kind', ['always', 'sometimes', 'eventually']);
    line.str(c.path, 'checker.path');
  }
  if (h.runtime !== undefined) line.str(line.obj(h.runtime, 'runtime').startedAt, 'runtime.startedAt');
  return h as unknown as TraceHeader;
}

function checkEvent(line: Line, r: Obj, expectedIndex: number): EventRecord {
  const i = line.num(r.i, 'i', true);
  if (i !== expectedIndex) line.fail('i', `${expectedIndex} (event records are numbered in order from 0)`, i);
  line.num(r.t, 't');
  line.str(r.node, 'node');
  const e = line.obj(r.event, 'event');
  switch (line.oneOf(e.kind, 'event.kind', EVENT_KINDS)) {
    case 'message':
      line.str(e.from, 'event.from');
      line.msg(e.msg, 'event.msg');
      break;
    case 'timer':
      line.str(e.name, 'event.name');
      break;
    case 'drop':
      line.str(e.from, 'event.from');
      line.str(e.to, 'event.to');
      line.msg(e.msg, 'event.msg');
      line.oneOf(e.reason, 'event.reason', ['loss', 'partition', 'crashed']);
      break;
  }
  line.list(r.changes, 'changes').forEach((c, k) => line.str(line.obj(c, `changes[${k}]`).field, `changes[${k}].field`));
  line.list(r.sent, 'sent').forEach((x, k) => {
    const s = line.obj(x, `sent[${k}]`);
    line.str(s.to, `sent[${k}].to`);
    line.msg(s.msg, `sent[${k}].msg`);
    line.list(s.at, `sent[${k}].at`).forEach((t, j) => line.num(t, `sent[${k}].at[${j}]`));
  });
  line.list(r.timers, 'timers').forEach((x, k) => {
    const o = line.obj(x, `timers[${k}]`);
    if (typeof o.cancel === 'string') return;
    line.str(o.set, `timers[${k}].set`);
    line.num(o.delayMs, `timers[${k}].delayMs`);
    line.num(o.at, `timers[${k}].at`);
  });
  line.list(r.outputs, 'outputs');
  return r as unknown as EventRecord;
}

function checkEnd(line: Line, r: Obj, events: number): EndRecord {
  const stop = line.oneOf(r.stop, 'stop', STOP_REASONS);
  const count = line.num(r.events, 'events', true);
  if (count !== events) line.fail('events', `${events}, the number of event records before it`, count);
  line.num(r.endTimeMs, 'endTimeMs');
  if (stop === 'violation') {
    const v = line.obj(r.violation, 'violation');
    const i = line.num(v.i, 'violation.i', true);
    if (i >= events) line.fail('violation.i', `the number of an event record (below ${events})`, i);
    line.str(v.property, 'violation.property');
  } else if (r.violation !== null) {
    line.fail('violation', `null when the run stopped for ${JSON.stringify(stop)}`, r.violation);
  }
  return r as unknown as EndRecord;
}

/** Parses and validates a trace; every error names the line and, for a bad record, the field. */
export function readTrace(text: string): SimTrace {
  const lines = text.split('\n');
  const complete = text.endsWith('\n');
  if (complete) lines.pop();
  if (lines.length === 0 || (lines.length === 1 && lines[0] === '')) throw new TraceFormatError('the trace is empty: expected a header line');
  let header: TraceHeader | undefined;
  const events: EventRecord[] = [];
  let end: EndRecord | undefined;
  lines.forEach((raw, k) => {
    const line = new Line(k + 1);
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      if (k === lines.length - 1 && !complete) {
        throw new TraceFormatError(`trace line ${line.n} is not complete JSON: the file ends in the middle of a record (truncated?)`);
      }
      throw new TraceFormatError(`trace line ${line.n} is not valid JSON (${(err as Error).message})`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new TraceFormatError(`trace line ${line.n}: a record must be a JSON object, got ${raw.length > 40 ? raw.slice(0, 40) + '...' : raw}`);
    }
    const r = value as Obj;
    const type = line.oneOf(r.type, 'type', ['header', 'event', 'end']);
    if (end) throw new TraceFormatError(`trace line ${line.n}: a record of type "${type}" follows the end record`);
    if (k === 0 && type !== 'header') throw new TraceFormatError(`trace line 1: the first record must be the header, found a record of type "${type}"`);
    if (k > 0 && type === 'header') throw new TraceFormatError(`trace line ${line.n}: a second header record`);
    if (type === 'header') header = checkHeader(line, r);
    else if (type === 'event') events.push(checkEvent(line, r, events.length));
    else end = checkEnd(line, r, events.length);
  });
  if (!end) throw new TraceFormatError(`the trace ends after line ${lines.length} without its end record: the file is truncated`);
  return { header: header!, events, end };
}
