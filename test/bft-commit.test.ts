import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { findState, generate, generateTables, renderState, run, transitionOn } from '../src/metamodel/index.ts';
import type { StateMachine } from '../src/metamodel/index.ts';
import { bftCommit, bftThresholds } from '../src/protocols/bft-commit.ts';

// The document's Table 1, and its section 3.2.3 for r = 4.
const table1 = [
  { f: 1, r: 4, initial: 512, final: 33 },
  { f: 2, r: 7, initial: 1568, final: 85 },
  { f: 4, r: 13, initial: 5408, final: 261 },
  { f: 8, r: 25, initial: 20000, final: 901 },
  { f: 15, r: 46, initial: 67712, final: 2945 },
];

const machines = new Map<number, StateMachine>();
const machine = (r: number): StateMachine => {
  if (!machines.has(r)) machines.set(r, generate(bftCommit, { r }));
  return machines.get(r)!;
};

describe('BFT commit family (Kirby, Dearle and Norcross)', () => {
  test('thresholds: f = floor((r-1)/3), vote threshold r - f, external commit threshold f + 1', () => {
    assert.deepEqual(bftThresholds(4), { f: 1, vote: 3, commit: 2 });
    assert.deepEqual(bftThresholds(46), { f: 15, vote: 31, commit: 16 });
    assert.deepEqual(table1.map((row) => bftThresholds(row.r).f), table1.map((row) => row.f));
  });

  test("Table 1: initial states 512, 1568, 5408, 20000, 67712 and final states 33, 85, 261, 901, 2945, exactly", () => {
    for (const row of table1) {
      const { stats } = machine(row.r);
      assert.equal(stats.enumerated, row.initial, `r=${row.r} initial`);
      assert.equal(stats.enumerated, 32 * row.r * row.r, 'five booleans and two counts from 0 to r-1');
      assert.equal(stats.final, row.final, `r=${row.r} final`);
      assert.equal(stats.final, (2 * row.f + 1) * (2 * row.r + 3));
      assert.equal(machine(row.r).states.length, row.final);
    }
  });

  test('reachable states: 41 for r = 4 where the document has 48 (see docs/bft-commit.md)', () => {
    // With a separate finish state and commits_received read only by the commit rule, the reachable
    // states are f + 1 equal layers (commits 0..f) plus the finish state: an odd number for r = 4.
    const reachable = table1.map((row) => machine(row.r).stats.reachable);
    assert.deepEqual(reachable, [41, 109, 341, 1189, 3905]);
    assert.deepEqual(reachable, table1.map(({ f, r }) => (f + 1) * (4 * r + 4 * f) + 1));
    assert.deepEqual(table1.map((row) => machine(row.r).stats.rounds), [2, 2, 2, 2, 2]);
  });

  test('Figure 9: state T/2/F/0/F/F/F for r = 4, its commentary and its transitions', () => {
    const m = machine(4);
    assert.equal(renderState(m, 'T/2/F/0/F/F/F', { width: 0 }), [
      'state: T/2/F/0/F/F/F',
      'Have received initial put from client. Have not voted since another update has already been voted for. ' +
        'Have received 2 votes and no commits. Have not sent a commit since neither the vote threshold (3) nor the ' +
        'external commit threshold (2) has been reached. May not choose since another ongoing update has been voted ' +
        'for. Have not chosen this update since another ongoing update has been chosen. Waiting for 1 further vote ' +
        '(including local vote if any) before sending commit. Waiting for 2 further external commits to finish.',
      'Transitions:',
      '      message: VOTE',
      '          action: send vote message',
      '          action: send commit message',
      '          transition to: T/3/T/0/T/F/F',
      '      message: COMMIT',
      '          transition to: T/2/F/1/F/F/F', // the document prints T/2/F/1/F/F, one field short
      '      message: FREE',
      '          action: send vote message',
      '          action: send commit message',
      '          action: send not free message',
      '          transition to: T/2/T/0/T/T/T',
    ].join('\n'));
    // The vote took the replica that had not chosen the update to a state combined with the one that had.
    assert.deepEqual(findState(m, 'T/3/T/0/T/F/F')?.members, ['T/3/T/0/T/F/F', 'T/3/T/0/T/F/T']);
  });

  test('Figure 5 and Figure 10: a vote that reaches the threshold sends the commit', () => {
    const m = machine(4);
    // Figure 10: case (S-T-1-T-1-F-T-T): sendCommit(); setState(S-T-2-T-1-T-T[-T]).
    const t = transitionOn(m, 'T/1/T/1/F/T/T', 'vote')!;
    assert.deepEqual(t.actions, [{ send: 'commit' }]);
    assert.equal(m.states[t.to].name, 'T/2/T/1/T/T/T');
    // Figure 10: case (S-F-0-F-0-F-F-F): setState(S-F-1-F-0-F-F-F).
    assert.equal(m.states[transitionOn(m, 'F/0/F/0/F/F/F', 'vote')!.to].name, 'F/1/F/0/F/F/F');
    // Figure 5, could_choose set: choose (send not free), vote, commit, and unset could_choose.
    const forced = transitionOn(m, 'F/2/F/0/F/T/F', 'vote')!;
    assert.deepEqual(forced.actions, [{ send: 'not free' }, { send: 'vote' }, { send: 'commit' }]);
    assert.equal(m.states[forced.to].name, 'F/3/T/0/T/F/F'); // F/3/T/0/T/F/T, combined with it
    assert.deepEqual(m.states[forced.to].members, ['F/3/T/0/T/F/F', 'F/3/T/0/T/F/T']);
  });

  test('a run: put, two votes and two commits finish, sending vote, not free and commit once each', () => {
    const m = machine(4);
    assert.equal(m.states[m.start].name, 'F/0/F/0/F/T/F');
    assert.deepEqual(run(m, ['put', 'vote', 'vote', 'commit', 'commit']), {
      state: 'finish', actions: [{ send: 'vote' }, { send: 'not free' }, { send: 'commit' }],
    });
    // Not free first: the put does not make it vote; the third vote does, and finishing needs f + 1 = 2 commits.
    assert.deepEqual(run(m, ['not free', 'put', 'vote', 'vote', 'put', 'commit']), { state: 'T/2/F/1/F/F/F', actions: [] });
    assert.deepEqual(run(m, ['not free', 'put', 'vote', 'vote', 'vote', 'commit', 'commit']), {
      state: 'finish', actions: [{ send: 'vote' }, { send: 'commit' }],
    });
  });

  test('invariants of every generated machine: commit only after vote, at most f commits, finish always reachable', () => {
    for (const r of [4, 7, 13]) {
      const m = machine(r);
      const { f } = bftThresholds(r);
      for (const s of m.states) {
        if (!s.values) continue;
        assert.ok(!s.values.commit_sent || s.values.vote_sent, `${s.name}: committed without voting`);
        assert.ok((s.values.commits_received as number) <= f, `${s.name}: more than f commits`);
        assert.ok(!s.values.has_chosen || s.values.vote_sent, `${s.name}: chosen without voting`);
      }
      // Backwards from the finish state over the transitions: every state gets there.
      const back = new Set([m.finish!]);
      for (let grew = true; grew;) {
        grew = false;
        m.states.forEach((s, i) => {
          if (!back.has(i) && s.transitions.some((t) => back.has(t.to))) {
            back.add(i);
            grew = true;
          }
        });
      }
      assert.equal(back.size, m.states.length, `r=${r}`);
    }
  });

  test('generation steps: 512 -> 41 -> 33 for r = 4, and r = 100', () => {
    const g = generateTables(bftCommit, { r: 4 });
    assert.equal(g.enumerated.count, 513); // the finish state after the 512
    assert.equal(g.reachable.count, 41);
    assert.equal(g.final.count, 33);
    assert.deepEqual(generate(bftCommit, { r: 100 }).stats, { enumerated: 320000, reachable: 18089, final: 13601, rounds: 2 });
  });
});
