import type { Instance } from '../core/instance.ts';
import { encode } from '../core/plain.ts';
import type { Plain } from '../core/plain.ts';
import type { InFlight, NodeView, OutputRecord, World } from '../core/properties.ts';
import type { Message } from '../core/protocol.ts';
import { describeEvent, handlerContext, HandlerError, restartNode, runHandler } from '../core/step.ts';
import type { Effect, NodeEvent, Topology } from '../core/step.ts';
import { makeWorld } from '../core/world.ts';
import { TrackedWorld } from './reads.ts';
import type { Reads } from './reads.ts';
import type { DropReason, EventRecord, SentRecord, SimEvent, TimerChange } from './trace-file.ts';
import { fieldChanges, plainAfter, sameValue } from './values.ts';

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
 * One applied event as the execution keeps it: enough to write its trace record when it is asked for
 * (the field-level changes from the states before and after, the sends and timers from the effects).
 */
class Step {
  constructor(
    readonly tUs: number,
    readonly node: number,
    readonly event: SimEvent,
    /** Whether a handler ran (for start, message, timer and recover). */
    readonly stepped: boolean,
    readonly before: unknown,
    readonly after: unknown,
    readonly effects: readonly Effect[],
    /** By effect index: the arrival times of a send's copies, the firing time of a timer set. */
    readonly fated: readonly (readonly number[] | number | undefined)[] | null,
  ) {}
}

function recordOf(ids: readonly string[], i: number, step: Step): EventRecord {
  const sent: SentRecord[] = [];
  const timers: TimerChange[] = [];
  const outputs: Plain[] = [];
  const effects = step.effects;
  for (let k = 0; k < effects.length; k++) {
    const e = effects[k];
    switch (e.kind) {
      case 'send':
        sent.push({ to: e.to, msg: e.msg, at: (step.fated![k] as readonly number[]).map(usToMs) });
        break;
      case 'setTimer':
        timers.push({ set: e.name, delayMs: e.delayMs, at: usToMs(step.fated![k] as number) });
        break;
      case 'cancelTimer':
        timers.push({ cancel: e.name });
        break;
      case 'output':
        outputs.push(e.value);
        break;
    }
  }
  const changes = step.stepped ? fieldChanges(step.before, step.after) : [];
  return { type: 'event', i, t: usToMs(step.tUs), node: ids[step.node], event: step.event, changes, sent, timers, outputs };
}

/** A copy in flight as the execution holds it: `slot` is its place in the list of copies in flight. */
class HeldCopy implements Copy {
  slot = -1;
  constructor(readonly id: number, readonly from: number, readonly to: number, readonly msg: Message, readonly dueUs: number) {}
}

/** The timers armed at one node, by name with their tokens (a role has few timer names). */
class ArmedTimers {
  private names: string[] = [];
  private tokens: number[] = [];

  get(name: string): number | undefined {
    const names = this.names;
    for (let i = 0; i < names.length; i++) if (names[i] === name) return this.tokens[i];
    return undefined;
  }

  set(name: string, token: number): void {
    const names = this.names;
    for (let i = 0; i < names.length; i++) {
      if (names[i] === name) {
        this.tokens[i] = token;
        return;
      }
    }
    names.push(name);
    this.tokens.push(token);
  }

  delete(name: string): boolean {
    const names = this.names;
    for (let i = 0; i < names.length; i++) {
      if (names[i] === name) {
        const last = names.length - 1;
        names[i] = names[last];
        this.tokens[i] = this.tokens[last];
        names.pop();
        this.tokens.pop();
        return true;
      }
    }
    return false;
  }

  clear(): void {
    this.names = [];
    this.tokens = [];
  }

  sortedNames(): string[] {
    return this.names.slice().sort();
  }
}

/** The nodes of an instance grouped by role: fixed by the topology, so worked out once for all its runs. */
interface RoleLayout {
  readonly roleIndex: ReadonlyMap<string, number>;
  /** Per node, its role's index and its place among the role's nodes. */
  readonly roleOf: readonly number[];
  readonly roleSlot: readonly number[];
  /** Per role, how many nodes it has. */
  readonly roleSizes: readonly number[];
}

