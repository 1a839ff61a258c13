// The client application of the Paxos document (its section 5): proposers, acceptors and a learner
// as separate OS processes; the learner announces the consensus exactly once.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { check } from '../src/check/index.ts';
import { sourceOf } from '../src/core/source.ts';
import { paxos } from '../src/protocols/index.ts';
import { announcement } from '../src/protocols/paxos.ts';
import type { Announcement } from '../src/protocols/paxos.ts';
import { replayPath } from '../src/check/index.ts';
import { startCluster } from '../src/runtime/cluster.ts';
import type { Cluster, TimerDefaults } from '../src/runtime/cluster.ts';
import { waitFor as waitUntil } from './wait.ts';

const clusters: Cluster[] = [];
after(async () => { await Promise.all(clusters.map((c) => c.stop())); });

const waitFor = (what: string, ready: () => boolean, timeoutMs = 10000) => waitUntil(what, ready, timeoutMs);

const outputs = (c: Cluster, node: string) => c.history.filter((h) => h.node === node && h.line.event === 'output').map((h) => h.line.value as Announcement);

describe('Paxos with a learner', () => {
  test('checked: 212,812 states with one learner, every property as without it', async () => {
    const r = await check(paxos, { params: { learners: 1 } });
    assert.equal(r.states, 212812);
    assert.deepEqual(r.properties.map((p) => `${p.name}: ${p.verdict}`), [
      'agreement: holds', 'validity: holds', 'I1: holds', 'I2: holds', 'a value is chosen: found',
      'learners announce only a chosen value: holds', 'learners agree: holds', 'a learner announces: found',
    ]);
  });

  test('the broken variant makes two learners announce different values (the 18-step path the checker finds)', () => {
    const trace = replayPath(paxos, { params: { learners: 2, variant: 'ignores-accepted' } }, '0/0/0/2/2/1/0/0/1/2/3/4/4/0/5/8/2/7');
    const last = trace.steps.at(-1)!.states as Record<string, { announced: Announcement | null }>;
    assert.deepEqual([last.l1.announced, last.l2.announced].map((a) => a && announcement(a)), [
      'consensus reached on value v1, accepted by a majority {a2, a3}',
      'consensus reached on value v2, accepted by a majority {a2, a3}',
    ]);
  });

  test('as six processes, one acceptor killed: the learner announces v1 accepted by {a1, a3}, exactly once', { timeout: 30000 }, async () => {
    // p1 proposes at 300 ms, p2 only after 20 s: by then the test is over, so v1 is the value.
    const cluster = await startCluster({
      source: sourceOf(paxos)!, params: { learners: 1 },
      defaultTimerMs: (node): TimerDefaults => ({ start: node === 'p1' ? 300 : 20000 }),
    });
    clusters.push(cluster);
    assert.deepEqual(cluster.nodes, ['p1', 'p2', 'a1', 'a2', 'a3', 'l1']);
    assert.equal(new Set(Object.values(cluster.pids)).size, 6);
    await cluster.kill('a2');
    await waitFor('the learner to announce', () => outputs(cluster, 'l1').length > 0);
    await new Promise((resolve) => setTimeout(resolve, 300)); // late acceptances must not announce again
    assert.deepEqual(outputs(cluster, 'l1').map(announcement), ['consensus reached on value v1, accepted by a majority {a1, a3}']);
    assert.ok(!cluster.history.some((h) => h.node !== 'l1' && h.line.event === 'output'));
    assert.deepEqual(cluster.logs.filter((l) => l.line.level === 'error'), []);
    await cluster.stop();
  });
});
