import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { instantiate } from '../src/core/instance.ts';
import { sourceOf } from '../src/core/source.ts';
import { makeWorld } from '../src/core/world.ts';
import { twoPhaseCommit } from '../src/protocols/index.ts';
import { startCluster } from '../src/runtime/cluster.ts';
import type { Cluster, ClusterOptions, TimerDefaults } from '../src/runtime/cluster.ts';
import { waitFor } from './wait.ts';

// Every test runs real OS processes: each cluster is stopped after the tests even when one fails or
// times out, and the launcher SIGKILLs any node still alive when this process exits.
const clusters: Cluster[] = [];
after(async () => {
  await Promise.all(clusters.map((c) => c.stop()));
});

const source = sourceOf(twoPhaseCommit)!;
const params = { rms: 2 };
const instance = instantiate(twoPhaseCommit, { params });

async function launch(options: Omit<ClusterOptions, 'source' | 'params'>): Promise<Cluster> {
  const cluster = await startCluster({ source, params, ...options });
  clusters.push(cluster);
  return cluster;
}


const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The last state a node reported in the history (undefined before its first step). */
function lastState<S>(cluster: Cluster, node: string): S | undefined {
  const steps = cluster.history.filter((h) => h.node === node && h.line.event === 'step');
  return steps.at(-1)?.line.state as S | undefined;
}
const status = (cluster: Cluster, node: string) => lastState<{ status: string }>(cluster, node)?.status;
const decided = (s: string | undefined) => s === 'committed' || s === 'aborted';
const rms = instance.topo.nodesOf('rm');

/** The protocol's safety properties over the last reported states. */
function assertSafe(cluster: Cluster): void {
  const world = makeWorld({
    topo: instance.topo,
    nodes: instance.topo.ids.map((id, i) => ({ id, role: instance.topo.decls[i].role, state: lastState(cluster, id), crashed: false, timers: [] })),
    messages: () => [],
    outputs: () => [],
  });
  for (const p of instance.properties.filter((p) => p.kind === 'always')) assert.ok(p.holds(world), p.name);
}

/** Stops the cluster and checks that none of its processes is left. */
async function stopAndCheckGone(cluster: Cluster): Promise<void> {
  await cluster.stop();
  for (const [node, pid] of Object.entries(cluster.pids)) {
    assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, `process of ${node} (pid ${pid}) is still alive`);
  }
}

const errors = (cluster: Cluster) => cluster.logs.filter((l) => l.line.level === 'error' || l.line.event === 'text');

describe('local cluster: one OS process per node', () => {
  test('two-phase commit with 2 resource managers commits across 3 processes', { timeout: 8000 }, async () => {
    // Each resource manager prepares at 5 ms; the aborts (same timer name for the manager and the
    // resource managers) are far later, so the manager hears both prepared messages and commits.
    const cluster = await launch({ defaultTimerMs: { prepare: 5, commit: 5, abort: 3000 } });
    assert.deepEqual(cluster.nodes, ['tm', 'rm1', 'rm2']);
    await waitFor('every resource manager to decide', () => rms.every((rm) => decided(status(cluster, rm))));
    await waitFor('the manager to decide', () => decided(status(cluster, 'tm')));
    assert.deepEqual(cluster.nodes.map((n) => status(cluster, n)), ['committed', 'committed', 'committed']);
    assertSafe(cluster);

    const listening = cluster.history.filter((h) => h.line.event === 'listening');
    assert.deepEqual(listening.map((h) => h.node).sort(), [...cluster.nodes].sort());
    const pids = listening.map((h) => h.line.pid as number);
    assert.equal(new Set(pids).size, 3, 'each node in its own process');
    assert.ok(!pids.includes(process.pid));
    for (const h of listening) {
      assert.equal(h.line.pid, cluster.pids[h.node]);
      assert.equal(h.line.port, cluster.ports[h.node]);
      assert.equal(h.line.node, h.node);
    }
    assert.equal(new Set(Object.values(cluster.ports)).size, 3);
    assert.deepEqual(errors(cluster), []);

    await stopAndCheckGone(cluster);
    for (const node of cluster.nodes) assert.deepEqual(await cluster.exited(node), { code: 0, signal: null });
  });

  test('a resource manager killed with SIGKILL before it prepares: the others abort, the cluster stops cleanly', { timeout: 8000 }, async () => {
    // rm2 would prepare only after 5 s; it is killed long before. The manager aborts at 400 ms.
    const cluster = await launch({
      defaultTimerMs: (node): TimerDefaults => (node === 'rm2' ? { '*': 5000 } : { prepare: 5, commit: 5, abort: 400 }),
    });
    assert.deepEqual(await cluster.kill('rm2'), { code: null, signal: 'SIGKILL' });
    await waitFor('the manager and rm1 to decide', () => decided(status(cluster, 'tm')) && decided(status(cluster, 'rm1')));
    assert.equal(status(cluster, 'tm'), 'aborted');
    assert.equal(status(cluster, 'rm1'), 'aborted');
    assert.equal(status(cluster, 'rm2'), 'working', 'rm2 never prepared');
    assert.ok(!cluster.history.some((h) => h.node === 'rm2' && h.line.event === 'step' && h.line.on !== 'start'));
    assertSafe(cluster);
    // The manager keeps trying to reach rm2 (connection refused): that is not an error.
    assert.deepEqual(errors(cluster), []);

    await stopAndCheckGone(cluster);
    assert.deepEqual(await cluster.exited('tm'), { code: 0, signal: null });
    assert.deepEqual(await cluster.exited('rm2'), { code: null, signal: 'SIGKILL' });
  });

  test('pausing the manager (SIGSTOP) delays the commit until it is resumed (SIGCONT), and the run still commits', { timeout: 8000 }, async () => {
    // The resource managers prepare at 100 ms: the manager is paused before it can commit.
    const cluster = await launch({ defaultTimerMs: { prepare: 100, commit: 5, abort: 3000 } });
    cluster.pause('tm');
    await waitFor('both resource managers to prepare', () => rms.every((rm) => status(cluster, rm) === 'prepared'));
    await sleep(300);
    assert.equal(status(cluster, 'tm'), 'init');
    assert.ok(rms.every((rm) => status(cluster, rm) === 'prepared'), 'nothing moves while the manager is stopped');
    const resumedAt = Date.now();
    cluster.resume('tm');

    await waitFor('every node to decide', () => cluster.nodes.every((n) => decided(status(cluster, n))));
    assert.deepEqual(cluster.nodes.map((n) => status(cluster, n)), ['committed', 'committed', 'committed']);
    const commit = cluster.history.find((h) => h.node === 'tm' && h.line.event === 'step' && h.line.on === 'timer commit');
    assert.ok(commit && commit.at >= resumedAt, 'the manager committed only after it was resumed');
    assertSafe(cluster);
    assert.deepEqual(errors(cluster), []);
    await stopAndCheckGone(cluster);
  });
});