const layouts = new WeakMap<Topology, RoleLayout>();

function layoutOf(topo: Topology): RoleLayout {
  let layout = layouts.get(topo);
  if (!layout) {
    const roleIndex = new Map<string, number>();
    const roleOf: number[] = [];
    const roleSlot: number[] = [];
    const roleSizes: number[] = [];
    for (const decl of topo.decls) {
      let r = roleIndex.get(decl.role);
      if (r === undefined) {
        r = roleSizes.length;
        roleIndex.set(decl.role, r);
        roleSizes.push(0);
      }
      roleOf.push(r);
      roleSlot.push(roleSizes[r]++);
    }
    layouts.set(topo, (layout = { roleIndex, roleOf, roleSlot, roleSizes }));
  }
  return layout;
}

/** A handler's result as the execution applies it: the next state and the effects. */
interface Result {
  readonly state: unknown;
  readonly effects: readonly Effect[];
}

/**
 * The state of one run (node states, armed timers, crashed nodes, messages in flight, outputs) and
 * the record of every event applied to it. The simulator and the replayer both drive it, so a replay
 * writes exactly the records the simulation wrote.
 *
 * It also notes what changed since the last round of property evaluations (`clearChanges`): which
 * nodes had their state or their view (crashed, timers) touched, and whether the messages in flight
 * or the outputs changed, so that a property is evaluated again only when something it read changed.
 */
export class Execution {
  /** What the last event created, for the simulator to schedule: sends lost at once, copies in flight, timers. */
  newLosses: readonly Lost[] = NO_LOSSES;
  newCopies: readonly Copy[] = NO_COPIES;
  newTimers: readonly Armed[] = NO_TIMERS;
  /** Role index of each node, and the states of each role's nodes in declaration order. */
  readonly roleOf: readonly number[];
  readonly roleIndex: ReadonlyMap<string, number>;
  readonly roleStates: unknown[][];
  private readonly roleSlot: readonly number[];
  private readonly states: unknown[];
  private readonly crashed: boolean[];
  private readonly timers: (ArmedTimers | undefined)[];
  private readonly started: boolean[];
  private startedCount = 0;
  private readonly viewList: NodeView[];
  /** Views are made when first asked for: until then every view is stale. */
  private allStale = true;
  private readonly viewStale: boolean[];
  private staleViews: number[] = [];
  /** The copies in flight in the order they were made, with holes (null) where copies left. */
  private inFlight: (HeldCopy | null)[] = [];
  private holes = 0;
  private readonly outputs: OutputRecord[] = [];
  private readonly steps: (Step | null)[] = [];
  private readonly records: EventRecord[] = [];
  private nextCopy = 0;
  private nextToken = 0;

  /** Nodes touched since the last round, each listed once. */
  changedNodes: number[] = [];
  private readonly stateTouched: boolean[];
  private readonly viewTouched: boolean[];
  /** Per touched node, its state at the last round; and whether its value differs now (undefined: not yet compared). */
  private readonly stateAtRound: unknown[];
  private readonly stateDiffers: (boolean | undefined)[];
  messagesChanged = false;
  outputsChanged = false;

  constructor(readonly inst: Instance) {
    const n = inst.topo.decls.length;
    this.states = new Array(n).fill(undefined);
    this.crashed = new Array(n).fill(false);
    this.started = new Array(n).fill(false);
    this.timers = new Array(n);
    this.viewStale = new Array(n).fill(false);
    this.stateTouched = new Array(n).fill(false);
    this.viewTouched = new Array(n).fill(false);
    this.stateAtRound = new Array(n).fill(undefined);
    this.stateDiffers = new Array(n).fill(undefined);
    const layout = layoutOf(inst.topo);
    this.roleIndex = layout.roleIndex;
    this.roleOf = layout.roleOf;
    this.roleSlot = layout.roleSlot;
    // Built by pushing, so that the lists (and their copies handed to properties) are packed arrays.
    this.roleStates = layout.roleSizes.map((size) => {
      const states: unknown[] = [];
      for (let j = 0; j < size; j++) states.push(undefined);
      return states;
    });
    this.viewList = new Array(n);
  }

