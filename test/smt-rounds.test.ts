import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { checkRounds, countRuns, formatRun } from '../src/check/rounds.ts';
import { defineRoundProblem, instantiateRounds, roundFunction, RoundsError, runRounds, tabulate } from '../src/core/rounds.ts';
import type { RoundFunction, RoundInstance, RoundRun, RoundTable } from '../src/core/rounds.ts';
import { param } from '../src/core/protocol.ts';
import { LearnRng } from '../src/learn/prng.ts';
import {
  abortAfterCommitOnLost, abortOnAbortVote, abortOnLost, atomicCommit, commitIfAllVoteCommit, decisions, ignoreVotes,
} from '../src/protocols/atomic-commit.ts';
import { atomicCommitFormulas, atomicCommitProgress, atomicCommitSymbolic } from '../src/protocols/atomic-commit-smt.ts';
import { tableKeys } from '../src/smt/round-encoding.ts';
import { and, at, crashed, exists, forall, formatFormula, holdsOn, implies, initial, not, or } from '../src/smt/round-formula.ts';
import type { SymbolicProperty } from '../src/smt/round-formula.ts';
import { allScenarios, scenarioOrder, synthesisGrid, synthesizeRounds, withProgress } from '../src/smt/rounds-synth.ts';
import { verifyRoundsSmt } from '../src/smt/rounds-verify.ts';
import type { SmtRoundResult } from '../src/smt/rounds-verify.ts';
import { closeZ3 } from '../src/smt/z3.ts';

const LC = 'LocalCommit';
const LA = 'LocalAbort';

after(() => closeZ3());

const library: RoundFunction[] = [commitIfAllVoteCommit, abortAfterCommitOnLost, ignoreVotes, abortOnLost, abortOnAbortVote];
const asWritten = instantiateRounds(atomicCommit, { p5: 'as-written' });
const rule5 = instantiateRounds(atomicCommit, { p5: 'rule-5' });

/** The first of the instance's properties (checkRounds's order) that the run fails. */
const firstFailing = (inst: RoundInstance, run: RoundRun) => inst.properties.find((p) => !p.holds(run))?.name;

/**
 * The SMT verdict is the checker's; a counterexample is the run `runRounds` plays from its votes and
 * crashes, and its property is the first of the checker's properties that the run fails.
 */
async function agree(inst: RoundInstance, protocol: RoundTable | RoundFunction, symbolic: readonly SymbolicProperty[]): Promise<SmtRoundResult> {
  const exhaustive = checkRounds(inst, protocol);
  const smt = await verifyRoundsSmt(inst, protocol, symbolic);
  assert.equal(smt.verdict, exhaustive.verdict, `${protocol.name}: the solver says ${smt.verdict}, the checker ${exhaustive.verdict}`);
  if (smt.verdict === 'fails') {
    const table = protocol.kind === 'protoforge.round-function' ? tabulate(inst, protocol) : protocol;
    assert.deepEqual(runRounds(table, inst.rounds, smt.run.initial, smt.run.crashes), smt.run);
    assert.equal(firstFailing(inst, smt.run), smt.property);
  }
  return smt;
}

