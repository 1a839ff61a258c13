import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { checkInductive } from '../src/check/induct.ts';
import type { InductResult } from '../src/check/induct.ts';
import { constant, defineInduction, isDomain, oneOf } from '../src/core/domains.ts';
import type { Induction, RoleDomain } from '../src/core/domains.ts';
import { instantiate } from '../src/core/instance.ts';
import { encode } from '../src/core/plain.ts';
import type { InFlight, NodeView, World } from '../src/core/properties.ts';
import type { Protocol } from '../src/core/protocol.ts';
import { stepNode } from '../src/core/step.ts';
import type { NodeEvent } from '../src/core/step.ts';
import { paxos } from '../src/protocols/paxos.ts';
import { paxosInduction, paxosStrengthening } from '../src/protocols/paxos-induct.ts';
import { paxosSymbolic } from '../src/protocols/paxos-smt.ts';
import { twoPhaseCommit } from '../src/protocols/two-phase-commit.ts';
import { twoPhaseCommitInduction, twoPhaseCommitStrengthening } from '../src/protocols/two-phase-commit-induct.ts';
import { twoPhaseCommitSymbolic } from '../src/protocols/two-phase-commit-smt.ts';
import { checkInductiveSmt, formatSmtInductResult, SmtInductError } from '../src/smt/induct.ts';
import type { SmtCounterexample, SmtInductResult } from '../src/smt/induct.ts';
import type { PlainState } from '../src/smt/symbolic.ts';
import { closeZ3 } from '../src/smt/z3.ts';

after(() => closeZ3());

const sortedMessages = (ms: readonly InFlight[]) => ms.map((m) => encode(m)).sort();

/**
 * Replays an SMT counterexample with the bounded checker's own pieces: the state before must lie in
 * the bounded domains (`bounds`) of the instance `params` and satisfy every conjunct (the TypeScript
 * predicates of the protocol and its induction); the step, run through `stepNode` as the checker runs
 * it, must give exactly the state after and the messages sent that the solver reported; and the
 * conjuncts false after it must be exactly the ones reported.
 */
