import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { check } from '../src/check/index.ts';
import {
  checkInductive, describeInduction, formatInductResult, inductResultJson, InductOptionsError, NoDomainsError, UnknownInvariantError, UniverseTooLargeError,
} from '../src/check/induct.ts';
import type { InductResult } from '../src/check/induct.ts';
import {
  attachInduction, constant, defineInduction, DomainError, envelopes, everyMessage, everyNode, inductionOf, mapOf, mapped, MissingBoundError,
  nullable, oneOf, optional, range, record, seq, setOf, tuple, union, where,
} from '../src/core/domains.ts';
import { always, defineProtocol } from '../src/core/index.ts';
import type { Protocol } from '../src/core/index.ts';
import { paxos, twoPhaseCommit } from '../src/protocols/index.ts';
import { paxosInduction, paxosStrengthening } from '../src/protocols/paxos-induct.ts';
import { twoPhaseCommitInduction, twoPhaseCommitStrengthening } from '../src/protocols/two-phase-commit-induct.ts';

const counts = (r: InductResult) => ({ tuples: r.tuples, examined: r.examined, satisfying: r.satisfying, steps: r.steps, successors: r.successors, beyondBounds: r.beyondBounds });

describe('domains', () => {
  test('enumerate in a fixed order: last component fastest, small before large, repeats once', () => {
    assert.deepEqual(range(1, 3).values(), [1, 2, 3]);
    assert.equal(range(2, 1).size, 0);
    assert.deepEqual(nullable(range(1, 2)).values(), [null, 1, 2]);
    assert.deepEqual(tuple(range(1, 2), oneOf(['a', 'b'])).values(), [[1, 'a'], [1, 'b'], [2, 'a'], [2, 'b']]);
    assert.deepEqual(record({ x: range(0, 1), y: optional(constant('z')) }).values(), [{ x: 0 }, { x: 0, y: 'z' }, { x: 1 }, { x: 1, y: 'z' }]);
    assert.deepEqual(mapOf(['a', 'b'], oneOf([1, 2])).values().slice(0, 4), [{}, { a: 1 }, { a: 2 }, { b: 1 }]);
    assert.equal(mapOf(['a', 'b'], oneOf([1, 2])).size, 9);
    assert.equal(mapOf(['a', 'b', 'c'], oneOf([1, 2]), { maxSize: 1 }).size, 7);
    assert.deepEqual(seq(oneOf(['x', 'y']), 2).values(), [[], ['x'], ['y'], ['x', 'x'], ['x', 'y'], ['y', 'x'], ['y', 'y']]);
    assert.deepEqual(setOf(range(1, 3), { maxSize: 2 }).values(), [[], [1], [2], [3], [1, 2], [1, 3], [2, 3]]);
    assert.deepEqual(union(range(1, 2), range(2, 3)).values(), [1, 2, 3]);
    assert.deepEqual(where(range(1, 6), (n) => n % 2 === 0).values(), [2, 4, 6]);
    assert.deepEqual(mapped(range(-1, 1), (n) => n * n).values(), [1, 0]);
    assert.equal(envelopes(['p1', 'p2'], ['a1'], record({ type: constant('ping'), n: range(1, 3) })).size, 6);
  });

  test('membership is by canonical encoding, whatever the key order', () => {
    const d = record({ phase: oneOf(['A', 'B']), n: range(1, 2) });
    assert.equal(d.indexOf({ n: 2, phase: 'A' }), 1);
    assert.equal(d.contains({ phase: 'B', n: 3 }), false);
    assert.equal(d.contains(undefined), false);
  });

  test('a limit that is not a whole number, or too many values, is a DomainError', () => {
    assert.throws(() => range(1, undefined as never), (e: Error) => e instanceof DomainError && /the range from 1 must be a whole number, got undefined \(is a bound missing\?\)/.test(e.message));
    assert.throws(() => seq(range(0, 99), 6).values(), (e: Error) => e instanceof DomainError && /more than 4,000,000 can be enumerated: lower the bounds/.test(e.message));
  });
});

