// Linearizability checker benchmark: random histories of a correct single-copy key-value store.
//   node --import tsx bench/linearizability.ts              the table below, best of 3 after one warm-up
//   node --import tsx bench/linearizability.ts --repeat 5   best of 5
//   node --import tsx bench/linearizability.ts --quick      the smaller rows only
//
// Each row is one seeded history of N clients x M operations over K keys (about 1% of operations
// get no response), checked as recorded ("ok" rows: linearizable) and with the latest read that can
// be made stale made so ("stale" rows: not linearizable). The baseline, measured in the same run, is
// the same search without partitioning by key: one object whose state is the whole store (so each
// step also handles a bigger state). It gets 5 s per history.
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { checkLinearizable, checkOperations } from '../src/check/linearizability.ts';
import type { KvInput, KvKey, KvOperation, KvOutput, KvValue, Model } from '../src/check/linearizability.ts';
import { Prng } from '../src/sim/prng.ts';
import { cpuModel } from './machine.ts';

export interface HistoryShape {
  clients: number;
  opsPerClient: number;
  keys: number;
  /** Probability that an operation gets no response (its client is then replaced by a new one). Default 0.01. */
  pendingRate?: number;
  /** Largest delay from call to taking effect, and from taking effect to response. Default 20. */
  latency?: number;
  /** Largest pause between a response and the client's next call. Default 10. */
  think?: number;
}

/**
 * A history of a correct single-copy store: every operation takes effect at one instant inside its
 * interval, at which its response is computed; an operation without a response takes effect with
 * probability 1/2. Puts and cas write values never written before. Same seed, same history.
 */
export function simulateKvStore(seed: number, shape: HistoryShape): KvOperation[] {
  const rng = new Prng(seed);
  const { clients, opsPerClient, keys, pendingRate = 0.01, latency = 20, think = 10 } = shape;
  interface Draft {
    client: string;
    call: number;
    effect: number | null;
    return: number | null;
    kind: KvInput['op'];
    key: KvKey;
    input?: KvInput;
    output?: KvOutput;
  }
  const drafts: Draft[] = [];
  for (let c = 0; c < clients; c++) {
    let t = rng.int(0, think);
    let incarnation = 0;
    for (let k = 0; k < opsPerClient; k++) {
      const call = t + rng.int(0, think);
      const effect = call + rng.int(0, latency);
      const ret = effect + rng.int(0, latency);
      const roll = rng.float();
      const kind: KvInput['op'] = roll < 0.4 ? 'get' : roll < 0.7 ? 'put' : roll < 0.9 ? 'cas' : 'delete';
      const key = `k${rng.int(0, keys - 1)}`;
      const client = `${c}.${incarnation}`;
      if (rng.float() < pendingRate) {
        drafts.push({ client, call, effect: rng.float() < 0.5 ? effect : null, return: null, kind, key });
        incarnation++;
      } else {
        drafts.push({ client, call, effect, return: ret, kind, key });
      }
      t = ret;
    }
  }
  // Calls and effects in time order; a call picks its input from the store as it is then.
  const events: [time: number, phase: number, draft: number][] = [];
  drafts.forEach((d, i) => {
    events.push([d.call, 0, i]);
    if (d.effect !== null) events.push([d.effect, 1, i]);
  });
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
  const store = new Map<KvKey, KvValue>();
  const written = new Map<KvKey, KvValue[]>();
  let fresh = 0;
  for (const [, phase, i] of events) {
    const d = drafts[i];
    if (phase === 0) {
      const value = `v${fresh++}`;
      if (d.kind === 'get') d.input = { op: 'get', key: d.key };
      else if (d.kind === 'delete') d.input = { op: 'delete', key: d.key };
      else if (d.kind === 'put') d.input = { op: 'put', key: d.key, value };
      else {
        const roll = rng.float();
        const old = written.get(d.key) ?? [];
        const expected = roll < 0.6 ? store.get(d.key) ?? null : roll < 0.8 || old.length === 0 ? null : old[rng.int(0, old.length - 1)];
        d.input = { op: 'cas', key: d.key, expected, value };
      }
      continue;
    }
    const input = d.input as KvInput;
    const current = store.get(d.key) ?? null;
    let output: KvOutput | undefined;
    switch (input.op) {
      case 'get':
        output = { value: current };
        break;
      case 'put':
        store.set(d.key, input.value);
        break;
      case 'delete':
        store.delete(d.key);
        break;
      case 'cas':
        output = { ok: current === input.expected };
        if (current === input.expected) store.set(d.key, input.value);
        break;
    }
    if (input.op === 'put' || (input.op === 'cas' && current === input.expected)) {
      const list = written.get(d.key) ?? [];
      list.push(input.value);
      written.set(d.key, list);
    }
    if (d.return !== null) d.output = output;
  }
  return drafts.map((d) => {
    const op: { client: string; call: number; return: number | null; input: KvInput; output?: KvOutput } = {
      client: d.client,
      call: d.call,
      return: d.return,
      input: d.input as KvInput,
    };
    if (d.output !== undefined) op.output = d.output;
    return op;
  });
}

/** The value an operation certainly wrote, if it responded and wrote one (delete: null). */
function certainWrite(op: KvOperation): { value: KvValue | null } | undefined {
  if (op.return === null) return undefined;
  if (op.input.op === 'put') return { value: op.input.value };
  if (op.input.op === 'delete') return { value: null };
  if (op.input.op === 'cas' && (op.output as { ok: boolean }).ok) return { value: op.input.value };
  return undefined;
}

