import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PhiAccrualDetector } from '../src/runtime/phi-accrual.ts';

/** Heartbeats every `every` ms from 0 to `until` (inclusive). */
function feed(d: PhiAccrualDetector, peer: string, every: number, until: number, jitter: (i: number) => number = () => 0): number {
  let t = 0;
  for (let i = 0; t <= until; i++, t += every) d.heartbeat(peer, t + jitter(i));
  return t - every + jitter(Math.floor(until / every));
}

describe('phi accrual failure detector', () => {
  test('phi is the -log10 of the normal upper tail of the time since the last heartbeat', () => {
    // Intervals alternate 90 and 110 ms: mean 100, standard deviation 10.
    const d = new PhiAccrualDetector({ minStdDevMs: 1 });
    let t = 0;
    d.heartbeat('a', t);
    for (let i = 0; i < 100; i++) d.heartbeat('a', (t += i % 2 ? 110 : 90));
    assert.equal(d.phi('a', t), 0);
    assert.equal(d.phi('a', t + 100).toFixed(4), '0.3010'); // P(X > mean) = 1/2
    assert.equal(d.phi('a', t + 110).toFixed(4), '0.7995'); // one sigma: P = 0.1587
    assert.equal(d.phi('a', t + 130).toFixed(3), '2.870'); // three sigma: P = 0.00135
    assert.equal(d.phi('a', t + 160).toFixed(3), '9.006'); // six sigma: P = 9.87e-10
    assert.ok(d.phi('a', t + 300) > 80, 'far in the tail phi keeps growing instead of hitting Infinity');
    assert.ok(Number.isFinite(d.phi('a', t + 300)));
  });

  test('a steady peer is not suspected; a silent one is, and the threshold is what decides', () => {
    const d = new PhiAccrualDetector({ threshold: 8, minStdDevMs: 10 });
    const last = feed(d, 'steady', 100, 5000, (i) => (i % 3) * 5);
    assert.equal(d.suspects('steady', last + 120), false);
    assert.equal(d.suspects('steady', last + 400), true);
    // The moment suspicion starts: phi crosses 8 between these.
    assert.ok(d.phi('steady', last + 150) < 8 && d.phi('steady', last + 170) >= 8);
    d.heartbeat('steady', last + 450);
    assert.ok(d.phi('steady', last + 450) < 0.01);
    assert.equal(d.phi('never-heard', 1e9), 0);
    // After one heartbeat, the assumed interval (1000 ms by default) stands in for the unknown one.
    d.heartbeat('new', 0);
    assert.equal(d.phi('new', 1000).toFixed(4), '0.3010');
  });

  test('an acceptable pause shifts suspicion later by that much; irregular peers are suspected later than regular ones', () => {
    const strict = new PhiAccrualDetector();
    const lenient = new PhiAccrualDetector({ acceptablePauseMs: 200 });
    const t1 = feed(strict, 'p', 100, 3000);
    feed(lenient, 'p', 100, 3000);
    assert.equal(lenient.phi('p', t1 + 300).toFixed(6), strict.phi('p', t1 + 100).toFixed(6));
    const jittery = new PhiAccrualDetector();
    const t2 = feed(jittery, 'p', 100, 3000, (i) => (i % 2 ? 40 : -40));
    assert.ok(jittery.phi('p', t2 + 200) < strict.phi('p', t1 + 200));
  });

  test('bad options are refused with one message each', () => {
    assert.throws(() => new PhiAccrualDetector({ windowSize: 0 }), /windowSize must be a whole number from 1, got 0/);
    assert.throws(() => new PhiAccrualDetector({ threshold: -1 }), /threshold must be a positive number, got -1/);
    assert.throws(() => new PhiAccrualDetector({ acceptablePauseMs: Number.NaN }), /acceptablePauseMs must be a number from 0, got NaN/);
  });
});
