/**
 * A protocol instance run as worker threads of this process, one per node (a member of the group),
 * exchanging messages through shared memory instead of TCP (`shm-link.ts`): a push of Derecho's
 * shared state table is a one-sided write of the owner's row into the slot of that row in every
 * other member's replica, and the other messages go through rings. Each member is a RuntimeNode
 * (`shm-worker-main.ts`), so handlers, timers and effects are the runtime's own.
 *
 * The members start together, once every one has loaded the protocol. Outputs (and the handled
 * events named in `recordEvents`) are collected here, stamped with the wall-clock time at which the
 * member emitted them. `inject` hands a member a message from outside the instance (a client's
 * request to a replicated log). An error that ends a member (a row larger than a slot, a message larger than a
 * ring) stops its thread; the others go on without it, as after a crash, and `failed` resolves with
 * that error.
 */
import { Worker } from 'node:worker_threads';
import { tsImport } from 'tsx/esm/api';
import { instantiate } from '../core/instance.ts';
import type { Plain } from '../core/plain.ts';
import type { Message } from '../core/protocol.ts';
import { loadFromSource } from '../core/source.ts';
import type { ProtocolSource } from '../core/source.ts';
import type { LogEntry } from './log.ts';
import type { TimerDefaults } from './timer-defaults.ts';
import { allocateInboxes, DEFAULT_RING_BYTES, DEFAULT_SLOT_BYTES } from './shm-link.ts';
import type { FromMember, ShmWorkerData, ToMember } from './shm-worker-main.ts';

export interface ShmGroupOptions {
  readonly source: ProtocolSource;
  readonly params?: Readonly<Record<string, unknown>>;
  /** Delays for timers set without one: for every member, or per member (as the cluster's). */
  readonly defaultTimerMs?: TimerDefaults | ((member: string) => TimerDefaults | undefined);
  /** The largest encoded row (a whole `sst-push`) a slot takes; default 64 KiB. */
  readonly slotBytes?: number;
  /** The room in each ring between two members, for messages other than pushes; default 64 KiB. */
  readonly ringBytes?: number;
  /** Messages a member keeps per peer while the ring to it is full; default 1024, then the oldest are dropped. */
  readonly queueLimit?: number;
  /** Handled events to time-stamp in `events`, by the start of their description (`start`, `timer sst-action:produce`). */
  readonly recordEvents?: readonly string[];
  /** Called for each output as it arrives here. */
  readonly onOutput?: (output: ShmOutput) => void;
  /** How long the members may take to load the protocol and start; default 15000 ms. */
  readonly startTimeoutMs?: number;
  /** How long `stop` waits for a member to stop before ending its thread; default 2000 ms. */
  readonly stopGraceMs?: number;
}

/** `at`: wall-clock ms (performance.timeOrigin + performance.now()) when the member emitted it. */
export interface ShmOutput {
  readonly member: string;
  readonly at: number;
  readonly value: Plain;
}

export interface ShmEvent {
  readonly member: string;
  readonly at: number;
  /** The event's description, e.g. `timer sst-action:produce`. */
  readonly on: string;
}

export interface ShmGroup {
  /** The nodes of the instance, in rank order: member i writes row slot i. */
  readonly members: readonly string[];
  /** Every output, in the order they arrived here. */
  readonly outputs: readonly ShmOutput[];
  /** The handled events named in `recordEvents`, in the order they arrived here. */
  readonly events: readonly ShmEvent[];
  /** The members' runtime logs (failing handlers, full rings). */
  readonly logs: readonly (LogEntry & { readonly member: string })[];
  /** Resolves with the first error that ended a member; stays pending while none did. */
  readonly failed: Promise<Error>;
  /** Every running member's current state. */
  states(): Promise<Record<string, unknown>>;
  /**
   * Hands `member` a message from `from`, a party outside the instance (a client): its RuntimeNode
   * handles it in turn with the others (`RuntimeNode.inject`). To a member whose thread has ended
   * it is lost, as to a crashed node.
   */
  inject(member: string, from: string, msg: Message): void;
  /** Resolves when the member's thread has ended (after an error that ended it, or `stop`). */
  exited(member: string): Promise<void>;
  /** Stops every member and ends the threads; resolves when all have exited. */
  stop(): Promise<void>;
}

const shim = new URL('./shm-worker.js', import.meta.url);

interface Thread {
  readonly member: string;
  readonly worker: Worker;
  readonly exited: Promise<void>;
  /** Resolved by the member's next report of this kind. */
  readonly waiting: { ready?: () => void; started?: () => void; stopped?: () => void };
  readonly stateRequests: ((state: unknown) => void)[];
  /** Why the thread ended: its error, or that it exited. */
  ended: Error | undefined;
  running: boolean;
}

function checkBytes(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`startShmGroup: ${name} must be a whole number of bytes from 1, got ${value}`);
  return value;
}