describe('universe sizes', () => {
  const anything = defineInduction({ ...twoPhaseCommitInduction, invariants: () => [always('anything', () => true)] });

  test('with an invariant that rules nothing out, every state of the universe is examined', async () => {
    const one = await checkInductive(twoPhaseCommit, { rms: 1 }, { induction: anything, invariant: 'anything', symmetry: false });
    assert.equal(one.universe.states, 3072n); // tm 3 statuses x 2 prepared sets x 4 timer sets, rm 4 x 4, 2^3 sets of messages
    assert.equal(one.examined, 3072);
    assert.equal(one.verdict, 'inductive');
    const two = await checkInductive(twoPhaseCommit, { rms: 2 }, { induction: anything, invariant: 'anything', bounds: { messages: 1 }, symmetry: false });
    assert.equal(two.universe.states, 86016n); // 48 x 16 x 16 x (1 + 6)
    assert.equal(two.examined, 86016);
    const sym = await checkInductive(twoPhaseCommit, { rms: 2 }, { induction: anything, invariant: 'anything', bounds: { messages: 1 } });
    assert.equal(sym.symmetry, true);
    assert.equal(sym.universe.states, 86016n);
    assert.equal(sym.universe.nodeTuples, 6528n); // 48 x (16 * 17 / 2): the two resource managers in sorted order
    assert.equal(sym.examined, 45696);
    assert.equal(sym.anyMessageCount, false); // one message at most: pairs of messages were not covered
  });

  test('Paxos, 2 proposers and 3 acceptors: the types, and what the per-node conjuncts leave', async () => {
    const r = await checkInductive(paxos, {}, { induction: paxosInduction, invariant: 'inductive', bounds: { messages: 2 } });
    const u = r.universe;
    assert.deepEqual(r.bounds, { messages: 2, perType: 2, ballots: 2 });
    assert.deepEqual(u.nodeStates, { p1: 446, p2: 446, a1: 181, a2: 181, a3: 181 });
    assert.deepEqual(u.allowedNodeStates, { p1: 8, p2: 14, a1: 13, a2: 13, a3: 13 });
    assert.equal(u.messages, 108);
    assert.equal(u.messageBags, 5995n); // 1 + 108 + 108 * 109 / 2
    assert.equal(u.states, 446n * 446n * 181n * 181n * 181n * 5995n);
    assert.equal(u.states, 7071224562732220n);
    assert.equal(u.nodeTuples, 50960n); // 8 x 14 x (13 * 14 * 15 / 6)
    assert.equal(u.enumerated, 305505200n);
  });
});

