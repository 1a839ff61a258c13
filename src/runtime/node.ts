/**
 * Runs one node of a protocol instance on real time and a real network: core's `stepNode` runs each
 * handler purely, and this applies the effects it returns (sends through the transport, timers with
 * setTimeout, outputs to a callback). Events are handled one at a time, in arrival order.
 *
 * With a write-ahead log, every change of the role's durable fields is logged, and the sends and
 * outputs of a batch of events wait until the log is fsync'd (group commit: one flush per batch of
 * events handled together), so nothing that leaves the node depends on state a crash could lose. A
 * node given the last logged durable state restarts from it as core's `restartNode` does.
 */
import type { Instance } from '../core/instance.ts';
import type { Plain } from '../core/plain.ts';
import type { Message } from '../core/protocol.ts';
import { describeEvent, restartNode, stepNode } from '../core/step.ts';
import type { Effect, NodeEvent } from '../core/step.ts';
import { stderrLogger } from './log.ts';
import type { Logger } from './log.ts';
import { Transport } from './transport.ts';
import type { WriteAheadLog } from './wal.ts';
import type { PeerAddress, TransportOptions } from './transport.ts';

export interface RuntimeNodeOptions {
  readonly instance: Instance;
  /** Which node of the instance this is. */
  readonly id: string;
  readonly secret: string | Buffer;
  /**
   * A timer set without a delay (or with 0) fires after this many ms, so spontaneous steps happen;
   * default 10. A function picks it per timer name (e.g. to let one spontaneous choice win the race).
   */
  readonly defaultTimerMs?: number | ((timer: string) => number);
  readonly onOutput?: (value: Plain, node: string) => void;
  /** Called after each handled event with the node's new state and the effects the handler asked for. */
  readonly onStep?: (state: unknown, event: NodeEvent, effects: readonly Effect[]) => void;
  readonly log?: Logger;
  /** Passed to the transport: where to listen, queue size, backoff, handshake timeout, frame size. */
  readonly transport?: Omit<TransportOptions, 'self' | 'secret' | 'onMessage' | 'log'>;
  /** Where the durable fields are logged; without it a node keeps nothing across a crash. */
  readonly wal?: WriteAheadLog;
  /** The durable fields last logged before a crash: the node restarts from them instead of starting fresh. */
  readonly recovered?: Readonly<Record<string, unknown>>;
  /** Compact the log (rewrite it as its latest record) once it holds this many records; default 1000. */
  readonly compactAfter?: number;
}

type Outgoing = { readonly kind: 'send'; readonly to: string; readonly msg: Message } | { readonly kind: 'output'; readonly value: Plain };

export class RuntimeNode {
  readonly id: string;
  readonly transport: Transport;
  private readonly index: number;
  private readonly log: Logger;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly pending: NodeEvent[] = [];
  private current: unknown;
  private started = false;
  private draining = false;
  private stopped = false;
  /** Sends and outputs waiting for the log to be on disk. */
  private outbox: Outgoing[] = [];
  /** The durable fields as last logged (JSON), to log only changes. */
  private lastDurable: string | undefined;
  /** Peers on the other side of a partition: messages to and from them are dropped. */
  private cut = new Set<string>();

  constructor(private readonly options: RuntimeNodeOptions) {
    const { instance, id } = options;
    const index = instance.topo.index.get(id);
    if (index === undefined) throw new Error(`${instance.protocol.name} has no node ${JSON.stringify(id)} (nodes: ${instance.topo.ids.join(', ')})`);
    this.id = id;
    this.index = index;
    this.log = options.log ?? stderrLogger;
    this.transport = new Transport({
      ...options.transport, self: id, secret: options.secret, log: this.log,
      onMessage: (from, body) => this.receive(from, body),
    });
  }

  /** The node's state; undefined before `start`. */
  get state(): unknown {
    return this.current;
  }

  /** Starts listening; resolves to the port. */
  listen(): Promise<number> {
    return this.transport.listen();
  }

  /** Tells this node where the other nodes listen; it starts dialing them. */
  connect(addresses: Readonly<Record<string, PeerAddress>>): void {
    for (const peer of this.options.instance.topo.ids) {
      if (peer === this.id) continue;
      const address = addresses[peer];
      if (!address) throw new Error(`no address for node ${peer}`);
      this.transport.addPeer(peer, address);
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
      for (let event = this.pending.shift(); event && !this.stopped; event = this.pending.shift()) this.handle(event);
      this.commit();
    } finally {
      this.draining = false;
    }
  }

  /** Makes the logged state durable, then lets out what waited for it. */
  private commit(): void {
    const wal = this.options.wal;
    if (wal?.dirty) {
      wal.sync();
      if (wal.records >= (this.options.compactAfter ?? 1000)) wal.compact(JSON.parse(this.lastDurable!));
    }
    const out = this.outbox;
    this.outbox = [];
    if (this.stopped) return;
    for (const o of out) this.release(o);
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
    const fields: Record<string, unknown> = {};
    for (const key of durable) fields[key] = (state as Record<string, unknown>)[key];
    const text = JSON.stringify(fields);
    if (text === this.lastDurable) return;
    this.lastDurable = text;
    this.options.wal.append(fields);
  }

  private handle(event: NodeEvent): void {
    let result;
    const { topo } = this.options.instance;
    try {
      const recovered = this.options.recovered;
      result = event.kind === 'start' && recovered ? restartNode(topo, this.index, recovered) : stepNode(topo, this.index, this.current, event);
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
    this.timers.set(name, setTimeout(() => {
      this.timers.delete(name);
      this.enqueue({ kind: 'timer', name });
    }, ms));
  }

  private warn(event: string, message: string): void {
    this.log({ level: 'warn', event, node: this.id, message });
  }
}