  /** Every node has run `init`: from then on properties are checked (as the checker's first state). */
  get allStarted(): boolean {
    return this.startedCount === this.started.length;
  }

  /** How many events have been applied. */
  get eventCount(): number {
    return this.steps.length;
  }

  /** The record of every event applied so far (written out from the applied events when first asked for). */
  get events(): EventRecord[] {
    const steps = this.steps;
    const records = this.records;
    if (records.length < steps.length) {
      const ids = this.inst.topo.ids;
      for (let i = records.length; i < steps.length; i++) {
        records.push(recordOf(ids, i, steps[i]!));
        steps[i] = null; // written out: its record holds what is needed from now on
      }
    }
    return records;
  }

  hasStarted(node: number): boolean {
    return this.started[node];
  }

  isCrashed(node: number): boolean {
    return this.crashed[node];
  }

  isArmed(node: number, name: string, token?: number): boolean {
    const armed = this.timers[node]?.get(name);
    return armed !== undefined && (token === undefined || armed === token);
  }

  /** The first copy in flight (in send order) matching a recorded delivery or drop, as the simulator would pick it. */
  findCopy(from: number, to: number, msg: Message, dueUs: number): Copy | undefined {
    const text = encode(msg);
    for (const c of this.inFlight) {
      if (c !== null && c.from === from && c.to === to && c.dueUs === dueUs && encode(c.msg) === text) return c;
    }
    return undefined;
  }

  /** A World of the state as it is now, for a full evaluation of the properties. */
  world(): World {
    return makeWorld({
      topo: this.inst.topo,
      nodes: this.views(),
      messages: () => this.messagesInFlight(),
      outputs: () => this.outputList(),
    });
  }

  /** A World of the state as it is now that notes every read in `reads`. */
  trackedWorld(reads: Reads): World {
    return new TrackedWorld(this, reads);
  }

  /** Every node's view, current (the same array each time: judge it before the next event). */
  views(): readonly NodeView[] {
    if (this.allStale) {
      for (let i = 0; i < this.viewList.length; i++) this.viewList[i] = this.makeView(i);
      this.allStale = false;
      this.staleViews = [];
      this.viewStale.fill(false);
    }
    const stale = this.staleViews;
    if (stale.length > 0) {
      for (const i of stale) this.view(i);
      this.staleViews = [];
    }
    return this.viewList;
  }

  view(i: number): NodeView {
    if (this.viewStale[i] || (this.allStale && this.viewList[i] === undefined)) {
      this.viewStale[i] = false;
      this.viewList[i] = this.makeView(i);
    }
    return this.viewList[i];
  }

  messagesInFlight(): InFlight[] {
    const ids = this.inst.topo.ids;
    const out: InFlight[] = [];
    for (const c of this.inFlight) if (c !== null) out.push({ from: ids[c.from], to: ids[c.to], msg: c.msg });
    return out;
  }

  outputList(): OutputRecord[] {
    return this.outputs.slice();
  }

  /** Whether node `i`'s state differs in value from what it was at the last round. */
  stateChanged(i: number): boolean {
    if (!this.stateTouched[i]) return false;
    let differs = this.stateDiffers[i];
    if (differs === undefined) this.stateDiffers[i] = differs = !sameValue(this.stateAtRound[i], this.states[i]);
    return differs;
  }

  /** Whether node `i`'s crashed flag or timers were touched since the last round. */
  viewChanged(i: number): boolean {
    return this.viewTouched[i];
  }

  /** Starts a new round: nothing has changed since. */
  clearChanges(): void {
    const nodes = this.changedNodes;
    if (nodes.length > 0) {
      for (let j = 0; j < nodes.length; j++) {
        const i = nodes[j];
        this.stateTouched[i] = false;
        this.viewTouched[i] = false;
        this.stateAtRound[i] = undefined;
        this.stateDiffers[i] = undefined;
      }
      this.changedNodes = [];
    }
    this.messagesChanged = false;
    this.outputsChanged = false;
  }

