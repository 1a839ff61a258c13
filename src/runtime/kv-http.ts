/**
 * The key-value service's HTTP/JSON front end, one per node of a replicated log that speaks the
 * request contract of `protocols/multi-paxos.ts`: the node takes `{type: 'request', cmd, redirect}`
 * from outside and outputs `apply` (with a reply per command), `redirect` and `rejected`.
 *
 *   GET    /kv/KEY                      200 {"key","value"}          404 when absent
 *   PUT    /kv/KEY   {"value": V}       200 {"key","value"}
 *   DELETE /kv/KEY                      200 {"key","deleted":true}   404 when absent
 *   POST   /kv/KEY/cas {"expect": E, "value": V}
 *                                       200 {"key","ok":true,"value"} 409 {"key","ok":false,"value": current}
 *   GET    /status                      200 {"node","leader","leading","applied"}
 *
 * Every operation, reads included, goes through the log, so replies are linearizable. The node that
 * takes a request forwards it to the leader it knows (the protocol does); with `?redirect=1` it
 * answers 307 with the leader's address instead. The reply is sent once this node applies the
 * command, so a node cut off from the majority answers 504 after `timeoutMs`: the outcome is then
 * unknown (the command may still be applied). Command ids are unique per node start, so a restarted
 * node never reuses one.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { Plain } from '../core/plain.ts';
import type { Command, KvValue, Output, ReplicaState } from '../protocols/multi-paxos.ts';
import type { Logger } from './log.ts';
import type { RuntimeNode } from './node.ts';
import type { PeerAddress } from './transport.ts';

export interface KvHttpOptions {
  readonly node: RuntimeNode;
  readonly log: Logger;
  /** How long a request may wait for its command to be applied here; default 5000 ms. */
  readonly timeoutMs?: number;
  /** Largest request body accepted; default 1 MiB. */
  readonly maxBodyBytes?: number;
}

/** The HTTP status and JSON body of an answer. */
type Answer = readonly [number, Record<string, unknown>];

