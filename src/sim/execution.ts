import type { Instance } from '../core/instance.ts';
import { encode } from '../core/plain.ts';
import type { Plain } from '../core/plain.ts';
import type { InFlight, NodeView, OutputRecord, World } from '../core/properties.ts';
import type { Message } from '../core/protocol.ts';
import { describeEvent, HandlerError, restartNode, stepNode } from '../core/step.ts';
import type { NodeEvent, StepResult } from '../core/step.ts';
import { diffFields } from '../core/trace.ts';
import { makeWorld } from '../core/world.ts';
import type { DropReason, EventRecord, SentRecord, SimEvent, TimerChange } from './trace-file.ts';

/** Virtual time is kept in whole microseconds, so sums of delays are exact; traces show ms. */
export const msToUs = (ms: number): number => Math.round(ms * 1000);
export const usToMs = (us: number): number => us / 1000;

/** One copy of a message in flight. */
export interface Copy {
  readonly id: number;
  readonly from: number;
  readonly to: number;
  readonly msg: Message;
  readonly dueUs: number;
}

/** A send the network lost before making any copy of it. */
export interface Lost {
  readonly from: number;
  readonly to: number;
  readonly msg: Message;
}

/** A timer armed by the last step; it fires only if `token` is still the one armed under its name. */
export interface Armed {
  readonly node: number;
  readonly name: string;
  readonly token: number;
  readonly dueUs: number;
}

/**
 * What is decided outside the protocol, by the simulator's PRNG or by a recorded trace: when each
 * copy of the `k`-th send of a step arrives (no copies: lost), and when its `k`-th timer effect fires.
 */
export interface Fates {
  deliveries(from: number, to: number, msg: Message, k: number): number[];
  timerDue(node: number, name: string, delayMs: number, k: number): number;
}

/**
 * The state of one run (node states, armed timers, crashed nodes, messages in flight, outputs) and
 * the record of every event applied to it. The simulator and the replayer both drive it, so a replay
 * writes exactly the records the simulation wrote.
 */
export class Execution {
  readonly events: EventRecord[] = [];
  /** What the last event created, for the simulator to schedule: sends lost at once, copies in flight, timers. */
  newLosses: Lost[] = [];
  newCopies: Copy[] = [];
  newTimers: Armed[] = [];
  private readonly states: unknown[];
  private readonly crashed: boolean[];
  private readonly timers: Map<string, number>[];
  private readonly started: boolean[];
  private readonly views: NodeView[] = [];
  private inFlight: Copy[] = [];
  private readonly outputs: OutputRecord[] = [];
  private nextCopy = 0;
  private nextToken = 0;

  constructor(readonly inst: Instance) {
    const n = inst.topo.ids.length;
    this.states = new Array(n).fill(undefined);
    this.crashed = new Array(n).fill(false);
    this.started = new Array(n).fill(false);
    this.timers = Array.from({ length: n }, () => new Map());
    for (let i = 0; i < n; i++) this.refreshView(i);
  }

  /** Every node has run `init`: from then on properties are checked (as the checker's first state). */
  get allStarted(): boolean {
    return this.started.every(Boolean);
  }

  hasStarted(node: number): boolean {
    return this.started[node];
  }

  isCrashed(node: number): boolean {
    return this.crashed[node];
  }

  isArmed(node: number, name: string, token?: number): boolean {
    const armed = this.timers[node].get(name);
    return armed !== undefined && (token === undefined || armed === token);
  }

  /** The first copy in flight (in send order) matching a recorded delivery or drop, as the simulator would pick it. */
  findCopy(from: number, to: number, msg: Message, dueUs: number): Copy | undefined {
    const text = encode(msg);
    return this.inFlight.find((c) => c.from === from && c.to === to && c.dueUs === dueUs && encode(c.msg) === text);
  }

  world(): World {
    const ids = this.inst.topo.ids;
    return makeWorld({
      topo: this.inst.topo,
      nodes: this.views,
      messages: () => this.inFlight.map((c): InFlight => ({ from: ids[c.from], to: ids[c.to], msg: c.msg })),
      outputs: () => this.outputs.slice(),
    });
  }

  start(tUs: number, node: number, fates: Fates): EventRecord {
    this.started[node] = true;
    const res = stepNode(this.inst.topo, node, undefined, { kind: 'start' });
    return this.apply(tUs, node, { kind: 'start' }, res, fates);
  }