describe('smt: the symbolic properties are the TypeScript ones', () => {
  // Every run of every library protocol (and of the identity table), both readings of P5: each symbolic
  // property evaluates as the problem's predicate does; T and NB as "decisions" reads them.
  test('P1-P5, T and NB agree on 2 x 6 x 200 runs (and the problem\'s own T where it has one)', () => {
    let compared = 0;
    const withDecide = 'decide' in atomicCommit.params ? [instantiateRounds(atomicCommit, { p5: 'rule-5', decide: true })] : [];
    for (const inst of [asWritten, rule5, ...withDecide]) {
      const symbolic = atomicCommitSymbolic(inst.params);
      const tables = [...library.map((f) => tabulate(inst, f)), { ...tabulate(inst, commitIfAllVoteCommit), name: 'identity', next: {} }];
      for (const table of tables) {
        for (const s of allScenarios(inst)) {
          const run = runRounds(table, inst.rounds, s.initial, s.crashes);
          inst.properties.forEach((p, i) => assert.equal(holdsOn(symbolic[i].formula, run), p.holds(run), `${table.name} ${p.name} ${JSON.stringify(s)}`));
          const ds = decisions(run);
          const decided = ds.every((d) => d === null || d === 'FINAL_COMMIT' || d === 'FINAL_ABORT');
          assert.equal(holdsOn(atomicCommitProgress('without-lost').formula, run), run.lost || decided);
          assert.equal(holdsOn(atomicCommitProgress('always').formula, run), decided);
          compared++;
        }
      }
    }
    assert.equal(compared, (2 + withDecide.length) * 6 * 200);
  });

  test('scenarios come in the checker\'s order, and as many as it counts', () => {
    const inst = instantiateRounds(atomicCommit, { crashes: 2 });
    const list = [...allScenarios(inst)];
    assert.equal(list.length, countRuns(3, 2, 2, 2));
    assert.deepEqual([...list].reverse().sort(scenarioOrder(inst)), list);
  });

  test('formulas print in the appendix notation', () => {
    assert.deepEqual(atomicCommitFormulas('rule-5').map((p) => `${p.name}: ${formatFormula(p.formula)}`), [
      'P1: ∀n. ¬((¬crashed(n) ∧ Commit ∈ visited(n)) ∧ (¬crashed(n) ∧ Abort ∈ visited(n)))',
      'P2: ∀n. b(n) = LocalAbort ⟹ ¬(¬crashed(n) ∧ Commit ∈ visited(n))',
      'P3: ¬((∃n. ¬crashed(n) ∧ Commit ∈ visited(n)) ∧ (∃m. ¬crashed(m) ∧ Abort ∈ visited(m)))',
      'P4: ¬L ⟹ (∀n. b(n) = LocalAbort ⟹ ¬(¬crashed(n) ∧ Commit ∈ visited(n)))',
      'P5: (¬L ∧ (∀n. b(n) = LocalCommit)) ⟹ (∀n. ¬(¬crashed(n) ∧ Abort ∈ visited(n)))',
    ]);
  });

  test('mismatched or malformed properties are refused with one clear error', async () => {
    await assert.rejects(verifyRoundsSmt(rule5, commitIfAllVoteCommit, atomicCommitFormulas('rule-5').slice(0, 4)),
      new RoundsError('the symbolic properties (P1, P2, P3, P4) are not those of atomic-commit with these parameters (P1, P2, P3, P4, P5)'));
    const typo: SymbolicProperty[] = [...atomicCommitFormulas('rule-5').slice(0, 4), { name: 'P5', description: '', formula: forall('n', initial('n', 'Comit')) }];
    await assert.rejects(verifyRoundsSmt(rule5, commitIfAllVoteCommit, typo), /formula names the state "Comit", which atomic-commit does not declare/);
    const unbound: SymbolicProperty[] = [...atomicCommitFormulas('rule-5').slice(0, 4), { name: 'P5', description: '', formula: initial('m', LC) }];
    await assert.rejects(verifyRoundsSmt(rule5, commitIfAllVoteCommit, unbound), /formula uses the process "m", which no forall or exists binds/);
  });
});

