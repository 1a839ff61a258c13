/**
 * A run of real processes as a simulation trace, so `view` draws it and `replay` re-executes it with
 * the protocol's handlers as they are now. Each node reports every step it took (wall-clock time, the
 * event, its new state, the effects); the launcher notes kills. The trace's time is ms since the first
 * step. A message's arrival is the step at which its receiver handled it, matched to the send in FIFO
 * order per (sender, receiver, message); a send never handled (the receiver was killed, a partition
 * dropped it, the run ended first) has no arrival, as a send the network lost. A killed node's next
 * start is its recovery.
 */
import type { Instance } from '../core/instance.ts';
import { encode } from '../core/plain.ts';
import type { Plain } from '../core/plain.ts';
import type { Effect, NodeEvent } from '../core/step.ts';
import { diffFields } from '../core/trace.ts';
import { Monitor } from '../sim/monitor.ts';
import { PRNG_NAME } from '../sim/prng.ts';
import { TRACE_FORMAT, TRACE_VERSION } from '../sim/trace-file.ts';
import type { EventRecord, SentRecord, SimEvent, SimTrace, TimerChange } from '../sim/trace-file.ts';
import { makeWorld } from '../core/world.ts';
import type { HistoryEntry } from './cluster.ts';

interface Step {
  readonly node: string;
  readonly at: number;
  readonly event: SimEvent;
  readonly state?: unknown;
  readonly effects: readonly Effect[];
}

/** The steps and kills of the history, in time order (a node's own lines keep their order). */
function stepsOf(history: readonly HistoryEntry[]): Step[] {
  const steps: Step[] = [];
  for (const h of history) {
    const l = h.line;
    if (l.event === 'killed') steps.push({ node: h.node, at: l.at as number, event: { kind: 'crash' }, effects: [] });
    if (l.event !== 'step') continue;
    const input = l.input as NodeEvent;
    const event: SimEvent = input.kind === 'message' ? { kind: 'message', from: input.from, msg: input.msg }
      : input.kind === 'timer' ? { kind: 'timer', name: input.name } : { kind: input.kind };
    steps.push({ node: h.node, at: l.at as number, event, state: l.state, effects: (l.effects ?? []) as Effect[] });
  }
  // A stable sort: equal times keep the order the launcher read the lines in.
  return steps.map((s, k) => [s, k] as const).sort((a, b) => a[0].at - b[0].at || a[1] - b[1]).map(([s]) => s);
}

const round3 = (ms: number) => Math.round(ms * 1000) / 1000;

export function traceFromHistory(inst: Instance, history: readonly HistoryEntry[]): SimTrace {
  const steps = stepsOf(history);
  const t0 = steps.length > 0 ? steps[0].at : 0;
  const time = (s: Step) => round3(s.at - t0);
  // Arrivals: per (from, to, message), the times the receiver handled one, first to last.
  const arrivals = new Map<string, number[]>();
  const key = (from: string, to: string, msg: unknown) => `${from} ${to} ${encode(msg)}`;
  for (const s of steps) {
    if (s.event.kind !== 'message') continue;
    const k = key(s.event.from, s.node, s.event.msg);
    arrivals.set(k, [...(arrivals.get(k) ?? []), time(s)]);
  }
  const states = new Map<string, unknown>();
  const monitor = new Monitor(inst.properties);
  const topo = inst.topo;
  const crashed = new Set<string>();
  const started = new Set<string>();
  const outputs: { node: string; value: Plain }[] = [];
  const events: EventRecord[] = [];
  let violation: SimTrace['end']['violation'] = null;
  for (const s of steps) {
    const t = time(s);
    let event = s.event;
    if (event.kind === 'crash') crashed.add(s.node);
    else if (event.kind === 'start' && started.has(s.node)) event = { kind: 'recover' };
    if (event.kind === 'recover') crashed.delete(s.node);
    if (event.kind === 'start') started.add(s.node);
    const before = states.get(s.node);
    const sent: SentRecord[] = [];
    const timers: TimerChange[] = [];
    const outs: Plain[] = [];
    for (const e of s.effects) {
      if (e.kind === 'send') {
        const due = arrivals.get(key(s.node, e.to, e.msg))?.shift();
        sent.push({ to: e.to, msg: e.msg, at: due === undefined ? [] : [due] });
      } else if (e.kind === 'setTimer') timers.push({ set: e.name, delayMs: e.delayMs, at: round3(t + e.delayMs) });
      else if (e.kind === 'cancelTimer') timers.push({ cancel: e.name });
      else {
        outs.push(e.value);
        outputs.push({ node: s.node, value: e.value });
      }
    }
    const changes = event.kind === 'crash' ? [] : diffFields(s.node, before, s.state).map((c) => ({ field: c.field, before: c.before, after: c.after }));
    if (event.kind !== 'crash') states.set(s.node, s.state);
    events.push({ type: 'event', i: events.length, t, node: s.node, event, changes, sent, timers, outputs: outs });
    if (!violation && topo.ids.every((id) => started.has(id))) {
      const world = makeWorld({
        topo,
        nodes: topo.ids.map((id, i) => ({ id, role: topo.decls[i].role, state: states.get(id), crashed: crashed.has(id), timers: [] })),
        messages: () => [],
        outputs: () => outputs.slice(),
      });
      const failed = monitor.observe(world, events.length - 1);
      if (failed) violation = { i: events.length - 1, property: failed.name };
    }
  }
  // As in a simulation, the run ends where an always property first fails.
  if (violation) events.length = violation.i + 1;
  const endTimeMs = events.length > 0 ? events[events.length - 1].t : 0;
  return {
    header: {
      type: 'header', format: TRACE_FORMAT, version: TRACE_VERSION, prng: PRNG_NAME,
      protocol: inst.protocol.name, params: inst.params, seed: 0, network: inst.network,
      latency: { default: { kind: 'fixed', ms: 0 }, links: [] },
      timerJitter: { kind: 'fixed', ms: 0 },
      faults: { events: [], dropRate: 0, duplicateRate: 0, clockSkew: {} },
      maxTimeMs: endTimeMs, maxEvents: Math.max(1, events.length),
      runtime: { startedAt: new Date(t0).toISOString() },
    },
    events,
    end: { type: 'end', stop: violation ? 'violation' : 'events', events: events.length, endTimeMs, violation },
  };
}