describe('Paxos: the proof the Disel document could not finish', () => {
  test('I1, I2 and agreement alone are not inductive: an accept message can carry another value for a ballot', async () => {
    const r = await checkInductive(paxos, {}, { induction: paxosInduction, invariant: 'agreement,I1,I2', bounds: { messages: 2 } });
    assert.equal(r.verdict, 'not inductive');
    assert.equal(r.exitCode, 1);
    assert.deepEqual(r.invariant, ['agreement', 'I1', 'I2']);
    assert.deepEqual(counts(r), { tuples: 3, examined: 12082, satisfying: 12082, steps: 23635, successors: 4793, beyondBounds: 0 });
    const cti = r.counterexample!;
    assert.equal(cti.kind, 'invariant');
    assert.deepEqual(cti.before.states, {
      p1: { phase: 'PInit' }, p2: { phase: 'PInit' }, a1: { phase: 'AInit' }, a2: { phase: 'AInit' },
      a3: { phase: 'APromised', promised: 1, accepted: null, votes: { 1: 'v1' } },
    });
    assert.deepEqual(cti.before.messages, [{ from: 'p1', to: 'a1', msg: { type: 'accept', n: 1, value: 'v2' } }]);
    assert.deepEqual(cti.step, { kind: 'deliver', node: 'a1', from: 'p1', msg: { type: 'accept', n: 1, value: 'v2' } });
    assert.deepEqual(cti.after.states.a1, { phase: 'AAccepted', promised: 1, accepted: [1, 'v2'], votes: { 1: 'v2' } });
    assert.deepEqual(cti.after.messages, []);
    assert.deepEqual(cti.violated, ['I1']);
    assert.equal(r.initial.holds, true);
  });

  test('with well-formed nodes the counterexample is the same accept message next to a genuine vote', async () => {
    const r = await checkInductive(paxos, {}, { induction: paxosInduction, invariant: ['I1-I2', 'acceptor-wellformed', 'proposer-wellformed'], bounds: { messages: 2 } });
    const cti = r.counterexample!;
    assert.deepEqual(cti.before.states.a3, { phase: 'AAccepted', promised: 1, accepted: [1, 'v1'], votes: { 1: 'v1' } });
    assert.deepEqual(cti.before.timers, { p1: ['start'], p2: ['start'], a1: [], a2: [], a3: [] });
    assert.deepEqual(cti.before.messages, [{ from: 'p1', to: 'a1', msg: { type: 'accept', n: 1, value: 'v2' } }]);
    assert.deepEqual(cti.violated, ['I1']);
  });

  test('the strengthened invariant is inductive, for any number of messages in flight, and holds initially', async () => {
    const r = await checkInductive(paxos, {}, { induction: paxosInduction, invariant: 'inductive', bounds: { messages: 2 } });
    assert.equal(r.verdict, 'inductive');
    assert.equal(r.exitCode, 0);
    assert.equal(r.counterexample, undefined);
    assert.deepEqual(r.invariant, ['agreement', 'I1', 'I2', ...paxosStrengthening]);
    assert.deepEqual(counts(r), { tuples: 2136, examined: 515760, satisfying: 514375, steps: 1081240, successors: 437002, beyondBounds: 120534 });
    assert.equal(r.anyMessageCount, true);
    assert.equal(r.initial.holds, true);
    assert.deepEqual(r.initial.state.messages, []);
    assert.match(formatInductResult(r), /Inductive within the bounds, and for any number of messages in flight\./);
  });

  test('every conjunct of the strengthening is needed; agreement, I1 and I2 follow from the others', async () => {
    const all = ['agreement', 'I1', 'I2', ...paxosStrengthening];
    const broken: Record<string, readonly string[]> = {};
    for (const drop of all) {
      const r = await checkInductive(paxos, {}, { induction: paxosInduction, invariant: all.filter((n) => n !== drop), bounds: { messages: 1 } });
      broken[drop] = r.counterexample?.violated ?? [];
    }
    assert.deepEqual(broken, {
      agreement: [],
      I1: [],
      I2: [],
      'acceptor-wellformed': ['promise-reports-votes'],
      'proposer-wellformed': ['votes-follow-proposals'],
      'votes-follow-proposals': ['I1'],
      'proposals-safe': ['I2'],
      'promises-received-report-votes': ['proposals-safe'],
      'promise-reports-votes': ['promises-received-report-votes'],
      'accept-carries-proposal': ['votes-follow-proposals'],
    });
  });

  test('the broken variant that ignores reported proposals: a proposer picks its own value over a chosen one', async () => {
    const r = await checkInductive(paxos, { variant: 'ignores-accepted' }, { induction: paxosInduction, invariant: 'inductive', bounds: { messages: 2 } });
    assert.equal(r.verdict, 'not inductive');
    const cti = r.counterexample!;
    assert.deepEqual(cti.violated, ['proposals-safe']);
    assert.deepEqual(cti.step, { kind: 'deliver', node: 'p2', from: 'a3', msg: { type: 'promise', n: 2, accepted: [1, 'v1'] } });
    assert.deepEqual(cti.after.states.p2, { phase: 'PSentAccReq', proposal: [2, 'v2'] });
    assert.deepEqual(cti.sent.map((m) => [m.to, m.msg]), ['a1', 'a2', 'a3'].map((a) => [a, { type: 'accept', n: 2, value: 'v2' }]));
  });

  test('the document\'s simplified variant keeps the same invariant', async () => {
    const r = await checkInductive(paxos, { variant: 'simplified' }, { induction: paxosInduction, invariant: 'inductive', bounds: { messages: 2 } });
    assert.equal(r.verdict, 'inductive');
    assert.deepEqual(counts(r), { tuples: 6936, examined: 657355, satisfying: 651368, steps: 1352696, successors: 439797, beyondBounds: 124853 });
  });

  test('every reachable state satisfies the strengthened invariant', async () => {
    const strengthened = defineProtocol({ ...paxos, properties: (p) => [...paxos.properties(p), ...paxosInduction.invariants(p as never)] });
    const r = await check(strengthened);
    assert.equal(r.states, 28606);
    assert.ok(r.properties.every((p) => p.verdict === 'holds' || p.verdict === 'found'));
  });
});

