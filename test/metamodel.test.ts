import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ParamError } from '../src/core/instance.ts';
import { param } from '../src/core/protocol.ts';
import {
  act, bool, defineMetaModel, generate, generateTables, int, MetaModelError, refine, renderState, renderText, run, send,
  StateBoundError,
} from '../src/metamodel/index.ts';
import type { StateMachine } from '../src/metamodel/index.ts';

/**
 * Counts increments modulo 2 x period and ticks every `period` increments; `spare` is never set.
 * By hand, for period 3: 6 x 2 = 12 states; from 0/F only the 6 with spare = F are reachable; n and
 * n + 3 tick at the same future increments, so they combine: 3 states, 0/F -> 1/F -> 2/F -tick-> 0/F.
 */
const ticker = defineMetaModel({
  name: 'ticker',
  description: 'counts increments modulo 2 x period and ticks every period increments',
  params: { period: param.int('increments per tick', 3, 1, 100) },
  components: ({ period }) => ({ n: int(0, 2 * period - 1, 'increments so far, modulo 2 x period'), spare: bool('never set') }),
  messages: ['inc'],
  rules: {
    inc(s, { period }) {
      const n = (s.n + 1) % (2 * period);
      return n % period === 0
        ? { to: { ...s, n }, actions: [act('tick')], rationale: `The count reaches a multiple of ${period}: tick.` }
        : { to: { ...s, n }, rationale: 'One more increment.' };
    },
  },
  describe: (s) => `Counted ${s.n}.`,
});

/**
 * A vote counter: `voters` votes may arrive; at `threshold` of them it decides and finishes. A `reset`
 * before the decision starts again, and `peek` only reports. By hand for 4 voters and threshold 2:
 * states votes = 0..4, decided F/T (10), start 0/F; reachable 0/F, 1/F and the finish state (3); 0/F and
 * 1/F differ (a vote from 1/F decides), so nothing combines.
 */
const quorum = defineMetaModel({
  name: 'quorum',
  description: 'decides once a threshold of votes has arrived',
  params: {
    voters: param.int('voters', 4, 1, 50),
    threshold: param.int('votes needed', 2, 1, 50),
  },
  components: ({ voters }) => ({ votes: int(0, voters), decided: bool() }),
  messages: ['vote', 'reset', 'peek'],
  rules: {
    vote(s, { voters, threshold }) {
      if (s.votes === voters) return null;
      if (s.votes + 1 >= threshold) return { finish: true, actions: [act('decide')], rationale: 'The threshold is reached: decide.' };
      return { to: { ...s, votes: s.votes + 1 }, rationale: 'One more vote.' };
    },
    reset: (s) => ({ to: { ...s, votes: 0 }, rationale: 'Start counting again.' }),
    peek: (s) => ({ to: s, actions: [send('peek')], rationale: 'Report the count.' }),
  },
  finishName: 'decided',
});

const shape = (m: StateMachine) =>
  m.states.map((s) => [s.name, s.transitions.map((t) => `${t.message}${t.actions.length ? `[${t.actions.map((a) => ('send' in a ? a.send : a.do)).join(',')}]` : ''}>${m.states[t.to].name}`).join(' ')]);