interface Waiting {
  readonly cmd: Command;
  readonly answer: (a: Answer) => void;
}

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export class KvHttpFrontEnd {
  private readonly server: http.Server;
  private readonly waiting = new Map<string, Waiting>();
  private readonly idPrefix = `${randomBytes(6).toString('hex')}-`;
  private nextId = 1;
  /** Other nodes' HTTP addresses, for redirects. */
  private peers: Readonly<Record<string, PeerAddress>> = {};

  constructor(private readonly options: KvHttpOptions) {
    this.server = http.createServer((req, res) => void this.serve(req, res));
    this.server.keepAliveTimeout = 60_000;
  }

  /** Starts listening; resolves to the port. */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve((this.server.address() as { port: number }).port));
    });
  }

  /** Where the other nodes serve HTTP: redirects point there. */
  setPeers(peers: Readonly<Record<string, PeerAddress>>): void {
    this.peers = peers;
  }

  /** Takes one output of the node: replies to the requests it settles. */
  onOutput(value: Plain): void {
    const out = value as Output;
    if (out.type === 'apply') {
      for (const reply of out.replies) {
        const w = this.settle(reply.id);
        if (w) w.answer(answerFor(w.cmd, reply.ok, reply.value));
      }
    } else if (out.type === 'redirect') {
      const w = this.settle(out.id);
      const at = this.peers[out.leader];
      if (w) w.answer(at ? [307, { leader: out.leader, location: `http://${at.host ?? '127.0.0.1'}:${at.port}` }] : [503, { error: `the leader is ${out.leader}, whose address is unknown here` }]);
    } else if (out.type === 'rejected' && out.id !== null) {
      this.settle(out.id)?.answer([400, { error: out.reason }]);
    }
  }

  async close(): Promise<void> {
    for (const w of this.waiting.values()) w.answer([503, { error: 'the node is stopping' }]);
    this.waiting.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private settle(id: string): Waiting | undefined {
    const w = this.waiting.get(id);
    this.waiting.delete(id);
    return w;
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let answer: Answer;
    try {
      answer = await this.route(req);
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      answer = [err.status, { error: err.message }];
    }
    const [status, body] = answer;
    const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json' };
    if (status === 307) headers.location = body.location = `${body.location}${req.url}`;
    res.writeHead(status, headers).end(JSON.stringify(body) + '\n');
  }

  private async route(req: http.IncomingMessage): Promise<Answer> {
    const url = new URL(req.url ?? '/', 'http://x');
    const parts = url.pathname.split('/').slice(1);
    if (url.pathname === '/status') {
      if (req.method !== 'GET') throw new HttpError(405, `${req.method} /status: only GET`);
      return [200, this.status()];
    }
    if (parts[0] !== 'kv' || !parts[1] || parts.length > 3 || (parts.length === 3 && parts[2] !== 'cas')) {
      throw new HttpError(404, `no such resource ${url.pathname}: use /kv/KEY, /kv/KEY/cas or /status`);
    }
    let key: string;
    try {
      key = decodeURIComponent(parts[1]);
    } catch {
      throw new HttpError(400, `the key in ${url.pathname} is not valid percent-encoding`);
    }
    const redirect = url.searchParams.get('redirect') === '1' || url.searchParams.get('redirect') === 'true';
    const op = parts.length === 3 ? (req.method === 'POST' ? 'cas' : undefined)
      : ({ GET: 'get', PUT: 'put', DELETE: 'delete' } as const)[req.method as 'GET' | 'PUT' | 'DELETE'];
    if (!op) throw new HttpError(405, `${req.method} ${url.pathname}: use ${parts.length === 3 ? 'POST' : 'GET, PUT or DELETE'}`);
    const body = op === 'put' || op === 'cas' ? await this.readBody(req) : {};
    const value = op === 'put' || op === 'cas' ? field(body, 'value', op === 'cas') : null;
    const expect = op === 'cas' ? field(body, 'expect', true) : null;
    const cmd: Command = { id: this.idPrefix + this.nextId++, op, key, value, expect };
    return this.submit(cmd, redirect);
  }

  private submit(cmd: Command, redirect: boolean): Promise<Answer> {
    return new Promise((resolve) => {
      const timeoutMs = this.options.timeoutMs ?? 5000;
      const timer = setTimeout(() => {
        if (this.settle(cmd.id)) resolve([504, { error: `${cmd.op} ${JSON.stringify(cmd.key)} was not applied here within ${timeoutMs} ms; it may still be applied` }]);
      }, timeoutMs);
      this.waiting.set(cmd.id, { cmd, answer: (a) => { clearTimeout(timer); resolve(a); } });
      this.options.node.inject('http', { type: 'request', cmd, redirect });
    });
  }

  private readBody(req: http.IncomingMessage): Promise<Record<string, unknown>> {
    const limit = this.options.maxBodyBytes ?? 1 << 20;
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limit) {
          reject(new HttpError(413, `the request body is over ${limit} bytes`));
          req.destroy();
        } else chunks.push(chunk);
      });
      req.on('error', reject);
      req.on('end', () => {
        let body: unknown;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch (err) {
          return reject(new HttpError(400, `the request body is not JSON: ${(err as Error).message}`));
        }
        if (typeof body !== 'object' || body === null || Array.isArray(body)) return reject(new HttpError(400, 'the request body must be a JSON object'));
        resolve(body as Record<string, unknown>);
      });
    });
  }

  private status(): Record<string, unknown> {
    const s = this.options.node.state as ReplicaState | undefined;
    return {
      node: this.options.node.id, leader: s?.leader ?? null,
      leading: s?.lead?.phase === 'leading', applied: s?.sm.last ?? 0,
    };
  }
}

/** A body field that must be a string or a number (or null where `nullable`: absent, for compare-and-set). */
function field(body: Record<string, unknown>, name: string, nullable: boolean): KvValue | null {
  const v = body[name];
  if (typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v))) return v;
  if (nullable && (v === null || v === undefined)) return null;
  throw new HttpError(400, `"${name}" must be a string or a number${nullable ? ', or null for absent' : ''}, not ${JSON.stringify(v) ?? 'missing'}`);
}

function answerFor(cmd: Command, ok: boolean, value: KvValue | null): Answer {
  const key = cmd.key;
  switch (cmd.op) {
    case 'get': return ok ? [200, { key, value }] : [404, { key, value: null }];
    case 'put': return [200, { key, value }];
    case 'delete': return ok ? [200, { key, deleted: true }] : [404, { key, deleted: false }];
    case 'cas': return [ok ? 200 : 409, { key, ok, value }];
  }
}
