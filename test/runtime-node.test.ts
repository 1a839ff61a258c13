// A node on real time: a role's suspicion timer, fired by the phi accrual detector when the watched
// peer falls silent (never while it is heard from; after its delay when there is no peer to watch);
// why a message is dropped, which the runtime logs; events injected while outputs are let out; and
// a handler that returns a state that is not plain data.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { check } from '../src/check/index.ts';
import { defineProtocol, instantiate, node, role, sometimes } from '../src/core/index.ts';
import type { Plain } from '../src/core/plain.ts';
import type { LogEntry } from '../src/runtime/log.ts';
import { RuntimeNode } from '../src/runtime/node.ts';
import { waitFor } from './wait.ts';

type Msg = { type: 'beat' };
/** `b` beats every 10 ms; `w` watches `b` (or nobody, with `watch: false`) with a one-minute timeout. */
const heartbeat = (watch: boolean) => defineProtocol({
  name: 'heartbeat',
  description: 'a beater and a watcher that suspects it when the beats stop',
  nodes: () => [
    node('b', 'beater', role<{ beats: number }, Msg, 'beat'>({
      init: (ctx) => { ctx.setTimer('beat', 10); return { beats: 0 }; },
      timers: { beat: (s, ctx) => { ctx.send('w', { type: 'beat' }); ctx.setTimer('beat', 10); return { beats: s.beats + 1 }; } },
    })),
    node('w', 'watcher', role<{ suspected: number }, Msg, 'suspect'>({
      init: (ctx) => { ctx.setTimer('suspect', watch ? 60_000 : 300); return { suspected: 0 }; },
      timers: { suspect: (s) => ({ suspected: s.suspected + 1 }) },
      suspicion: { timer: 'suspect', peer: () => (watch ? 'b' : null) },
    })),
  ],
  properties: () => [sometimes('suspected', (w) => w.statesOf<{ suspected: number }>('watcher').some((s) => s.suspected > 0))],
});

const stops: (() => Promise<void>)[] = [];
after(async () => { for (const s of stops) await s(); });

async function run(watch: boolean): Promise<{ b: RuntimeNode; w: RuntimeNode }> {
  const instance = instantiate(heartbeat(watch));
  const [b, w] = ['b', 'w'].map((id) => new RuntimeNode({ instance, id, secret: 'suspicion-test', log: () => {} }));
  stops.push(() => b.stop(), () => w.stop());
  const ports = await Promise.all([b.listen(), w.listen()]);
  for (const n of [b, w]) n.connect({ b: { port: ports[0] }, w: { port: ports[1] } });
  b.start();
  w.start();
  return { b, w };
}

const suspected = (n: RuntimeNode) => (n.state as { suspected: number }).suspected;

describe('suspicion timers', () => {
  test('the checker fires a suspicion timer as any timer', async () => {
    assert.deepEqual((await check(heartbeat(true), { maxDepth: 2 })).properties.map((p) => p.verdict), ['found']);
  });

  test('fired by the detector once the watched peer falls silent, long before the timer\'s delay; never while it beats', { timeout: 20_000 }, async () => {
    const { b, w } = await run(true);
    await waitFor('heartbeats', () => (b.state as { beats: number }).beats >= 40, 5000);
    assert.equal(suspected(w), 0, 'a beating peer is not suspected');
    await b.stop();
    // Within 10 s, where the timer's own delay is a minute.
    await waitFor('the watcher to suspect the beater', () => suspected(w) === 1, 10_000);
  });

  test('with no peer to watch, the timer fires after its delay', { timeout: 10_000 }, async () => {
    const { w } = await run(false);
    await waitFor('the delay to pass', () => suspected(w) === 1, 5000);
  });

  test('a message the role rejects is dropped with one log line naming the reason; the others are handled', async () => {
    const counter = defineProtocol({
      name: 'counter', description: 'counts adds from members of its view',
      nodes: () => [node('n', 'counter', role<{ view: string[]; n: number }, { type: 'add' }>({
        init: () => ({ view: ['a'], n: 0 }),
        on: { add: (s, _m, ctx) => (s.view.includes(ctx.from) ? { ...s, n: s.n + 1 } : s) },
        rejects: (s, _m, from) => (s.view.includes(from) ? null : `add from ${from}, which is not in the view (${s.view.join(', ')})`),
      }))],
      properties: () => [],
    });
    const logs: LogEntry[] = [];
    let deliver!: (from: string, body: Plain) => void;
    const n = new RuntimeNode({ instance: instantiate(counter), id: 'n', log: (e) => logs.push(e), link: (d) => { deliver = d; return { send: () => {}, close: async () => {} }; } });
    n.start();
    deliver('n', { type: 'add' });
    n.inject('a', { type: 'add' });
    n.inject('z', { type: 'add' });
    n.inject('a', { type: 'add' });
    assert.deepEqual(n.state, { view: ['a'], n: 2 });
    assert.deepEqual(logs, [
      { level: 'warn', event: 'message-dropped', node: 'n', message: 'add from n, which is not in the view (a)' },
      { level: 'warn', event: 'message-dropped', node: 'n', message: 'add from z, which is not in the view (a)' },
    ]);
    await n.stop();
  });

  test('an event injected while the node lets out an output is handled in the same turn', () => {
    const echo = defineProtocol({
      name: 'echo', description: 'outputs a count per ping',
      nodes: () => [node('n', 'echo', role<{ n: number }, { type: 'ping' }>({
        init: () => ({ n: 0 }),
        on: { ping: (s, _m, ctx) => { ctx.output(s.n + 1); return { n: s.n + 1 }; } },
      }))],
      properties: () => [],
    });
    const outputs: Plain[] = [];
    const n: RuntimeNode = new RuntimeNode({
      instance: instantiate(echo), id: 'n', link: () => ({ send: () => {}, close: async () => {} }),
      onOutput: (v) => { outputs.push(v); if ((v as number) < 3) n.inject('client', { type: 'ping' }); },
    });
    n.start();
    n.inject('client', { type: 'ping' });
    assert.deepEqual(outputs, [1, 2, 3]);
  });

  test('a handler that returns a state that is not plain data fails: the event is skipped with one log line, the state kept', () => {
    const leaky = defineProtocol({
      name: 'leaky', description: 'keeps a Map in its state on the second ping',
      nodes: () => [node('n', 'leaky', role<{ n: number; seen?: unknown }, { type: 'ping' }>({
        init: () => ({ n: 0 }),
        on: { ping: (s) => (s.n === 1 ? { n: 2, seen: { at: new Map() } } : { n: s.n + 1 }) },
      }))],
      properties: () => [],
    });
    const logs: LogEntry[] = [];
    const n = new RuntimeNode({ instance: instantiate(leaky), id: 'n', log: (e) => logs.push(e), link: () => ({ send: () => {}, close: async () => {} }) });
    n.start();
    for (let i = 0; i < 3; i++) n.inject('client', { type: 'ping' });
    assert.deepEqual(n.state, { n: 1 });
    assert.equal(logs.length, 2);
    assert.deepEqual(logs.map((l) => [l.level, l.event]), [['error', 'handler-failed'], ['error', 'handler-failed']]);
    assert.match(String(logs[0].message), /^node n \(leaky\) handling message ping from client: state\.seen\.at is a Map, which is not plain data/);
  });
});
