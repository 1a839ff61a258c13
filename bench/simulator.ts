// Simulated events per second: `node --import tsx bench/simulator.ts`.
// Each model runs many seeds on one thread (after a warm-up; best of 3 passes over the seeds), then as
// a swarm on 2 worker threads. The baseline measured in the same run is the cost of the handlers alone:
// the same protocol's steps called directly through core's stepNode, which bounds what any executor
// can reach. The load average is printed before and after, since the machine may be shared.
import os from 'node:os';
import { instantiate, stepNode } from '../src/core/index.ts';
import type { Instance, Protocol } from '../src/core/index.ts';
import { paxos, twoPhaseCommit } from '../src/protocols/index.ts';
import { simulate, simulateSwarm } from '../src/sim/index.ts';
import { cpuModel } from './machine.ts';

const models: [Protocol, Record<string, number>, number][] = [
  [twoPhaseCommit, { rms: 100 }, 2000],
  [twoPhaseCommit, { rms: 500 }, 300],
  [paxos, { proposers: 5, acceptors: 101 }, 400],
];
const PASSES = 3;

function handlerBaseline(inst: Instance): number {
  // Starts every node, then replays start events in a loop: pure handler calls plus plain-data checks
  // (best of 3 windows of 500 ms, as the simulator's passes).
  let best = 0;
  for (let pass = 0; pass < PASSES; pass++) {
    const t0 = performance.now();
    let calls = 0;
    while (performance.now() - t0 < 500) {
      for (let i = 0; i < inst.topo.ids.length; i++) stepNode(inst.topo, i, undefined, { kind: 'start' });
      calls += inst.topo.ids.length;
    }
    best = Math.max(best, calls / ((performance.now() - t0) / 1000));
  }
  return best;
}

const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
console.log(`# Simulator benchmark\n\n${cpuModel()}, ${os.cpus().length} cores, Node ${process.version}; load average ${load()}\n`);
console.log('| model | seeds | events | 1 thread events/s | 2 workers events/s | handler calls/s (baseline) | 1 thread / baseline | 1 thread / 1,000,000 target |');
console.log('|---|--:|--:|--:|--:|--:|--:|--:|');
for (const [protocol, params, seeds] of models) {
  const inst = instantiate(protocol, { params });
  for (let s = 1; s <= 5; s++) simulate(inst, { seed: s }); // warm-up
  let events = 0;
  let one = 0;
  for (let pass = 0; pass < PASSES; pass++) {
    events = 0;
    const t0 = performance.now();
    for (let s = 1; s <= seeds; s++) events += simulate(inst, { seed: s }).events;
    one = Math.max(one, events / ((performance.now() - t0) / 1000));
  }
  const t1 = performance.now();
  const runs = await simulateSwarm(protocol, { instance: { params }, sim: {}, firstSeed: 1, runs: seeds, workers: 2 });
  const two = runs.reduce((n, r) => n + r.events, 0) / ((performance.now() - t1) / 1000);
  const base = handlerBaseline(inst);
  const name = `${protocol.name} ${Object.entries(params).map(([k, v]) => `${k}=${v}`).join(' ')}`;
  console.log(`| ${name} | ${seeds} | ${events.toLocaleString('en-US')} | ${Math.round(one).toLocaleString('en-US')} | ${Math.round(two).toLocaleString('en-US')} | ${Math.round(base).toLocaleString('en-US')} | ${(one / base).toFixed(2)} | ${(one / 1e6).toFixed(2)} |`);
}
console.log(`\nload average after: ${load()}`);
