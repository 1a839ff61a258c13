import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkRounds, countRuns, formatRun } from '../src/check/rounds.ts';
import { ParamError } from '../src/core/instance.ts';
import { param } from '../src/core/protocol.ts';
import {
  defineRoundProblem, heardKey, instantiateRounds, LOST, roundFunction, RoundsError, runRounds, tabulate,
} from '../src/core/rounds.ts';
import type { RoundRun, RoundTable } from '../src/core/rounds.ts';
import {
  abortAfterCommitOnLost, abortOnAbortVote, abortOnLost, atomicCommit, atomicCommitProblem, commitIfAllVoteCommit, decisions,
  ignoreVotes, PAPER_REWARDS, rewards,
} from '../src/protocols/atomic-commit.ts';

const LC = 'LocalCommit';
const LA = 'LocalAbort';

describe('rounds: run counts', () => {
  // countRuns: 2^N assignments x sum_{j<=F} C(N, j) (R 2^(N-1))^j crash patterns. With R = 2:
  // N = 3: 8 x 1 = 8 (F = 0); 8 x (1 + 3 * 8) = 200 (F = 1); 8 x (1 + 24 + 3 * 64) = 1736 (F = 2).
  // N = 4: 16 x 1 = 16 (F = 0); 16 x (1 + 4 * 16) = 1040 (F = 1).
  for (const [n, crashes, runs] of [[3, 0, 8], [3, 1, 200], [3, 2, 1736], [4, 0, 16], [4, 1, 1040]]) {
    test(`N=${n} R=2 F=${crashes}: the correct protocol holds over ${runs} runs`, () => {
      assert.equal(countRuns(n, 2, crashes, 2), runs);
      const inst = instantiateRounds(atomicCommit, { n, rounds: 2, crashes });
      assert.deepEqual(checkRounds(inst, commitIfAllVoteCommit), { verdict: 'holds', runs });
    });
  }

  test('the correct protocol also holds with P5 read as rule 5, and for R = 1 and R = 3', () => {
    assert.deepEqual(checkRounds(instantiateRounds(atomicCommit, { p5: 'rule-5' }), commitIfAllVoteCommit), { verdict: 'holds', runs: 200 });
    // R = 1: 8 x (1 + 3 * 4) = 104; R = 3: 8 x (1 + 3 * 12) = 296.
    assert.deepEqual(checkRounds(instantiateRounds(atomicCommit, { rounds: 1 }), commitIfAllVoteCommit), { verdict: 'holds', runs: 104 });
    assert.deepEqual(checkRounds(instantiateRounds(atomicCommit, { rounds: 3 }), commitIfAllVoteCommit), { verdict: 'holds', runs: 296 });
  });
});

describe('rounds: broken atomic commit protocols give pinned counterexamples (N=3, R=2, F=1)', () => {
  const inst = instantiateRounds(atomicCommit);
  // Runs come crash patterns first (none, then p0 in round 1 heard by nobody, by p1, ...), 8 votes each:
  // run 17 is all LocalCommit with p0 crashing in round 1, heard then by p1 only.
  const crashHeardByP1 = [{ process: 0, round: 1, heardBy: [1] }];

  test('abort-after-commit-on-lost violates P1 once p1 hears the crashed p0 missing', () => {
    assert.deepEqual(checkRounds(inst, abortAfterCommitOnLost), {
      verdict: 'fails', runs: 17, property: 'P1',
      run: {
        initial: [LC, LC, LC], crashes: crashHeardByP1, lost: true,
        states: [[LC, LC, LC], [null, 'Commit', LC], [null, 'Abort', 'Commit']],
      },
    });
  });

  test('ignore-votes violates P2 in the second run, without a crash', () => {
    assert.deepEqual(checkRounds(inst, ignoreVotes), {
      verdict: 'fails', runs: 2, property: 'P2',
      run: { initial: [LC, LC, LA], crashes: [], lost: false, states: [[LC, LC, LA], ['Commit', 'Commit', 'Commit'], ['Commit', 'Commit', 'Commit']] },
    });
  });

  test('abort-on-lost violates P3: p1 heard everyone and commits, p2 heard Lost and aborts', () => {
    const result = checkRounds(inst, abortOnLost);
    assert.deepEqual(result, {
      verdict: 'fails', runs: 17, property: 'P3',
      run: {
        initial: [LC, LC, LC], crashes: crashHeardByP1, lost: true,
        states: [[LC, LC, LC], [null, 'Commit', 'Abort'], [null, 'Commit', 'Abort']],
      },
    });
    assert.equal(result.verdict === 'fails' && formatRun(result.run), [
      '         p0           p1           p2',
      'initial  LocalCommit  LocalCommit  LocalCommit',
      'round 1  -            Commit       Abort',
      'round 2  -            Commit       Abort',
      'p0 crashed in round 1, heard then by p1',
      'lost message: yes',
    ].join('\n'));
  });

  test('abort-on-abort-vote violates P5 as the appendix writes it, and holds read as rule 5', () => {
    assert.deepEqual(checkRounds(inst, abortOnAbortVote), {
      verdict: 'fails', runs: 2, property: 'P5',
      run: { initial: [LC, LC, LA], crashes: [], lost: false, states: [[LC, LC, LA], ['Abort', 'Abort', 'Abort'], ['Abort', 'Abort', 'Abort']] },
    });
    assert.deepEqual(checkRounds(instantiateRounds(atomicCommit, { p5: 'rule-5' }), abortOnAbortVote), { verdict: 'holds', runs: 200 });
  });
});

