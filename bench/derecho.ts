// Opportunistic batching in the Derecho multicast: `node --import tsx bench/derecho.ts`.
// The baseline, measured in the same run, is the same program with `batching: false` (each trigger
// acts on one item per pass). Simulated: evaluation passes, events and virtual time until every
// member delivered every message, summed over seeds; checked: distinct states where the unbatched
// program still fits. The load average is printed before and after, since the machine may be shared.
import os from 'node:os';
import { check } from '../src/check/index.ts';
import { instantiate } from '../src/core/index.ts';
import { defineSstProtocol } from '../src/core/sst.ts';
import { derechoMulticastProgram } from '../src/protocols/derecho-multicast.ts';
import { simulate } from '../src/sim/index.ts';
import { cpuModel } from './machine.ts';

const SEEDS = 50;
const multicast = defineSstProtocol(derechoMulticastProgram);
const eager = defineSstProtocol({ ...derechoMulticastProgram, evaluation: 'eager' });
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;

interface Totals { passes: number; events: number; ms: number }

function simulated(params: Record<string, unknown>): Totals {
  const inst = instantiate(multicast, { params });
  const out: Totals = { passes: 0, events: 0, ms: 0 };
  for (let seed = 1; seed <= SEEDS; seed++) {
    const run = simulate(inst, { seed, latency: { default: { kind: 'uniform', minMs: 1, maxMs: 20 } } });
    if (run.stop !== 'quiescent' || !run.properties.every((p) => p.ok)) throw new Error(`seed ${seed} of ${JSON.stringify(params)} did not deliver everything`);
    out.passes += run.trace.events.filter((e) => e.event.kind === 'timer' && e.event.name === 'sst-evaluate').length;
    out.events += run.events;
    out.ms += run.endTimeMs;
  }
  return out;
}

console.log(`# Derecho multicast: batching\n\n${cpuModel()}, ${os.cpus().length} cores, Node ${process.version}; load average ${load()}\n`);
console.log(`## Simulated (${SEEDS} seeds, latency uniform 1-20 ms), batched / unbatched\n`);
console.log('Messages handed over all at the start, or one every `produceMs` (plus the timer jitter, 0-10 ms).\n');
console.log('| members × messages | produceMs | passes | unbatched passes | ratio | events | unbatched events | ratio | virtual ms | unbatched virtual ms | ratio |');
console.log('|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
for (const [members, messages, produceMs] of [[3, 2, 0], [3, 10, 0], [3, 10, 2], [5, 10, 2], [5, 50, 2], [5, 50, 10]]) {
  const on = simulated({ members, messages, produceMs });
  const off = simulated({ members, messages, produceMs, batching: false });
  console.log(`| ${members} × ${messages} | ${produceMs} | ${on.passes} | ${off.passes} | ${ratio(on.passes, off.passes)} | ${on.events} | ${off.events} | ${ratio(on.events, off.events)} | ${on.ms.toFixed(1)} | ${off.ms.toFixed(1)} | ${ratio(on.ms, off.ms)} |`);
}

console.log('\n## Checked, batched / unbatched\n');
console.log('| evaluation | members × messages | states | unbatched states | ratio | s | unbatched s |');
console.log('|---|---|--:|--:|--:|--:|--:|');
const cases: [string, typeof multicast, number, number][] = [
  ['when-enabled', multicast, 2, 2], ['when-enabled', multicast, 2, 3], ['when-enabled', multicast, 3, 1],
  ['eager', eager, 2, 3], ['eager', eager, 3, 1], ['eager', eager, 3, 2],
];
for (const [evaluation, protocol, members, messages] of cases) {
  const on = await check(protocol, { params: { members, messages } });
  const off = await check(protocol, { params: { members, messages, batching: false } });
  console.log(`| ${evaluation} | ${members} × ${messages} | ${on.states} | ${off.states} | ${ratio(on.states, off.states)} | ${on.seconds.toFixed(2)} | ${off.seconds.toFixed(2)} |`);
}
console.log(`\nload average after: ${load()}`);
