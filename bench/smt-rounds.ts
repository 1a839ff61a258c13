// SMT (Z3) on round protocols: verifying a table and synthesizing one, for atomic commit with N = 3, 4, 5.
//   node --import tsx bench/smt-rounds.ts                          N = 3, 4, 5, F = 1; verification median of 3
//   node --import tsx bench/smt-rounds.ts --max-n 4                N = 3, 4 only
//   node --import tsx bench/smt-rounds.ts --repeat 5               median of 5
//   node --import tsx bench/smt-rounds.ts --crashes 2 --max-n 4    F = 2 (N = 3, 4)
//   node --import tsx bench/smt-rounds.ts --absorbing              synthesis keeps Commit and Abort once reached
//
// Verification: the whole of verifyRoundsSmt (encoding, Z3, decoding), against the baseline measured in
// the same run, checkRounds enumerating every run. Two machines per N: commit-if-all-vote-commit, which
// holds (the solver must prove unsat), and abort-on-lost, which fails P3 (sat, then the search for a run
// with fewer crashes). P5 as rule 5, R = F + 1 (R = 3 for N = 5 either way).
//
// Synthesis: synthesizeRounds once per cell (each call has its own Z3 context and Z3 is deterministic,
// so the loop is too), P5 as rule 5, no extra state: for T (decide when nothing is Lost) and for NB
// (decide in every run), R = 1, 2, ... until a table is found (at most F + 2); every R before that is a
// proof that none exists. The iterations are solve-check rounds of the CEGIS loop; runs, the runs in
// its set at the end; proof, the runs of the minimal unsat core.
import os from 'node:os';
import { readFileSync } from 'node:fs';
import { checkRounds, countRuns } from '../src/check/rounds.ts';
import { instantiateRounds } from '../src/core/rounds.ts';
import type { RoundFunction } from '../src/core/rounds.ts';
import { abortOnLost, atomicCommit, commitIfAllVoteCommit } from '../src/protocols/atomic-commit.ts';
import { atomicCommitProgress, atomicCommitSymbolic } from '../src/protocols/atomic-commit-smt.ts';
import { synthesizeRounds } from '../src/smt/rounds-synth.ts';
import { verifyRoundsSmt } from '../src/smt/rounds-verify.ts';
import { closeZ3, z3 } from '../src/smt/z3.ts';
import { cpuModel } from './machine.ts';

const argv = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const at = argv.indexOf(name);
  return at >= 0 ? Math.max(1, Number(argv[at + 1]) || fallback) : fallback;
};
const maxN = Math.min(5, flag('--max-n', 5));
const repeat = flag('--repeat', 3);
const crashes = argv.includes('--crashes') ? Math.max(0, Number(argv[argv.indexOf('--crashes') + 1]) || 0) : 1;
const absorbing = argv.includes('--absorbing') ? ['Commit', 'Abort'] : [];
const NS = [3, 4, 5].filter((n) => n <= maxN && crashes <= n);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x: number) => (x < 10 ? x.toFixed(2) : x.toFixed(0));
const secs = (ms: number) => (ms < 100 ? (ms / 1000).toFixed(3) : (ms / 1000).toFixed(2));
const z3Version = (JSON.parse(readFileSync(new URL('../node_modules/z3-solver/package.json', import.meta.url), 'utf8')) as { version: string }).version;

