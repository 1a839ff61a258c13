// The replicated key-value service: multi-decree Paxos as real processes, each serving HTTP/JSON;
// concurrent clients while nodes are killed, paused, restarted and partitioned; the recorded history
// is checked for linearizability, and acknowledged writes survive the loss of every node.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { checkLinearizable, formatCounterexample } from '../src/check/linearizability.ts';
import type { KvOperation } from '../src/check/linearizability.ts';
import { sourceOf } from '../src/core/source.ts';
import { rememberSource } from '../src/core/source.ts';
import { multiPaxos } from '../src/protocols/multi-paxos.ts';
import { startCluster } from '../src/runtime/cluster.ts';
import type { Cluster } from '../src/runtime/cluster.ts';
import { KvHttpClient, runKvWorkload } from '../src/runtime/kv-client.ts';

const clusters: Cluster[] = [];
after(async () => { await Promise.all(clusters.map((c) => c.stop())); });

const source = sourceOf(rememberSource(multiPaxos, { module: new URL('../src/protocols/multi-paxos.ts', import.meta.url).href, exportName: 'multiPaxos' }))!;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function service(replicas: number): Promise<{ cluster: Cluster; urls: string[] }> {
  const cluster = await startCluster({
    source, dataDir: mkdtempSync(path.join(tmpdir(), 'pf-kv-')), http: { timeoutMs: 1500 }, quiet: true,
    // Snapshots every 20 slots and a small window, so compaction and catch-up by snapshot happen.
    params: { replicas, commands: 0, maxBallot: 1_000_000, snapshotEvery: 20, batch: 8, window: 4 },
  });
  clusters.push(cluster);
  return { cluster, urls: cluster.nodes.map((id) => `http://127.0.0.1:${cluster.httpPorts[id]}`) };
}

async function status(url: string): Promise<{ node: string; leader: string | null; leading: boolean; applied: number } | null> {
  try {
    return (await (await fetch(`${url}/status`, { signal: AbortSignal.timeout(500) })).json()) as Awaited<ReturnType<typeof status>>;
  } catch {
    return null;
  }
}

/** The node that says it leads, once one does. */
async function leader(urls: string[]): Promise<string> {
  for (let i = 0; i < 100; i++) {
    for (const s of await Promise.all(urls.map(status))) if (s?.leading) return s.node;
    await sleep(50);
  }
  throw new Error('no node leads');
}

/** Asserts the history is linearizable; returns how many operations were acknowledged. */
function assertLinearizable(history: KvOperation[]): number {
  const r = checkLinearizable(history, { timeLimitMs: 60_000 });
  assert.equal(r.verdict, 'linearizable', r.counterexample ? formatCounterexample(r.counterexample) : `search stopped: ${r.limit}`);
  return r.operations - r.pending;
}

const acknowledged = (h: readonly KvOperation[], from: number, to: number) => h.filter((op) => op.return !== null && op.call >= from && op.return <= to).length;

