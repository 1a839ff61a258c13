import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { cli } from './run-cli.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'protoforge-sim-'));

describe('protoforge simulate and replay', () => {
  test('a failing run prints the events up to the violation, saves its trace, and the trace replays', async () => {
    const file = path.join(dir, 'run.jsonl');
    const r = await cli('simulate', 'two-phase-commit', '-p', 'variant=majority-commit', '--seed', '100', '--out', file);
    assert.equal(r.code, 1);
    assert.match(r.out, /^stopped \(violation\) after 11 events, 9\.825 ms of virtual time$/m);
    assert.match(r.out, /^ {2}FAIL consistency {5}always {6}violated after record 10$/m);
    assert.match(r.out, /^The events up to the violation of consistency:$/m);
    assert.match(r.out, /^ {2}10 {2}t=9\.825 ms {2}rm2 receives commit from tm\n {8}rm2\.status: "prepared" -> "committed"$/m);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    assert.equal(lines.length, 13); // header, 11 events (already the smallest failing run), end
    assert.equal(JSON.parse(lines[0]).seed, 100);
    assert.deepEqual(JSON.parse(lines[0]).shrunkFrom, { events: 11 });
    const again = await cli('replay', file);
    assert.equal(again.code, 0);
    assert.equal(again.out, 'all 11 records match\n');
  });

  test('a noisy failing run is reported and saved shrunk to the events that matter', async () => {
    const file = path.join(dir, 'noisy.jsonl');
    const r = await cli('simulate', 'two-phase-commit', '-p', 'rms=6', '-p', 'variant=majority-commit', '--seed', '214',
      '--latency', 'uniform:0.1-3', '--drop-rate', '0.2', '--duplicate-rate', '0.5', '--crash', 'rm2@2', '--recover', 'rm2@5', '--out', file);
    assert.equal(r.code, 1);
    assert.match(r.out, /^stopped \(violation\) after 32 events/m);
    assert.match(r.out, /^The events up to the violation of consistency \(shrunk from 32 events to 18\):$/m);
    assert.equal(readFileSync(file, 'utf8').trim().split('\n').length, 20);
    assert.equal((await cli('replay', file)).out, 'all 18 records match\n');
    const whole = await cli('simulate', 'two-phase-commit', '-p', 'rms=6', '-p', 'variant=majority-commit', '--seed', '214',
      '--latency', 'uniform:0.1-3', '--drop-rate', '0.2', '--duplicate-rate', '0.5', '--crash', 'rm2@2', '--recover', 'rm2@5', '--no-shrink');
    assert.match(whole.out, /^The events up to the violation of consistency:$/m);
    assert.match(whole.out, /^ {2}31 {2}t=10\.706 ms {2}rm2 fires timer abort$/m);
  });

  test('view writes the trace as one HTML page', async () => {
    const page = path.join(dir, 'run.html');
    const r = await cli('view', path.join(dir, 'run.jsonl'), '-o', page);
    assert.equal(r.code, 0);
    assert.equal(r.out, `${page}\n`);
    const html = readFileSync(page, 'utf8');
    assert.match(html, /^<!doctype html>/i);
    assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href="http/); // nothing loaded from elsewhere
  });

  test('replay names the first record where the protocol now behaves differently', async () => {
    const file = path.join(dir, 'run.jsonl');
    const edited = path.join(dir, 'edited.jsonl');
    writeFileSync(edited, readFileSync(file, 'utf8').replace('"after":"committed"', '"after":"aborted"'));
    const r = await cli('replay', edited);
    assert.equal(r.code, 1);
    assert.equal(r.out, 'record 9 (tm, timer at 8.41 ms) differs in changes[0]: recorded {"field":"status","before":"init","after":"aborted"}, now {"field":"status","before":"init","after":"committed"}\n');
  });

  test('a swarm of runs reports every failing seed and saves its trace', async () => {
    const failures = path.join(dir, 'failures');
    const r = await cli('simulate', 'two-phase-commit', '-p', 'variant=majority-commit', '--runs', '200', '--save-failures', failures);
    assert.equal(r.code, 1);
    assert.match(r.out, /^two-phase-commit: 200 runs \(seeds 1\.\.200\), \d+ events, 1 failing$/m);
    assert.match(r.out, /^ {2}seed 100: consistency violated after record 10/m);
    assert.deepEqual(readdirSync(failures), ['two-phase-commit-seed-100.jsonl']);
    const ok = await cli('simulate', 'paxos', '--runs', '20', '--drop-rate', '0.1', '--crash', 'a1@5', '--recover', 'a1@30', '--json');
    assert.equal(ok.code, 0);
    assert.deepEqual(JSON.parse(ok.out).failures, []);
  });

  test('a swarm finds the same failing seeds with one worker thread or two', async () => {
    const args = ['simulate', 'two-phase-commit', '-p', 'variant=majority-commit', '--runs', '500', '--json'];
    const one = await cli(...args, '--workers', '1');
    const two = await cli(...args, '--workers', '2');
    assert.equal(one.code, 1);
    assert.deepEqual(JSON.parse(two.out), JSON.parse(one.out));
    assert.deepEqual(JSON.parse(one.out).failures.map((f: { seed: number }) => f.seed), [100, 400, 484]);
  });

  test('the same seed gives the same trace, byte for byte', async () => {
    const a = path.join(dir, 'a.jsonl');
    const b = path.join(dir, 'b.jsonl');
    await cli('simulate', 'paxos', '--seed', '9', '--latency', 'exponential:3', '--duplicate-rate', '0.2', '--out', a);
    await cli('simulate', 'paxos', '--seed', '9', '--latency', 'exponential:3', '--duplicate-rate', '0.2', '--out', b);
    assert.equal(readFileSync(a, 'utf8'), readFileSync(b, 'utf8'));
  });

  const bad: [string, () => Promise<string[]>, RegExp][] = [
    ['a truncated trace', async () => {
      const f = path.join(dir, 'truncated.jsonl');
      writeFileSync(f, readFileSync(path.join(dir, 'run.jsonl'), 'utf8').slice(0, 100));
      return ['replay', f];
    }, /^protoforge: error: trace line 1 is not complete JSON: the file ends in the middle of a record \(truncated\?\)$/m],
    ['a trace of another format version', async () => {
      const f = path.join(dir, 'v7.jsonl');
      writeFileSync(f, readFileSync(path.join(dir, 'run.jsonl'), 'utf8').replace('"version":1', '"version":7'));
      return ['replay', f];
    }, /^protoforge: error: trace line 1: protoforge-trace version 7 is not supported \(this protoforge reads version 1\)$/m],
    ['a trace of another protocol', async () => ['replay', path.join(dir, 'run.jsonl'), '--protocol', 'paxos'],
      /^protoforge: error: trace .*run\.jsonl is a run of two-phase-commit, not of paxos$/m],
    ['a trace file that does not exist', async () => ['replay', path.join(dir, 'missing.jsonl')], /cannot read trace .*missing\.jsonl: no such file$/m],
    ['a crash of a node that does not exist', async () => ['simulate', 'paxos', '--crash', 'zz@5'],
      /^protoforge: error: faults\.events\[0\]\.node is "zz", which is not a node \(nodes: p1, p2, a1, a2, a3\)$/m],
    ['a latency out of range', async () => ['simulate', 'paxos', '--latency', 'uniform:5-1'],
      /^protoforge: error: latency\.default: minMs \(5\) must not be greater than maxMs \(1\)$/m],
    ['an unknown latency kind', async () => ['simulate', 'paxos', '--latency', 'warp:1'], /latency is fixed:MS, uniform:MIN-MAX/],
    ['a drop rate out of range', async () => ['simulate', 'paxos', '--drop-rate', '2'], /--drop-rate must be a number from 0 to 1/],
    ['a malformed partition', async () => ['simulate', 'paxos', '--partition', 'a1|a2'], /expected SIDE\|SIDE@FROM-UNTIL/],
    ['--out with several runs', async () => ['simulate', 'paxos', '--runs', '2', '--out', 'x.jsonl'], /--out writes the trace of one run/],
  ];
  for (const [what, args, message] of bad) {
    test(`${what}: exit 2 and one message`, async () => {
      const r = await cli(...(await args()));
      assert.equal(r.code, 2);
      assert.match(r.err, message);
    });
  }
});
