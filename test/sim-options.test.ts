import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { instantiate } from '../src/core/index.ts';
import { paxos } from '../src/protocols/index.ts';
import { simulate } from '../src/sim/index.ts';
import type { SimOptions } from '../src/sim/index.ts';

const inst = instantiate(paxos); // nodes p1, p2, a1, a2, a3
const nodes = '(nodes: p1, p2, a1, a2, a3)';

/** Each option (merged into { seed: 1 }) and the one message it must be refused with. */
function refuses(cases: [Omit<SimOptions, 'seed'>, string][]): void {
  for (const [options, message] of cases) {
    assert.throws(() => simulate(inst, { seed: 1, ...options }), { name: 'SimOptionsError', message }, JSON.stringify(options));
  }
}

describe('simulation options are validated with one message naming the field and the allowed range', () => {
  test('latency distributions', () => {
    refuses([
      [{ latency: { default: { kind: 'fixed', ms: -1 } } }, 'latency.default.ms must be a number from 0 to 1000000000, got -1'],
      [{ latency: { default: { kind: 'uniform', minMs: 20, maxMs: 10 } } }, 'latency.default: minMs (20) must not be greater than maxMs (10)'],
      [{ latency: { default: { kind: 'exponential', meanMs: NaN } } }, 'latency.default.meanMs must be a number greater than 0 and at most 1000000000, got NaN'],
      [{ latency: { default: { kind: 'long-tail', medianMs: 5, alpha: 0 } } }, 'latency.default.alpha must be a number greater than 0 and at most 100, got 0'],
      [{ latency: { default: { kind: 'gauss' } as never } }, 'latency.default.kind must be one of fixed, uniform, exponential, long-tail, got "gauss"'],
      [{ latency: { links: [{ from: 'p1', to: 'a9', latency: { kind: 'fixed', ms: 1 } }] } }, `latency.links[0].to is "a9", which is not a node ${nodes}`],
      [{ latency: { links: [{ from: 'p1', to: 'a1', latency: { kind: 'uniform', minMs: 1 } as never }] } },
        'latency.links[0].latency.maxMs must be a number from 0 to 1000000000, got nothing'],
      [{ timerJitter: { kind: 'fixed', ms: Infinity } }, 'timerJitter.ms must be a number from 0 to 1000000000, got Infinity'],
    ]);
  });

  test('fault schedules', () => {
    refuses([
      [{ faults: { events: [{ kind: 'crash', node: 'a9', atMs: 5 }] } }, `faults.events[0].node is "a9", which is not a node ${nodes}`],
      [{ faults: { events: [{ kind: 'crash', node: 'a1', atMs: -5 }] } }, 'faults.events[0].atMs must be a number from 0 to 1000000000, got -5'],
      [{ faults: { events: [{ kind: 'partition', sides: [['a1']], fromMs: 20, untilMs: 10 }] } }, 'faults.events[0]: untilMs (10) must be after fromMs (20)'],
      [{ faults: { events: [{ kind: 'partition', sides: [['a1'], ['a1', 'a2']], fromMs: 0, untilMs: 10 }] } },
        'faults.events[0].sides lists node a1 twice: each node is on one side'],
      [{ faults: { events: [{ kind: 'partition', sides: [['a1'], ['x']], fromMs: 0, untilMs: 10 }] } }, `faults.events[0].sides[1][0] is "x", which is not a node ${nodes}`],
      [{ faults: { events: [{ kind: 'partition', sides: [], fromMs: 0, untilMs: 10 }] } },
        'faults.events[0].sides must be a non-empty list of non-empty lists of node ids, got []'],
      [{ faults: { events: [{ kind: 'recover', node: 'a1', atMs: 5 }] } },
        'faults.events[0] recovers a1 at 5 ms, but it is not crashed then: a recovery must follow a crash'],
      [{ faults: { events: [{ kind: 'crash', node: 'a1', atMs: 9 }, { kind: 'crash', node: 'a1', atMs: 5 }] } },
        'faults.events[0] crashes a1 at 9 ms, but faults.events[1] has already crashed it and it has not recovered'],
      [{ faults: { events: [{ kind: 'explode' } as never] } }, 'faults.events[0].kind must be one of crash, recover, partition, got "explode"'],
      [{ faults: { dropRate: 1.5 } }, 'faults.dropRate must be a number from 0 to 1, got 1.5'],
      [{ faults: { duplicateRate: -0.1 } }, 'faults.duplicateRate must be a number from 0 to 1, got -0.1'],
      [{ faults: { clockSkew: { a1: -1 } } }, 'faults.clockSkew.a1 must be a number greater than -1 and at most 10, got -1'],
      [{ faults: { clockSkew: { a9: 0.5 } } }, `faults.clockSkew has an entry for "a9", which is not a node ${nodes}`],
    ]);
  });

  test('run bounds', () => {
    refuses([
      [{ maxTimeMs: -3 }, 'maxTimeMs must be a number from 0 to 1000000000, got -3'],
      [{ maxEvents: 0 }, 'maxEvents must be a whole number from 1 to 10000000, got 0'],
    ]);
  });

  test('a crash and recovery in the right order, a skew at the edge and rates of 0 and 1 are accepted', () => {
    const r = simulate(inst, {
      seed: 1,
      faults: { events: [{ kind: 'recover', node: 'a1', atMs: 9 }, { kind: 'crash', node: 'a1', atMs: 5 }], clockSkew: { a1: 10, p1: -0.5 }, dropRate: 0, duplicateRate: 1 },
    });
    assert.deepEqual(r.trace.header.faults.clockSkew, { p1: -0.5, a1: 10 }); // declaration order
  });
});