describe('two-phase commit', () => {
  test('consistency alone is not inductive: an abort can reach a working manager while another has committed', async () => {
    const r = await checkInductive(twoPhaseCommit, { rms: 3 }, { induction: twoPhaseCommitInduction, invariant: 'consistency' });
    assert.equal(r.verdict, 'not inductive');
    assert.deepEqual(counts(r), { tuples: 9, examined: 4104, satisfying: 4104, steps: 22535, successors: 16134, beyondBounds: 0 });
    const cti = r.counterexample!;
    assert.deepEqual(cti.before.states, { tm: { status: 'init', prepared: {} }, rm1: { status: 'working' }, rm2: { status: 'working' }, rm3: { status: 'committed' } });
    assert.deepEqual(cti.before.messages, [{ from: 'tm', to: 'rm1', msg: { type: 'abort' } }]);
    assert.deepEqual(cti.after.states.rm1, { status: 'aborted' });
    // Duplicating network: the delivered message stays in flight.
    assert.deepEqual(cti.after.messages, cti.before.messages);
    assert.deepEqual(cti.violated, ['consistency']);
  });

  test('the strengthened invariant is inductive for 3 to 5 resource managers', async () => {
    const expected: [number, bigint, number, number][] = [[3, 201326592n, 2872, 9406], [4, 51539607552n, 27221, 117713], [5, 13194139533312n, 255546, 1370338]];
    for (const [rms, states, examined, steps] of expected) {
      const r = await checkInductive(twoPhaseCommit, { rms }, { induction: twoPhaseCommitInduction, invariant: 'inductive' });
      assert.equal(r.verdict, 'inductive', `rms=${rms}`);
      assert.deepEqual(r.invariant, ['consistency', ...twoPhaseCommitStrengthening]);
      assert.equal(r.universe.states, states);
      assert.equal(r.examined, examined);
      assert.equal(r.satisfying, examined);
      assert.equal(r.steps, steps);
      assert.equal(r.anyMessageCount, true);
    }
  });

  test('the broken majority-commit variant commits with a resource manager unheard from', async () => {
    const r = await checkInductive(twoPhaseCommit, { rms: 3, variant: 'majority-commit' }, { induction: twoPhaseCommitInduction, invariant: 'inductive' });
    const cti = r.counterexample!;
    assert.deepEqual(cti.step, { kind: 'timer', node: 'tm', timer: 'commit' });
    assert.deepEqual(cti.before.states.tm, { status: 'init', prepared: { rm1: true, rm2: true } });
    assert.deepEqual(cti.violated, ['commit-needs-all-prepared']);
  });

  test('every reachable state satisfies the strengthened invariant', async () => {
    const strengthened = defineProtocol({ ...twoPhaseCommit, properties: (p) => [...twoPhaseCommit.properties(p), ...twoPhaseCommitInduction.invariants(p as never)] });
    const r = await check(strengthened, { params: { rms: 4 } });
    assert.equal(r.states, 1568);
    assert.ok(r.properties.every((p) => p.verdict === 'holds' || p.verdict === 'found'));
  });
});