await z3(); // loading the WebAssembly module is not part of any figure
console.log('# SMT on round protocols: atomic commit');
console.log();
console.log(`Machine: ${cpuModel()}, ${os.cpus().length} cores, ${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB; Node ${process.version}; z3-solver ${z3Version} (WebAssembly); load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}.`);
console.log(`Command: node --import tsx bench/smt-rounds.ts${argv.length ? ' ' + argv.join(' ') : ''} (verification: medians of ${repeat}, after one warm-up call; synthesis: one call per cell).`);
console.log();
console.log(`## Verification (P5 as rule 5, F = ${crashes})`);
console.log();
console.log('| N | R | runs | table | verdict | checkRounds ms | Z3 ms | Z3 / checkRounds | encode ms | solve ms | keys | SMT lines |');
console.log('|--:|--:|--:|:--|:--|--:|--:|--:|--:|--:|--:|--:|');
for (const n of NS) {
  const rounds = n === 5 ? Math.max(3, crashes + 1) : crashes + 1;
  const inst = instantiateRounds(atomicCommit, { n, rounds, crashes, p5: 'rule-5' });
  const symbolic = atomicCommitSymbolic(inst.params);
  for (const f of [commitIfAllVoteCommit, abortOnLost] as RoundFunction[]) {
    process.stderr.write(`verify N=${n} ${f.name} ...\n`);
    await verifyRoundsSmt(inst, f, symbolic);
    const enumTimes: number[] = [];
    const smtTimes: number[] = [];
    const encodeTimes: number[] = [];
    const solveTimes: number[] = [];
    let last: Awaited<ReturnType<typeof verifyRoundsSmt>> | undefined;
    let verdict = '';
    for (let k = 0; k < repeat; k++) {
      const t0 = performance.now();
      const c = checkRounds(inst, f);
      enumTimes.push(performance.now() - t0);
      const t1 = performance.now();
      last = await verifyRoundsSmt(inst, f, symbolic);
      smtTimes.push(performance.now() - t1);
      encodeTimes.push(last.stats.encodeMs);
      solveTimes.push(last.stats.solveMs);
      verdict = c.verdict === 'fails' ? `fails ${c.property}` : c.verdict;
      const mine = last.verdict === 'fails' ? `fails ${last.property}` : last.verdict;
      if (mine.split(' ')[0] !== verdict.split(' ')[0]) throw new Error(`verdicts differ on ${f.name}, N=${n}: ${mine} against ${verdict}`);
    }
    const e = median(enumTimes);
    const s = median(smtTimes);
    console.log(`| ${n} | ${rounds} | ${countRuns(n, rounds, crashes, 2).toLocaleString('en-US')} | ${f.name} | ${verdict} | ${ms(e)} | ${ms(s)} | ${(s / e).toFixed(0)}× | ${ms(median(encodeTimes))} | ${ms(median(solveTimes))} | ${last!.stats.keys} | ${last!.stats.lines.toLocaleString('en-US')} |`);
  }
}

console.log();
console.log(`## Synthesis (CEGIS, P5 as rule 5, F = ${crashes}, no extra state${absorbing.length ? ', Commit and Abort absorbing' : ''})`);
console.log();
console.log('| N | obligation | R | result | iterations | runs in set | proof (runs) | table entries | solve s | total s |');
console.log('|--:|:--|--:|:--|--:|--:|--:|--:|--:|--:|');
for (const n of NS) {
  for (const when of ['without-lost', 'always'] as const) {
    for (let rounds = 1; rounds <= crashes + 2; rounds++) {
      process.stderr.write(`synthesize N=${n} ${when} R=${rounds} ...\n`);
      const inst = instantiateRounds(atomicCommit, { n, rounds, crashes, p5: 'rule-5' });
      const progress = atomicCommitProgress(when);
      const r = await synthesizeRounds(inst, { properties: atomicCommitSymbolic(inst.params), progress, absorbing });
      const result = r.verdict === 'found' ? 'table found, checkRounds proves it' : r.verdict === 'impossible' ? 'none exists (unsat)' : `unknown: ${r.reason}`;
      console.log(`| ${n} | ${progress.name} | ${rounds} | ${result} | ${r.iterations} | ${r.runs} | ${r.verdict === 'impossible' ? r.core.length : '–'} | ${r.verdict === 'found' ? Object.keys(r.table.next).length : '–'} | ${secs(r.solveMs)} | ${secs(r.totalMs)} |`);
      if (r.verdict !== 'impossible') break;
    }
  }
}
await closeZ3();