describe('meta-model generation (enumerate, transitions, prune, merge)', () => {
  test('a hand-made ticker: 12 enumerated, 6 reachable, 3 after merging, exactly as worked out by hand', () => {
    const m = generate(ticker);
    assert.deepEqual(m.stats, { enumerated: 12, reachable: 6, final: 3, rounds: 2 });
    assert.deepEqual(shape(m), [['0/F', 'inc>1/F'], ['1/F', 'inc>2/F'], ['2/F', 'inc[tick]>0/F']]);
    assert.deepEqual(m.states.map((s) => s.members), [['0/F', '3/F'], ['1/F', '4/F'], ['2/F', '5/F']]);
    assert.equal(m.start, 0);
    assert.equal(m.finish, null);
    assert.deepEqual(m.states[2].values, { n: 2, spare: false });
    assert.deepEqual(m.components, [
      { name: 'n', kind: 'int', min: 0, max: 5, description: 'increments so far, modulo 2 x period' },
      { name: 'spare', kind: 'bool', min: 0, max: 1, description: 'never set' },
    ]);
    // Every period: 2 x period values x 2 enumerated, 2 x period reachable, period final.
    for (const period of [1, 2, 5, 7]) {
      assert.deepEqual(generate(ticker, { period }).stats, { enumerated: 4 * period, reachable: 2 * period, final: period, rounds: 2 });
    }
    // The intermediate tables of the four steps.
    const g = generateTables(ticker, { period: 3 });
    assert.equal(g.enumerated.count, 13); // 12 states and the slot of the finish state
    assert.equal(g.enumerated.finish, -1);
    assert.deepEqual(Array.from(g.reachable.origin), [0, 2, 4, 6, 8, 10]); // n = 0..5 with spare = F
    assert.deepEqual(Array.from(g.final.origin), [0, 2, 4]);
  });

  test('the machine is plain data and runs: ignored messages leave the state as it is', () => {
    const m = generate(ticker);
    assert.deepEqual(JSON.parse(JSON.stringify(m)), m);
    assert.deepEqual(run(m, ['inc', 'inc', 'inc', 'inc']), { state: '1/F', actions: [{ do: 'tick' }] });
    const q = generate(quorum);
    assert.deepEqual(run(q, ['peek', 'vote', 'reset', 'vote', 'vote', 'vote']), {
      state: 'decided', actions: [{ send: 'peek' }, { do: 'decide' }],
    });
  });

  test('a finish state; a step back to the same state with no action is not a transition, one with an action is', () => {
    const m = generate(quorum);
    assert.deepEqual(m.stats, { enumerated: 10, reachable: 3, final: 3, rounds: 1 });
    assert.deepEqual(shape(m), [
      ['0/F', 'vote>1/F peek[peek]>0/F'], // reset in 0/F changes nothing: no transition
      ['1/F', 'vote[decide]>decided reset>0/F peek[peek]>1/F'],
      ['decided', ''],
    ]);
    assert.equal(m.states[m.finish!].name, 'decided');
    assert.deepEqual(m.states[m.finish!].values, null);
    // With threshold 1 the first vote decides.
    assert.deepEqual(shape(generate(quorum, { threshold: 1 })), [['0/F', 'vote[decide]>decided peek[peek]>0/F'], ['decided', '']]);
  });

  test('text rendering in the style of Figure 9, with the rationale on request', () => {
    const m = generate(ticker);
    assert.equal(renderText(m), [
      'state machine: ticker (period=3)',
      'counts increments modulo 2 x period and ticks every period increments',
      'states: 3 (12 enumerated, 6 reachable); start: 0/F',
      'messages: inc',
      '',
      'state: 0/F', 'Counted 0.', 'Transitions:', '      message: INC', '          transition to: 1/F',
      '',
      'state: 1/F', 'Counted 1.', 'Transitions:', '      message: INC', '          transition to: 2/F',
      '',
      'state: 2/F', 'Counted 2.', 'Transitions:', '      message: INC', '          action: tick', '          transition to: 0/F',
      '',
    ].join('\n'));
    assert.equal(renderState(m, '2/F', { rationale: true }), [
      'state: 2/F', 'Counted 2.', 'Transitions:', '      message: INC', '          action: tick', '          transition to: 0/F',
      '          because: The count reaches a multiple of 3: tick.',
    ].join('\n'));
    assert.equal(renderState(generate(quorum), 'decided'), 'state: decided\nFinished.\nTransitions:\n      (none)');
  });
});

