// The ordered reliable link adapter: a protocol written for a reliable FIFO network fails its
// properties on a lossy, duplicating, reordering network, and holds them again over the adapter.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { check } from '../src/check/index.ts';
import { always, defineProtocol, eventually, instantiate, node, role } from '../src/core/index.ts';
import { withReliableLinks } from '../src/core/reliable-link.ts';
import { simulate } from '../src/sim/index.ts';

type Append = { type: 'append'; value: number };
type Log = { log: number[] };
const K = 3;

/** A writer streams K entries; the reader appends them as they come, trusting the network to be reliable FIFO. */
const fifoLog = defineProtocol({
  name: 'fifo-log',
  description: 'a writer streams entries to a reader that appends them as they arrive',
  network: { ordering: 'ordered' },
  nodes: () => [
    node('w', 'writer', role<{ sent: number }, Append>({
      init(ctx) {
        for (let value = 1; value <= K; value++) ctx.send('r', { type: 'append', value });
        return { sent: K };
      },
    })),
    node('r', 'reader', role<Log, Append>({ init: () => ({ log: [] }), on: { append: (s, m) => ({ log: [...s.log, m.value] }) } })),
  ],
  properties: () => [
    always('in order, no gaps, no repeats', (w) => w.statesOf<Log>('reader')[0].log.every((v, i) => v === i + 1)),
    eventually('every entry arrives', (w) => w.statesOf<Log>('reader')[0].log.length === K),
  ],
});
const bad = { ordering: 'unordered', lossy: true, duplicating: true } as const;
const verdicts = (r: Awaited<ReturnType<typeof check>>) => r.properties.map((p) => `${p.name}: ${p.verdict}${p.trace ? ` in ${p.trace.steps.length - 1}` : ''}`);

describe('ordered reliable links', () => {
  test('on the reliable FIFO network it was written for, the log is complete and in order', async () => {
    const r = await check(fifoLog, {});
    assert.equal(r.states, 4);
    assert.deepEqual(verdicts(r), ['in order, no gaps, no repeats: holds', 'every entry arrives: holds']);
  });

  test('on a lossy, duplicating, reordering network it fails both properties', async () => {
    const r = await check(fifoLog, { network: bad });
    assert.deepEqual(verdicts(r), ['in order, no gaps, no repeats: fails in 1', 'every entry arrives: fails in 3']);
    const reorder = r.properties[0].trace!.steps[1].action;
    assert.deepEqual(reorder.kind === 'deliver' && reorder.msg, { type: 'append', value: 2 });
  });

  test('over the adapter, on the same network, both hold again: 696 states', async () => {
    const linked = withReliableLinks(fifoLog);
    assert.equal(linked.name, 'fifo-log+reliable-links');
    const r = await check(linked, { network: bad });
    assert.equal(r.complete, true);
    assert.equal(r.states, 696);
    assert.deepEqual(verdicts(r), ['in order, no gaps, no repeats: holds', 'every entry arrives: holds']);
  });

  test('simulated with 40% loss and 30% duplication, every seed delivers the whole log in order', () => {
    const inst = instantiate(withReliableLinks(fifoLog, { retransmitMs: 20 }), { network: bad });
    for (let seed = 1; seed <= 20; seed++) {
      const run = simulate(inst, { seed, faults: { dropRate: 0.4, duplicateRate: 0.3 } });
      assert.equal(run.stop, 'quiescent', `seed ${seed}`);
      const last = run.trace.events.filter((e) => e.node === 'r' && e.changes.some((c) => c.field === 'log')).at(-1)!;
      assert.deepEqual(last.changes.find((c) => c.field === 'log')!.after, [1, 2, 3], `seed ${seed}`);
      assert.ok(run.properties.every((p) => p.ok), `seed ${seed}`);
    }
  });

  test('a role whose state is not an object, or already has a link field, is refused with one message', async () => {
    const scalar = defineProtocol({
      name: 'scalar', description: 'a number as state',
      nodes: () => [node('a', 'a', role<number, Append>({ init: () => 0 }))],
      properties: () => [],
    });
    await assert.rejects(check(withReliableLinks(scalar), {}), /withReliableLinks: role a has a state that is not an object/);
  });
});