  start(tUs: number, node: number, fates: Fates): void {
    if (!this.started[node]) {
      this.started[node] = true;
      this.startedCount++;
    }
    const event = { kind: 'start' } as const;
    this.apply(tUs, node, event, this.run(node, undefined, event), fates);
  }

  message(tUs: number, copy: Copy, fates: Fates): void {
    this.remove(copy);
    const event = { kind: 'message', from: this.inst.topo.ids[copy.from], msg: copy.msg } as const;
    this.apply(tUs, copy.to, event, this.run(copy.to, this.states[copy.to], event), fates);
  }

  timer(tUs: number, node: number, name: string, fates: Fates): void {
    if (this.timers[node]?.delete(name)) this.touchView(node);
    const event = { kind: 'timer', name } as const;
    this.apply(tUs, node, event, this.run(node, this.states[node], event), fates);
  }

  /** The node stops: its timers are cancelled and its state stays as it was until it recovers. */
  crash(tUs: number, node: number): void {
    this.crashed[node] = true;
    this.timers[node]?.clear();
    this.touchView(node);
    this.apply(tUs, node, { kind: 'crash' }, null, NO_FATES);
  }

  recover(tUs: number, node: number, fates: Fates): void {
    this.crashed[node] = false;
    this.touchView(node);
    const res = restartNode(this.inst.topo, node, this.states[node]);
    this.apply(tUs, node, { kind: 'recover' }, res, fates);
  }

  /** A copy in flight that does not arrive (`copy`), or a send lost before any copy was made. */
  drop(tUs: number, lost: Copy | Lost, reason: DropReason): void {
    if ('id' in lost) this.remove(lost);
    const ids = this.inst.topo.ids;
    const event = { kind: 'drop', from: ids[lost.from], to: ids[lost.to], msg: lost.msg, reason } as const;
    this.apply(tUs, lost.to, event, null, NO_FATES);
  }

  /**
   * Runs the node's handler for `event` on `before` (its current state, or nothing at start). The next
   * state is checked to be plain data where it is new: a state returned unchanged, and the parts of it
   * shared with `before`, were checked when they first appeared. An offending state gets core's error.
   */
  private run(node: number, before: unknown, event: NodeEvent): Result {
    const res = runHandler(this.inst.topo, node, before, event);
    if (res.state !== before && !plainAfter(before, res.state)) encode(res.state, 'state', handlerContext(this.inst.topo, node, event));
    return res;
  }

  private remove(copy: Copy): void {
    const slot = (copy as HeldCopy).slot;
    const flight = this.inFlight;
    if (slot !== undefined && flight[slot] === copy) {
      flight[slot] = null;
      this.messagesChanged = true;
      if (++this.holes > 32 && this.holes * 2 > flight.length) {
        const kept: HeldCopy[] = [];
        for (const c of flight) {
          if (c !== null) {
            c.slot = kept.length;
            kept.push(c);
          }
        }
        this.inFlight = kept;
        this.holes = 0;
      }
    }
  }

  private touchNode(node: number): void {
    if (!this.stateTouched[node] && !this.viewTouched[node]) this.changedNodes.push(node);
  }

  private touchView(node: number): void {
    if (!this.viewTouched[node]) {
      this.touchNode(node);
      this.viewTouched[node] = true;
    }
    if (!this.viewStale[node]) {
      this.viewStale[node] = true;
      this.staleViews.push(node);
    }
  }

  private setState(node: number, state: unknown): void {
    const before = this.states[node];
    if (state === before) return;
    if (!this.stateTouched[node]) {
      this.touchNode(node);
      this.stateTouched[node] = true;
      this.stateAtRound[node] = before;
    }
    this.stateDiffers[node] = undefined;
    this.states[node] = state;
    this.roleStates[this.roleOf[node]][this.roleSlot[node]] = state;
    if (!this.viewStale[node]) {
      this.viewStale[node] = true;
      this.staleViews.push(node);
    }
  }