/** Starts a thread per node, waits until each has loaded the protocol, then starts them all. */
export async function startShmGroup(options: ShmGroupOptions): Promise<ShmGroup> {
  const instance = instantiate(await loadFromSource(options.source, (url) => tsImport(url, import.meta.url)), { params: options.params });
  const members = instance.topo.ids;
  const sizes = { slotBytes: checkBytes('slotBytes', options.slotBytes ?? DEFAULT_SLOT_BYTES), ringBytes: checkBytes('ringBytes', options.ringBytes ?? DEFAULT_RING_BYTES) };
  const inboxes = allocateInboxes(members.length, sizes);
  const outputs: ShmOutput[] = [];
  const events: ShmEvent[] = [];
  const logs: (LogEntry & { member: string })[] = [];
  let reportFailure!: (err: Error) => void;
  const failed = new Promise<Error>((resolve) => { reportFailure = resolve; });

  const threads = members.map((member): Thread => {
    const timers = typeof options.defaultTimerMs === 'function' ? options.defaultTimerMs(member) : options.defaultTimerMs;
    const workerData: ShmWorkerData = {
      source: options.source, params: instance.params, member, members, inboxes, sizes,
      recordEvents: options.recordEvents ?? [],
      ...(options.queueLimit === undefined ? {} : { queueLimit: options.queueLimit }),
      ...(timers === undefined ? {} : { defaultTimerMs: timers }),
    };
    const worker = new Worker(shim, { workerData });
    const thread: Thread = {
      member, worker, waiting: {}, stateRequests: [], ended: undefined, running: true,
      exited: new Promise((resolve) => worker.once('exit', () => resolve())),
    };
    worker.on('message', (m: FromMember) => {
      switch (m.kind) {
        case 'output': {
          const output = { member, at: m.at, value: m.value };
          outputs.push(output);
          options.onOutput?.(output);
          break;
        }
        case 'event': events.push({ member, at: m.at, on: m.on }); break;
        case 'log': logs.push({ ...m.entry, member }); break;
        case 'state': thread.stateRequests.shift()?.(m.state); break;
        default: thread.waiting[m.kind]?.();
      }
    });
    worker.on('error', (err) => {
      thread.ended ??= err;
      reportFailure(err);
    });
    void thread.exited.then(() => {
      thread.running = false;
      thread.ended ??= new Error(`the thread of member ${member} exited`);
      for (const answer of thread.stateRequests.splice(0)) answer(undefined);
      thread.waiting.ready?.();
      thread.waiting.started?.();
      thread.waiting.stopped?.();
    });
    return thread;
  });

  /** Resolves when `t` reports `kind`, or at once if its thread has ended. */
  const reported = (t: Thread, kind: 'ready' | 'started' | 'stopped') => new Promise<void>((resolve) => {
    if (t.running) t.waiting[kind] = resolve;
    else resolve();
  });
  async function stop(): Promise<void> {
    await Promise.all(threads.map(async (t) => {
      if (t.running) {
        const stopped = reported(t, 'stopped');
        t.worker.postMessage('stop' satisfies ToMember);
        let grace: NodeJS.Timeout | undefined;
        await Promise.race([stopped, new Promise((resolve) => { grace = setTimeout(resolve, options.stopGraceMs ?? 2000); })]);
        clearTimeout(grace);
      }
      await t.worker.terminate();
    }));
  }

  /** Waits until every thread reported `kind` (or ended); fails naming the first that ended early. */
  async function all(kind: 'ready' | 'started', what: string, deadline: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), deadline - Date.now()); });
    const outcome = await Promise.race([Promise.all(threads.map((t) => reported(t, kind))), timeout]);
    clearTimeout(timer);
    const early = threads.find((t) => t.ended);
    if (outcome === 'timeout' || early) {
      await stop();
      throw early ? new Error(`member ${early.member} failed while the group started: ${early.ended!.message}`, { cause: early.ended })
        : new Error(`shared-memory group: timed out waiting for ${what}`);
    }
  }

  const deadline = Date.now() + (options.startTimeoutMs ?? 15000);
  await all('ready', 'every member to load the protocol', deadline);
  const started = all('started', 'every member to start', deadline);
  for (const t of threads) t.worker.postMessage('start' satisfies ToMember);
  await started;

  const threadOf = (member: string): Thread => {
    const thread = threads.find((t) => t.member === member);
    if (!thread) throw new Error(`the group has no member ${JSON.stringify(member)} (members: ${members.join(', ')})`);
    return thread;
  };

  return {
    members, outputs, events, logs, failed, stop,
    exited: (member) => threadOf(member).exited,
    inject(member, from, msg) {
      const thread = threadOf(member);
      // Checked here: thrown in the member's thread, it would end the member.
      if (instance.topo.index.has(from)) throw new Error(`inject: ${JSON.stringify(from)} is a node of the instance; name the outside party otherwise`);
      thread.worker.postMessage({ kind: 'inject', from, msg } satisfies ToMember);
    },
    async states() {
      const running = threads.filter((t) => t.running);
      const states = await Promise.all(running.map((t) => new Promise<unknown>((resolve) => {
        t.stateRequests.push(resolve);
        t.worker.postMessage('state' satisfies ToMember);
      })));
      return Object.fromEntries(running.map((t, i) => [t.member, states[i]]));
    },
  };
}
