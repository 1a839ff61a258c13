/**
 * The phi accrual failure detector (Hayashibara, Défago, Yared and Katayama, 2004): instead of a
 * yes/no timeout, a suspicion level phi = -log10(P(a heartbeat arrives later than now)), where the
 * inter-arrival times of a peer's heartbeats are modelled as a normal distribution over a sliding
 * window. phi = 1 means a 10% chance that the peer is still alive and merely slow, phi = 3 a 0.1%
 * chance; a protocol picks its threshold for suspicion or leader election. Pure and clock-free: the
 * caller passes the times, so the simulator can drive it in virtual time and tests exactly.
 */

export interface PhiAccrualOptions {
  /** Inter-arrival samples kept per peer; default 100. */
  readonly windowSize?: number;
  /** Floor on the standard deviation in ms, so a perfectly regular peer is not suspected at once; default 10. */
  readonly minStdDevMs?: number;
  /** Heartbeats that may be missed before suspicion rises (added to the mean), in ms; default 0. */
  readonly acceptablePauseMs?: number;
  /** The interval assumed until the second heartbeat gives a real one; default 1000. */
  readonly firstIntervalMs?: number;
  /** phi at or above which `suspects` is true; default 8. */
  readonly threshold?: number;
}

interface History {
  last: number;
  /** Whether the only sample is the assumed first interval, to be replaced by the first real one. */
  assumed: boolean;
  readonly samples: number[];
  sum: number;
  sumSquares: number;
}

/** log10 of the upper tail of the normal distribution, accurate far into the tail (no 1 - CDF cancellation). */
function log10UpperTail(z: number): number {
  // P(X > z) = erfc(z / sqrt 2) / 2, with erfc from the continued fraction for large z.
  if (z < 25) return Math.log10(0.5 * erfc(z / Math.SQRT2));
  // Asymptotic expansion: Q(z) ~ phi(z)/z * (1 - 1/z^2 + 3/z^4 - 15/z^6)
  const z2 = z * z;
  const series = 1 - 1 / z2 + 3 / (z2 * z2) - 15 / (z2 * z2 * z2);
  return (-z2 / 2 - Math.log(z * Math.sqrt(2 * Math.PI)) + Math.log(series)) / Math.LN10;
}

/** The complementary error function (Numerical Recipes' erfcc, relative error below 1.2e-7). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}

export class PhiAccrualDetector {
  private readonly peers = new Map<string, History>();
  private readonly windowSize: number;
  private readonly minStdDev: number;
  private readonly pause: number;
  private readonly first: number;
  readonly threshold: number;

  constructor(options: PhiAccrualOptions = {}) {
    this.windowSize = options.windowSize ?? 100;
    this.minStdDev = options.minStdDevMs ?? 10;
    this.pause = options.acceptablePauseMs ?? 0;
    this.first = options.firstIntervalMs ?? 1000;
    this.threshold = options.threshold ?? 8;
    const positive = (v: number, name: string) => {
      if (!(Number.isFinite(v) && v > 0)) throw new RangeError(`phi accrual: ${name} must be a positive number, got ${v}`);
    };
    if (!Number.isInteger(this.windowSize) || this.windowSize < 1) throw new RangeError(`phi accrual: windowSize must be a whole number from 1, got ${this.windowSize}`);
    positive(this.minStdDev, 'minStdDevMs');
    positive(this.first, 'firstIntervalMs');
    positive(this.threshold, 'threshold');
    if (!(Number.isFinite(this.pause) && this.pause >= 0)) throw new RangeError(`phi accrual: acceptablePauseMs must be a number from 0, got ${this.pause}`);
  }

  /** Records a heartbeat from `peer` at time `nowMs`. */
  heartbeat(peer: string, nowMs: number): void {
    const h = this.peers.get(peer);
    if (!h) {
      // Until a real interval is seen, assume the first one (with a spread that keeps phi low).
      const s = [this.first];
      this.peers.set(peer, { last: nowMs, assumed: true, samples: s, sum: this.first, sumSquares: this.first * this.first });
      return;
    }
    const interval = nowMs - h.last;
    h.last = nowMs;
    if (interval < 0) return; // a clock that went back: keep the arrival, not the sample
    if (h.assumed) {
      h.assumed = false;
      h.samples.length = 0;
      h.sum = 0;
      h.sumSquares = 0;
    }
    h.samples.push(interval);
    h.sum += interval;
    h.sumSquares += interval * interval;
    if (h.samples.length > this.windowSize) {
      const old = h.samples.shift()!;
      h.sum -= old;
      h.sumSquares -= old * old;
    }
  }

  /** The suspicion level of `peer` at `nowMs`: near 0 right after a heartbeat, rising while none comes; 0 for a peer never heard. */
  phi(peer: string, nowMs: number): number {
    const h = this.peers.get(peer);
    if (!h) return 0;
    const n = h.samples.length;
    const mean = h.sum / n + this.pause;
    const variance = Math.max(0, h.sumSquares / n - (h.sum / n) ** 2);
    const std = Math.max(Math.sqrt(variance), this.minStdDev);
    const z = (nowMs - h.last - mean) / std;
    return Math.max(0, -log10UpperTail(z));
  }

  /** Whether a heartbeat from `peer` was ever recorded (phi says nothing about a peer never heard). */
  heard(peer: string): boolean {
    return this.peers.has(peer);
  }

  /** Whether phi has reached the threshold. */
  suspects(peer: string, nowMs: number): boolean {
    return this.phi(peer, nowMs) >= this.threshold;
  }

  /** Forgets a peer (it left, or restarted with a new identity). */
  remove(peer: string): void {
    this.peers.delete(peer);
  }
}
