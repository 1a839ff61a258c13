import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { cli } from './run-cli.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Runs the real `protoforge` command as a child process. */
function run(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/protoforge.js', ...args], { cwd: root, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('protoforge command', () => {
  test('list shows the library with parameters', async () => {
    const r = await cli('list');
    assert.equal(r.code, 0);
    assert.match(r.out, /^two-phase-commit {2}Two-phase commit/m);
    assert.match(r.out, /^ {4}rms=3  \(1\.\.1000\) number of resource managers$/m);
    assert.match(r.out, /^paxos {2}/m);
    assert.match(r.out, /^Meta-models \(protoforge generate\):\nbft-commit {2}BFT commit/m);
    const json = JSON.parse((await cli('list', '--json')).out);
    assert.deepEqual(json.protocols.map((p: { name: string }) => p.name), ['two-phase-commit', 'paxos', 'multi-paxos', 'derecho-multicast', 'derecho-membership', 'bft-replicas']);
    assert.deepEqual(json.metaModels.map((p: { name: string }) => p.name), ['bft-commit']);
  });

  test('check prints the verdicts and exits 0 when every property holds', async () => {
    const r = await cli('check', 'two-phase-commit', '--param', 'rms=4');
    assert.equal(r.code, 0);
    assert.match(r.out, /^1,568 distinct states, 11,777 transitions, depth 13, /m);
    assert.match(r.out, /^ {2}ok {3}consistency {5}always {6}holds$/m);
    assert.equal(r.err, '');
  });

  test('a failed property exits 1 with a numbered trace and a replay command that works', async () => {
    const r = await cli('check', 'two-phase-commit', '-p', 'variant=majority-commit');
    assert.equal(r.code, 1);
    assert.match(r.out, /^ {2}FAIL consistency {5}always {6}fails {2}\(counterexample: 7 steps\)$/m);
    assert.match(r.out, /^Counterexample to consistency \(always\), 7 steps:\n0: Initial state\n {5}tm = \{"prepared":\{\},"status":"init"\}$/m);
    assert.match(r.out, /^6: tm fires timer commit\n {5}tm\.status: "init" -> "committed"$/m);
    assert.match(r.out, /^7: rm2 receives commit from tm\n {5}rm2\.status: "prepared" -> "committed"$/m);
    const replay = r.out.match(/^Replay: protoforge (.*)$/m)![1].split(' ');
    const again = await cli(...replay);
    assert.equal(again.code, 0);
    assert.match(again.out, /^7: rm2 receives commit from tm$/m);
  });

  test('--json gives the result and the trace as data', async () => {
    const r = await cli('check', 'paxos', '-p', 'variant=ignores-accepted', '--json');
    assert.equal(r.code, 1);
    const result = JSON.parse(r.out);
    assert.equal(result.states, 27646);
    const agreement = result.properties.find((p: { name: string }) => p.name === 'agreement');
    assert.equal(agreement.verdict, 'fails');
    assert.equal(agreement.trace.steps.length, 15);
    assert.equal(agreement.trace.steps[0].action.kind, 'init');
  });

  test('a bound reached first exits 3', async () => {
    const r = await cli('check', 'paxos', '--max-states', '500');
    assert.equal(r.code, 3);
    assert.match(r.out, /^500 distinct states/m);
    assert.match(r.out, /Stopped at the state bound \(--max-states\)/);
  });

  test('workers, symmetry, dfs and network flags reach the checker', async () => {
    assert.match((await cli('check', 'two-phase-commit', '--workers', '2')).out, /^288 distinct states/m);
    assert.match((await cli('check', 'two-phase-commit', '--symmetry')).out, /^102 distinct states \(up to symmetry\)/m);
    assert.match((await cli('check', 'two-phase-commit', '--dfs')).out, /^288 distinct states/m);
    assert.match((await cli('check', 'two-phase-commit', '--no-duplicating')).out, /^584 distinct states/m);
    assert.match((await cli('check', 'two-phase-commit', '--lossy')).out, /^6,560 distinct states/m);
    assert.match((await cli('check', 'two-phase-commit', '--crashes', '1')).out, /^1,440 distinct states/m);
  });

  test('a protocol from the user\'s own TypeScript file', async () => {
    const r = await cli('check', 'test/fixtures/user-protocol.ts');
    assert.equal(r.code, 0);
    assert.match(r.out, /^ping-pong {2}\(none\)/m);
    assert.match(r.out, /^ {2}ok {3}no more pongs than pings {2}always {6}holds$/m);
  });

  test('the README example checks, and losing a ping breaks its progress', async () => {
    const ok = await cli('check', 'examples/ping-pong.ts');
    assert.equal(ok.code, 0);
    assert.match(ok.out, /^13 distinct states, 18 transitions, depth 6, /m);
    const lossy = await cli('check', 'examples/ping-pong.ts', '--lossy');
    assert.equal(lossy.code, 1);
    assert.match(lossy.out, /^ {2}FAIL both answered {17}eventually {2}fails {2}\(counterexample: 4 steps\)$/m);
    assert.match(lossy.out, /^4: network drops ping from client to server\n {5}\(no further step leads anywhere else, and both answered never held\)$/m);
  });

  test('a protocol file outside any package (loaded as CommonJS) checks and simulates, in worker threads too', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'protoforge-user-'));
    const file = path.join(dir, 'ping.ts');
    const source = readFileSync(path.join(root, 'examples/ping-pong.ts'), 'utf8')
      .replace("from 'protoforge'", `from ${JSON.stringify(path.join(root, 'src/index.ts'))}`);
    writeFileSync(file, source);
    for (const workers of ['1', '2']) {
      const r = await cli('check', file, '--workers', workers);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /^13 distinct states/m);
    }
    const sim = await cli('simulate', file, '--runs', '10', '--workers', '2');
    assert.equal(sim.code, 0, sim.err);
    assert.match(sim.out, /^ping-pong: 10 runs \(seeds 1\.\.10\), \d+ events, 0 failing$/m);
  });

  test('a user file checks with two worker threads too', async () => {
    const r = await cli('check', 'test/fixtures/two-protocols.ts', '--export', 'pair', '--workers', '2', '--network', 'ordered');
    assert.equal(r.code, 0);
    assert.match(r.out, /^3 distinct states/m);
  });

  const usage: [string, string[], RegExp][] = [
    ['an unknown protocol', ['check', 'nope'], /^protoforge: error: unknown protocol "nope" \(the library has: two-phase-commit, paxos, multi-paxos, derecho-multicast, derecho-membership, bft-replicas;/],
    ['a file that does not exist', ['check', './missing.ts'], /^protoforge: error: protocol file \.\/missing\.ts does not exist$/m],
    ['a file that does not type-check', ['check', 'test/fixtures/bad-field.ts'],
      /^protoforge: error: protocol file test\/fixtures\/bad-field\.ts does not type-check \(1 error\):\n {2}test\/fixtures\/bad-field\.ts:12:43: Property 'hops' does not exist on type '\{ type: "pong"; \}'\.$/m],
    ['a file that exports no protocol', ['check', 'test/fixtures/no-protocol.ts'], /^protoforge: error: protocol file test\/fixtures\/no-protocol\.ts exports no protocol/],
    ['a file that exports two protocols', ['check', 'test/fixtures/two-protocols.ts'], /exports several protocols \(counter, pair\): choose one with --export NAME$/m],
    ['an unknown parameter', ['check', 'paxos', '-p', 'x=1'], /^protoforge: error: paxos has no parameter "x" \(its parameters: proposers, acceptors, variant, learners\)$/m],
    ['a parameter out of range', ['check', 'paxos', '-p', 'acceptors=1000'], /^protoforge: error: parameter acceptors of paxos must be a whole number from 1 to 999, got "1000"$/m],
    ['a malformed parameter', ['check', 'paxos', '-p', 'acceptors'], /expected KEY=VALUE, got "acceptors"/],
    ['a bad choice', ['check', 'paxos', '-p', 'variant=fast'], /must be one of paxos, simplified, ignores-accepted, got "fast"/],
    ['workers out of range', ['check', 'paxos', '--workers', '0'], /--workers must be a whole number from 1 to 64/],
    ['an unknown flag', ['check', 'paxos', '--fast'], /unknown option '--fast'/],
    ['an unknown network', ['check', 'paxos', '--network', 'mesh'], /argument 'mesh' is invalid\. Allowed choices are unordered, ordered/],
    ['an ordered duplicating network', ['check', 'paxos', '--network', 'ordered', '--duplicating'], /^protoforge: error: an ordered \(FIFO\) network cannot also be duplicating/m],
    ['dfs with workers', ['check', 'paxos', '--dfs', '--workers', '2'], /^protoforge: error: depth-first search runs on one thread/m],
    ['both bfs and dfs', ['check', 'paxos', '--dfs', '--bfs'], /^protoforge: error: choose one of --bfs and --dfs$/m],
    ['symmetry where no role is interchangeable', ['check', 'test/fixtures/user-protocol.ts', '--symmetry'], /ping-pong declares no interchangeable roles/],
    ['a bad replay path', ['check', 'paxos', '--replay', '0/x'], /path step 2 is "x"/],
    ['an unknown command', ['frobnicate'], /unknown command 'frobnicate'/],
  ];
  for (const [what, args, message] of usage) {
    test(`${what} is a usage error: exit 2 and one message`, async () => {
      const r = await cli(...args);
      assert.equal(r.code, 2);
      assert.match(r.err, message);
      assert.equal(r.out, '');
    });
  }

  test('a protocol whose handler breaks the rules exits 2 naming node and event', async () => {
    const r = await cli('check', 'test/fixtures/toy.ts', '--export', 'faulty');
    assert.equal(r.code, 2);
    assert.equal(r.err, 'protoforge: error in the protocol: node n1 (worker) handling timer go: state.seen is a Map, which is not plain data (use null, booleans, finite numbers, strings, arrays and plain objects)\n');
  });

  test('an error in a worker thread is reported the same way', async () => {
    const r = await cli('check', 'test/fixtures/toy.ts', '--export', 'faulty', '-p', 'fault=throw', '--workers', '2');
    assert.equal(r.code, 2);
    assert.equal(r.err, 'protoforge: error in the protocol: node n1 (worker) handling timer go threw: boom\n');
  });

  test('the installed command runs as a real process with the documented exit codes', () => {
    const ok = run('check', 'two-phase-commit');
    assert.equal(ok.code, 0);
    assert.match(ok.out, /^288 distinct states/m);
    assert.equal(ok.err, ''); // no progress line when stderr is not a terminal
    assert.equal(run('check', 'two-phase-commit', '-p', 'variant=majority-commit').code, 1);
    const bad = run('check', 'paxos', '--max-states', 'lots');
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--max-states must be a whole number/);
    assert.equal(run('check', 'paxos', '--max-depth', '3').code, 3);
    const help = run('--help');
    assert.equal(help.code, 0);
    assert.match(help.out, /Usage: protoforge/);
  });

  test('Ctrl-C ends a long check with what was explored, exit 3', async () => {
    const child = spawn(process.execPath, ['bin/protoforge.js', 'check', 'two-phase-commit', '-p', 'rms=10'], { cwd: root });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    // Interrupt once the process has used 2 s of CPU (it starts in well under 1 s), so it is searching
    // with its SIGINT handler installed however slowly a loaded machine runs it.
    const cpuTicks = () => {
      const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return Number(fields[11]) + Number(fields[12]); // utime + stime, in 1/100 s
    };
    while (cpuTicks() < 200) await new Promise((resolve) => setTimeout(resolve, 20));
    child.kill('SIGINT');
    const [code] = await once(child, 'exit');
    assert.equal(code, 3);
    assert.match(out, /^Stopped at an interrupt before the search was complete/m);
    assert.match(out, /^ {2}\? {4}consistency {5}always {6}unknown$/m);
  });

  test('check-all prints a verdict table of the library', () => {
    const r = run('check-all');
    assert.equal(r.code, 0);
    const lines = r.out.trim().split('\n');
    assert.match(lines[0], /^protocol +parameters +states {2}depth {4}time {2}verdicts$/);
    assert.match(lines[2], /^two-phase-commit +rms=3 variant=correct +288 +10 +[\d.]+ s {2}consistency: holds, commit happens: found$/);
    assert.match(lines[3], /^paxos +proposers=2 acceptors=3 variant=paxos learners=0 +28,606 +20 +[\d.]+ s {2}agreement: holds, validity: holds, I1: holds, I2: holds, a value is chosen: found$/);
    // Where the defaults take minutes, the table says which smaller setting it checked.
    assert.match(lines[4], /^multi-paxos +replicas=3 commands=2 maxBallot=1 .* +9,767 +19 +[\d.]+ s {2}agreement: holds, no gaps: holds, /);
    assert.match(lines[5], /^derecho-multicast +members=3 messages=2 .* +182,942 +29 /);
    assert.match(lines[6], /^derecho-membership +members=3 .* +708,692 +39 +[\d.]+ s {2}virtual synchrony: holds, /);
    assert.match(lines[7], /^bft-replicas +r=4 updates=1 .* +10,904 +12 +[\d.]+ s {2}no conflicting commits: holds, /);
    assert.equal(lines.length, 8);
  });
});
