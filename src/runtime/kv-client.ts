/**
 * A client of the key-value HTTP API (`kv-http.ts`) that records what it saw as a history for the
 * linearizability checker (`check/linearizability.ts`), and a workload of concurrent clients.
 *
 * Every operation is recorded with its call and return times (performance.now(), in ms). One with a
 * definite reply gets its output; one whose outcome is unknown (no reply within the timeout, a 504,
 * a refused or broken connection) is recorded with `return: null`: it may or may not have taken
 * effect. Any other reply (a 400, a 404 on a route) is a bug in the client or the service and throws.
 */
import type { KvOperation, KvValue } from '../check/linearizability.ts';
import { Prng } from '../sim/prng.ts';

export interface KvClientOptions {
  /** Base URLs of the nodes, like http://127.0.0.1:8080. */
  readonly targets: readonly string[];
  /** How long to wait for a reply before recording the outcome as unknown; default 3000 ms. */
  readonly timeoutMs?: number;
}

export class KvHttpClient {
  readonly history: KvOperation[] = [];

  constructor(readonly name: string, private readonly options: KvClientOptions) {
    if (options.targets.length === 0) throw new Error('a key-value client needs at least one node to talk to');
  }

  get(target: number, key: string): Promise<void> {
    return this.call(target, key, 'GET', `/kv/${encodeURIComponent(key)}`, undefined, { op: 'get', key }, (status, body) => {
      if (status === 200) return { value: body.value as KvValue };
      if (status === 404) return { value: null };
      return undefined;
    });
  }

  put(target: number, key: string, value: KvValue): Promise<void> {
    return this.call(target, key, 'PUT', `/kv/${encodeURIComponent(key)}`, { value }, { op: 'put', key, value }, (status) => (status === 200 ? { ok: true } : undefined));
  }

  /** A delete takes effect whether or not the key was there (404): the output says nothing more. */
  delete(target: number, key: string): Promise<void> {
    return this.call(target, key, 'DELETE', `/kv/${encodeURIComponent(key)}`, undefined, { op: 'delete', key }, (status) => (status === 200 || status === 404 ? { ok: true } : undefined));
  }

  cas(target: number, key: string, expected: KvValue | null, value: KvValue): Promise<void> {
    return this.call(target, key, 'POST', `/kv/${encodeURIComponent(key)}/cas`, { expect: expected, value }, { op: 'cas', key, expected, value },
      (status) => (status === 200 ? { ok: true } : status === 409 ? { ok: false } : undefined));
  }

  private async call(target: number, key: string, method: string, path: string, body: unknown, input: KvOperation['input'],
    outputOf: (status: number, body: Record<string, unknown>) => KvOperation['output'] | undefined): Promise<void> {
    const base = this.options.targets[target % this.options.targets.length];
    const call = performance.now();
    let status: number | undefined;
    let reply: Record<string, unknown> = {};
    try {
      const res = await fetch(base + path, {
        method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 3000),
      });
      status = res.status;
      reply = (await res.json()) as Record<string, unknown>;
    } catch {
      status = undefined; // no reply: refused, reset, timed out
    }
    const at = performance.now();
    if (status === undefined || status === 504 || status === 503) {
      this.history.push({ client: this.name, call, return: null, input });
      return;
    }
    const output = outputOf(status, reply);
    if (output === undefined) throw new Error(`${method} ${base}${path} (key ${JSON.stringify(key)}): unexpected ${status} ${JSON.stringify(reply)}`);
    this.history.push({ client: this.name, call, return: at, input, output });
  }
}

export interface KvWorkloadOptions extends KvClientOptions {
  readonly clients: number;
  /** The keys operated on; few keys make operations contend. */
  readonly keys: readonly string[];
  /** Seed of each client's choices of operation, key, value and node. */
  readonly seed: number;
  /** Resolves when the clients should stop (each finishes the operation it is in). */
  readonly until: Promise<void>;
}

/** Runs `clients` clients, each one operation at a time, each operation at a random node; returns the merged history. */
export async function runKvWorkload(options: KvWorkloadOptions): Promise<KvOperation[]> {
  let stop = false;
  void options.until.then(() => { stop = true; });
  const clients = Array.from({ length: options.clients }, (_, i) => new KvHttpClient(`c${i + 1}`, options));
  await Promise.all(clients.map(async (client, i) => {
    const prng = new Prng(options.seed * 1000 + i);
    const random = () => prng.float();
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)];
    for (let n = 1; !stop; n++) {
      const key = pick(options.keys);
      const node = Math.floor(random() * options.targets.length);
      const value = `${client.name}.${n}`;
      const r = random();
      if (r < 0.4) await client.get(node, key);
      else if (r < 0.7) await client.put(node, key, value);
      else if (r < 0.8) await client.delete(node, key);
      else await client.cas(node, key, pick([null, ...clientValuesSeen(client, key)]), value);
    }
  }));
  return clients.flatMap((c) => c.history);
}

/** Values this client last read or wrote for `key`: compare-and-set expectations that may succeed. */
function clientValuesSeen(client: KvHttpClient, key: string): KvValue[] {
  const out: KvValue[] = [];
  for (let i = client.history.length - 1; i >= 0 && out.length < 2; i--) {
    const op = client.history[i];
    if (op.input.key !== key || op.return === null) continue;
    if (op.input.op === 'get' && op.output && 'value' in op.output && op.output.value !== null) out.push(op.output.value);
    if (op.input.op === 'put') out.push(op.input.value);
  }
  return out;
}