function replay(protocol: Protocol, params: Record<string, unknown>, induction: Induction, bounds: Record<string, number>, names: readonly string[], cti: SmtCounterexample): void {
  const inst = instantiate(protocol, { params });
  const ids = inst.topo.ids;
  assert.deepEqual(Object.keys(cti.before.states).sort(), [...ids].sort(), 'the counterexample has the nodes of the instance');
  const world = (st: PlainState): World => {
    const nodes: NodeView[] = ids.map((id, i) => ({ id, role: inst.topo.decls[i].role, state: st.states[id], crashed: false, timers: st.timers[id] }));
    return {
      params: inst.params, nodes, messages: st.messages, outputs: [],
      node: (id) => nodes[ids.indexOf(id)],
      statesOf: (role) => nodes.filter((n) => n.role === role).map((n) => n.state),
    };
  };
  const pool = new Map([...inst.properties, ...induction.invariants(inst.params as never)].map((p) => [p.name, p]));
  const falseIn = (st: PlainState) => names.filter((n) => !pool.get(n)!.holds(world(st)));

  // The state before: in the bounded universe, and satisfying the invariant.
  const universe = induction.domains({
    params: inst.params as never, bounds, bound: (n) => bounds[n], nodes: ids, nodesOf: (r) => inst.topo.nodesOf(r),
  });
  ids.forEach((id, i) => {
    const rd = universe.roles[inst.topo.decls[i].role];
    const d = isDomain(rd) ? rd : typeof (rd as RoleDomain).state === 'function' ? ((rd as RoleDomain).state as (n: string) => typeof rd)(id) : (rd as RoleDomain).state;
    assert.ok((d as { contains(v: unknown): boolean }).contains(cti.before.states[id]), `${id}: ${encode(cti.before.states[id])} is in its bounded domain`);
  });
  for (const m of cti.before.messages) assert.ok(universe.messages.contains(m), `${encode(m)} is in the bounded message domain`);
  assert.deepEqual(falseIn(cti.before), [], 'the state before satisfies the invariant');

  // The step, as the checker takes it.
  const step = cti.step;
  if (step.kind !== 'deliver' && step.kind !== 'timer') assert.fail(`unexpected step ${step.kind}`);
  const node = step.node;
  let messages = [...cti.before.messages];
  let timers = [...cti.before.timers[node]];
  let event: NodeEvent;
  if (step.kind === 'deliver') {
    const delivered: InFlight = { from: step.from, to: node, msg: step.msg };
    const at = messages.findIndex((m) => encode(m) === encode(delivered));
    assert.ok(at >= 0, 'the message delivered is in flight');
    if (!inst.network.duplicating) messages.splice(at, 1);
    event = { kind: 'message', from: step.from, msg: step.msg };
  } else {
    assert.ok(timers.includes(step.timer), 'the timer that fires is armed');
    timers = timers.filter((t) => t !== step.timer);
    event = { kind: 'timer', name: step.timer };
  }
  const res = stepNode(inst.topo, ids.indexOf(node), cti.before.states[node], event);
  const armed = new Set(timers);
  const sent: InFlight[] = [];
  for (const e of res.effects) {
    if (e.kind === 'send') sent.push({ from: node, to: e.to, msg: e.msg });
    else if (e.kind === 'setTimer') armed.add(e.name);
    else if (e.kind === 'cancelTimer') armed.delete(e.name);
  }
  messages = [...messages, ...sent];
  if (inst.network.duplicating) messages = [...new Map(messages.map((m) => [encode(m), m])).values()];
  const after: PlainState = { states: { ...cti.before.states, [node]: res.state }, timers: { ...cti.before.timers, [node]: [...armed].sort() }, messages };
  assert.deepEqual(after.states, cti.after.states, 'the node states after the step');
  assert.deepEqual(after.timers, cti.after.timers, 'the timers after the step');
  assert.deepEqual(sortedMessages(after.messages), sortedMessages(cti.after.messages), 'the messages after the step');
  assert.deepEqual(sortedMessages(sent), sortedMessages(cti.sent), 'the messages sent');
  assert.deepEqual(falseIn(after), cti.violated, 'the conjuncts the step breaks');
}

/**
 * The bounded checker on the universe made of the counterexample alone (each node's one state, the
 * timer sets of its role, the messages in flight and their sub-bags) finds a counterexample to
 * induction there, with the same node states.
 */
async function boundedFindsIt(protocol: Protocol, params: Record<string, unknown>, induction: Induction, names: readonly string[], cti: SmtCounterexample): Promise<void> {
  const inst = instantiate(protocol, { params });
  const roles: Record<string, RoleDomain> = {};
  for (const d of inst.topo.decls) {
    const sets = inst.topo.nodesOf(d.role).map((id) => cti.before.timers[id]);
    roles[d.role] = { state: (id: string) => constant(cti.before.states[id]), timers: oneOf([...new Map(sets.map((t) => [encode(t), t])).values()]) };
  }
  const alone = defineInduction({
    domains: () => ({ roles, messages: oneOf([...new Map(cti.before.messages.map((m) => [encode(m), m])).values()]), maxInFlight: cti.before.messages.length }),
    invariants: induction.invariants,
  });
  const r = await checkInductive(protocol, params, { induction: alone, invariant: [...names], symmetry: false, escapes: 'allow' });
  assert.equal(r.verdict, 'not inductive');
  assert.deepEqual(r.counterexample!.before.states, cti.before.states);
}

interface Row {
  readonly set: string;
  readonly bounded: InductResult['verdict'];
  readonly smt: SmtInductResult['verdict'];
  readonly window?: number | null;
  readonly violated?: readonly string[];
}

