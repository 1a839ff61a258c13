import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { checkRounds } from '../src/check/rounds.ts';
import { instantiateRounds } from '../src/core/rounds.ts';
import { atomicCommit } from '../src/protocols/atomic-commit.ts';
import { closeZ3 } from '../src/smt/z3.ts';
import { cli } from './run-cli.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'protoforge-smt-cli-'));
after(() => closeZ3());

describe('Z3 from the command line', () => {
  test('rounds --verifier smt agrees with the exhaustive check: holds, and fails P3 with the run', async () => {
    const holds = await cli('rounds', 'atomic-commit', '--protocol', 'commit-if-all-vote-commit', '--verifier', 'smt');
    assert.deepEqual(holds, { code: 0, out: 'commit-if-all-vote-commit holds on atomic-commit (n=3 rounds=2 crashes=1 extra=0 p5=as-written decide=false): every property, over every run (Z3: unsat)\n', err: '' });
    const fails = await cli('rounds', 'atomic-commit', '--protocol', 'abort-on-lost', '--verifier', 'smt');
    assert.equal(fails.code, 1);
    assert.match(fails.out, /^abort-on-lost fails P3 on atomic-commit \(Z3: sat\):\n/);
    assert.equal((await cli('rounds', 'atomic-commit', '--protocol', 'abort-on-lost')).code, 1);
  });

  test('learn --method smt synthesizes a table the checker proves, or proves none exists', async () => {
    const out = path.join(dir, 'ac.json');
    const found = await cli('learn', 'atomic-commit', '--method', 'smt', '--out', out);
    assert.equal(found.code, 0);
    assert.match(found.out, /^Synthesized atomic-commit \(n=3 rounds=2 crashes=1 extra=0 p5=rule-5 decide=true\) with Z3: 18 table entries, proven over every run by the checker\.\n1 iterations, 8 runs in the solver/);
    const table = JSON.parse(readFileSync(out, 'utf8'));
    assert.deepEqual(checkRounds(instantiateRounds(atomicCommit, { p5: 'rule-5', decide: true }), table), { verdict: 'holds', runs: 200 });

    const oneRound = await cli('learn', 'atomic-commit', '--method', 'smt', '--non-blocking', '--rounds', '1');
    assert.equal(oneRound.code, 1);
    assert.equal(oneRound.out.split('\n')[0], 'No table exists for atomic-commit (n=3 rounds=1 crashes=1 extra=0 p5=rule-5 decide=true, non-blocking): Z3 proves it (unsat) on these 4 runs alone:');
    const twoRounds = await cli('learn', 'atomic-commit', '--method', 'smt', '--non-blocking', '--rounds', '2', '--json');
    assert.equal(twoRounds.code, 0);
    const j = JSON.parse(twoRounds.out);
    assert.equal(j.verdict, 'found');
    const asWritten = await cli('learn', 'atomic-commit', '--method', 'smt', '-p', 'p5=as-written');
    assert.equal(asWritten.code, 1);
    assert.match(asWritten.out, /Z3 proves it \(unsat\) on this run alone:\n {2}initial LocalCommit LocalAbort LocalAbort; no crash\n/);
  });
});
