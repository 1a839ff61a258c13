import { checkNumber, show, SimOptionsError } from './options-error.ts';
import type { Prng } from './prng.ts';

/** Longest delay, in ms, any distribution may give (about 11.6 days of virtual time). */
export const MAX_MS = 1e9;

/**
 * How long something takes, in ms, as data. `long-tail` is a Pareto distribution with the given
 * median and tail index `alpha` (smaller is heavier; at 1 and below the mean is infinite): a sample
 * is `x_m * (1 - U)^(-1/alpha)` with `x_m = medianMs / 2^(1/alpha)`, capped at MAX_MS.
 */
export type LatencyDistribution =
  | { readonly kind: 'fixed'; readonly ms: number }
  | { readonly kind: 'uniform'; readonly minMs: number; readonly maxMs: number }
  | { readonly kind: 'exponential'; readonly meanMs: number }
  | { readonly kind: 'long-tail'; readonly medianMs: number; readonly alpha: number };

/** The latency of the directed link `from` -> `to`, overriding the default. */
export interface LinkLatency {
  readonly from: string;
  readonly to: string;
  readonly latency: LatencyDistribution;
}

export interface LatencyOptions {
  readonly default?: LatencyDistribution;
  readonly links?: readonly LinkLatency[];
}

export interface ResolvedLatency {
  readonly default: LatencyDistribution;
  readonly links: readonly LinkLatency[];
}

export const defaultLatency: LatencyDistribution = { kind: 'uniform', minMs: 1, maxMs: 10 };

const KINDS = ['fixed', 'uniform', 'exponential', 'long-tail'];

/** Validates a distribution; `field` names it in errors. Returns a copy with its keys in a fixed order. */
export function checkDistribution(d: unknown, field: string): LatencyDistribution {
  if (typeof d !== 'object' || d === null) throw new SimOptionsError(`${field} must be a latency distribution object, got ${show(d)}`);
  const o = d as Record<string, unknown>;
  switch (o.kind) {
    case 'fixed':
      return { kind: 'fixed', ms: checkNumber(o.ms, `${field}.ms`, 0, MAX_MS) };
    case 'uniform': {
      const minMs = checkNumber(o.minMs, `${field}.minMs`, 0, MAX_MS);
      const maxMs = checkNumber(o.maxMs, `${field}.maxMs`, 0, MAX_MS);
      if (minMs > maxMs) throw new SimOptionsError(`${field}: minMs (${minMs}) must not be greater than maxMs (${maxMs})`);
      return { kind: 'uniform', minMs, maxMs };
    }
    case 'exponential':
      return { kind: 'exponential', meanMs: positive(o.meanMs, `${field}.meanMs`, MAX_MS) };
    case 'long-tail':
      return { kind: 'long-tail', medianMs: positive(o.medianMs, `${field}.medianMs`, MAX_MS), alpha: positive(o.alpha, `${field}.alpha`, 100) };
    default:
      throw new SimOptionsError(`${field}.kind must be one of ${KINDS.join(', ')}, got ${show(o.kind)}`);
  }
}

function positive(value: unknown, field: string, max: number): number {
  if (typeof value !== 'number' || !(value > 0 && value <= max)) {
    throw new SimOptionsError(`${field} must be a number greater than 0 and at most ${max}, got ${show(value)}`);
  }
  return value;
}

/** Validates latency options against the node ids; fills in the default. */
export function resolveLatency(options: LatencyOptions | undefined, ids: readonly string[]): ResolvedLatency {
  const def = checkDistribution(options?.default ?? defaultLatency, 'latency.default');
  const links = (options?.links ?? []).map((link, k) => {
    const field = `latency.links[${k}]`;
    for (const end of ['from', 'to'] as const) {
      if (!ids.includes(link[end])) {
        throw new SimOptionsError(`${field}.${end} is ${show(link[end])}, which is not a node (nodes: ${ids.join(', ')})`);
      }
    }
    return { from: link.from, to: link.to, latency: checkDistribution(link.latency, `${field}.latency`) };
  });
  return { default: def, links };
}

/**
 * One draw from `d`, in ms: none for `fixed`, one PRNG output otherwise. Only Math.log and Math.exp
 * are used beyond arithmetic (V8 computes both with its fdlibm port, the same on every platform).
 */
export function sampleMs(d: LatencyDistribution, rng: Prng): number {
  switch (d.kind) {
    case 'fixed': return d.ms;
    case 'uniform': return d.minMs + (d.maxMs - d.minMs) * rng.float();
    case 'exponential': return -d.meanMs * Math.log(1 - rng.float());
    case 'long-tail': {
      const scale = d.medianMs * Math.exp(-Math.LN2 / d.alpha);
      return Math.min(MAX_MS, scale * Math.exp(-Math.log(1 - rng.float()) / d.alpha));
    }
  }
}