describe('Paxos: the SMT verdicts are the bounded checker\'s, and every SMT counterexample is one for the bounded checker', () => {
  const all = ['agreement', 'I1', 'I2', ...paxosStrengthening];
  const sets: [string, readonly string[]][] = [
    ['I1-I2', ['I1-I2']],
    ['inductive', ['inductive']],
    ...all.map((d): [string, readonly string[]] => [`inductive - ${d}`, all.filter((x) => x !== d)]),
  ];

  test('I1-I2 alone, the strengthening, and the strengthening without each conjunct (2 proposers, 3 acceptors)', async () => {
    const model = paxosSymbolic({ proposers: 2, acceptors: 3 });
    const rows: Row[] = [];
    for (const [set, invariant] of sets) {
      // Two messages in flight (at least two of each type) cover any number of messages for these conjuncts.
      const bounded = await checkInductive(paxos, {}, { induction: paxosInduction, invariant, bounds: { messages: 2 } });
      const smt = await checkInductiveSmt(model, { invariant });
      rows.push({ set, bounded: bounded.verdict, smt: smt.verdict, window: smt.counterexample?.window, violated: smt.counterexample?.violated });
      assert.equal(smt.verdict, bounded.verdict, set);
      assert.deepEqual(smt.invariant, bounded.invariant, set);
      assert.equal(smt.initial.holds, bounded.initial.holds, set);
      if (smt.verdict === 'not inductive') {
        const cti = smt.counterexample!;
        // The first window (ballots 1..2, values v1 v2) is the bounded universe of 2 proposers: the bounded
        // checker finds a counterexample there, so the solver does too, with no ballot beyond the bound.
        assert.equal(cti.window, 2, set);
        assert.equal(cti.kind, 'invariant', set);
        assert.ok(cti.violated.length > 0, set);
        const bounds = { messages: Math.max(2, cti.before.messages.length), perType: Math.max(2, cti.before.messages.length), ballots: 2 };
        replay(paxos, { proposers: 2 }, paxosInduction, bounds, smt.invariant, cti);
        await boundedFindsIt(paxos, { proposers: 2 }, paxosInduction, smt.invariant, cti);
      }
    }
    // What the bounded checker's own tests pin: agreement, I1 and I2 follow from the rest; every one of
    // the seven strengthening conjuncts is needed.
    assert.deepEqual(Object.fromEntries(rows.map((r) => [r.set, r.smt])), {
      'I1-I2': 'not inductive',
      inductive: 'inductive',
      'inductive - agreement': 'inductive',
      'inductive - I1': 'inductive',
      'inductive - I2': 'inductive',
      ...Object.fromEntries(paxosStrengthening.map((d) => [`inductive - ${d}`, 'not inductive'])),
    });
  });

  test('the variants: the simplified one keeps the invariant, the one that ignores reported proposals breaks proposals-safe', async () => {
    for (const variant of ['simplified', 'ignores-accepted'] as const) {
      const bounded = await checkInductive(paxos, { variant }, { induction: paxosInduction, invariant: 'inductive', bounds: { messages: 2 } });
      const smt = await checkInductiveSmt(paxosSymbolic({ variant }), { invariant: 'inductive' });
      assert.equal(smt.verdict, bounded.verdict, variant);
      if (smt.counterexample) {
        assert.deepEqual(smt.counterexample.violated, ['proposals-safe']);
        assert.equal(smt.counterexample.step.kind, 'deliver');
        replay(paxos, { variant }, paxosInduction, { messages: 2, perType: 2, ballots: 2 }, smt.invariant, smt.counterexample);
      }
    }
  });

  // Which counterexample the solver returns may differ between runs (term numbering follows garbage
  // collection); its shape does not.
  test('the counterexample to I1-I2 as text', async () => {
    const r = await checkInductiveSmt(paxosSymbolic(), { invariant: 'I1-I2' });
    assert.equal(r.exitCode, 1);
    const text = formatSmtInductResult(r);
    assert.match(text, /^paxos \(acceptors=3 variant=paxos ballots=any values=any\), symbolic: invariant agreement & I1 & I2\n/);
    assert.match(text, /\nNot inductive\. Counterexample to induction:\nA state that satisfies the invariant \(within window 2\):\n/);
    assert.match(text, /\nStep: a1 receives accept from p[12]  \[receive accept \(a=a1 p=[12] b=[12] v=v[12]\)\]\n/);
    assert.match(text, /\nIt breaks (agreement|I1|I2)(, (I1|I2))*\.\nEvery initial state satisfies the invariant\.$/);
  });

  test('an invariant naming no conjunct lists the declared ones', async () => {
    await assert.rejects(checkInductiveSmt(paxosSymbolic(), { invariant: 'I1,I3' }), (e: Error) => e instanceof SmtInductError &&
      /^paxos \(symbolic\) declares no invariant conjunct "I3" \(declared: "agreement", "I1", "I2", .*; presets: "I1-I2", "inductive", "inductive\+messages"\)$/.test(e.message));
  });
});

