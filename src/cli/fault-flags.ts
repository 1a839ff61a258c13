import { InvalidArgumentError } from 'commander';
import type { FaultEvent, LatencyDistribution } from '../sim/index.ts';

/**
 * Parsers for the simulator's fault and latency flags. Each turns one flag value into the data the
 * simulator takes; the simulator itself validates node names and ranges against the protocol.
 */

const number = (text: string, what: string): number => {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`${what} must be a number, got ${JSON.stringify(text)}.`);
  return n;
};

/** `fixed:5`, `uniform:1-10`, `exponential:5`, `long-tail:5,1.5` (median ms, Pareto alpha). */
export function parseLatency(value: string): LatencyDistribution {
  const [kind, args = ''] = value.split(':', 2);
  switch (kind) {
    case 'fixed': return { kind, ms: number(args, 'fixed latency') };
    case 'uniform': {
      const [min, max] = args.split('-');
      if (max === undefined) throw new InvalidArgumentError('uniform latency is uniform:MIN-MAX in ms, like uniform:1-10.');
      return { kind, minMs: number(min, 'uniform minimum'), maxMs: number(max, 'uniform maximum') };
    }
    case 'exponential': return { kind, meanMs: number(args, 'exponential mean') };
    case 'long-tail': {
      const [median, alpha] = args.split(',');
      if (alpha === undefined) throw new InvalidArgumentError('long-tail latency is long-tail:MEDIAN,ALPHA, like long-tail:5,1.5.');
      return { kind, medianMs: number(median, 'long-tail median'), alpha: number(alpha, 'long-tail alpha') };
    }
    default:
      throw new InvalidArgumentError(`latency is fixed:MS, uniform:MIN-MAX, exponential:MEAN or long-tail:MEDIAN,ALPHA; got ${JSON.stringify(value)}.`);
  }
}

/** `node@ms`, repeatable: a crash or a recovery. */
export function timedNode(kind: 'crash' | 'recover') {
  return (value: string, previous: FaultEvent[] = []): FaultEvent[] => {
    const [node, at] = value.split('@');
    if (!node || at === undefined) throw new InvalidArgumentError(`expected NODE@MS, like a2@10, got ${JSON.stringify(value)}.`);
    return [...previous, { kind, node, atMs: number(at, `the time of the ${kind}`) }];
  };
}

/** `a,b|c@10-50`, repeatable: the sides of a partition (separated by |) and when it lasts. */
export function partition(value: string, previous: FaultEvent[] = []): FaultEvent[] {
  const [sides, window] = value.split('@');
  const [from, until] = (window ?? '').split('-');
  if (!sides || until === undefined) throw new InvalidArgumentError(`expected SIDE|SIDE@FROM-UNTIL, like p1,a1|a2,a3@10-50, got ${JSON.stringify(value)}.`);
  return [...previous, {
    kind: 'partition',
    sides: sides.split('|').map((side) => side.split(',').filter((id) => id !== '')),
    fromMs: number(from, 'the start of the partition'),
    untilMs: number(until, 'the end of the partition'),
  }];
}

/** `node=skew`, repeatable. */
export function skew(value: string, previous: Record<string, number> = {}): Record<string, number> {
  const [node, x] = value.split('=');
  if (!node || x === undefined) throw new InvalidArgumentError(`expected NODE=SKEW, like a1=0.5, got ${JSON.stringify(value)}.`);
  return { ...previous, [node]: number(x, 'a clock skew') };
}
