// Derecho's virtually synchronous membership in the shared state table notation, with one failure:
// exact counts, verdicts, the broken variant's counterexample, a simulated crash of the leader.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { check } from '../src/check/index.ts';
import type { CheckOptions, CheckResult } from '../src/check/index.ts';
import { instantiate } from '../src/core/index.ts';
import { defineSstProtocol } from '../src/core/sst.ts';
import type { SstNodeState } from '../src/core/sst.ts';
import { derechoMembership, derechoMembershipProgram } from '../src/protocols/derecho-membership.ts';
import type { MembershipApp, MembershipRow } from '../src/protocols/derecho-membership.ts';
import { simulate } from '../src/sim/index.ts';

const verdicts = (r: CheckResult) => Object.fromEntries(r.properties.map((p) => [p.name, p.verdict]));
const safety = {
  'virtual synchrony': 'holds', atomicity: 'holds', 'total order in each view': 'holds', 'each message delivered once': 'holds',
  'view annotations agree': 'holds', 'one view per number': 'holds',
};
const witnesses = { 'a view change is installed': 'found', 'a suspected member that did not crash is removed': 'found' };
type State = SstNodeState<MembershipRow, MembershipApp>;
const traceOf = (r: CheckResult, property: string) => r.properties.find((p) => p.name === property)!.trace!;

describe('Derecho membership, checked with one failure', () => {
  test('3 members, the leader m1 multicasts one message and may crash or be suspected: 708,692 states', async () => {
    const r = await check(derechoMembership, {});
    assert.deepEqual(r.params, { members: 3, messages: 1, quiet: 2, faulty: 1, detector: 'faulty', detectorMs: 50, batching: true, variant: 'derecho' });
    assert.deepEqual([r.network.crashes, r.network.ordering], [1, 'ordered']);
    assert.deepEqual([r.states, r.complete], [708692, true]);
    assert.deepEqual(verdicts(r), { ...safety, ...witnesses, 'survivors deliver a message of a member they removed': 'found' });
    // The witness: m2 takes over as leader, and m2 and m3 deliver m1's message through the ragged trim.
    const last = traceOf(r, 'survivors deliver a message of a member they removed').steps.at(-1)!.states as Record<string, State>;
    const survivor = ['m2', 'm3'].find((m) => last[m].app.vid === 1)!;
    assert.deepEqual(last[survivor].app.views, [['m1', 'm2', 'm3'], ['m2', 'm3']]);
    assert.deepEqual(last[survivor].app.delivered, [['m1.1'], []]);
  });

  test('exact counts for other settings', async () => {
    const cases: [CheckOptions, number, Record<string, string>][] = [
      [{ params: { messages: 0 } }, 13408, { ...safety, ...witnesses }],
      // m3 may be suspected while m1 has not sent yet: m1 sends in view 1.
      [{ params: { faulty: 3 } }, 439392, { ...safety, ...witnesses }],
      [{ params: { members: 2 } }, 30, { ...safety, 'a member shuts down': 'found' }],
      [{ params: { members: 2, detector: 'any' } }, 165, { ...safety, 'a member shuts down': 'found' }],
    ];
    for (const [options, states, expected] of cases) {
      const r = await check(derechoMembership, options);
      assert.equal(r.states, states, JSON.stringify(options));
      assert.deepEqual(verdicts(r), expected, JSON.stringify(options));
    }
  });

  test('with eager evaluation (a pass right after each push): 103,340 states, every property holds', async () => {
    const eager = defineSstProtocol({ ...derechoMembershipProgram, evaluation: 'eager' });
    const r = await check(eager, {});
    assert.equal(r.states, 103340);
    assert.deepEqual(verdicts(r), { ...safety, ...witnesses, 'survivors deliver a message of a member they removed': 'found' });
  });

  test('delivering what one received instead of the ragged trim breaks virtual synchrony (13 steps)', async () => {
    const r = await check(derechoMembership, { params: { variant: 'no-trim' } });
    assert.equal(r.exitCode, 1);
    assert.deepEqual(verdicts(r), {
      ...safety, 'virtual synchrony': 'fails', atomicity: 'fails', 'view annotations agree': 'fails', ...witnesses,
      'survivors deliver a message of a member they removed': 'found',
    });
    // The views installed after that run carry different delivery orders for view 0.
    const installs = traceOf(r, 'view annotations agree').steps.flatMap((s) => s.outputs.map((o) => o.value as { install?: number; closed?: unknown })).filter((v) => v.install === 1);
    assert.deepEqual(new Set(installs.map((v) => JSON.stringify(v.closed))).size, 2);
    const trace = traceOf(r, 'virtual synchrony');
    assert.equal(trace.steps.length - 1, 13);
    // m3 falsely suspects m1; m2 has m1.1 but m3 does not, so the trim leaves it out, yet m2 delivers it.
    assert.deepEqual(trace.steps[2].action, { kind: 'timer', node: 'm3', timer: 'sst-action:suspect-m1' });
    const last = trace.steps.at(-1)!.states as Record<string, State>;
    assert.deepEqual([last.m2.app.delivered, last.m3.app.delivered], [[['m1.1'], []], [[], []]]);
    assert.deepEqual(trace.steps.at(-1)!.crashed, []); // nobody crashed: a false suspicion is enough
  });
});

