import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { instantiate } from '../src/core/index.ts';
import { twoPhaseCommit } from '../src/protocols/index.ts';
import { Prng, sampleMs, simulate } from '../src/sim/index.ts';
import type { LatencyDistribution } from '../src/sim/index.ts';

function draws(d: LatencyDistribution, count: number): number[] {
  const rng = new Prng(9);
  return Array.from({ length: count }, () => sampleMs(d, rng)).sort((a, b) => a - b);
}

describe('latency distributions', () => {
  test('fixed draws nothing from the PRNG; uniform stays within its bounds', () => {
    const rng = new Prng(1);
    assert.equal(sampleMs({ kind: 'fixed', ms: 3 }, rng), 3);
    assert.equal(rng.nextUint32(), new Prng(1).nextUint32());
    const u = draws({ kind: 'uniform', minMs: 2, maxMs: 4 }, 1000);
    assert.ok(u[0] >= 2 && u[999] < 4);
  });

  test('exponential has its mean and long-tail its median (4,001 draws, within 5%)', () => {
    const e = draws({ kind: 'exponential', meanMs: 10 }, 4001);
    const mean = e.reduce((a, b) => a + b, 0) / e.length;
    assert.ok(Math.abs(mean - 10) < 0.5, `mean ${mean}`);
    const p = draws({ kind: 'long-tail', medianMs: 10, alpha: 1.5 }, 4001);
    assert.ok(Math.abs(p[2000] - 10) < 0.5, `median ${p[2000]}`);
    assert.ok(p[0] >= 10 / 2 ** (1 / 1.5)); // the Pareto scale is the minimum
  });

  test('a per-link latency overrides the default for that direction only', () => {
    const r = simulate(instantiate(twoPhaseCommit, { params: { rms: 3 } }), {
      seed: 7,
      latency: { default: { kind: 'fixed', ms: 2 }, links: [{ from: 'tm', to: 'rm1', latency: { kind: 'fixed', ms: 50 } }] },
    });
    const sends = r.trace.events.flatMap((e) => e.sent.map((s) => ({ from: e.node, to: s.to, after: s.at[0] - e.t })));
    assert.ok(sends.length > 0);
    for (const s of sends) assert.equal(Math.round(s.after * 1000) / 1000, s.from === 'tm' && s.to === 'rm1' ? 50 : 2, JSON.stringify(s));
  });
});