describe('errors', () => {
  const run = (invariant: string, bounds?: Record<string, number>, protocol: Protocol = paxos) =>
    checkInductive(protocol, {}, { induction: paxosInduction, invariant, bounds: bounds ?? { messages: 1 } });

  test('an invariant name that is not declared lists the declared ones', async () => {
    await assert.rejects(run('I1,I3'), (e: Error) => e instanceof UnknownInvariantError &&
      e.message === 'paxos declares no always property "I3" (declared: "agreement", "validity", "I1", "I2", "acceptor-wellformed", "proposer-wellformed", ' +
        '"votes-follow-proposals", "proposals-safe", "promises-received-report-votes", "promise-reports-votes", "accept-carries-proposal", ' +
        '"prepare-from-ballot-owner", "nack-after-higher-promise"; presets: "I1-I2", "inductive", "inductive+messages")');
    await assert.rejects(run('a value is chosen'), (e: Error) => e instanceof UnknownInvariantError && /"a value is chosen \(sometimes\)": an invariant is made of always properties/.test(e.message));
    await assert.rejects(run(''), UnknownInvariantError);
  });

  test('a bound the domains need and that has no default', async () => {
    await assert.rejects(run('I1', {}), (e: Error) => e instanceof MissingBoundError &&
      e.message === 'paxos needs a bound to enumerate its states: messages (most messages in flight at once); give it, e.g. --bound messages=N');
    await assert.rejects(run('I1', { messages: 1, rounds: 2 }), (e: Error) => e instanceof InductOptionsError && /paxos declares no bound "rounds" \(its bounds: messages, perType, ballots\)/.test(e.message));
    await assert.rejects(run('I1', { messages: -1 }), (e: Error) => e instanceof InductOptionsError && /must be a whole number from 0 to 12, got -1/.test(e.message));
  });

  test('a universe larger than maxStates says how large and what to change', async () => {
    await assert.rejects(checkInductive(paxos, {}, { induction: paxosInduction, invariant: 'inductive', bounds: { messages: 2 }, maxStates: 10_000 }), (e: Error) =>
      e instanceof UniverseTooLargeError && e.maxStates === 10_000 && e.universe.states === 7071224562732220n &&
      e.message.startsWith('the bounded universe of paxos has 7,071,224,562,732,220 states; after the per-node conjuncts and symmetry 305,505,200 remain (50,960 combinations of node states times 5,995 bags of messages), and more than maxStates=10,000') &&
      /lower a bound \(now messages=2, perType=2, ballots=2\)/.test(e.message));
  });

  test('a protocol without domains, networks that are not covered, a per-node conjunct that reads its own role', async () => {
    const plain = defineProtocol({ ...twoPhaseCommit, name: 'plain', induction: undefined });
    await assert.rejects(checkInductive(plain, {}, { invariant: 'consistency' }), NoDomainsError);
    await assert.rejects(checkInductive(paxos, {}, { induction: paxosInduction, invariant: 'I1', bounds: { messages: 1 }, network: { ordering: 'ordered' } }), (e: Error) => e instanceof InductOptionsError && /unordered networks only/.test(e.message));
    await assert.rejects(checkInductive(paxos, {}, { induction: paxosInduction, invariant: 'I1', bounds: { messages: 1 }, network: { crashes: 1 } }), (e: Error) => e instanceof InductOptionsError && /crash-free networks only, got crashes=1/.test(e.message));
    const nosy = defineInduction({
      ...twoPhaseCommitInduction,
      invariants: () => [everyNode('nosy', 'rm', (_n, w) => w.statesOf('rm').length > 0), everyMessage('chatty', (w) => w.messages.length < 9)],
    });
    await assert.rejects(checkInductive(twoPhaseCommit, {}, { induction: nosy, invariant: 'nosy' }), (e: Error) => e instanceof InductOptionsError && /"nosy" reads another node of role rm/.test(e.message));
    await assert.rejects(checkInductive(twoPhaseCommit, {}, { induction: nosy, invariant: 'chatty' }), (e: Error) => e instanceof InductOptionsError && /"chatty" reads world.messages/.test(e.message));
  });

  test('a step that leaves the declared domains is a counterexample of kind domain, unless escapes are allowed', async () => {
    const narrow = defineInduction({
      ...twoPhaseCommitInduction,
      domains: (ctx) => ({ ...twoPhaseCommitInduction.domains(ctx), roles: { ...twoPhaseCommitInduction.domains(ctx).roles, rm: record({ status: oneOf(['working', 'prepared', 'committed']) }) } }),
    });
    const r = await checkInductive(twoPhaseCommit, { rms: 1 }, { induction: narrow, invariant: 'consistency' });
    const cti = r.counterexample!;
    assert.equal(cti.kind, 'domain');
    assert.deepEqual(cti.violated, []);
    assert.deepEqual(cti.step, { kind: 'deliver', node: 'rm1', from: 'tm', msg: { type: 'abort' } });
    assert.equal(cti.outside, 'the state of rm1 {"status":"aborted"} with timers [] is not in its domain');
    const allowed = await checkInductive(twoPhaseCommit, { rms: 1 }, { induction: narrow, invariant: 'consistency', escapes: 'allow' });
    assert.equal(allowed.verdict, 'inductive');
    assert.equal(allowed.escapes, 2304); // one per state on average: the abort timer in half the timer sets, an abort message in half the bags
  });

  test('what an induction declares, and the result as JSON', async () => {
    const info = describeInduction(paxos, {}, paxosInduction);
    assert.deepEqual(info.bounds.map((b) => [b.name, b.required]), [['messages', true], ['perType', false], ['ballots', false]]);
    assert.deepEqual(info.invariants.filter((i) => i.own).map((i) => i.name), ['agreement', 'validity', 'I1', 'I2']);
    assert.deepEqual(info.invariants.filter((i) => !i.own).map((i) => i.shape).slice(0, 7), ['every-node', 'every-node', 'every-node', 'every-node', 'every-node', 'every-message', 'every-message']);
    assert.deepEqual(Object.keys(info.presets), ['I1-I2', 'inductive', 'inductive+messages']);
    const r = await checkInductive(twoPhaseCommit, { rms: 3 }, { induction: twoPhaseCommitInduction, invariant: 'inductive' });
    const json = inductResultJson(r) as { universe: { states: string } };
    assert.equal(json.universe.states, '201326592');
  });

  test('domains attach to a protocol without changing it', () => {
    const copy = defineProtocol({ ...twoPhaseCommit, name: 'copy', induction: undefined });
    assert.equal(inductionOf(copy), undefined);
    attachInduction(copy, twoPhaseCommitInduction);
    assert.equal(inductionOf(copy), twoPhaseCommitInduction);
  });
});