describe('Moore partition refinement', () => {
  test('minimises the textbook DFA (Hopcroft, Motwani and Ullman, Example 4.18): A=E, B=H, D=F', () => {
    // States A..H, inputs 0 and 1, accepting C. dest[i*2+a].
    const names = 'ABCDEFGH';
    const delta: Record<string, [string, string]> = {
      A: ['B', 'F'], B: ['G', 'C'], C: ['A', 'C'], D: ['C', 'G'], E: ['H', 'F'], F: ['C', 'G'], G: ['G', 'E'], H: ['G', 'C'],
    };
    const dest = new Int32Array(16);
    for (const [s, [d0, d1]] of Object.entries(delta)) {
      dest[names.indexOf(s) * 2] = names.indexOf(d0);
      dest[names.indexOf(s) * 2 + 1] = names.indexOf(d1);
    }
    const accepting = Array.from(names, (s) => (s === 'C' ? 1 : 0));
    const p = refine(8, 2, dest, new Int32Array(16), accepting);
    assert.equal(p.count, 5);
    const blocks = new Map<number, string>();
    for (let i = 0; i < 8; i++) blocks.set(p.classOf[i], (blocks.get(p.classOf[i]) ?? '') + names[i]);
    assert.deepEqual([...blocks.values()], ['AE', 'BH', 'C', 'DF', 'G']);
    // By hand: {C} | rest; then by where 0 and 1 lead: AEG, BH, DF, C; then G (0 -> G) splits from AE; stable.
    assert.equal(p.rounds, 3);
  });

  test('labels and missing transitions separate states; equivalence that rests on a cycle is found', () => {
    // 0 and 1 loop to themselves with the same label: equivalent, though neither row names the other's state.
    assert.equal(refine(2, 1, Int32Array.from([0, 1]), Int32Array.from([4, 4])).count, 1);
    assert.equal(refine(2, 1, Int32Array.from([0, 1]), Int32Array.from([4, 5])).count, 2);
    assert.equal(refine(2, 1, Int32Array.from([0, -1]), Int32Array.from([0, 0])).count, 2);
    assert.equal(refine(0, 1, new Int32Array(0), new Int32Array(0)).count, 0);
  });
});