/**
 * Makes one read stale, in a copy of the history: a get that has a completed write W of a value v
 * and a completed write W2 with W before W2 before the get (in real time) now returns v. When every
 * written value is unique, W is the only writer of v and W2 must come between it and the get, so no
 * order explains the read. The read chosen is the one called earliest, or latest, among those that
 * fit; undefined when none does.
 */
export function injectStaleRead(
  history: readonly KvOperation[],
  which: 'earliest' | 'latest' = 'earliest',
): { history: KvOperation[]; index: number; value: KvValue } | undefined {
  const byKey = new Map<KvKey, number[]>();
  history.forEach((op, i) => {
    const list = byKey.get(op.input.key);
    if (list) list.push(i);
    else byKey.set(op.input.key, [i]);
  });
  const gets = history.flatMap((op, i) => (op.input.op === 'get' && op.return !== null ? [i] : []));
  gets.sort((a, b) => history[a].call - history[b].call || a - b);
  if (which === 'latest') gets.reverse();
  for (const g of gets) {
    const get = history[g];
    const same = byKey.get(get.input.key) as number[];
    for (const j of same) {
      const w2 = history[j];
      if (certainWrite(w2) === undefined || (w2.return as number) >= get.call) continue;
      for (const k of same) {
        const w = history[k];
        const written = certainWrite(w);
        if (written === undefined || written.value === null || (w.return as number) >= w2.call) continue;
        const copy = history.slice();
        copy[g] = { ...get, output: { value: written.value } };
        return { history: copy, index: g, value: written.value };
      }
    }
  }
  return undefined;
}

/** The whole store as one object: the baseline that does not partition by key. State: [key, value] pairs sorted by key. */
export const wholeStoreModel: Model<readonly (readonly [string, KvValue])[], KvInput, KvOutput> = {
  init: () => [],
  key: (s) => JSON.stringify(s),
  step(s, input, output) {
    const key = String(input.key);
    const at = s.findIndex(([k]) => k === key);
    const v = at < 0 ? null : s[at][1];
    const set = (value: KvValue | null) => {
      const rest = s.filter(([k]) => k !== key);
      if (value !== null) rest.push([key, value]);
      return rest.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    };
    switch (input.op) {
      case 'get':
        return output === undefined || (output as { value: KvValue | null }).value === v ? [s] : [];
      case 'put':
        return [set(input.value)];
      case 'delete':
        return [set(null)];
      case 'cas': {
        const applies = v === input.expected;
        if (output !== undefined && (output as { ok: boolean }).ok !== applies) return [];
        return [applies ? set(input.value) : s];
      }
    }
  },
};

function main(): void {
  const argv = process.argv.slice(2);
  const quick = argv.includes('--quick');
  const repeatAt = argv.indexOf('--repeat');
  const repeat = repeatAt >= 0 ? Math.max(1, Number(argv[repeatAt + 1]) || 1) : 3;
  const BASELINE_LIMIT_MS = 5000;

  const rows: { clients: number; ops: number; keys: number }[] = [
    { clients: 4, ops: 50, keys: 1 },
    { clients: 8, ops: 50, keys: 4 },
    { clients: 10, ops: 200, keys: 20 },
    { clients: 16, ops: 250, keys: 16 },
  ];
  if (!quick) rows.push({ clients: 32, ops: 500, keys: 64 }, { clients: 64, ops: 500, keys: 256 });

  const best = (fn: () => void): number => {
    fn();
    let min = Infinity;
    for (let k = 0; k < repeat; k++) {
      const t = performance.now();
      fn();
      min = Math.min(min, performance.now() - t);
    }
    return min;
  };

  console.log('# Linearizability checker: random key-value histories');
  console.log();
  console.log(
    `Machine: ${cpuModel()}, ${os.cpus().length} cores, ${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB; Node ${process.version}; load average ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}.`,
  );
  console.log(`Command: node --import tsx bench/linearizability.ts${argv.length ? ' ' + argv.join(' ') : ''} (best of ${repeat} after one warm-up; seed 1).`);
  console.log();
  console.log('| N clients | M ops | K keys | history | operations | no response | verdict | steps | ms | µs/op | one partition ms | one partition / by key |');
  console.log('|--:|--:|--:|:--|--:|--:|:--|--:|--:|--:|--:|--:|');
  for (const { clients, ops, keys } of rows) {
    const recorded = simulateKvStore(1, { clients, opsPerClient: ops, keys });
    const stale = injectStaleRead(recorded, 'latest');
    const cases: [string, KvOperation[]][] = [['ok', recorded]];
    if (stale) cases.push([`stale #${stale.index}`, stale.history]);
    for (const [label, history] of cases) {
      process.stderr.write(`${clients} x ${ops} over ${keys} keys, ${label} ...\n`);
      const r = checkLinearizable(history);
      const ms = best(() => checkLinearizable(history));
      const base = checkOperations(wholeStoreModel, history, { timeLimitMs: BASELINE_LIMIT_MS });
      let baseText: string;
      let ratio: string;
      if (base.verdict === 'unknown') {
        baseText = `> ${BASELINE_LIMIT_MS}`;
        ratio = `> ${(BASELINE_LIMIT_MS / ms).toFixed(0)}×`;
      } else {
        if (base.verdict !== r.verdict) throw new Error(`verdicts differ: by key ${r.verdict}, one partition ${base.verdict}`);
        const baseMs = best(() => checkOperations(wholeStoreModel, history));
        baseText = baseMs.toFixed(1);
        ratio = `${(baseMs / ms).toFixed(1)}×`;
      }
      console.log(
        `| ${clients} | ${ops} | ${keys} | ${label} | ${history.length} | ${r.pending} | ${r.verdict} | ${r.steps} | ${ms.toFixed(1)} | ${((ms * 1000) / history.length).toFixed(1)} | ${baseText} | ${ratio} |`,
      );
    }
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