  message(tUs: number, copy: Copy, fates: Fates): EventRecord {
    this.remove(copy);
    const event = { kind: 'message', from: this.inst.topo.ids[copy.from], msg: copy.msg } as const;
    const res = stepNode(this.inst.topo, copy.to, this.states[copy.to], event);
    return this.apply(tUs, copy.to, event, res, fates);
  }

  timer(tUs: number, node: number, name: string, fates: Fates): EventRecord {
    this.timers[node].delete(name);
    const event = { kind: 'timer', name } as const;
    return this.apply(tUs, node, event, stepNode(this.inst.topo, node, this.states[node], event), fates);
  }

  /** The node stops: its timers are cancelled and its state stays as it was until it recovers. */
  crash(tUs: number, node: number): EventRecord {
    this.crashed[node] = true;
    this.timers[node].clear();
    return this.apply(tUs, node, { kind: 'crash' }, null, NO_FATES);
  }

  recover(tUs: number, node: number, fates: Fates): EventRecord {
    this.crashed[node] = false;
    const res = restartNode(this.inst.topo, node, this.states[node]);
    return this.apply(tUs, node, { kind: 'recover' }, res, fates);
  }

  /** A copy in flight that does not arrive (`copy`), or a send lost before any copy was made. */
  drop(tUs: number, lost: Copy | Lost, reason: DropReason): EventRecord {
    if ('id' in lost) this.remove(lost);
    const ids = this.inst.topo.ids;
    const event = { kind: 'drop', from: ids[lost.from], to: ids[lost.to], msg: lost.msg, reason } as const;
    return this.apply(tUs, lost.to, event, null, NO_FATES);
  }

  private remove(copy: Copy): void {
    this.inFlight = this.inFlight.filter((c) => c !== copy);
  }

  private apply(tUs: number, node: number, event: SimEvent, res: StepResult | null, fates: Fates): EventRecord {
    const topo = this.inst.topo;
    const before = this.states[node];
    const sent: SentRecord[] = [];
    const timers: TimerChange[] = [];
    const outputs: Plain[] = [];
    this.newLosses = [];
    this.newCopies = [];
    this.newTimers = [];
    for (const e of res?.effects ?? []) {
      switch (e.kind) {
        case 'send': {
          const to = topo.index.get(e.to)!;
          const due = fates.deliveries(node, to, e.msg, sent.length);
          if (due.length === 0) this.newLosses.push({ from: node, to, msg: e.msg });
          for (const dueUs of due) this.newCopies.push({ id: this.nextCopy++, from: node, to, msg: e.msg, dueUs });
          sent.push({ to: e.to, msg: e.msg, at: due.map(usToMs) });
          break;
        }
        case 'setTimer': {
          if (!(Number.isFinite(e.delayMs) && e.delayMs >= 0)) {
            // Only node events (start, message, timer, recover) run handlers, so `event` is one here.
            throw new HandlerError(`node ${topo.ids[node]} (${topo.decls[node].role}) handling ${describeEvent(event as NodeEvent)} set timer ${e.name} ` +
              `with delay ${e.delayMs}: a delay must be a finite number of ms from 0`);
          }
          const token = this.nextToken++;
          const dueUs = fates.timerDue(node, e.name, e.delayMs, timers.length);
          this.timers[node].set(e.name, token);
          this.newTimers.push({ node, name: e.name, token, dueUs });
          timers.push({ set: e.name, delayMs: e.delayMs, at: usToMs(dueUs) });
          break;
        }
        case 'cancelTimer':
          this.timers[node].delete(e.name);
          timers.push({ cancel: e.name });
          break;
        case 'output':
          outputs.push(e.value);
          this.outputs.push({ node: topo.ids[node], value: e.value });
          break;
      }
    }
    this.inFlight.push(...this.newCopies);
    if (res) this.states[node] = res.state;
    this.refreshView(node);
    const changes = res ? diffFields(topo.ids[node], before, res.state).map((c) => ({ field: c.field, before: c.before, after: c.after })) : [];
    const record: EventRecord = { type: 'event', i: this.events.length, t: usToMs(tUs), node: topo.ids[node], event, changes, sent, timers, outputs };
    this.events.push(record);
    return record;
  }

  private refreshView(node: number): void {
    const decl = this.inst.topo.decls[node];
    this.views[node] = { id: decl.id, role: decl.role, state: this.states[node], crashed: this.crashed[node], timers: [...this.timers[node].keys()].sort() };
  }
}

const NO_FATES: Fates = {
  deliveries: () => [],
  timerDue: () => 0,
};
