import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { after, describe, test } from 'node:test';
import { instantiate } from '../src/core/instance.ts';
import { makeWorld } from '../src/core/world.ts';
import type { Plain } from '../src/core/plain.ts';
import { twoPhaseCommit } from '../src/protocols/index.ts';
import { encodeFrame } from '../src/runtime/frames.ts';
import type { LogEntry } from '../src/runtime/log.ts';
import { RuntimeNode } from '../src/runtime/node.ts';
import { Transport } from '../src/runtime/transport.ts';
import type { TransportOptions } from '../src/runtime/transport.ts';
import { waitFor } from './wait.ts';

const secret = 'cluster secret';
const closers: (() => Promise<void>)[] = [];
after(async () => {
  await Promise.all(closers.map((close) => close()));
});


/** A transport that records what it receives and logs; closed after the tests. */
function transport(self: string, options: Partial<TransportOptions> = {}) {
  const received: { from: string; body: Plain }[] = [];
  const logs: LogEntry[] = [];
  const t = new Transport({
    self, secret, onMessage: (from, body) => received.push({ from, body }), log: (e) => logs.push(e), ...options,
  });
  closers.push(() => t.close());
  return { t, received, logs };
}

/** A raw TCP client, destroyed after the tests; `closed` resolves when the server hangs up. */
async function rawSocket(port: number) {
  const socket = net.connect({ host: '127.0.0.1', port });
  closers.push(async () => void socket.destroy());
  socket.on('error', () => {});
  await once(socket, 'connect');
  return { socket, closed: once(socket, 'close') };
}

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('runtime transport', () => {
  test('two transports exchange messages in order over TCP on 127.0.0.1', { timeout: 5000 }, async () => {
    const a = transport('a');
    const b = transport('b');
    const [pa, pb] = await Promise.all([a.t.listen(), b.t.listen()]);
    a.t.addPeer('b', { port: pb });
    b.t.addPeer('a', { port: pa });
    for (let n = 1; n <= 20; n++) a.t.send('b', { type: 'ping', n });
    b.t.send('a', { type: 'pong', text: 'héllo', list: [1, null, { x: false }] });
    await waitFor('both sides to receive', () => b.received.length === 20 && a.received.length === 1);
    assert.deepEqual(b.received.map((r) => [r.from, (r.body as { n: number }).n]), Array.from({ length: 20 }, (_, i) => ['a', i + 1]));
    assert.deepEqual(a.received, [{ from: 'b', body: { type: 'pong', text: 'héllo', list: [1, null, { x: false }] } }]);
    assert.deepEqual(a.t.stats('b'), { connected: true, queued: 0, dropped: 0 });
    assert.deepEqual([...a.logs, ...b.logs], []);
  });

  test('garbage, forged, replayed and silent connections are closed with one log line each; the real peer keeps flowing',
    { timeout: 5000 }, async () => {
      const a = transport('a');
      const b = transport('b', { handshakeTimeoutMs: 200 });
      const [pa, pb] = await Promise.all([a.t.listen(), b.t.listen()]);
      a.t.addPeer('b', { port: pb });
      b.t.addPeer('a', { port: pa });
      a.t.send('b', { type: 'm', n: 1 });
      await waitFor('the first message', () => b.received.length === 1);

      const garbage = await rawSocket(pb);
      garbage.socket.write('GET / HTTP/1.1\r\n\r\n');
      const forged = await rawSocket(pb);
      forged.socket.write(encodeFrame({ from: 'a', to: 'b', seq: 0, body: { type: 'hello', nonce: 'n' } }, 'wrong secret'));
      // A correctly tagged data frame, as if recorded earlier, sent without a handshake.
      const replayed = await rawSocket(pb);
      replayed.socket.write(encodeFrame({ from: 'a', to: 'b', seq: 5, body: { type: 'm', n: 99 } }, secret));
      const silent = await rawSocket(pb);
      a.t.send('b', { type: 'm', n: 2 });
      await Promise.all([garbage.closed, forged.closed, replayed.closed, silent.closed]);
      a.t.send('b', { type: 'm', n: 3 });
      await waitFor('the later messages', () => b.received.length === 3);

      assert.deepEqual(b.received.map((r) => r.body), [{ type: 'm', n: 1 }, { type: 'm', n: 2 }, { type: 'm', n: 3 }]);
      const lines = b.logs.map((e) => [e.event, e.reason, e.message]).sort();
      assert.deepEqual(lines, [
        ['connection-closed', 'forged', 'frame tag does not match its payload: the sender does not hold the cluster secret'],
        ['connection-closed', 'handshake-timeout', 'no authenticated handshake within 200 ms'],
        ['connection-closed', 'oversized', 'frame of 1195725856 bytes exceeds the maximum of 1048576 bytes'],
        ['connection-closed', 'unauthenticated', 'expected a hello frame first, got a frame of type "m"'],
      ]);
      assert.ok(b.logs.every((e) => e.level === 'warn' && e.node === 'b' && typeof e.remote === 'string' && e.remote.startsWith('127.0.0.1:')));
      assert.deepEqual(a.logs, []);
    });

  test('a transport without the secret cannot inject messages', { timeout: 5000 }, async () => {
    const b = transport('b');
    const pb = await b.t.listen();
    const intruder = transport('a', { secret: 'guessed', backoffMs: { initial: 10, max: 20 } });
    intruder.t.addPeer('b', { port: pb });
    intruder.t.send('b', { type: 'commit' });
    await waitFor('two rejected attempts', () => b.logs.length >= 2);
    assert.deepEqual(b.received, []);
    assert.ok(b.logs.every((e) => e.reason === 'forged'));
    assert.deepEqual(intruder.t.stats('b'), { connected: false, queued: 1, dropped: 0 });
  });

  test('a peer that starts late is reached by reconnecting; a full queue drops its oldest messages', { timeout: 5000 }, async () => {
    const pb = await freePort();
    const a = transport('a', { queueLimit: 3, backoffMs: { initial: 10, max: 40 } });
    const pa = await a.t.listen();
    a.t.addPeer('b', { port: pb });
    for (let n = 1; n <= 5; n++) a.t.send('b', { type: 'm', n });
    assert.deepEqual(a.t.stats('b'), { connected: false, queued: 3, dropped: 2 });
    await new Promise((resolve) => setTimeout(resolve, 150)); // several refused attempts, backoff at its cap

    const b = transport('b', { port: pb });
    await b.t.listen();
    b.t.addPeer('a', { port: pa });
    await waitFor('the queued messages', () => b.received.length === 3);
    assert.deepEqual(b.received.map((r) => (r.body as { n: number }).n), [3, 4, 5]);
    assert.deepEqual(a.t.stats('b'), { connected: true, queued: 0, dropped: 2 });
    assert.deepEqual(a.logs.map((e) => [e.event, e.message]), [['queue-overflow', 'the queue to b is full: dropping the oldest messages']]);
  });

  /** Runs 2PC with rms 2, every node in this process on its own TCP port; resolves to the final statuses. */
  async function runTwoPhaseCommit(tmAbortMs: number): Promise<string[]> {
    const instance = instantiate(twoPhaseCommit, { params: { rms: 2 } });
    const logs: LogEntry[] = [];
    const nodes = instance.topo.ids.map((id) => new RuntimeNode({
      instance, id, secret, log: (e) => logs.push(e), onOutput: () => assert.fail('2PC has no outputs'),
      defaultTimerMs: (timer) => (id === 'tm' && timer === 'abort' ? tmAbortMs : 5),
    }));
    closers.push(async () => void await Promise.all(nodes.map((n) => n.stop())));
    const ports = await Promise.all(nodes.map((n) => n.listen()));
    const addresses = Object.fromEntries(nodes.map((n, i) => [n.id, { port: ports[i] }]));
    for (const n of nodes) n.connect(addresses);
    const started = Date.now();
    for (const n of nodes) n.start();

    const status = () => nodes.map((n) => (n.state as { status: string }).status);
    await waitFor('every node to decide', () => status().every((s) => s === 'committed' || s === 'aborted'), 2000);
    assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
    const world = makeWorld({
      topo: instance.topo,
      nodes: nodes.map((n, i) => ({ id: n.id, role: instance.topo.decls[i].role, state: n.state, crashed: false, timers: [] })),
      messages: () => [],
      outputs: () => [],
    });
    for (const p of instance.properties.filter((p) => p.kind === 'always')) assert.ok(p.holds(world), p.name);
    assert.deepEqual(logs, []);
    await Promise.all(nodes.map((n) => n.stop()));
    return status();
  }

  // Each resource manager prepares before its own abort timer fires (same delay, set first), so it can
  // only end aborted or committed by a message from the manager, which crossed TCP.
  test('two-phase commit over real TCP: an early abort by the manager reaches every resource manager', { timeout: 5000 }, async () => {
    assert.deepEqual(await runTwoPhaseCommit(5), ['aborted', 'aborted', 'aborted']);
  });

  test('two-phase commit over real TCP: prepared messages arrive first and everyone commits', { timeout: 5000 }, async () => {
    assert.deepEqual(await runTwoPhaseCommit(2000), ['committed', 'committed', 'committed']);
  });
});