describe('smt: the verifier agrees with the exhaustive checker (N=3, R=2, F=1)', () => {
  test('the library protocols, P5 as written and as rule 5', async () => {
    const verdicts: string[] = [];
    for (const inst of [asWritten, rule5]) {
      for (const f of library) {
        const r = await agree(inst, f, atomicCommitSymbolic(inst.params));
        verdicts.push(`${inst.params.p5} ${f.name}: ${r.verdict === 'fails' ? `fails ${r.property}` : r.verdict}`);
      }
    }
    assert.deepEqual(verdicts, [
      'as-written commit-if-all-vote-commit: holds',
      'as-written abort-after-commit-on-lost: fails P1',
      'as-written ignore-votes: fails P2',
      'as-written abort-on-lost: fails P3',
      'as-written abort-on-abort-vote: fails P5',
      'rule-5 commit-if-all-vote-commit: holds',
      'rule-5 abort-after-commit-on-lost: fails P1',
      'rule-5 ignore-votes: fails P2',
      'rule-5 abort-on-lost: fails P3',
      'rule-5 abort-on-abort-vote: holds',
    ]);
  });

  test('a counterexample has the fewest crashes and prints with formatRun', async () => {
    const r = await verifyRoundsSmt(asWritten, abortOnLost, atomicCommitSymbolic(asWritten.params), { script: true });
    assert.equal(r.verdict, 'fails');
    // The SMT-LIB script, to run under native z3: 56 keys (at most one Lost) x 3 processes x 2 rounds.
    assert.match(r.script!, /^\(declare-const x0_0_0 Bool\)\n[^]*\(check-sat\)\n$/);
    assert.equal(r.stats.keys, 56);
    if (r.verdict !== 'fails') return;
    assert.equal(r.run.crashes.length, 1);
    assert.equal(r.property, 'P3');
    assert.match(formatRun(r.run), /^ +p0 +p1 +p2\ninitial .*\nround 1 .*\nround 2 .*\np\d crashed in round 1, heard then by p\d\nlost message: yes$/);
    // Without a crash the machine is correct: no failure-free counterexample exists.
    const noCrash = instantiateRounds(atomicCommit, { crashes: 0 });
    assert.equal((await agree(noCrash, abortOnLost, atomicCommitSymbolic(noCrash.params))).verdict, 'holds');
  });

  test('anonymous extra states, and N = 4', async () => {
    const noted = roundFunction('noted', 'the correct protocol, noting an abort vote in x1',
      (own, heard, n) => (own === LC && heard[LA] > 0 ? 'x1' : commitIfAllVoteCommit.next(own, heard, n)));
    const extra = instantiateRounds(atomicCommit, { extra: 1 });
    assert.equal((await agree(extra, noted, atomicCommitSymbolic(extra.params))).verdict, 'holds');
    const four = instantiateRounds(atomicCommit, { n: 4, p5: 'rule-5' });
    assert.equal((await agree(four, abortOnAbortVote, atomicCommitSymbolic(four.params))).verdict, 'holds');
    assert.equal((await agree(four, abortOnLost, atomicCommitSymbolic(four.params))).verdict, 'fails');
  });

  test('60 seeded random tables: 30 arbitrary, 30 mutants of correct protocols', async () => {
    const rng = new LearnRng(2024);
    const tally = { holds: 0, fails: 0 };
    const failed: Record<string, number> = {};
    for (let i = 0; i < 60; i++) {
      const inst = i % 2 === 0 ? rule5 : asWritten;
      const keys = tableKeys(inst);
      let next: Record<string, string>;
      if (i < 30) {
        next = {};
        for (const k of keys) if (rng.next() < 0.4) next[k.key] = inst.states[rng.below(inst.states.length)];
      } else {
        next = { ...tabulate(inst, i % 2 === 0 ? abortOnAbortVote : commitIfAllVoteCommit).next };
        for (let c = 1 + rng.below(2); c > 0; c--) {
          const k = keys[rng.below(keys.length)];
          next[k.key] = inst.states[rng.below(inst.states.length)];
        }
      }
      const table: RoundTable = { kind: 'protoforge.round-table', name: `random-${i}`, description: '', states: inst.states, processes: inst.n, next };
      const r = await agree(inst, table, atomicCommitSymbolic(inst.params));
      if (r.verdict === 'fails') failed[r.property] = (failed[r.property] ?? 0) + 1;
      tally[r.verdict as 'holds' | 'fails']++;
    }
    assert.deepEqual(tally, { holds: 33, fails: 27 });
    assert.deepEqual(failed, { P1: 6, P2: 14, P3: 3, P5: 4 });

  });
});

