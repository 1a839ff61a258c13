import { MAX_MS } from './latency.ts';
import { checkNumber, show, SimOptionsError } from './options-error.ts';

/**
 * A timed fault. A crash stops a node (its timers are cancelled, messages reaching it are dropped);
 * a recovery restarts it with its durable fields (core's `restartNode`). A partition splits the nodes
 * into the listed sides plus one side of every node not listed; from `fromMs` until `untilMs` a
 * message arriving across the cut is dropped.
 */
export type FaultEvent =
  | { readonly kind: 'crash'; readonly node: string; readonly atMs: number }
  | { readonly kind: 'recover'; readonly node: string; readonly atMs: number }
  | { readonly kind: 'partition'; readonly sides: readonly (readonly string[])[]; readonly fromMs: number; readonly untilMs: number };

export interface FaultSchedule {
  readonly events?: readonly FaultEvent[];
  /** Probability that a send is lost, in [0, 1]. */
  readonly dropRate?: number;
  /** Probability that a send that is not lost arrives twice, in [0, 1]. */
  readonly duplicateRate?: number;
  /** Per node: its timers run `1 + skew` times as long; skew in (-1, 10]. */
  readonly clockSkew?: Readonly<Record<string, number>>;
}

export interface ResolvedFaults {
  readonly events: readonly FaultEvent[];
  readonly dropRate: number;
  readonly duplicateRate: number;
  readonly clockSkew: Readonly<Record<string, number>>;
}

const KINDS = ['crash', 'recover', 'partition'];

/** Validates a schedule against the node ids; returns it with defaults filled in and keys in a fixed order. */
export function resolveFaults(schedule: FaultSchedule | undefined, ids: readonly string[]): ResolvedFaults {
  const isNode = (value: unknown, field: string) => {
    if (typeof value !== 'string' || !ids.includes(value)) {
      throw new SimOptionsError(`${field} is ${show(value)}, which is not a node (nodes: ${ids.join(', ')})`);
    }
    return value;
  };
  const events = (schedule?.events ?? []).map((e, k): FaultEvent => {
    const field = `faults.events[${k}]`;
    switch (e?.kind) {
      case 'crash':
      case 'recover':
        return { kind: e.kind, node: isNode(e.node, `${field}.node`), atMs: checkNumber(e.atMs, `${field}.atMs`, 0, MAX_MS) };
      case 'partition': {
        const fromMs = checkNumber(e.fromMs, `${field}.fromMs`, 0, MAX_MS);
        const untilMs = checkNumber(e.untilMs, `${field}.untilMs`, 0, MAX_MS);
        if (untilMs <= fromMs) throw new SimOptionsError(`${field}: untilMs (${untilMs}) must be after fromMs (${fromMs})`);
        const given: unknown = e.sides;
        if (!Array.isArray(given) || given.length === 0 || given.some((s) => !Array.isArray(s) || s.length === 0)) {
          throw new SimOptionsError(`${field}.sides must be a non-empty list of non-empty lists of node ids, got ${show(given)}`);
        }
        const seen = new Set<string>();
        const sides = (given as unknown[][]).map((side, s) => side.map((value, j) => {
          const id = isNode(value, `${field}.sides[${s}][${j}]`);
          if (seen.has(id)) throw new SimOptionsError(`${field}.sides lists node ${id} twice: each node is on one side`);
          seen.add(id);
          return id;
        }));
        return { kind: 'partition', sides, fromMs, untilMs };
      }
      default:
        throw new SimOptionsError(`${field}.kind must be one of ${KINDS.join(', ')}, got ${show((e as { kind?: unknown })?.kind)}`);
    }
  });
  checkCrashOrder(events);
  const skew = schedule?.clockSkew ?? {};
  for (const id of Object.keys(skew)) {
    if (!ids.includes(id)) throw new SimOptionsError(`faults.clockSkew has an entry for ${show(id)}, which is not a node (nodes: ${ids.join(', ')})`);
  }
  const clockSkew: Record<string, number> = {};
  for (const id of ids) {
    if (skew[id] === undefined) continue;
    const v = skew[id];
    if (typeof v !== 'number' || !(v > -1 && v <= 10)) {
      throw new SimOptionsError(`faults.clockSkew.${id} must be a number greater than -1 and at most 10, got ${show(v)}`);
    }
    clockSkew[id] = v;
  }
  return {
    events,
    dropRate: checkNumber(schedule?.dropRate ?? 0, 'faults.dropRate', 0, 1),
    duplicateRate: checkNumber(schedule?.duplicateRate ?? 0, 'faults.duplicateRate', 0, 1),
    clockSkew,
  };
}

/** Per node, in the order they will happen (time, then listing order): crash, recover, crash, ... */
function checkCrashOrder(events: readonly FaultEvent[]): void {
  const order = events
    .flatMap((e, k) => (e.kind === 'partition' ? [] : [{ ...e, k }]))
    .sort((a, b) => a.atMs - b.atMs || a.k - b.k);
  const crashedBy = new Map<string, number>();
  for (const e of order) {
    const since = crashedBy.get(e.node);
    if (e.kind === 'crash' && since !== undefined) {
      throw new SimOptionsError(`faults.events[${e.k}] crashes ${e.node} at ${e.atMs} ms, but faults.events[${since}] has already crashed it and it has not recovered`);
    }
    if (e.kind === 'recover' && since === undefined) {
      throw new SimOptionsError(`faults.events[${e.k}] recovers ${e.node} at ${e.atMs} ms, but it is not crashed then: a recovery must follow a crash`);
    }
    if (e.kind === 'crash') crashedBy.set(e.node, e.k);
    else crashedBy.delete(e.node);
  }
}

interface Cut {
  readonly fromUs: number;
  readonly untilUs: number;
  /** Side of each node (by index); -1 for the nodes not listed. */
  readonly side: readonly number[];
}

/** The partitions of a schedule, compiled for the question the simulator asks at each delivery. */
export class Partitions {
  private readonly cuts: Cut[];

  constructor(faults: ResolvedFaults, ids: readonly string[], toUs: (ms: number) => number) {
    this.cuts = faults.events.flatMap((e) => {
      if (e.kind !== 'partition') return [];
      const side = ids.map((id) => e.sides.findIndex((s) => s.includes(id)));
      return [{ fromUs: toUs(e.fromMs), untilUs: toUs(e.untilMs), side }];
    });
  }

  /** Whether a partition in force at `tUs` separates nodes `a` and `b`. */
  separates(a: number, b: number, tUs: number): boolean {
    const cuts = this.cuts;
    for (let i = 0; i < cuts.length; i++) {
      const c = cuts[i];
      if (c.fromUs <= tUs && tUs < c.untilUs && c.side[a] !== c.side[b]) return true;
    }
    return false;
  }
}