  /** Applies a handler's result (none for crash and drop) and records the event. */
  private apply(tUs: number, node: number, event: SimEvent, res: Result | null, fates: Fates): void {
    const topo = this.inst.topo;
    const before = this.states[node];
    const effects = res ? res.effects : NO_EFFECTS;
    let sends = 0;
    let timersSet = 0;
    for (let k = 0; k < effects.length; k++) {
      const kind = effects[k].kind;
      if (kind === 'send') sends++;
      else if (kind === 'setTimer') timersSet++;
    }
    const fated: (readonly number[] | number | undefined)[] | null = sends + timersSet > 0 ? new Array(effects.length) : null;
    let newLosses: Lost[] | null = null;
    const newCopies: Copy[] = sends > 0 ? new Array(sends) : NO_COPIES as Copy[];
    let copies = 0;
    const newTimers: Armed[] = timersSet > 0 ? new Array(timersSet) : NO_TIMERS as Armed[];
    let s = 0;
    let t = 0;
    let armedCount = 0;
    for (let k = 0; k < effects.length; k++) {
      const e = effects[k];
      switch (e.kind) {
        case 'send': {
          const to = topo.index.get(e.to)!;
          const due = fates.deliveries(node, to, e.msg, s++);
          if (due.length === 0) {
            const lost: Lost = { from: node, to, msg: e.msg };
            if (newLosses === null) newLosses = [lost];
            else newLosses.push(lost);
          }
          for (let j = 0; j < due.length; j++) {
            const copy = new HeldCopy(this.nextCopy++, node, to, e.msg, due[j]);
            if (copies < newCopies.length) newCopies[copies] = copy;
            else newCopies.push(copy);
            copies++;
            copy.slot = this.inFlight.length;
            this.inFlight.push(copy);
          }
          fated![k] = due;
          break;
        }
        case 'setTimer': {
          if (!(Number.isFinite(e.delayMs) && e.delayMs >= 0)) {
            // Only node events (start, message, timer, recover) run handlers, so `event` is one here.
            throw new HandlerError(`node ${topo.ids[node]} (${topo.decls[node].role}) handling ${describeEvent(event as NodeEvent)} set timer ${e.name} ` +
              `with delay ${e.delayMs}: a delay must be a finite number of ms from 0`);
          }
          const token = this.nextToken++;
          const dueUs = fates.timerDue(node, e.name, e.delayMs, t++);
          (this.timers[node] ??= new ArmedTimers()).set(e.name, token);
          this.touchView(node);
          newTimers[armedCount++] = { node, name: e.name, token, dueUs };
          fated![k] = dueUs;
          break;
        }
        case 'cancelTimer':
          if (this.timers[node]?.delete(e.name)) this.touchView(node);
          t++;
          break;
        case 'output':
          this.outputs.push({ node: topo.ids[node], value: e.value });
          this.outputsChanged = true;
          break;
      }
    }
    // A send the network lost made no copy: the list is as long as the copies made.
    if (copies < newCopies.length) newCopies.length = copies;
    this.newLosses = newLosses ?? NO_LOSSES;
    this.newCopies = newCopies;
    this.newTimers = newTimers;
    if (copies > 0) this.messagesChanged = true;
    if (res) this.setState(node, res.state);
    this.steps.push(new Step(tUs, node, event, res !== null, before, res ? res.state : undefined, effects, fated));
  }

  private makeView(i: number): NodeView {
    const decl = this.inst.topo.decls[i];
    return { id: decl.id, role: decl.role, state: this.states[i], crashed: this.crashed[i], timers: this.timers[i]?.sortedNames() ?? [] };
  }
}

const NO_EFFECTS: readonly Effect[] = [];
const NO_LOSSES: readonly Lost[] = [];
const NO_COPIES: readonly Copy[] = [];
const NO_TIMERS: readonly Armed[] = [];

const NO_FATES: Fates = {
  deliveries: () => [],
  timerDue: () => 0,
};