describe('smt: another problem, with properties over final states', () => {
  // rounds.test.ts's binary consensus, its properties written symbolically.
  const consensus = defineRoundProblem({
    name: 'binary-consensus', description: 'agree on one of the initial values despite crashes',
    params: { n: param.int('processes', 3, 1, 5), rounds: param.int('rounds', 2, 1, 4), crashes: param.int('crashes', 1, 0, 5) },
    states: () => ({ initial: ['V0', 'V1'], named: ['D0', 'D1'], extra: 2 }),
    properties: () => [
      { name: 'agreement', description: '', holds: (run) => !(run.states.at(-1)!.includes('D0') && run.states.at(-1)!.includes('D1')) },
      { name: 'validity', description: '', holds: (run) => run.states.at(-1)!.every((s) => s === null || !s.startsWith('D') || run.initial.includes(`V${s[1]}`)) },
      { name: 'termination', description: '', holds: (run) => run.states.at(-1)!.every((s) => s === null || s.startsWith('D')) },
    ],
  });
  const symbolic: SymbolicProperty[] = [
    { name: 'agreement', description: '', formula: not(and(exists('n', at('n', 'last', 'D0')), exists('m', at('m', 'last', 'D1')))) },
    { name: 'validity', description: '', formula: forall('n', and(
      implies(at('n', 'last', 'D0'), exists('m', initial('m', 'V0'))), implies(at('n', 'last', 'D1'), exists('m', initial('m', 'V1'))))) },
    { name: 'termination', description: '', formula: forall('n', or(crashed('n'), at('n', 'last', 'D0'), at('n', 'last', 'D1'))) },
  ];
  const floodMin = roundFunction('flood-min', 'carry the least value seen for F + 1 = 2 rounds, then decide it', (own, h) => {
    if (own === 'V0' || own === 'V1') return own === 'V0' || h.V0 > 0 ? 'x1' : 'x2';
    if (own === 'x1' || own === 'x2') return own === 'x1' || h.x1 > 0 ? 'D0' : 'D1';
    return own;
  });
  const oneRound = roundFunction('one-round', 'decide the least value heard in round 1',
    (own, h) => (own === 'V0' || own === 'V1' ? (own === 'V0' || h.V0 > 0 ? 'D0' : 'D1') : own));

  test('flood-min holds; deciding after one round breaks agreement', async () => {
    assert.equal((await agree(instantiateRounds(consensus), floodMin, symbolic)).verdict, 'holds');
    const r = await agree(instantiateRounds(consensus, { rounds: 1 }), oneRound, symbolic);
    assert.equal(r.verdict === 'fails' && r.property, 'agreement');
    assert.equal((await agree(instantiateRounds(consensus, { rounds: 2 }), oneRound, symbolic)).verdict, 'fails');
  });
});

