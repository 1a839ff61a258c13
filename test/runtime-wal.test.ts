import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { sourceOf } from '../src/core/source.ts';
import { twoPhaseCommit } from '../src/protocols/index.ts';
import { instantiate } from '../src/core/instance.ts';
import { traceFromHistory } from '../src/runtime/history-trace.ts';
import { readTrace, replayTrace, writeTrace } from '../src/sim/index.ts';
import { startCluster } from '../src/runtime/cluster.ts';
import type { Cluster, TimerDefaults } from '../src/runtime/cluster.ts';
import { WalError, WriteAheadLog } from '../src/runtime/wal.ts';
import { waitFor as waitUntil } from './wait.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'protoforge-wal-'));
let n = 0;
const fresh = () => path.join(dir, `log-${++n}.wal`);

function written(file: string, values: unknown[]): void {
  const { log } = WriteAheadLog.open(file);
  for (const v of values) log.append(v);
  log.close();
}

describe('write-ahead log', () => {
  test('records come back in order, across reopenings; the bytes on disk are exactly header + records', () => {
    const file = fresh();
    const { log, recovery } = WriteAheadLog.open(file);
    assert.deepEqual(recovery, { records: [], droppedBytes: 0, dropped: null });
    log.append({ status: 'working' });
    assert.equal(log.dirty, true);
    assert.equal(statSync(file).size, 8, 'nothing is written before sync');
    log.sync();
    log.append({ status: 'prepared' });
    log.close();
    const bytes = readFileSync(file);
    const rec = (json: string) => {
      const head = Buffer.alloc(8);
      const payload = Buffer.from(json);
      head.writeUInt32LE(payload.length, 0);
      return [head, payload];
    };
    assert.equal(bytes.subarray(0, 8).toString('latin1'), 'PFWAL\x00\x01\n');
    const [h1, p1] = rec('{"status":"working"}');
    const [h2, p2] = rec('{"status":"prepared"}');
    assert.equal(bytes.length, 8 + h1.length + p1.length + h2.length + p2.length);
    assert.equal(bytes.readUInt32LE(8), p1.length);
    assert.equal(bytes.subarray(16, 16 + p1.length).toString(), '{"status":"working"}');
    const again = WriteAheadLog.open(file);
    assert.deepEqual(again.recovery.records, [{ status: 'working' }, { status: 'prepared' }]);
    assert.equal(again.log.records, 2);
    again.log.close();
  });

  test('a torn last record (cut short in its header, in its payload, or with bad bytes) is dropped and the file truncated', () => {
    const cases: [string, (file: string, size: number) => void, RegExp, number][] = [
      ['header', (f) => appendFileSync(f, Buffer.from([9, 0, 0])), /^record 3 at byte \d+ has an incomplete header \(3 of 8 bytes\)$/, 3],
      ['payload', (f, size) => truncateSync(f, size - 5), /^record 2 at byte \d+ is cut short \(16 of 21 bytes\)$/, 24],
      ['checksum', (f) => {
        const b = readFileSync(f);
        b[b.length - 2] ^= 0xff;
        writeFileSync(f, b);
      }, /^record 2 at byte \d+ does not match its checksum$/, 29],
    ];
    for (const [what, tear, reason, dropped] of cases) {
      const file = fresh();
      written(file, [{ status: 'working' }, { status: 'prepared' }]);
      tear(file, statSync(file).size);
      const { log, recovery } = WriteAheadLog.open(file);
      assert.match(recovery.dropped ?? '', reason, what);
      assert.equal(recovery.droppedBytes, dropped, what);
      assert.deepEqual(recovery.records, what === 'header' ? [{ status: 'working' }, { status: 'prepared' }] : [{ status: 'working' }], what);
      // The log goes on from the last whole record.
      log.append({ status: 'committed' });
      log.close();
      const reread = WriteAheadLog.open(file);
      assert.deepEqual(reread.recovery.records.at(-1), { status: 'committed' }, what);
      assert.equal(reread.recovery.droppedBytes, 0, what);
      reread.log.close();
    }
  });

  test('damage before the last record, a foreign file and a huge length are errors, never misread', () => {
    const file = fresh();
    written(file, [{ a: 1 }, { a: 2 }]);
    const b = readFileSync(file);
    b[17] ^= 0xff; // inside the first record's payload
    writeFileSync(file, b);
    assert.throws(() => WriteAheadLog.open(file), new WalError(`${file}: record 1 at byte 8 does not match its checksum and is not the last record: the log is damaged`));
    const foreign = fresh();
    writeFileSync(foreign, '{"not":"a log"}\n');
    assert.throws(() => WriteAheadLog.open(foreign), new WalError(`${foreign} is not a protoforge write-ahead log of this version (its first 8 bytes are "{\\"not\\":\\"")`));
    const huge = fresh();
    const head = Buffer.alloc(8);
    head.writeUInt32LE(0xfffffff0, 0);
    writeFileSync(huge, Buffer.concat([Buffer.from('PFWAL\x00\x01\n', 'latin1'), head]));
    assert.throws(() => WriteAheadLog.open(huge), /record 1 at byte 8 claims 4294967280 bytes: the log is damaged/);
  });

  test('an fsync off the event loop: records appended meanwhile wait for the next one', async () => {
    const file = fresh();
    const { log } = WriteAheadLog.open(file);
    log.append({ i: 1 });
    const first = log.syncAsync();
    log.append({ i: 2 });
    assert.throws(() => log.syncAsync(), new Error(`${file}: a sync is already in progress`));
    assert.throws(() => log.compact({ i: 2 }), new Error(`${file}: cannot compact while a sync is in progress`));
    await first;
    assert.deepEqual([log.records, log.dirty], [1, true]);
    await log.syncAsync();
    assert.deepEqual([log.records, log.dirty], [2, false]);
    log.close();
    assert.deepEqual(WriteAheadLog.open(file).recovery.records, [{ i: 1 }, { i: 2 }]);
  });

  test('compaction leaves one record: the latest', () => {
    const file = fresh();
    const { log } = WriteAheadLog.open(file);
    for (let i = 0; i < 5; i++) log.append({ i });
    log.sync();
    log.compact({ i: 4 });
    assert.equal(log.records, 1);
    log.append({ i: 5 });
    log.close();
    assert.deepEqual(WriteAheadLog.open(file).recovery.records, [{ i: 4 }, { i: 5 }]);
  });
});

