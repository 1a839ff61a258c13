/**
 * One member of a shared-memory group, on its own worker thread (started through the `shm-worker.js`
 * shim by `shm-group.ts`): the member's RuntimeNode, sending and receiving through a `ShmLink` over
 * the group's inboxes. It reports to the launcher with `FromMember` messages and obeys `ToMember`.
 * An error that ends the member (a row too large for its slot) is thrown out of the worker: the
 * launcher sees it as the worker's error, and the other members go on without this one, as after a crash.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { tsImport } from 'tsx/esm/api';
import { instantiate } from '../core/instance.ts';
import type { Plain } from '../core/plain.ts';
import type { Message } from '../core/protocol.ts';
import { loadFromSource } from '../core/source.ts';
import type { ProtocolSource } from '../core/source.ts';
import { describeEvent } from '../core/step.ts';
import type { NodeEvent } from '../core/step.ts';
import type { LogEntry } from './log.ts';
import { RuntimeNode } from './node.ts';
import { timerDelay } from './timer-defaults.ts';
import type { TimerDefaults } from './timer-defaults.ts';
import { ShmLink } from './shm-link.ts';
import type { ShmSizes } from './shm-link.ts';

export interface ShmWorkerData {
  readonly source: ProtocolSource;
  readonly params: Readonly<Record<string, unknown>>;
  readonly member: string;
  /** Every member in rank order, and their inboxes in the same order. */
  readonly members: readonly string[];
  readonly inboxes: readonly SharedArrayBuffer[];
  readonly sizes: ShmSizes;
  readonly queueLimit?: number;
  readonly defaultTimerMs?: TimerDefaults;
  /** Handled events whose description starts with one of these are reported with their time. */
  readonly recordEvents: readonly string[];
}

/** `inject`: a message from outside the instance, for `RuntimeNode.inject`. */
export type ToMember = 'start' | 'state' | 'stop' | { readonly kind: 'inject'; readonly from: string; readonly msg: Message };

/** `at`: wall-clock ms (performance.timeOrigin + now(), comparable across the group's threads). */
export type FromMember =
  | { readonly kind: 'ready' }
  | { readonly kind: 'started' }
  | { readonly kind: 'output'; readonly at: number; readonly value: Plain }
  | { readonly kind: 'event'; readonly at: number; readonly on: string }
  | { readonly kind: 'log'; readonly entry: LogEntry }
  | { readonly kind: 'state'; readonly state: unknown }
  | { readonly kind: 'stopped' };

const data = workerData as ShmWorkerData;
const post = (message: FromMember) => parentPort!.postMessage(message);
const now = () => performance.timeOrigin + performance.now();

const instance = instantiate(await loadFromSource(data.source, (url) => tsImport(url, import.meta.url)), { params: data.params });
const recorded = (on: string) => data.recordEvents.some((prefix) => on.startsWith(prefix));
const node = new RuntimeNode({
  instance, id: data.member,
  defaultTimerMs: timerDelay(data.defaultTimerMs),
  log: (entry) => post({ kind: 'log', entry }),
  onOutput: (value) => post({ kind: 'output', at: now(), value }),
  ...(data.recordEvents.length === 0 ? {} : {
    onStep: (_state: unknown, event: NodeEvent) => {
      const on = describeEvent(event);
      if (recorded(on)) post({ kind: 'event', at: now(), on });
    },
  }),
  link: (deliver) => new ShmLink({
    self: data.member, members: data.members, inboxes: data.inboxes, ...data.sizes,
    ...(data.queueLimit === undefined ? {} : { queueLimit: data.queueLimit }),
    deliver, log: (entry) => post({ kind: 'log', entry }),
  }),
});

parentPort!.on('message', async (command: ToMember) => {
  if (typeof command === 'object') {
    node.inject(command.from, command.msg);
  } else if (command === 'start') {
    node.start();
    post({ kind: 'started' });
  } else if (command === 'state') {
    post({ kind: 'state', state: node.state });
  } else {
    await node.stop();
    post({ kind: 'stopped' });
  }
});
post({ kind: 'ready' });