describe('bad meta-models and bad input: one error naming the rule, the state and the message', () => {
  const broken = (rules: Record<string, unknown>, extra: Record<string, unknown> = {}) => defineMetaModel({
    name: 'counter',
    description: 'a counter to 3',
    params: { k: param.int('top', 3, 1, 10) },
    components: ({ k }: { k: number }) => ({ n: int(0, k), on: bool() }),
    messages: ['inc', 'reset'],
    rules: { inc: (s: any) => ({ to: { ...s, n: s.n + 1 }, rationale: 'up' }), reset: () => null, ...rules } as any,
    ...extra,
  } as any);

  test('a rule returning a state outside the declared bounds', () => {
    assert.throws(() => generate(broken({})), {
      name: 'MetaModelError',
      message: 'meta-model counter (k=3): rules.inc, applied to message inc in state 3/F, returned n = 4, outside its bounds 0..3',
    });
    assert.throws(() => generate(broken({ inc: (s: any) => ({ to: { ...s, on: 1 }, rationale: 'x' }) })), {
      message: 'meta-model counter (k=3): rules.inc, applied to message inc in state 0/F, returned on = 1, which is not true or false',
    });
    assert.throws(() => generate(broken({ inc: (s: any) => ({ to: { ...s, n: 0.5 }, rationale: 'x' }) })), {
      message: 'meta-model counter (k=3): rules.inc, applied to message inc in state 0/F, returned n = 0.5, which is not a whole number',
    });
    assert.throws(() => generate(broken({ inc: (s: any) => ({ to: { ...s, m: 1 }, rationale: 'x' }) })), {
      message: 'meta-model counter (k=3): rules.inc, applied to message inc in state 0/F, returned a state with m, which is not a component (its components: n, on)',
    });
    assert.throws(() => generate(broken({}, { start: () => ({ n: 9, on: false }) })), {
      message: 'meta-model counter (k=3): start returned n = 9, outside its bounds 0..3',
    });
  });

  test('an unknown message: sent by a rule, or a rule for a message the meta-model does not declare', () => {
    assert.throws(() => generate(broken({ reset: (s: any) => (s.n === 2 ? { to: s, actions: [send('ping')], rationale: 'x' } : null) })), {
      name: 'MetaModelError',
      message: 'meta-model counter (k=3): rules.reset, applied to message reset in state 2/F, sends message "ping", which the meta-model does not declare (its messages: inc, reset)',
    });
    assert.throws(() => broken({ 'not free': () => null }), {
      name: 'MetaModelError',
      message: 'meta-model counter: rules["not free"] is for message "not free", which the meta-model does not declare (its messages: inc, reset)',
    });
    assert.throws(() => defineMetaModel({ name: 'counter', description: '', components: () => ({ n: int(0, 1) }), messages: ['inc', 'reset'], rules: { inc: () => null } as any }), {
      message: 'meta-model counter: message reset has no rule (add rules.reset)',
    });
  });

  test('a parameter the meta-model does not declare, or one out of range', () => {
    assert.throws(() => generate(broken({}), { q: 3 }), { name: 'ParamError', message: 'counter has no parameter "q" (its parameters: k)' });
    assert.throws(() => generate(broken({}), { k: 11 }), (e: unknown) => e instanceof ParamError && /must be a whole number from 1 to 10, got "11"/.test(e.message));
  });

  test('rules that throw or return something that is not a step', () => {
    assert.throws(() => generate(broken({ reset: (s: any) => { if (s.on) throw new Error('boom'); return null; } })), (e: unknown) =>
      e instanceof MetaModelError && e.message === 'meta-model counter (k=3): rules.reset, applied to message reset in state 0/T, threw: boom' &&
      (e.cause as Error).message === 'boom');
    assert.throws(() => generate(broken({ reset: () => 7 })), {
      message: 'meta-model counter (k=3): rules.reset, applied to message reset in state 0/F, returned 7, which is not a step ({ to, actions, rationale } or { finish: true, actions, rationale })',
    });
    assert.throws(() => generate(broken({ reset: (s: any) => ({ to: { ...s, n: 0 }, rationale: '' }) })), {
      message: 'meta-model counter (k=3): rules.reset, applied to message reset in state 1/F, returned no rationale (a sentence saying why)',
    });
    assert.throws(() => generate(broken({ reset: (s: any) => ({ to: s, actions: [{ tell: 'x' }], rationale: 'x' }) })), {
      message: 'meta-model counter (k=3): rules.reset, applied to message reset in state 0/F, returned action {"tell":"x"}, which is neither { send: message } nor { do: name }',
    });
    assert.throws(() => generate(broken({}, { components: () => ({ n: int(3, 1) }) })), {
      message: 'meta-model counter (k=3): component n has bounds 3..1, which are not whole numbers from a minimum to a maximum at least as large',
    });
  });

  test('a generation that would exceed the state bound stops and says how many states it reached', () => {
    assert.throws(() => generate(ticker, { period: 50 }, { maxStates: 150 }), (e: unknown) =>
      e instanceof StateBoundError && e.reached === 150 && e.total === 200 && e.bound === 150 &&
      e.message === 'meta-model ticker (period=50): generation stopped at the state bound: enumerated 150 of 200 states (maxStates 150)');
    assert.equal(generate(ticker, { period: 50 }, { maxStates: 200 }).stats.final, 50);
    assert.throws(() => generate(ticker, {}, { maxStates: 0 }), { message: 'maxStates must be a whole number of at least 1, got 0' });
    assert.throws(() => generate({ name: 'x' } as any), { message: 'not a meta-model: define it with defineMetaModel()' });
  });
});