describe('Derecho membership, simulated', () => {
  test('the leader crashes at 5 ms: the survivors suspect it, install view 1 and deliver the same messages', () => {
    const inst = instantiate(derechoMembership);
    const seen: string[] = [];
    for (let seed = 1; seed <= 6; seed++) {
      const run = simulate(inst, { seed, latency: { default: { kind: 'uniform', minMs: 1, maxMs: 10 } }, faults: { events: [{ kind: 'crash', node: 'm1', atMs: 5 }] } });
      assert.equal(run.stop, 'quiescent', `seed ${seed}`);
      assert.ok(run.properties.filter((p) => p.kind === 'always').every((p) => p.ok), `seed ${seed}`);
      const outputs = run.trace.events.flatMap((e) => e.outputs.map((o) => `${e.node} ${JSON.stringify(o)}`));
      const m2 = outputs.filter((o) => o.startsWith('m2') && o.includes('"deliver":'));
      const m3 = outputs.filter((o) => o.startsWith('m3') && o.includes('"deliver":'));
      assert.deepEqual(m2.map((o) => o.slice(3)), m3.map((o) => o.slice(3)), `seed ${seed}`);
      // View 1 carries view 0's delivery order, the same at both survivors.
      const install = `{"install":1,"members":["m2","m3"],"closed":{"vid":0,"delivered":${m2.length > 0 ? '["m1.1"]' : '[]'}}}`;
      assert.ok(outputs.includes(`m2 ${install}`) && outputs.includes(`m3 ${install}`), `seed ${seed}`);
      seen.push(m2.length > 0 ? 'delivered' : 'trimmed');
    }
    // Depending on whether m1's message reached the others before it crashed.
    assert.deepEqual(seen, ['delivered', 'trimmed', 'delivered', 'trimmed', 'delivered', 'trimmed']);
  });

  test('4 members, m4 suspected early: m2\'s message, left out by the trim, is sent again and delivered once in view 1', () => {
    const inst = instantiate(derechoMembership, { params: { members: 4, quiet: 1, faulty: 4, detectorMs: 3 } });
    const run = simulate(inst, { seed: 125, latency: { default: { kind: 'uniform', minMs: 1, maxMs: 20 } } });
    assert.equal(run.stop, 'quiescent');
    assert.deepEqual(Object.fromEntries(run.properties.map((p) => [p.name, p.ok])), {
      'virtual synchrony': true, atomicity: true, 'total order in each view': true, 'each message delivered once': true,
      'view annotations agree': true, 'one view per number': true, 'a view change is installed': true,
      'a suspected member that did not crash is removed': true, 'a message the trim left out is delivered in the next view': true,
    });
    const outputs = (node: string) => run.trace.events.filter((e) => e.node === node).flatMap((e) => e.outputs);
    assert.deepEqual(outputs('m2'), [
      { deliver: 'm1.1', vid: 0 }, { deliver: 'm3.1', vid: 0 },
      { resend: ['m2.1'], vid: 1 },
      { install: 1, members: ['m1', 'm2', 'm3'], closed: { vid: 0, delivered: ['m1.1', 'm3.1'] } },
      { deliver: 'm2.1', vid: 1 },
    ]);
    for (const m of ['m1', 'm3']) assert.deepEqual(outputs(m).filter((o) => 'deliver' in (o as object)), [{ deliver: 'm1.1', vid: 0 }, { deliver: 'm3.1', vid: 0 }, { deliver: 'm2.1', vid: 1 }], m);
    assert.deepEqual(outputs('m4').at(-1), { removed: 'm4', vid: 0 });
  });
});