describe('replicated key-value service over HTTP', () => {
  test('the API: put, get, compare-and-set, delete, redirect to the leader, and bad requests', { timeout: 30_000 }, async () => {
    const { cluster, urls } = await service(3);
    const call = async (url: string, method = 'GET', body?: unknown) => {
      const res = await fetch(url, { method, redirect: 'manual', ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) });
      return [res.status, await res.json(), res.headers.get('location')] as const;
    };
    assert.deepEqual(await call(`${urls[1]}/kv/a%20b`, 'PUT', { value: 'v1' }), [200, { key: 'a b', value: 'v1' }, null]);
    assert.deepEqual(await call(`${urls[2]}/kv/a%20b`), [200, { key: 'a b', value: 'v1' }, null]);
    assert.deepEqual(await call(`${urls[0]}/kv/a%20b/cas`, 'POST', { expect: 'v1', value: 2 }), [200, { key: 'a b', ok: true, value: 2 }, null]);
    assert.deepEqual(await call(`${urls[0]}/kv/a%20b/cas`, 'POST', { expect: 'v1', value: 3 }), [409, { key: 'a b', ok: false, value: 2 }, null]);
    assert.deepEqual(await call(`${urls[0]}/kv/new/cas`, 'POST', { expect: null, value: 'x' }), [200, { key: 'new', ok: true, value: 'x' }, null]);
    assert.deepEqual(await call(`${urls[2]}/kv/a%20b`, 'DELETE'), [200, { key: 'a b', deleted: true }, null]);
    assert.deepEqual(await call(`${urls[2]}/kv/a%20b`, 'DELETE'), [404, { key: 'a b', deleted: false }, null]);
    assert.deepEqual(await call(`${urls[1]}/kv/a%20b`), [404, { key: 'a b', value: null }, null]);

    const lead = await leader(urls);
    const follower = cluster.nodes.findIndex((id) => id !== lead);
    const leadUrl = urls[cluster.nodes.indexOf(lead)];
    assert.deepEqual(await call(`${urls[follower]}/kv/new?redirect=1`), [307, { leader: lead, location: `${leadUrl}/kv/new?redirect=1` }, `${leadUrl}/kv/new?redirect=1`]);
    assert.deepEqual(await call(`${leadUrl}/kv/new?redirect=1`), [200, { key: 'new', value: 'x' }, null]);

    assert.deepEqual(await call(`${urls[0]}/kv/a`, 'PUT', '{"value":'), [400, { error: 'the request body is not JSON: Unexpected end of JSON input' }, null]);
    assert.deepEqual(await call(`${urls[0]}/kv/a`, 'PUT', { value: true }), [400, { error: '"value" must be a string or a number, not true' }, null]);
    assert.deepEqual(await call(`${urls[0]}/kv/a`, 'PUT', [1]), [400, { error: 'the request body must be a JSON object' }, null]);
    assert.deepEqual(await call(`${urls[0]}/kv/a`, 'POST', {}), [405, { error: 'POST /kv/a: use GET, PUT or DELETE' }, null]);
    assert.deepEqual(await call(`${urls[0]}/nothing`), [404, { error: 'no such resource /nothing: use /kv/KEY, /kv/KEY/cas or /status' }, null]);
    assert.deepEqual(await call(`${urls[0]}/kv/%E0%A4%A`), [400, { error: 'the key in /kv/%E0%A4%A is not valid percent-encoding' }, null]);
    const big = await fetch(`${urls[0]}/kv/a`, { method: 'PUT', body: JSON.stringify({ value: 'x'.repeat(2 << 20) }) }).then((r) => r.status, () => 'reset');
    assert.ok(big === 413 || big === 'reset', `an oversized body is refused (${big})`);
  });

  test('3 nodes, 6 clients: a node killed and restarted, one paused, the leader partitioned away; linearizable', { timeout: 90_000 }, async () => {
    const { cluster, urls } = await service(3);
    let end!: () => void;
    const workload = runKvWorkload({ targets: urls, clients: 6, keys: ['x', 'y', 'z'], seed: 1, timeoutMs: 2000, until: new Promise((r) => { end = r; }) });
    const t0 = performance.now();
    await sleep(1000);
    const first = await leader(urls);
    await cluster.kill(first);
    await sleep(1500);
    await cluster.restart(first);
    const t1 = performance.now();
    await sleep(1000);
    const other = cluster.nodes.find((id) => id !== first)!;
    cluster.pause(other);
    await sleep(1000);
    cluster.resume(other);
    await sleep(1000);
    const second = await leader(urls);
    cluster.partition([[second], cluster.nodes.filter((id) => id !== second)]);
    const t2 = performance.now();
    await sleep(2000);
    cluster.heal();
    const t3 = performance.now();
    await sleep(1500);
    end();
    const history = await workload;
    const t4 = performance.now();
    // The service made progress in every phase: with the leader dead, after it came back, while the
    // old leader was cut off (the majority elects another), and after the partition healed.
    for (const [from, to] of [[t0, t1], [t1, t2], [t2, t3], [t3, t4]]) assert.ok(acknowledged(history, from, to) >= 5, `acknowledged operations between ${(from - t0).toFixed(0)} and ${(to - t0).toFixed(0)} ms`);
    const ok = assertLinearizable(history);
    assert.ok(ok >= 100, `${ok} operations acknowledged`);
  });

  test('5 nodes, 8 clients: two nodes killed, a partition 2|3, a pause, restarts; linearizable', { timeout: 90_000 }, async () => {
    const { cluster, urls } = await service(5);
    let end!: () => void;
    const workload = runKvWorkload({ targets: urls, clients: 8, keys: ['x', 'y', 'z'], seed: 2, timeoutMs: 2000, until: new Promise((r) => { end = r; }) });
    await sleep(1000);
    const first = await leader(urls);
    const [a, b] = [first, cluster.nodes.find((id) => id !== first)!];
    await cluster.kill(a);
    await cluster.kill(b);
    await sleep(1500);
    await cluster.restart(a);
    await cluster.restart(b);
    await sleep(1000);
    const rest = cluster.nodes.filter((id) => id !== a && id !== b);
    cluster.partition([[a, rest[0]], [b, ...rest.slice(1)]]);
    await sleep(1500);
    cluster.pause(rest[2]);
    await sleep(800);
    cluster.resume(rest[2]);
    cluster.heal();
    await sleep(1500);
    end();
    const history = await workload;
    const ok = assertLinearizable(history);
    assert.ok(ok >= 100, `${ok} operations acknowledged`);
  });

  test('acknowledged writes survive kill -9 of every node followed by a restart', { timeout: 60_000 }, async () => {
    const { cluster, urls } = await service(3);
    const client = new KvHttpClient('w', { targets: urls });
    for (let i = 0; i < 30; i++) await client.put(i, `k${i}`, `v${i}`);
    await Promise.all(cluster.nodes.map((id) => cluster.kill(id)));
    for (const id of cluster.nodes) await cluster.restart(id);
    for (let i = 0; i < 30; i++) await client.get(i + 1, `k${i}`);
    const reads = client.history.slice(30);
    assert.deepEqual(reads.map((op) => op.output), Array.from({ length: 30 }, (_, i) => ({ value: `v${i}` })));
    assertLinearizable(client.history);
  });
});
