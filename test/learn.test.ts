import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkRounds } from '../src/check/rounds.ts';
import { defineRoundProblem, instantiateRounds, runRounds } from '../src/core/rounds.ts';
import type { RoundTable } from '../src/core/rounds.ts';
import { learnTabular } from '../src/learn/tabular.ts';
import { LearnRng } from '../src/learn/prng.ts';
import { atomicCommit, decisions } from '../src/protocols/atomic-commit.ts';

const LC = 'LocalCommit';
const LA = 'LocalAbort';

// P1-P5 are safety only: a table that never decides meets them. So the learner is also asked for T
// (the problem's `decide` parameter): without Lost, every process that did not crash decides.

/** Processes left undecided over the 8 failure-free runs (24 process-runs). */
function undecidedWithoutCrashes(table: RoundTable): number {
  let undecided = 0;
  for (let k = 0; k < 8; k++) {
    const votes = [0, 1, 2].map((p) => ((k >> (2 - p)) & 1 ? LA : LC));
    undecided += decisions(runRounds(table, 2, votes, [])).filter((d) => d === 'FINAL_UNDECIDED').length;
  }
  return undecided;
}

// P5 read as rule 5 (n=3, rounds=2, crashes=1, extra=0). As the appendix writes it, P5 with P3 and P4
// leaves a failure-free run with mixed votes no way to decide: a LocalCommit voter may decide only
// Commit, a LocalAbort voter only Abort, and P3 forbids both in one run. So with T the problem has no
// solution, and without T its only solutions leave those voters undecided, which the rewards punish
// (rule 4 gives the LocalAbort voter -2000 unless everyone aborts). Read as rule 5, the properties ask
// what the rewards reward, and abort-on-abort-vote meets them with T.
const rule5 = instantiateRounds(atomicCommit, { p5: 'rule-5' });
const inst = instantiateRounds(atomicCommit, { p5: 'rule-5', decide: true });

describe('learn: tabular Q-learning with the learn-check-retrain loop', () => {
  test('seed 1 learns a table that checkRounds proves (P1-P5 by rule 5, and T) in 3 phases', () => {
    const result = learnTabular(inst, { seed: 1 });
    const { table, ...numbers } = result;
    // Phase 1's greedy table fails P5 (all LocalCommit go to LocalAbort, then Abort), phase 2's fails T
    // (mixed votes: the LocalCommit voters end in LocalAbort); both runs are replayed, and phase 3 holds.
    assert.deepEqual(numbers, { verdict: 'proven', phases: 3, episodes: 3000, counterexamples: 2, checkedRuns: 1 + 2 + 200 });
    assert.deepEqual(checkRounds(inst, table), { verdict: 'holds', runs: 200 });
    assert.deepEqual(checkRounds(rule5, table), { verdict: 'holds', runs: 200 });
    assert.equal(undecidedWithoutCrashes(table), 0);
    assert.equal(table.name, 'tabular-q-seed-1');
    assert.equal(Object.keys(table.next).length, 43);
    assert.equal(table.next[`${LC}|${LC}:3`], 'Commit');
    assert.equal(table.next[`${LA}|${LC}:2,${LA}:1`], 'Abort');
    // Plain data: a JSON round trip checks the same.
    assert.deepEqual(checkRounds(inst, JSON.parse(JSON.stringify(table)) as RoundTable), { verdict: 'holds', runs: 200 });
  });

  test('the same seed gives the same table', () => {
    const a = learnTabular(inst, { seed: 1 });
    const b = learnTabular(inst, { seed: 1 });
    assert.equal(JSON.stringify(a), JSON.stringify(b));
    assert.deepEqual(learnTabular(inst, { seed: 4 }), learnTabular(inst, { seed: 4 }));
  });

  test('a budget too small ends with verdict budget, the best table checked and the counterexamples', () => {
    const { table, failure, ...numbers } = learnTabular(inst, { seed: 1, maxPhases: 2 });
    assert.deepEqual(numbers, { verdict: 'budget', phases: 2, episodes: 2000, counterexamples: 2, checkedRuns: 3 });
    // The best is phase 2's table, whose counterexample came later (run 2 against run 1).
    const run = {
      initial: [LC, LC, LA], crashes: [], lost: false,
      states: [[LC, LC, LA], [LC, LC, 'Abort'], [LA, LA, LA]],
    };
    assert.deepEqual(checkRounds(inst, table), { verdict: 'fails', runs: 2, property: 'T', run });
    assert.deepEqual(failure, { property: 'T', run });
  });

  test('P5 as written with T has no solution: the learner runs out of budget, every check failing', () => {
    const asWritten = instantiateRounds(atomicCommit, { p5: 'as-written', decide: true });
    const { table, failure, ...numbers } = learnTabular(asWritten, { seed: 1, maxPhases: 5 });
    assert.deepEqual(numbers, { verdict: 'budget', phases: 5, episodes: 5000, counterexamples: 5, checkedRuns: 9 });
    const check = checkRounds(asWritten, table);
    // The rewards pull a LocalCommit voter that hears an abort vote to abort, which P5 as written forbids.
    assert.equal(check.verdict === 'fails' && `${check.property} at run ${check.runs}`, 'P5 at run 2');
    assert.deepEqual(check.verdict === 'fails' && { property: check.property, run: check.run }, failure);
  });

  test('without T, a table that leaves processes undecided already proves P1-P5', () => {
    const { table, ...numbers } = learnTabular(rule5, { seed: 1 });
    assert.deepEqual(numbers, { verdict: 'proven', phases: 2, episodes: 2000, counterexamples: 1, checkedRuns: 201 });
    assert.equal(undecidedWithoutCrashes(table), 18);
  });
});

describe('learn: inputs and the generator', () => {
  test('mulberry32 is pinned', () => {
    const rng = new LearnRng(1);
    assert.deepEqual([rng.nextU32(), rng.nextU32(), rng.nextU32()], [2693262067, 11749833, 2265367787]);
    assert.throws(() => new LearnRng(-1), RangeError);
  });

  test('bad options and a problem without rewards are refused', () => {
    assert.throws(() => learnTabular(inst, { seed: 1, episodes: 0 }), /episodes must be a whole number/);
    assert.throws(() => learnTabular(inst, { seed: 1, epsilon: 2 }), /epsilon must be in \[0, 1\]/);
    const silent = defineRoundProblem({
      name: 'silent', description: 'no rewards',
      params: atomicCommit.params,
      states: () => ({ initial: ['A'], named: [], extra: 0 }),
      properties: () => [],
    });
    assert.throws(() => learnTabular(instantiateRounds(silent), { seed: 1 }), /silent defines no rewards to learn from/);
  });
});