describe('rounds: semantics and tables', () => {
  const inst = instantiateRounds(atomicCommit);
  const table = tabulate(inst, commitIfAllVoteCommit);

  test('a table is plain data keyed by own state and counts; absent keys keep the state', () => {
    // 4 own states x C(6, 2) = 15 count vectors of 3 messages over 4 states and Lost with one own copy: 60 keys,
    // of which 21 change state: LocalAbort's 15 (to Abort), LocalCommit's LocalCommit:3 and its 5 with a Commit.
    assert.equal(Object.keys(table.next).length, 21);
    assert.equal(table.next[`${LC}|${LC}:2,${LOST}:1`], undefined);
    assert.equal(table.next[heardKey(table.states, LC, [1, 0, 1, 0, 1])], 'Commit');
    assert.equal(heardKey(table.states, LC, [1, 0, 1, 0, 1]), 'LocalCommit|LocalCommit:1,Commit:1,Lost:1');
    const back = JSON.parse(JSON.stringify(table)) as RoundTable;
    assert.deepEqual(checkRounds(inst, back), { verdict: 'holds', runs: 200 });
  });

  test('a process crashing in the last round heard by all leaves no Lost, and has no decision', () => {
    const run = runRounds(table, 2, [LC, LC, LC], [{ process: 2, round: 2, heardBy: [0, 1] }]);
    assert.deepEqual(run.states, [[LC, LC, LC], ['Commit', 'Commit', 'Commit'], ['Commit', 'Commit', null]]);
    assert.equal(run.lost, false);
    assert.deepEqual(decisions(run), ['FINAL_COMMIT', 'FINAL_COMMIT', null]);
  });

  test('anonymous extra states x1 ... xk may be used when declared', () => {
    // A LocalCommit voter that heard an abort vote waits in x1 instead of LocalCommit.
    const noted = roundFunction('noted', 'the correct protocol, noting an abort vote in x1',
      (own, heard, n) => (own === LC && heard[LA] > 0 ? 'x1' : commitIfAllVoteCommit.next(own, heard, n)));
    assert.deepEqual(checkRounds(instantiateRounds(atomicCommit, { extra: 1 }), noted), { verdict: 'holds', runs: 200 });
    assert.throws(() => checkRounds(inst, noted), new RoundsError(
      'round function noted goes from LocalCommit|LocalCommit:2,LocalAbort:1 to "x1", which is not a declared state (declared: LocalCommit, LocalAbort, Commit, Abort)'));
  });
});

describe('rounds: rewards of section 2.2', () => {
  const inst = instantiateRounds(atomicCommit);
  const table = tabulate(inst, commitIfAllVoteCommit);
  const run = (initial: string[]): RoundRun => runRounds(table, 2, initial, []);

  test('all LocalCommit, no Lost: everyone commits, rule 5 met', () => {
    assert.deepEqual(rewards(run([LC, LC, LC])), Array(3).fill({ rules: [5], reward: 100 }));
  });

  test('mixed votes, no Lost: the commit voters wait (rule 6), the abort voter misses rule 4', () => {
    const r = run([LC, LC, LA]);
    assert.deepEqual(decisions(r), ['FINAL_UNDECIDED', 'FINAL_UNDECIDED', 'FINAL_ABORT']);
    assert.deepEqual(rewards(r), [{ rules: [6], reward: -0.5 }, { rules: [6], reward: -0.5 }, { rules: [4], reward: -2000 }]);
    const values = { ...PAPER_REWARDS, undecided: -1, abortVoteNotAllAbort: -500 };
    assert.deepEqual(atomicCommitProblem(values).rewards!(r, inst.params as never), [-1, -1, -500]);
  });

  test('a commit and an abort after a crash: rule 3 for both, nothing for the crashed process', () => {
    const r = runRounds(tabulate(inst, abortOnLost), 2, [LC, LC, LC], [{ process: 0, round: 1, heardBy: [1] }]);
    assert.deepEqual(rewards(r), [{ rules: [], reward: 0 }, { rules: [3], reward: -2000 }, { rules: [3], reward: -2000 }]);
  });

  test('an abort voter that commits: rules 2 and 4', () => {
    const r = runRounds(tabulate(inst, ignoreVotes), 2, [LC, LC, LA], []);
    assert.deepEqual(rewards(r)[2], { rules: [2, 4], reward: -4000 });
  });
});