describe('runs', () => {
  test('two worker threads find the same counts and the same counterexample as one', async () => {
    for (const [protocol, params, induction, invariant, bounds] of [
      [twoPhaseCommit, { rms: 4 }, twoPhaseCommitInduction, 'inductive', {}],
      [paxos, {}, paxosInduction, 'I1-I2', { messages: 2 }],
    ] as const) {
      const one = await checkInductive(protocol, params, { induction, invariant, bounds, workers: 1 });
      const two = await checkInductive(protocol, params, { induction, invariant, bounds, workers: 2 });
      assert.deepEqual(counts(two), counts(one));
      assert.equal(two.verdict, one.verdict);
      assert.deepEqual(two.counterexample, one.counterexample);
    }
  });

  test('an aborted run ends with verdict interrupted; progress is reported', async () => {
    const controller = new AbortController();
    controller.abort();
    const r = await checkInductive(paxos, {}, { induction: paxosInduction, invariant: 'inductive', bounds: { messages: 2 }, signal: controller.signal });
    assert.equal(r.verdict, 'interrupted');
    assert.equal(r.exitCode, 3);
    let reports = 0;
    await checkInductive(twoPhaseCommit, { rms: 4 }, { induction: twoPhaseCommitInduction, invariant: 'inductive', onProgress: () => reports++, progressIntervalMs: 0 });
    assert.ok(reports > 0);
  });
});
