/**
 * Runs one node of a protocol instance on real time and a real network: core's `stepNode` runs each
 * handler purely, and this applies the effects it returns (sends through the transport, timers with
 * setTimeout, outputs to a callback). Events are handled one at a time, in arrival order.
 *
 * States are checked to be plain data as the simulator does, walking only what a step made new (what
 * it shares with the state before was checked then); messages and outputs as they are made.
 *
 * With a write-ahead log, every change of the role's durable fields is logged (as what changed:
 * `durable.ts`), and the sends and
 * outputs of a batch of events wait until the log is fsync'd (group commit: one flush per batch of
 * events handled together), so nothing that leaves the node depends on state a crash could lose. A
 * node given the last logged durable state restarts from it as core's `restartNode` does.
 */
import type { Instance } from '../core/instance.ts';
import type { Plain } from '../core/plain.ts';
import type { Message } from '../core/protocol.ts';
import { encode } from '../core/plain.ts';
import { describeEvent, handlerContext, runHandler, runRestart } from '../core/step.ts';
import { plainAfter } from '../sim/values.ts';
import type { Effect, NodeEvent } from '../core/step.ts';
import { durableDelta, durableFields } from './durable.ts';
import { PhiAccrualDetector } from './phi-accrual.ts';
import type { PhiAccrualOptions } from './phi-accrual.ts';
import { stderrLogger } from './log.ts';
import type { Logger } from './log.ts';
import { Transport } from './transport.ts';
import type { WriteAheadLog } from './wal.ts';
import type { PeerAddress, TransportOptions } from './transport.ts';

export interface RuntimeNodeOptions {
  readonly instance: Instance;
  /** Which node of the instance this is. */
  readonly id: string;
  /** The cluster secret frames are authenticated with (TCP only). */
  readonly secret?: string | Buffer;
  /**
   * A timer set without a delay (or with 0) fires after this many ms, so spontaneous steps happen;
   * default 10. A function picks it per timer name (e.g. to let one spontaneous choice win the race).
   */
  readonly defaultTimerMs?: number | ((timer: string) => number);
  readonly onOutput?: (value: Plain, node: string) => void;
  /** Called after each handled event with the node's new state and the effects the handler asked for. */
  readonly onStep?: (state: unknown, event: NodeEvent, effects: readonly Effect[]) => void;
  readonly log?: Logger;
  /** Passed to the TCP transport: where to listen, queue size, backoff, handshake timeout, frame size. */
  readonly transport?: Omit<TransportOptions, 'self' | 'secret' | 'onMessage' | 'log'>;
  /**
   * Another way to exchange messages than TCP (the shared-memory group): given the function that
   * takes a message in, returns the link the node sends through. Without it the node uses TCP.
   */
  readonly link?: (deliver: (from: string, body: Plain) => void) => NodeLink;
  /** Where the durable fields are logged; without it a node keeps nothing across a crash. */
  readonly wal?: WriteAheadLog;
  /** The durable fields last logged before a crash: the node restarts from them instead of starting fresh. */
  readonly recovered?: Readonly<Record<string, unknown>>;
  /** Compact the log (rewrite it as its latest record) once it holds this many records; default 1000. */
  readonly compactAfter?: number;
  /**
   * The phi accrual failure detector behind a role's `suspicion` timer (threshold, minimum standard
   * deviation, acceptable pause), and how often a suspicion timer checks it; default every 5 ms,
   * threshold 8, minimum deviation 20 ms, acceptable pause 50 ms.
   */
  readonly suspicion?: PhiAccrualOptions & { readonly pollMs?: number };
}

/** What a node sends through: TCP's `Transport`, or a link given in the options. */
export interface NodeLink {
  send(to: string, body: Plain): void;
  close(): Promise<void>;
}

type Outgoing = { readonly kind: 'send'; readonly to: string; readonly msg: Message } | { readonly kind: 'output'; readonly value: Plain };

export class RuntimeNode {
  readonly id: string;
  readonly transport: NodeLink;
  private readonly index: number;
  private readonly log: Logger;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly pending: NodeEvent[] = [];
  private current: unknown;
  private started = false;
  private draining = false;
  private stopped = false;
  /** Sends and outputs of the events being handled. */
  private outbox: Outgoing[] = [];
  /** Sends and outputs waiting, in order, for the log to be on disk. */
  private waiting: Outgoing[] = [];
  /** A log flush is in progress (at most one). */
  private syncing = false;
  /** The durable fields as last logged, to log only what changed. */
  private lastDurable: Readonly<Record<string, unknown>> | undefined;
  /** Peers on the other side of a partition: messages to and from them are dropped. */
  private cut = new Set<string>();
  /** Fed by every message from a peer; the role's `suspicion` timer fires on it. */
  private readonly detector: PhiAccrualDetector;

