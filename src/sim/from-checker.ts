/**
 * A run the model checker found (a counterexample, or any path through its state graph) written as a
 * simulation trace, so that `replay`, `view` and the simulator's tools take it like any simulated run.
 *
 * The checker's steps become events one virtual millisecond apart (the initial state is every node
 * starting at 0). The checker decides nothing about time, so the trace's times are read off the run:
 * each copy of a message arrives at the step that delivers it, each timer fires at the step that fires
 * it, and what the run never delivers or fires is due just after its end. A message the checker's
 * lossy network drops is a send the network lost, reported by a drop record at the step that drops it.
 * Two passes over the same handlers: the first learns those times, the second records with them.
 */
import type { Instance } from '../core/instance.ts';
import { encode } from '../core/plain.ts';
import type { Message } from '../core/protocol.ts';
import type { PropertyKind } from '../core/properties.ts';
import type { Trace } from '../core/trace.ts';
import { Execution, usToMs } from './execution.ts';
import type { Fates } from './execution.ts';
import { resolveFaults } from './faults.ts';
import { Monitor } from './monitor.ts';
import { PRNG_NAME } from './prng.ts';
import { TRACE_FORMAT, TRACE_VERSION } from './trace-file.ts';
import type { EndRecord, SimTrace, StopReason } from './trace-file.ts';

/** Where a trace written from the checker came from: the property it shows and the checker's path. */
export interface CheckerOrigin {
  readonly property?: string;
  readonly kind?: PropertyKind;
  /** The checker's stable path (`0/2/1`), as `protoforge check --replay` takes it. */
  readonly path: string;
}

const STEP_US = 1000;

interface Send { readonly deliveries: number[]; dropped: boolean }

/** What the first pass learns: per send (in creation order) its deliveries, per timer when it fired. */
interface Schedule {
  readonly sends: Send[];
  readonly timers: (number | null)[];
}

/** Times for the `n`-th send and the `n`-th timer of the whole run, in the order the handlers make them. */
interface Timing {
  deliveries(n: number): number[];
  timerDue(n: number): number;
}

/**
 * Applies the checker's steps to a fresh execution with the times `timing` gives, learning into
 * `learn` on the first pass; `observe` runs after every record and ends the run when it says so.
 */
function drive(inst: Instance, run: Trace, timing: Timing, learn: Schedule | null, observe?: (exec: Execution) => boolean): Execution {
  const topo = inst.topo;
  const exec = new Execution(inst);
  const idx = (id: string) => topo.index.get(id)!;
  const pending = new Map<string, number[]>(); // `from to msg` -> sends still in flight, first sent first
  const armed = new Map<string, number>(); // `node name` -> the timer armed under that name
  let sends = 0;
  let timers = 0;
  const counting: Fates = {
    deliveries(from, to, msg) {
      const n = sends++;
      const key = `${from} ${to} ${encode(msg)}`;
      pending.set(key, [...(pending.get(key) ?? []), n]);
      learn?.sends.push({ deliveries: [], dropped: false });
      return timing.deliveries(n);
    },
    timerDue(node, name) {
      const n = timers++;
      armed.set(`${node} ${name}`, n);
      learn?.timers.push(null);
      return timing.timerDue(n);
    },
  };
  const takeSend = (from: number, to: number, msg: Message, consume: boolean): number => {
    const list = pending.get(`${from} ${to} ${encode(msg)}`);
    if (!list || list.length === 0) throw new Error(`checker run: no ${msg.type} from ${topo.ids[from]} to ${topo.ids[to]} is in flight`);
    return consume ? list.shift()! : list[0];
  };

  for (let i = 0; i < topo.ids.length; i++) exec.start(0, i, counting);
  if (observe?.(exec)) return exec;
  for (let s = 1; s < run.steps.length; s++) {
    const a = run.steps[s].action;
    const t = s * STEP_US;
    switch (a.kind) {
      case 'init':
        throw new Error(`checker run: step ${s} is a second initial state`);
      case 'deliver': {
        const from = idx(a.from);
        const to = idx(a.node);
        const n = takeSend(from, to, a.msg, !inst.network.duplicating);
        learn?.sends[n].deliveries.push(t);
        // The first pass makes no copies; the second finds the copy it scheduled for this step.
        const copy = learn ? { id: -1, from, to, msg: a.msg, dueUs: t } : exec.findCopy(from, to, a.msg, t)!;
        exec.message(t, copy, counting);
        break;
      }
      case 'drop': {
        const from = idx(a.from);
        const to = idx(a.node);
        const n = takeSend(from, to, a.msg, true);
        if (learn) learn.sends[n].dropped = true;
        exec.drop(t, { from, to, msg: a.msg }, 'loss');
        break;
      }
      case 'timer': {
        const node = idx(a.node);
        const n = armed.get(`${node} ${a.timer}`)!;
        if (learn) learn.timers[n] = t;
        exec.timer(t, node, a.timer, counting);
        break;
      }
      case 'crash':
        exec.crash(t, idx(a.node));
        break;
      case 'recover':
        exec.recover(t, idx(a.node), counting);
        break;
    }
    if (observe?.(exec)) break;
  }
  return exec;
}

/**
 * The checker run `run` of instance `inst` as a simulation trace. The end record reports the first
 * `always` property the run violates (as the simulator would have stopped there); a run that violates
 * none ends as quiescent when it is a counterexample to an `eventually` property (the checker found no
 * further step), else as stopped by its event count.
 */
export function traceFromCheckerRun(inst: Instance, run: Trace, origin: CheckerOrigin): SimTrace {
  const schedule: Schedule = { sends: [], timers: [] };
  drive(inst, run, { deliveries: () => [], timerDue: () => 0 }, schedule);
  const endUs = (run.steps.length - 1) * STEP_US;
  const after = endUs + STEP_US;
  const monitor = new Monitor(inst.properties);
  const found: { violation: EndRecord['violation'] } = { violation: null };
  const exec = drive(inst, run, {
    deliveries: (n) => {
      const s = schedule.sends[n];
      return s.deliveries.length > 0 ? s.deliveries : s.dropped ? [] : [after];
    },
    timerDue: (n) => schedule.timers[n] ?? after,
  }, null, (e) => {
    const i = e.events.length - 1;
    const failed = monitor.observe(e.world(), i);
    if (failed) found.violation = { i, property: failed.name };
    return failed !== undefined;
  });
  const events = exec.events;
  const { violation } = found;
  const stop: StopReason = violation ? 'violation' : origin.kind === 'eventually' ? 'quiescent' : 'events';
  return {
    header: {
      type: 'header', format: TRACE_FORMAT, version: TRACE_VERSION, prng: PRNG_NAME,
      protocol: inst.protocol.name, params: inst.params, seed: 0, network: inst.network,
      latency: { default: { kind: 'fixed', ms: usToMs(STEP_US) }, links: [] },
      timerJitter: { kind: 'fixed', ms: 0 },
      faults: resolveFaults(undefined, inst.topo.ids),
      maxTimeMs: usToMs(endUs),
      maxEvents: Math.max(1, exec.events.length),
      checker: origin,
    },
    events,
    end: { type: 'end', stop, events: events.length, endTimeMs: events[events.length - 1].t, violation },
  };
}