describe('two-phase commit: for every number of resource managers, and the bounded checker at 3', () => {
  const all = ['consistency', ...twoPhaseCommitStrengthening];
  const sets: [string, readonly string[]][] = [
    ['consistency', ['consistency']],
    ['inductive', ['inductive']],
    ...all.map((d): [string, readonly string[]] => [`inductive - ${d}`, all.filter((x) => x !== d)]),
  ];

  test('consistency alone, the strengthening, and the strengthening without each conjunct', async () => {
    const any = twoPhaseCommitSymbolic({ rms: 'any', window: 3 });
    const three = twoPhaseCommitSymbolic({ rms: 3 });
    const verdicts: Record<string, string> = {};
    for (const [set, invariant] of sets) {
      const bounded = await checkInductive(twoPhaseCommit, { rms: 3 }, { induction: twoPhaseCommitInduction, invariant });
      for (const [model, label] of [[any, 'any number'], [three, '3']] as const) {
        const smt = await checkInductiveSmt(model, { invariant });
        assert.equal(smt.verdict, bounded.verdict, `${set}, ${label} of resource managers`);
        assert.equal(smt.initial.holds, bounded.initial.holds, set);
        if (smt.counterexample) {
          // For any number of resource managers the first window is 3 of them: the bounded instance.
          if (model === any) assert.equal(smt.counterexample.window, 3, set);
          replay(twoPhaseCommit, { rms: 3 }, twoPhaseCommitInduction, { messages: 9 }, smt.invariant, smt.counterexample);
          await boundedFindsIt(twoPhaseCommit, { rms: 3 }, twoPhaseCommitInduction, smt.invariant, smt.counterexample);
        }
        if (model === any) verdicts[set] = smt.verdict;
      }
    }
    assert.deepEqual(verdicts, {
      consistency: 'not inductive',
      inductive: 'inductive',
      'inductive - consistency': 'inductive',
      ...Object.fromEntries(twoPhaseCommitStrengthening.map((d) => [`inductive - ${d}`, 'not inductive'])),
    });
  });

  test('the broken majority-commit variant commits with a resource manager unheard from', async () => {
    const bounded = await checkInductive(twoPhaseCommit, { rms: 3, variant: 'majority-commit' }, { induction: twoPhaseCommitInduction, invariant: 'inductive' });
    const smt = await checkInductiveSmt(twoPhaseCommitSymbolic({ rms: 3, variant: 'majority-commit' }), { invariant: 'inductive' });
    assert.equal(smt.verdict, bounded.verdict);
    const cti = smt.counterexample!;
    assert.deepEqual(cti.step, { kind: 'timer', node: 'tm', timer: 'commit' });
    assert.deepEqual(cti.violated, ['commit-needs-all-prepared']);
    replay(twoPhaseCommit, { rms: 3, variant: 'majority-commit' }, twoPhaseCommitInduction, { messages: 9 }, smt.invariant, cti);
  });
});