  constructor(private readonly options: RuntimeNodeOptions) {
    const { instance, id } = options;
    const index = instance.topo.index.get(id);
    if (index === undefined) throw new Error(`${instance.protocol.name} has no node ${JSON.stringify(id)} (nodes: ${instance.topo.ids.join(', ')})`);
    this.id = id;
    this.index = index;
    this.detector = new PhiAccrualDetector({ minStdDevMs: 20, acceptablePauseMs: 50, ...options.suspicion });
    this.log = options.log ?? stderrLogger;
    const deliver = (from: string, body: Plain) => this.receive(from, body);
    if (!options.link && options.secret === undefined) throw new Error(`node ${id}: a node on TCP needs the cluster secret`);
    this.transport = options.link ? options.link(deliver)
      : new Transport({ ...options.transport, self: id, secret: options.secret!, log: this.log, onMessage: deliver });
  }

  private get tcp(): Transport {
    if (!(this.transport instanceof Transport)) throw new Error(`node ${this.id} runs on a link of its own, not on TCP`);
    return this.transport;
  }

  /** The node's state; undefined before `start`. */
  get state(): unknown {
    return this.current;
  }

  /** Starts listening; resolves to the port. */
  listen(): Promise<number> {
    return this.tcp.listen();
  }

  /** Tells this node where the other nodes listen; it starts dialing them. */
  connect(addresses: Readonly<Record<string, PeerAddress>>): void {
    for (const peer of this.options.instance.topo.ids) {
      if (peer === this.id) continue;
      const address = addresses[peer];
      if (!address) throw new Error(`no address for node ${peer}`);
      this.tcp.addPeer(peer, address);
    }
  }

  /** Runs `init` (throws HandlerError when it fails), then the events that arrived before it. */
  start(): void {
    if (this.started) throw new Error(`node ${this.id} is already started`);
    this.started = true;
    this.pending.unshift({ kind: 'start' });
    this.drain();
  }

  /**
   * Hands the node a message from outside the instance (a client of a service front end): it is
   * handled as a message from `from`, in turn with the others, once the node has started.
   */
  inject(from: string, msg: Message): void {
    if (this.options.instance.topo.index.has(from)) throw new Error(`inject: ${JSON.stringify(from)} is a node of the instance; name the outside party otherwise`);
    this.enqueue({ kind: 'message', from, msg });
  }

  /**
   * Partitions the network as this node sees it: `sides` are groups of node ids (nodes not listed
   * form one more side); from now on messages between this node and nodes on other sides are
   * dropped, in both directions, as a network cut would. An empty list heals it.
   */
  partition(sides: readonly (readonly string[])[]): void {
    const ids = this.options.instance.topo.ids;
    for (const id of sides.flat()) {
      if (!ids.includes(id)) throw new Error(`partition names ${JSON.stringify(id)}, which is not a node (nodes: ${ids.join(', ')})`);
    }
    const listed = new Set(sides.flat());
    const mine = sides.find((side) => side.includes(this.id)) ?? ids.filter((id) => !listed.has(id));
    this.cut = new Set(sides.length === 0 ? [] : ids.filter((id) => !mine.includes(id)));
  }

