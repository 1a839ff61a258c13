import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { cli } from './run-cli.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'protoforge-rounds-'));

describe('protoforge rounds', () => {
  test('a correct protocol holds over every run; its table, saved as JSON, checks the same', async () => {
    const table = path.join(dir, 'table.json');
    const r = await cli('rounds', 'atomic-commit', '--protocol', 'commit-if-all-vote-commit', '--save-table', table);
    assert.equal(r.code, 0);
    assert.equal(r.out, 'commit-if-all-vote-commit holds on atomic-commit (n=3 rounds=2 crashes=1 extra=0 p5=as-written decide=false): every property, over 200 runs\n');
    const again = await cli('rounds', 'atomic-commit', '--protocol', table, '--json');
    assert.deepEqual(JSON.parse(again.out).verdict, 'holds');
    assert.equal(JSON.parse(again.out).runs, 200);
  });

  test('a broken protocol fails with its counterexample run laid out per round', async () => {
    const r = await cli('rounds', 'atomic-commit', '--protocol', 'abort-on-lost');
    assert.equal(r.code, 1);
    assert.match(r.out, /^abort-on-lost fails P3 on run 17 of 200:$/m);
    assert.match(r.out, /^round 1 {2}- {12}Commit {7}Abort$/m);
    assert.match(r.out, /^p0 crashed in round 1, heard then by p1$/m);
  });

  test('too many runs is refused with exit 3; bad input is exit 2 with one message', async () => {
    const big = await cli('rounds', 'atomic-commit', '--protocol', 'commit-if-all-vote-commit', '-p', 'n=6', '-p', 'crashes=6', '-p', 'rounds=8');
    assert.equal(big.code, 3);
    assert.match(big.err, /has 18,440,755,681,001,536 runs, more than --max-runs 10000000/);
    assert.match((await cli('rounds', 'atomic-commit', '--protocol', 'nope')).err, /^protoforge: error: atomic-commit has no protocol "nope"/);
    assert.match((await cli('rounds', 'consensus', '--protocol', 'x')).err, /^protoforge: error: unknown round problem "consensus" \(the library has: atomic-commit; give a path such as \.\/my-round-problem\.ts for your own\)$/m);
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, readFileSync(path.join(dir, 'table.json'), 'utf8').replace('"Commit"', '"Comit"'));
    const r = await cli('rounds', 'atomic-commit', '--protocol', bad);
    assert.equal(r.code, 2);
    assert.match(r.err, /Comit/);
  });
});
