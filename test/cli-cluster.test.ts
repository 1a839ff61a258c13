import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { readTrace } from '../src/sim/index.ts';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cli } from './run-cli.ts';

const bin = fileURLToPath(new URL('../bin/protoforge.js', import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), 'protoforge-cluster-cli-'));
const launchers: ReturnType<typeof spawn>[] = [];
after(() => { for (const l of launchers) l.kill('SIGKILL'); });

describe('protoforge cluster', () => {
  test('up, status, kill, restart, partition, heal, down: every node a process, none left behind', { timeout: 30000 }, async () => {
    const data = path.join(dir, 'c1');
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    const launcher = spawn(process.execPath, [bin, 'cluster', 'up', 'two-phase-commit', '-p', 'rms=2', '--data', data, '--json', '--timer', '*=60000'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    launchers.push(launcher);
    const lines = createInterface({ input: launcher.stdout! })[Symbol.asyncIterator]();
    const ready = JSON.parse((await lines.next()).value as string);
    assert.equal(ready.event, 'ready');
    assert.deepEqual(ready.nodes.map((n: { node: string }) => n.node), ['tm', 'rm1', 'rm2']);
    for (const n of ready.nodes) assert.match(n.address, /^127\.0\.0\.1:\d+$/);

    const status = async () => JSON.parse((await cli('cluster', 'status', '--data', data, '--json')).out);
    const before = await status();
    assert.deepEqual(before.nodes.map((n: { id: string; state: string }) => `${n.id} ${n.state}`), ['tm running', 'rm1 running', 'rm2 running']);
    assert.equal(before.launcher, launcher.pid);
    const oldPid = before.nodes[1].pid;

    assert.deepEqual(await cli('cluster', 'kill', 'rm1', '--data', data), { code: 0, out: 'rm1 killed (SIGKILL)\n', err: '' });
    assert.throws(() => process.kill(oldPid, 0), { code: 'ESRCH' });
    assert.equal((await status()).nodes[1].state, 'exited');
    const restarted = await cli('cluster', 'restart', 'rm1', '--data', data);
    assert.equal(restarted.out, `rm1 restarted on port ${before.nodes[1].port}\n`);
    const after1 = await status();
    assert.equal(after1.nodes[1].state, 'running');
    assert.notEqual(after1.nodes[1].pid, oldPid);
    assert.equal(after1.nodes[1].port, before.nodes[1].port);

    assert.equal((await cli('cluster', 'pause', 'tm', '--data', data)).out, 'tm paused (SIGSTOP)\n');
    assert.equal((await status()).nodes[0].state, 'paused');
    assert.equal((await cli('cluster', 'resume', 'tm', '--data', data)).out, 'tm resumed (SIGCONT)\n');
    assert.equal((await cli('cluster', 'partition', 'tm|rm1,rm2', '--data', data)).out, 'partitioned: tm | rm1,rm2\n');
    assert.deepEqual((await status()).partition, [['tm'], ['rm1', 'rm2']]);
    assert.equal((await cli('cluster', 'heal', '--data', data)).out, 'partition healed\n');

    // bad input: one message each, exit 2
    assert.deepEqual(await cli('cluster', 'partition', 'tm', '--data', data), { code: 2, out: '', err: 'protoforge: error: partition "tm": give two or more sides of node ids, like a1,a2|a3\n' });
    assert.deepEqual(await cli('cluster', 'kill', 'x9', '--data', data), { code: 2, out: '', err: 'protoforge: error: the cluster has no node "x9" (nodes: tm, rm1, rm2)\n' });
    const second = await cli('cluster', 'up', 'two-phase-commit', '--data', data);
    assert.equal(second.code, 2);
    assert.match(second.err, /^protoforge: error: a cluster of two-phase-commit is already running from .* \(launcher pid \d+\): protoforge cluster down --data /);

    assert.deepEqual(await cli('kv', 'get', 'x', '--data', data), { code: 2, out: '', err: `protoforge: error: the cluster in ${data} serves no key-value API: start it with --http\n` });

    const pids = (await status()).nodes.map((n: { pid: number }) => n.pid);
    assert.deepEqual(await cli('cluster', 'down', '--data', data), { code: 0, out: 'stopping the cluster\n', err: '' });
    const stopped = JSON.parse((await lines.next()).value as string);
    const [code] = await new Promise<[number | null]>((resolve) => launcher.once('exit', (c) => resolve([c])));
    assert.equal(code, 0);
    // The run, kill and restart included, is a trace that replays with the handlers and draws as a page.
    assert.deepEqual(stopped, { event: 'stopped', trace: path.join(data, 'trace.jsonl') });
    const replay = await cli('replay', stopped.trace);
    assert.equal(replay.code, 0);
    assert.match(replay.out, /^all \d+ records match\n$/);
    const kinds = readTrace(readFileSync(stopped.trace, 'utf8')).events.filter((e) => e.node === 'rm1').map((e) => e.event.kind);
    assert.deepEqual(kinds, ['start', 'crash', 'recover']);
    assert.equal((await cli('view', stopped.trace)).code, 0);
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' });
    assert.ok(existsSync(path.join(data, 'rm1.wal')));
    assert.ok(!existsSync(path.join(data, 'cluster.json')));
    assert.deepEqual(await cli('cluster', 'status', '--data', data), { code: 2, out: '', err: `protoforge: error: no cluster is running from ${data} (start one with: protoforge cluster up PROTOCOL --data ${data})\n` });
  });

  test('up --http: the key-value service on every node, its addresses in the status; a protocol without requests is refused', { timeout: 30000 }, async () => {
    const data = path.join(dir, 'kv');
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    const multiPaxos = fileURLToPath(new URL('../src/protocols/multi-paxos.ts', import.meta.url));
    const launcher = spawn(process.execPath, [bin, 'cluster', 'up', multiPaxos, '-p', 'commands=0', '-p', 'maxBallot=1000', '--http', '--no-trace', '--data', data, '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    launchers.push(launcher);
    const lines = createInterface({ input: launcher.stdout! })[Symbol.asyncIterator]();
    const ready = JSON.parse((await lines.next()).value as string);
    assert.deepEqual(ready.nodes.map((n: { node: string }) => n.node), ['r1', 'r2', 'r3']);
    const urls: string[] = ready.nodes.map((n: { http: string }) => n.http);
    for (const url of urls) assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const status = JSON.parse((await cli('cluster', 'status', '--data', data, '--json')).out);
    assert.deepEqual(status.nodes.map((n: { http: number }) => `http://127.0.0.1:${n.http}`), urls);

    const put = await fetch(`${urls[0]}/kv/greeting`, { method: 'PUT', body: JSON.stringify({ value: 'hello' }) });
    assert.deepEqual([put.status, await put.json()], [200, { key: 'greeting', value: 'hello' }]);
    assert.equal((await cli('cluster', 'kill', 'r1', '--data', data)).code, 0);
    const get = await fetch(`${urls[2]}/kv/greeting`);
    assert.deepEqual([get.status, await get.json()], [200, { key: 'greeting', value: 'hello' }]);

    // The same through `protoforge kv`, which skips the killed node.
    assert.deepEqual(await cli('kv', 'get', 'greeting', '--data', data), { code: 0, out: '"hello"\n', err: '' });
    assert.deepEqual(await cli('kv', 'put', 'n', '41', '--data', data, '--node', 'r3'), { code: 0, out: 'OK\n', err: '' });
    assert.deepEqual(await cli('kv', 'cas', 'n', '42', '--expect', '41', '--data', data), { code: 0, out: 'OK\n', err: '' });
    assert.deepEqual(await cli('kv', 'cas', 'n', '43', '--expect', '41', '--data', data), { code: 1, out: 'compare failed: the value is 42\n', err: '' });
    assert.deepEqual(await cli('kv', 'get', 'n', '--data', data, '--json'), { code: 0, out: '{"status":200,"key":"n","value":42}\n', err: '' });
    assert.deepEqual(await cli('kv', 'delete', 'n', '--data', data), { code: 0, out: 'deleted\n', err: '' });
    assert.deepEqual(await cli('kv', 'get', 'n', '--data', data), { code: 1, out: 'n: absent\n', err: '' });
    assert.deepEqual(await cli('kv', 'get', 'n', '--data', data, '--node', 'r9'), { code: 2, out: '', err: 'protoforge: error: the cluster has no node "r9" (nodes: r1, r2, r3)\n' });

    assert.deepEqual(await cli('cluster', 'down', '--data', data), { code: 0, out: 'stopping the cluster\n', err: '' });
    assert.deepEqual(JSON.parse((await lines.next()).value as string), { event: 'stopped' });
    assert.ok(!existsSync(path.join(data, 'trace.jsonl')), 'no trace without steps');
    assert.deepEqual(await cli('kv', 'get', 'n', '--data', data), { code: 2, out: '', err: `protoforge: error: no cluster is running from ${data} (start one with: protoforge cluster up multi-paxos -p commands=0 -p maxBallot=1000000000 --http --data ${data})\n` });

    const refused = await cli('cluster', 'up', 'paxos', '--http', '--data', path.join(dir, 'not-kv'));
    assert.equal(refused.code, 2);
    assert.match(refused.err, /^protoforge: error: node (p1|p2|a1|a2|a3) exited \(code 1, signal null\) before it started: --http serves replicated logs that take \{type: 'request', cmd\} messages \(like multi-paxos\); node \w+ \(role \w+\) of paxos has no "request" handler\n$/);
    assert.equal((await cli('cluster', 'up', 'paxos', '--http-timeout', '0', '--data', path.join(dir, 'x'))).err,
      "error: option '--http-timeout <ms>' argument '0' is invalid. --http-timeout must be a whole number from 1 to 3600000.\n(run with --help for usage)\n");
  });
});