  /** Cancels every timer and closes the transport. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.pending.length = 0;
    await this.transport.close();
  }

  private receive(from: string, body: Plain): void {
    if (this.cut.has(from)) return;
    if (!this.options.instance.topo.index.has(from)) {
      return this.warn('message-dropped', `message from ${JSON.stringify(from)}, which is not a node of this instance`);
    }
    this.detector.heartbeat(from, performance.now());
    if (typeof body !== 'object' || body === null || Array.isArray(body) || typeof (body as Message).type !== 'string') {
      return this.warn('message-dropped', `message from ${from} is not an object with a string "type"`);
    }
    this.enqueue({ kind: 'message', from, msg: body as Message });
  }

  private enqueue(event: NodeEvent): void {
    if (this.stopped) return;
    this.pending.push(event);
    if (this.started) this.drain();
  }

  /** Handles queued events until none is left; events raised meanwhile (self-sends) join the queue. */
  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      // Letting out outputs can bring new events (a front end that injects on a reply): handle them too.
      do {
        for (let event = this.pending.shift(); event && !this.stopped; event = this.pending.shift()) this.handle(event);
        this.commit();
      } while (this.pending.length > 0 && !this.stopped);
    } finally {
      this.draining = false;
    }
  }

  /** Lets out the sends and outputs of the events handled, once what they depend on is on disk. */
  private commit(): void {
    this.waiting.push(...this.outbox);
    this.outbox = [];
    this.flush();
  }

  /**
   * Group commit: while one fsync is in progress, events go on being handled and what they send
   * waits; the next fsync covers all of them. Order is kept: nothing overtakes what waits.
   */
  private flush(): void {
    const wal = this.options.wal;
    if (this.syncing || this.stopped) return;
    if (!wal?.dirty) {
      const out = this.waiting;
      this.waiting = [];
      for (const o of out) this.release(o);
      return;
    }
    const batch = this.waiting;
    this.waiting = [];
    this.syncing = true;
    wal.syncAsync().then(() => {
      this.syncing = false;
      if (this.stopped) return;
      // Compaction logs the current durable fields: what waits since is then on disk too.
      if (wal.records >= (this.options.compactAfter ?? 1000)) wal.compact({ set: this.lastDurable });
      for (const o of batch) this.release(o);
      this.flush();
    }, (err: Error) => {
      // A node that cannot make its state durable must not go on: it stops as a crash would.
      this.log({ level: 'error', event: 'wal-failed', node: this.id, message: err.message });
      process.nextTick(() => { throw err; });
    });
  }

  private release(o: Outgoing): void {
    if (o.kind === 'send') {
      if (!this.cut.has(o.to)) this.transport.send(o.to, o.msg);
    }
    else if (this.options.onOutput) this.options.onOutput(o.value, this.id);
    else process.stdout.write(JSON.stringify({ node: this.id, output: o.value }) + '\n');
  }

  /** Logs the durable fields when they changed. */
  private logDurable(state: unknown): void {
    const durable = this.options.instance.topo.decls[this.index].def.durable;
    if (!this.options.wal || !durable || durable.length === 0) return;
    const fields = durableFields(state, durable);
    const delta = durableDelta(this.lastDurable, fields);
    this.lastDurable = fields;
    if (delta) this.options.wal.append(delta);
  }

  private handle(event: NodeEvent): void {
    let result;
    const { topo } = this.options.instance;
    if (event.kind === 'message') {
      const why = topo.decls[this.index].def.rejects?.(this.current, event.msg, event.from);
      if (why) return this.warn('message-dropped', why);
    }
    try {
      const recovered = this.options.recovered;
      result = event.kind === 'start' && recovered ? runRestart(topo, this.index, recovered) : runHandler(topo, this.index, this.current, event);
      // Only what the step made new is walked (what it shares with the state before was checked then).
      if (!plainAfter(this.current, result.state)) encode(result.state, 'state', handlerContext(topo, this.index, event));
    } catch (err) {
      if (event.kind === 'start') throw err;
      // A failing handler is a protocol bug: the event is skipped and the state kept.
      return this.log({ level: 'error', event: 'handler-failed', node: this.id, message: (err as Error).message });
    }
    this.current = result.state;
    this.logDurable(result.state);
    for (const effect of result.effects) {
      switch (effect.kind) {
        case 'send':
          if (effect.to === this.id) this.enqueue({ kind: 'message', from: this.id, msg: effect.msg });
          else this.outbox.push(effect);
          break;
        case 'setTimer':
          this.setTimer(effect.name, effect.delayMs, event);
          break;
        case 'cancelTimer':
          clearTimeout(this.timers.get(effect.name));
          this.timers.delete(effect.name);
          break;
        case 'output':
          this.outbox.push(effect);
          break;
      }
    }
    // A start from the log is the node recovering, as the checker and the simulator call it.
    this.options.onStep?.(this.current, event.kind === 'start' && this.options.recovered ? { kind: 'recover' } : event, result.effects);
  }

  /** Arms (or re-arms: a timer has one pending firing at most) a named timer. */
  private setTimer(name: string, delayMs: number, event: NodeEvent): void {
    if (!(Number.isFinite(delayMs) && delayMs >= 0)) {
      return this.log({ level: 'error', event: 'handler-failed', node: this.id,
        message: `node ${this.id} handling ${describeEvent(event)} set timer ${name} with delay ${delayMs}: a delay must be a finite number of ms from 0` });
    }
    clearTimeout(this.timers.get(name));
    const fallback = this.options.defaultTimerMs ?? 10;
    const ms = delayMs > 0 ? delayMs : typeof fallback === 'number' ? fallback : fallback(name);
    const fire = () => {
      clearTimeout(this.timers.get(name));
      this.timers.delete(name);
      this.enqueue({ kind: 'timer', name });
    };
    const suspicion = this.options.instance.topo.decls[this.index].def.suspicion;
    if (suspicion?.timer !== name) {
      this.timers.set(name, setTimeout(fire, ms));
      return;
    }
    // A suspicion timer: fired when the detector suspects the watched peer, or after its delay when
    // there is no peer to watch (or one never heard from).
    const armedAt = performance.now();
    this.timers.set(name, setInterval(() => {
      const now = performance.now();
      const peer = suspicion.peer(this.current, this.id);
      const watched = peer !== null && peer !== this.id && this.detector.heard(peer);
      if (watched ? this.detector.suspects(peer!, now) : now - armedAt >= ms) fire();
    }, this.options.suspicion?.pollMs ?? 5));
  }

  private warn(event: string, message: string): void {
    this.log({ level: 'warn', event, node: this.id, message });
  }
}