describe('smt: exact synthesis (N=3, F=1)', () => {
  const symbolic = (inst: RoundInstance) => atomicCommitSymbolic(inst.params);

  test('T (decide without Lost), P5 as rule 5: one round and no extra state suffice', async () => {
    const inst = instantiateRounds(atomicCommit, { p5: 'rule-5', rounds: 1 });
    const r = await synthesizeRounds(inst, { properties: symbolic(inst), progress: atomicCommitProgress('without-lost'), simplify: true });
    assert.equal(r.verdict, 'found');
    if (r.verdict !== 'found') return;
    assert.deepEqual(checkRounds(withProgress(inst, atomicCommitProgress('without-lost')), r.table), { verdict: 'holds', runs: 104 });
    // Every entry needed: commit on three commit votes, abort on any abort vote heard without Lost, and
    // otherwise (Lost heard, no abort vote) stay undecided, which T allows.
    assert.deepEqual(r.table.next, {
      [`${LC}|${LC}:3`]: 'Commit',
      [`${LC}|${LC}:2,${LA}:1`]: 'Abort',
      [`${LC}|${LC}:1,${LA}:2`]: 'Abort',
      [`${LA}|${LC}:2,${LA}:1`]: 'Abort',
      [`${LA}|${LC}:1,${LA}:2`]: 'Abort',
      [`${LA}|${LA}:3`]: 'Abort',
    });
  });

  test('with the problem\'s own T (its decide parameter), no further obligation is needed', { skip: !('decide' in atomicCommit.params) && 'atomic-commit has no decide parameter' }, async () => {
    const inst = instantiateRounds(atomicCommit, { p5: 'rule-5', rounds: 1, decide: true });
    assert.deepEqual(symbolic(inst).map((p) => p.name), ['P1', 'P2', 'P3', 'P4', 'P5', 'T']);
    const r = await synthesizeRounds(inst, { properties: symbolic(inst), progress: null });
    assert.equal(r.verdict, 'found');
    if (r.verdict === 'found') assert.deepEqual(checkRounds(inst, r.table), { verdict: 'holds', runs: 104 });
  });

  test('NB (decide in every run): impossible in one round, with a proof of 4 runs; two rounds and no extra state suffice', async () => {
    const cells = await synthesisGrid(atomicCommit, { p5: 'rule-5' }, symbolic, atomicCommitProgress('always'), { maxRounds: 2, maxExtra: 1 });
    assert.deepEqual(cells.map((c) => `R=${c.rounds} extra=${c.extra}: ${c.result.verdict}`), [
      'R=1 extra=0: impossible', 'R=1 extra=1: impossible', 'R=2 extra=0: found',
    ]);
    const proof = cells[0].result;
    assert.equal(proof.verdict, 'impossible');
    if (proof.verdict !== 'impossible') return;
    // All commit votes and no crash force Commit on LocalCommit:3; a LocalAbort vote and no crash forces
    // Abort; p0 crashing heard by p1 alone then leaves p1 and p2 with no common decision.
    assert.deepEqual(proof.core, [
      { initial: [LC, LC, LC], crashes: [] },
      { initial: [LC, LC, LA], crashes: [] },
      { initial: [LC, LC, LC], crashes: [{ process: 0, round: 1, heardBy: [1] }] },
      { initial: [LA, LC, LC], crashes: [{ process: 0, round: 1, heardBy: [1] }] },
    ]);
    const found = cells[2].result;
    assert.equal(found.verdict, 'found');
    if (found.verdict !== 'found') return;
    assert.equal(Object.keys(found.table.next).length, 18);
    const inst = instantiateRounds(atomicCommit, { p5: 'rule-5' });
    assert.deepEqual(checkRounds(withProgress(inst, atomicCommitProgress('always')), found.table), { verdict: 'holds', runs: 200 });
  });

  test('decisions kept once reached (absorbing) still need no extra state in two rounds', async () => {
    const inst = instantiateRounds(atomicCommit, { p5: 'rule-5' });
    const r = await synthesizeRounds(inst, { properties: symbolic(inst), progress: atomicCommitProgress('always'), absorbing: ['Commit', 'Abort'], simplify: true });
    assert.equal(r.verdict, 'found');
    if (r.verdict !== 'found') return;
    assert.deepEqual(checkRounds(withProgress(inst, atomicCommitProgress('always')), r.table), { verdict: 'holds', runs: 200 });
    // LocalAbort doubles as "undecided after round 1": a commit voter that heard an abort vote, or Lost,
    // waits there; in round 2 the waiting processes follow a Commit heard next to Lost, else abort.
    assert.deepEqual(r.table.next, {
      [`${LC}|${LC}:3`]: 'Commit',
      [`${LC}|${LC}:2,${LA}:1`]: LA,
      [`${LC}|${LC}:2,Lost:1`]: LA,
      [`${LC}|${LC}:1,${LA}:2`]: LA,
      [`${LC}|${LC}:1,${LA}:1,Lost:1`]: 'Abort',
      [`${LA}|${LA}:3`]: 'Abort',
      [`${LA}|${LA}:2,Lost:1`]: 'Abort',
      [`${LA}|${LA}:1,Commit:1,Lost:1`]: 'Commit',
      [`${LA}|${LA}:1,Abort:1,Lost:1`]: 'Abort',
    });
  });

  test('P5 as written with T has no solution for any rounds and states tried: one failure-free run proves it', async () => {
    const proofs: string[] = [];
    for (const [rounds, extra] of [[1, 0], [2, 0], [2, 1]]) {
      const inst = instantiateRounds(atomicCommit, { p5: 'as-written', rounds, extra });
      const r = await synthesizeRounds(inst, { properties: symbolic(inst), progress: atomicCommitProgress('without-lost') });
      assert.equal(r.verdict, 'impossible');
      // The failure-free runs alone, before any counterexample: mixed votes and no crash, where a
      // LocalCommit voter may decide only Commit, a LocalAbort voter only Abort, and P3 forbids both.
      assert.deepEqual([r.iterations, r.runs], [1, 8]);
      if (r.verdict === 'impossible') proofs.push(...r.core.map((c) => `R=${rounds} extra=${extra}: ${c.initial.join(' ')}, ${c.crashes.length} crashes`));
    }
    assert.deepEqual(proofs, [
      'R=1 extra=0: LocalCommit LocalCommit LocalAbort, 0 crashes',
      'R=2 extra=0: LocalCommit LocalAbort LocalAbort, 0 crashes',
      'R=2 extra=1: LocalCommit LocalAbort LocalAbort, 0 crashes',
    ]);
  });

  test('without an obligation to decide, safety alone is met (as the identity table meets it)', async () => {
    const r = await synthesizeRounds(asWritten, { properties: symbolic(asWritten), progress: null });
    assert.equal(r.verdict, 'found');
    if (r.verdict === 'found') assert.deepEqual(checkRounds(asWritten, r.table), { verdict: 'holds', runs: 200 });
  });
});
