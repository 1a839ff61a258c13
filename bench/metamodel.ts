// Meta-model benchmark: generating the BFT commit family, next to the document's Table 1.
//   node --import tsx bench/metamodel.ts               r = 4, 7, 13, 25, 46, 100; best of 5
//   node --import tsx bench/metamodel.ts --repeat 9    best of 9
//   node --import tsx bench/metamodel.ts --no-baseline skip the pairwise-merge baseline
//
// Generation time is the whole of generate(): the four steps and the machine value with its commentary,
// in this process after one warm-up run per r. The document's times are its Table 1 (Java, 2007, an
// Apple MacBook Pro, 2.33 GHz Core 2 Duo); the baseline measured in the same run is step 4 done the
// document's way, by comparing states pair by pair and merging identical ones until nothing changes,
// against the Moore partition refinement that generate() uses (both on the same reachable states).
import os from 'node:os';
import { generate, generateTables, refine } from '../src/metamodel/index.ts';
import type { TransitionTable } from '../src/metamodel/index.ts';
import { bftCommit, bftThresholds, TABLE_1 } from '../src/protocols/bft-commit.ts';
import { cpuModel } from './machine.ts';

const argv = process.argv.slice(2);
const repeatAt = argv.indexOf('--repeat');
const repeat = repeatAt >= 0 ? Math.max(1, Number(argv[repeatAt + 1]) || 1) : 5;
const baseline = !argv.includes('--no-baseline');

const TARGETS: Record<number, number> = { 46: 1, 100: 30 };
const DOCUMENT = TABLE_1;
const RS = [4, 7, 13, 25, 46, 100];
const PAIRWISE_UP_TO = 46;


function best(fn: () => void): number {
  fn(); // warm-up
  let min = Infinity;
  for (let k = 0; k < repeat; k++) {
    const t = performance.now();
    fn();
    min = Math.min(min, performance.now() - t);
  }
  return min / 1000;
}

/** Step 4 as the document words it: merge states whose transitions (actions, destination) are identical, until nothing changes. */
function pairwiseMerge(t: TransitionTable): number {
  const m = t.messages.length;
  const rep = Int32Array.from({ length: t.count }, (_, i) => i);
  const find = (x: number): number => {
    while (rep[x] !== x) x = rep[x] = rep[rep[x]];
    return x;
  };
  const same = (a: number, b: number): boolean => {
    if ((a === t.finish) !== (b === t.finish)) return false;
    for (let j = 0; j < m; j++) {
      const da = t.dest[a * m + j];
      const db = t.dest[b * m + j];
      if (t.action[a * m + j] !== t.action[b * m + j]) return false;
      if ((da < 0) !== (db < 0)) return false;
      if (da >= 0 && find(da) !== find(db)) return false;
    }
    return true;
  };
  for (let changed = true; changed;) {
    changed = false;
    const alive: number[] = [];
    for (let i = 0; i < t.count; i++) if (find(i) === i) alive.push(i);
    for (let x = 0; x < alive.length; x++) {
      const a = alive[x];
      if (find(a) !== a) continue;
      for (let y = x + 1; y < alive.length; y++) {
        const b = alive[y];
        if (find(b) === b && same(a, b)) {
          rep[b] = a;
          changed = true;
        }
      }
    }
  }
  let n = 0;
  for (let i = 0; i < t.count; i++) if (find(i) === i) n++;
  return n;
}

const fmt = (n: number) => n.toLocaleString('en-US');
const secs = (s: number) => (s < 0.1 ? s.toFixed(3) : s.toFixed(2));

console.log(`# Meta-model generation: BFT commit family`);
console.log();
console.log(`Machine: ${cpuModel()}, ${os.cpus().length} cores, ${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB; Node ${process.version}; load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}.`);
console.log(`Command: node --import tsx bench/metamodel.ts${argv.length ? ' ' + argv.join(' ') : ''} (best of ${repeat} after one warm-up).`);
console.log();
console.log('| f | r | initial | (document) | reachable | final | (document) | document s | ours s | document/ours | target |');
console.log('|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|:--|');
const merges: string[] = [];
for (const r of RS) {
  process.stderr.write(`r=${r} ...\n`);
  const { f } = bftThresholds(r);
  const m = generate(bftCommit, { r });
  const seconds = best(() => generate(bftCommit, { r }));
  const doc = DOCUMENT[r];
  const target = TARGETS[r] === undefined ? '' : `< ${TARGETS[r]} s: ${seconds < TARGETS[r] ? 'met' : 'MISSED'}`;
  console.log(`| ${f} | ${r} | ${fmt(m.stats.enumerated)} | ${doc ? fmt(doc.initial) : '–'} | ${fmt(m.stats.reachable)} | ${fmt(m.stats.final)} | ${doc ? fmt(doc.final) : '–'} | ${doc ? secs(doc.seconds) : '–'} | ${secs(seconds)} | ${doc ? `${(doc.seconds / seconds).toFixed(0)}×` : '–'} | ${target} |`);
  if (baseline && r <= PAIRWISE_UP_TO) {
    const g = generateTables(bftCommit, { r });
    const t = g.reachable;
    const initial = new Int32Array(t.count);
    if (t.finish >= 0) initial[t.finish] = 1;
    let moore = 0;
    let pairs = 0;
    const mooreS = best(() => { moore = refine(t.count, t.messages.length, t.dest, t.action, initial).count; });
    const pairS = best(() => { pairs = pairwiseMerge(t); });
    merges.push(`| ${r} | ${fmt(t.count)} | ${fmt(moore)} | ${fmt(pairs)} | ${(mooreS * 1000).toFixed(2)} | ${(pairS * 1000).toFixed(1)} | ${(pairS / mooreS).toFixed(0)}× |`);
  }
}
if (merges.length) {
  console.log();
  console.log('Step 4 alone, on the reachable states: Moore partition refinement (generate) against pairwise comparison (the baseline).');
  console.log();
  console.log('| r | reachable | Moore: states | pairwise: states | Moore ms | pairwise ms | pairwise/Moore |');
  console.log('|--:|--:|--:|--:|--:|--:|--:|');
  for (const line of merges) console.log(line);
}