describe('rounds: bad input gives one clear error', () => {
  const inst = instantiateRounds(atomicCommit);
  const table = tabulate(inst, commitIfAllVoteCommit);

  test('a table naming an undeclared state', () => {
    const bad = { ...table, next: { ...table.next, [`${LC}|${LC}:3`]: 'Comit' } };
    assert.throws(() => checkRounds(inst, bad), new RoundsError(
      'round table commit-if-all-vote-commit: the next state of LocalCommit|LocalCommit:3 names "Comit", which is not a declared state (declared: LocalCommit, LocalAbort, Commit, Abort)'));
    const badKey = { ...table, next: { [`${LC}|${LC}:2,Maybe:1`]: 'Commit' } };
    assert.throws(() => checkRounds(inst, badKey), /key "LocalCommit\|LocalCommit:2,Maybe:1" names "Maybe", which is not a declared state/);
    const wrongCount = { ...table, next: { [`${LC}|${LC}:2`]: 'Commit' } };
    assert.throws(() => checkRounds(inst, wrongCount), /key "LocalCommit\|LocalCommit:2" is not own\|State:count/);
  });

  test('a parameter out of range', () => {
    assert.throws(() => instantiateRounds(atomicCommit, { n: 9 }), new ParamError('parameter n of atomic-commit must be a whole number from 1 to 6, got "9"'));
    assert.throws(() => instantiateRounds(atomicCommit, { crashes: 4 }), new ParamError('parameter crashes of atomic-commit must be at most n (3), got 4'));
    assert.throws(() => instantiateRounds(atomicCommit, { faults: 1 }), /atomic-commit has no parameter "faults"/);
  });

  test('something that is not a table or a problem', () => {
    assert.throws(() => checkRounds(inst, { ...table, kind: undefined } as never), /^RoundsError: not a round table/);
    assert.throws(() => instantiateRounds({ name: 'x' } as never), new RoundsError('not a round problem: define it with defineRoundProblem()'));
  });

  test('a table made for other processes', () => {
    assert.throws(() => checkRounds(instantiateRounds(atomicCommit, { n: 4 }), table), new RoundsError('round table commit-if-all-vote-commit is for 3 processes, not n = 4'));
  });
});

describe('rounds: another problem, written outside the library', () => {
  // Binary consensus with crashes: agreement and validity among the processes that did not crash, and
  // every such process decided after the last round.
  const consensus = defineRoundProblem({
    name: 'binary-consensus',
    description: 'agree on one of the initial values despite crashes',
    params: { n: param.int('processes', 3, 1, 5), rounds: param.int('rounds', 2, 1, 4), crashes: param.int('crashes', 1, 0, 5) },
    states: () => ({ initial: ['V0', 'V1'], named: ['D0', 'D1'], extra: 2 }),
    properties: () => [
      { name: 'agreement', description: 'no two processes decide differently',
        holds: (run) => !(run.states.at(-1)!.includes('D0') && run.states.at(-1)!.includes('D1')) },
      { name: 'validity', description: 'a decision is someone\'s initial value',
        holds: (run) => run.states.at(-1)!.every((s) => s === null || !s.startsWith('D') || run.initial.includes(`V${s[1]}`)) },
      { name: 'termination', description: 'every process that did not crash has decided',
        holds: (run) => run.states.at(-1)!.every((s) => s === null || s.startsWith('D')) },
    ],
  });
  // FloodMin for one crash: x1 = "has seen a 0", x2 = "has seen only 1s" after round 1; decide in round 2.
  const floodMin = roundFunction('flood-min', 'carry the least value seen for F + 1 = 2 rounds, then decide it', (own, h) => {
    if (own === 'V0' || own === 'V1') return own === 'V0' || h.V0 > 0 ? 'x1' : 'x2';
    if (own === 'x1' || own === 'x2') return own === 'x1' || h.x1 > 0 ? 'D0' : 'D1';
    return own;
  });
  const oneRound = roundFunction('one-round', 'decide the least value heard in round 1',
    (own, h) => (own === 'V0' || own === 'V1' ? (own === 'V0' || h.V0 > 0 ? 'D0' : 'D1') : own));

  test('flood-min holds in 2 rounds with one crash: 8 x (1 + 3 * 8) = 200 runs', () => {
    assert.deepEqual(checkRounds(instantiateRounds(consensus), floodMin), { verdict: 'holds', runs: 200 });
  });

  test('deciding after one round breaks agreement when p0 with 0 is heard by p1 only', () => {
    // Run 20: 8 failure-free runs, 8 with p0 heard by nobody (all alive hear the same), then V0 V0 V0,
    // V0 V0 V1 and V0 V1 V0 with p0 heard by p1 agree (p2 holds or hears a 0); V0 V1 V1 does not.
    assert.deepEqual(checkRounds(instantiateRounds(consensus, { rounds: 1 }), oneRound), {
      verdict: 'fails', runs: 20, property: 'agreement',
      run: { initial: ['V0', 'V1', 'V1'], crashes: [{ process: 0, round: 1, heardBy: [1] }], lost: true, states: [['V0', 'V1', 'V1'], [null, 'D0', 'D1']] },
    });
  });
});