const clusters: Cluster[] = [];
after(async () => { await Promise.all(clusters.map((c) => c.stop())); });

const waitFor = (what: string, ready: () => boolean, timeoutMs = 5000) => waitUntil(what, ready, timeoutMs);

function lastState(cluster: Cluster, node: string): { status: string } | undefined {
  return cluster.history.filter((h) => h.node === node && h.line.event === 'step').at(-1)?.line.state as { status: string } | undefined;
}
const statuses = (c: Cluster) => c.nodes.map((id) => lastState(c, id)?.status);

describe('durable nodes and network cuts between real processes', () => {
  test('a resource manager killed after it prepared restarts from its log as prepared, and the run commits', { timeout: 20000 }, async () => {
    const data = mkdtempSync(path.join(dir, 'cluster-'));
    const source = sourceOf(twoPhaseCommit)!;
    // rm1 prepares at once, rm2 only after 1.5 s, so rm1 can be killed and restarted in between.
    const cluster = await startCluster({
      source, params: { rms: 2 }, dataDir: data,
      defaultTimerMs: (node): TimerDefaults => (node === 'rm2' ? { prepare: 1500, '*': 9000 } : { prepare: 5, commit: 5, '*': 9000 }),
    });
    clusters.push(cluster);
    // Killed once its vote has reached the manager (a vote still in the socket would die with it).
    await waitFor('the manager to hear rm1 prepared', () => (lastState(cluster, 'tm') as unknown as { prepared: object } | undefined)?.prepared?.hasOwnProperty('rm1') === true);
    assert.deepEqual(await cluster.kill('rm1'), { code: null, signal: 'SIGKILL' });
    await cluster.restart('rm1');
    const recovered = cluster.history.filter((h) => h.node === 'rm1' && h.line.event === 'recovered');
    assert.deepEqual(recovered.map((h) => [h.line.records, h.line.droppedBytes]), [[0, 0], [2, 0]]);
    const restartStep = cluster.history.filter((h) => h.node === 'rm1' && h.line.event === 'step').at(-1)!;
    assert.deepEqual([restartStep.line.on, restartStep.line.state], ['recovery', { status: 'prepared' }]);
    await waitFor('every node to commit', () => statuses(cluster).every((s) => s === 'committed'), 10000);
    await cluster.stop();

    // The run as a trace: rm1 crashes and recovers, and replaying it with the handlers gives the same records.
    const inst = instantiate(twoPhaseCommit, { params: { rms: 2 } });
    const trace = readTrace(writeTrace(traceFromHistory(inst, cluster.history)));
    assert.deepEqual(trace.events.filter((e) => e.node === 'rm1').map((e) => e.event.kind), ['start', 'timer', 'crash', 'recover', 'message']);
    assert.equal(trace.events.filter((e) => e.event.kind === 'message').length, 4); // 2 prepared, 2 commits
    for (const r of trace.events) for (const s of r.sent) assert.equal(s.at.length, 1, 'every message sent in this run was handled');
    assert.deepEqual(trace.end, { type: 'end', stop: 'events', events: trace.events.length, endTimeMs: trace.events.at(-1)!.t, violation: null });
    const replay = replayTrace(inst, trace);
    assert.equal(replay.explanation, `all ${trace.events.length} records match`);
  });

  test('a torn record left by a kill mid-write is dropped when the node starts', { timeout: 15000 }, async () => {
    const data = mkdtempSync(path.join(dir, 'cluster-'));
    written(path.join(data, 'rm1.wal'), [{ set: { status: 'working' } }, { set: { status: 'prepared' } }]);
    appendFileSync(path.join(data, 'rm1.wal'), Buffer.from([30, 0, 0, 0, 1, 2, 3, 4, 0x7b])); // a record cut short
    const cluster = await startCluster({ source: sourceOf(twoPhaseCommit)!, params: { rms: 2 }, dataDir: data, defaultTimerMs: { '*': 9000 } });
    clusters.push(cluster);
    const rec = cluster.history.find((h) => h.node === 'rm1' && h.line.event === 'recovered')!;
    assert.deepEqual(rec.line, { event: 'recovered', node: 'rm1', records: 2, droppedBytes: 9, dropped: 'record 3 at byte 81 is cut short (1 of 30 bytes)' });
    await waitFor('rm1 to report its state', () => lastState(cluster, 'rm1') !== undefined);
    assert.deepEqual(lastState(cluster, 'rm1'), { status: 'prepared' });
    await cluster.stop();
  });

  test('a partition drops messages across the cut: the manager never hears the votes and aborts; after healing, the abort arrives', { timeout: 15000 }, async () => {
    const cluster = await startCluster({
      source: sourceOf(twoPhaseCommit)!, params: { rms: 2 },
      defaultTimerMs: (node): TimerDefaults => (node === 'tm' ? { commit: 5, abort: 1200 } : { prepare: 300, '*': 9000 }),
    });
    clusters.push(cluster);
    cluster.partition([['tm'], ['rm1', 'rm2']]);
    await waitFor('both resource managers to prepare', () => lastState(cluster, 'rm1')?.status === 'prepared' && lastState(cluster, 'rm2')?.status === 'prepared');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(lastState(cluster, 'tm')?.status, 'init', 'the prepared votes were cut off');
    assert.ok(!cluster.history.some((h) => h.node === 'tm' && h.line.event === 'step' && String(h.line.on).startsWith('message')));
    cluster.heal();
    await waitFor('every node to abort', () => statuses(cluster).every((s) => s === 'aborted'));
    assert.deepEqual(cluster.history.filter((h) => h.line.event === 'partition').map((h) => h.line.sides).length, 6);
    assert.throws(() => cluster.partition([['tm', 'x9']]), /the cluster has no node "x9"/);
    await cluster.stop();
  });
});
