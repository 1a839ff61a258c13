// Time to check that the strengthened Paxos invariant is inductive, at increasing bounds:
// `node --import tsx bench/induct.ts`. The baseline measured in the same run is the model checker
// exploring every reachable state of the same configuration (which shows the invariant holds there,
// not why); inductiveness covers every state within the bounds, reachable or not.
import os from 'node:os';
import { check, checkInductive } from '../src/check/index.ts';
import { paxos, twoPhaseCommit } from '../src/protocols/index.ts';
import type { Protocol } from '../src/core/index.ts';
import { cpuModel } from './machine.ts';

const rows: [Protocol, Record<string, number>, string, Record<string, number>][] = [
  [paxos, {}, 'inductive', { messages: 1 }],
  [paxos, {}, 'inductive', { messages: 2 }],
  [paxos, {}, 'inductive', { messages: 3 }],
  [paxos, { acceptors: 5 }, 'inductive', { messages: 2 }],
  [paxos, { proposers: 3 }, 'inductive+messages', { messages: 2 }],
  [twoPhaseCommit, { rms: 6 }, 'inductive', {}],
];

console.log(`# Inductiveness benchmark\n\n${cpuModel()}, ${os.cpus().length} cores, Node ${process.version}; load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}\n`);
console.log('| protocol | invariant | bounds | states in the universe | examined | verdict | induct s | reachable states | check s | induct / check |');
console.log('|---|---|---|--:|--:|---|--:|--:|--:|--:|');
for (const [protocol, params, invariant, bounds] of rows) {
  const workers = 2;
  const t0 = performance.now();
  const r = await checkInductive(protocol, params, { invariant, bounds, workers, maxStates: 60_000_000 });
  const induct = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const c = await check(protocol, { params, workers, symmetry: true });
  const checked = (performance.now() - t1) / 1000;
  const name = `${protocol.name} ${Object.entries(params).map(([k, v]) => `${k}=${v}`).join(' ')}`.trim();
  const b = Object.entries(r.bounds).map(([k, v]) => `${k}=${v}`).join(' ');
  console.log(`| ${name} | ${invariant} | ${b} | ${r.universe.states.toLocaleString('en-US')} | ${r.examined.toLocaleString('en-US')} | ${r.verdict}${r.anyMessageCount ? ' (any message count)' : ''} | ${induct.toFixed(1)} | ${c.states.toLocaleString('en-US')} | ${checked.toFixed(1)} | ${(induct / checked).toFixed(2)} |`);
}
