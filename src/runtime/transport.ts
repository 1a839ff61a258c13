/**
 * TCP transport between the nodes of one cluster.
 *
 * Every node listens on one port. To each peer it keeps one outgoing connection, which carries only
 * this node's messages to that peer (a peer's messages to us arrive on the connection it dialed).
 *
 * Handshake, on each new connection (every frame is also tagged with the cluster secret):
 *   dialer   -> listener  hello   {nonce: nD}
 *   listener -> dialer    welcome {nonce: nL, proof: HMAC(secret, welcome|nD|dialer|listener)}
 *   dialer   -> listener  auth    {proof: HMAC(secret, auth|nL|dialer|listener)}
 * Fresh nonces on both sides mean that frames recorded from an earlier connection cannot open a new one.
 *
 * Delivery is at most once: a message is lost when its connection breaks after it was written, or when
 * the queue overflows. Protocols already tolerate loss (the checker and simulator explore it).
 *
 * Backpressure: each peer has a bounded queue of encoded frames, filled while the peer is unreachable
 * or its socket is not draining. When it is full the OLDEST frame is dropped, so `send` never blocks:
 * a node handles one event at a time, and waiting on one slow peer would stall it for all the others.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import type { Plain } from '../core/plain.ts';
import { DEFAULT_MAX_FRAME_BYTES, encodeFrame, FrameDecoder, FrameError } from './frames.ts';
import type { Frame } from './frames.ts';
import { stderrLogger } from './log.ts';
import type { Logger } from './log.ts';

export interface PeerAddress {
  readonly host?: string;
  readonly port: number;
}

export interface TransportOptions {
  readonly self: string;
  readonly secret: string | Buffer;
  /** Called for each message of an authenticated peer, in the order that peer sent them. */
  readonly onMessage: (from: string, body: Plain) => void;
  /** Where to listen; 127.0.0.1 and any free port by default. */
  readonly host?: string;
  readonly port?: number;
  readonly maxFrameBytes?: number;
  /** Frames kept per peer while it cannot take them; default 1024. */
  readonly queueLimit?: number;
  /** Reconnect delays double from the first to the cap: 20 ms and 1000 ms by default. */
  readonly backoffMs?: { readonly initial: number; readonly max: number };
  /** A connection that has not authenticated by then is closed; default 2000 ms. */
  readonly handshakeTimeoutMs?: number;
  readonly log?: Logger;
}

export interface PeerStats {
  readonly connected: boolean;
  readonly queued: number;
  readonly dropped: number;
}

/** Why this node closed a connection; `reason` is a FrameError code or one of the handshake's. */
class Rejection extends Error {
  constructor(readonly reason: string, message: string) {
    super(message);
  }
}

type Body = Record<string, Plain>;
const bodyOf = (f: Frame, type: string): Body | undefined => {
  const b = f.body;
  return typeof b === 'object' && b !== null && !Array.isArray(b) && (b as Body).type === type ? (b as Body) : undefined;
};
const typeOf = (f: Frame) => JSON.stringify((f.body as Body | null)?.type ?? null);

export class Transport {
  readonly self: string;
  private readonly server = net.createServer((socket) => this.accept(socket));
  private readonly links = new Map<string, Link>();
  private readonly inbound = new Set<net.Socket>();
  private readonly log: Logger;
  private closed = false;

  constructor(readonly options: TransportOptions) {
    this.self = options.self;
    this.log = options.log ?? stderrLogger;
  }

  /** Starts listening; resolves to the port. */
  async listen(): Promise<number> {
    this.server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1');
    await once(this.server, 'listening');
    return (this.server.address() as net.AddressInfo).port;
  }

  /** Adds a peer and starts dialing it (again and again, with backoff, until it answers). */
  addPeer(id: string, address: PeerAddress): void {
    if (id === this.self) throw new Error(`node ${this.self} cannot be its own peer`);
    if (this.links.has(id)) throw new Error(`node ${this.self} already has a peer ${id}`);
    const link = new Link(this, id, address);
    this.links.set(id, link);
    link.dial();
  }

  /** Queues `body` for `to`. Throws PlainDataError when it is not plain data. */
  send(to: string, body: Plain): void {
    const link = this.links.get(to);
    if (!link) throw new Error(`node ${this.self} has no peer ${JSON.stringify(to)}`);
    link.send(body);
  }

  stats(peer: string): PeerStats {
    const link = this.links.get(peer);
    if (!link) throw new Error(`node ${this.self} has no peer ${JSON.stringify(peer)}`);
    return { connected: link.open, queued: link.queue.length, dropped: link.dropped };
  }

  /** Stops dialing and listening and closes every connection; resolves when all are closed. */
  async close(): Promise<void> {
    this.closed = true;
    const sockets = [...this.inbound];
    for (const link of this.links.values()) {
      clearTimeout(link.retry);
      if (link.socket) sockets.push(link.socket);
    }
    const closing = sockets.filter((s) => !s.closed).map((s) => once(s, 'close'));
    for (const s of sockets) s.destroy();
    const serverClosed = this.server.listening ? new Promise((resolve) => this.server.close(resolve)) : undefined;
    await Promise.all([...closing, serverClosed]);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** @internal */ get secret() { return this.options.secret; }
  /** @internal */ get maxFrameBytes() { return this.options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES; }
  /** @internal */ get handshakeTimeoutMs() { return this.options.handshakeTimeoutMs ?? 2000; }

  /** @internal */ proof(label: 'welcome' | 'auth', nonce: Plain, dialer: string, listener: string): string {
    return createHmac('sha256', this.secret).update(`${label}|${String(nonce)}|${dialer}|${listener}`).digest('hex');
  }

  /** @internal Closes a connection that misbehaved, with one log line. */
  reject(socket: net.Socket, err: unknown, peer?: string): void {
    if (socket.destroyed) return;
    if (!(err instanceof FrameError || err instanceof Rejection)) throw err;
    const remote = `${socket.remoteAddress}:${socket.remotePort}`; // unknown once destroyed
    socket.destroy();
    this.log({
      level: 'warn', event: 'connection-closed', node: this.self, remote, peer, reason: err instanceof FrameError ? err.code : err.reason, message: err.message,
    });
  }

  /** @internal */ warn(event: string, message: string, peer: string): void {
    this.log({ level: 'warn', event, node: this.self, peer, message });
  }

  /** Serves a connection that a peer dialed: the handshake, then that peer's messages. */
  private accept(socket: net.Socket): void {
    if (this.closed) return void socket.destroy();
    this.inbound.add(socket);
    socket.setNoDelay(true);
    const decoder = new FrameDecoder(this.secret, this.maxFrameBytes);
    let phase: 'hello' | 'auth' | 'open' = 'hello';
    let peer: string | undefined;
    const nonce = randomBytes(16).toString('hex');
    let lastSeq = 0;
    const timer = setTimeout(() => this.reject(socket, new Rejection('handshake-timeout',
      `no authenticated handshake within ${this.handshakeTimeoutMs} ms`), peer), this.handshakeTimeoutMs);

    const onFrame = (f: Frame): void => {
      if (phase === 'hello') {
        const hello = bodyOf(f, 'hello');
        if (!hello) throw new Rejection('unauthenticated', `expected a hello frame first, got a frame of type ${typeOf(f)}`);
        if (f.to !== this.self || f.from === this.self) {
          throw new Rejection('misdirected', `hello from ${JSON.stringify(f.from)} to ${JSON.stringify(f.to)} reached node ${this.self}`);
        }
        peer = f.from;
        const welcome = { type: 'welcome', nonce, proof: this.proof('welcome', hello.nonce, peer, this.self) };
        socket.write(encodeFrame({ from: this.self, to: peer, seq: 0, body: welcome }, this.secret));
        phase = 'auth';
      } else if (phase === 'auth') {
        const auth = bodyOf(f, 'auth');
        if (!auth || f.from !== peer || !sameProof(auth.proof, this.proof('auth', nonce, peer, this.self))) {
          throw new Rejection('bad-proof', `the dialer did not prove that it holds the cluster secret (got a frame of type ${typeOf(f)})`);
        }
        clearTimeout(timer);
        phase = 'open';
      } else {
        if (f.from !== peer || f.to !== this.self) {
          throw new Rejection('misdirected', `frame from ${JSON.stringify(f.from)} to ${JSON.stringify(f.to)} on the connection of ${peer}`);
        }
        if (f.seq <= lastSeq) throw new Rejection('replayed', `frame seq ${f.seq} does not follow seq ${lastSeq}`);
        lastSeq = f.seq;
        this.options.onMessage(peer, f.body);
      }
    };

    socket.on('data', (chunk: Buffer) => {
      try {
        for (const f of decoder.push(chunk)) {
          if (socket.destroyed) return;
          onFrame(f);
        }
      } catch (err) {
        this.reject(socket, err, peer);
      }
    });
    socket.on('end', () => {
      try {
        decoder.end();
      } catch (err) {
        this.reject(socket, err, peer);
      }
    });
    socket.on('error', () => socket.destroy()); // a reset by the remote side; 'close' follows
    socket.on('close', () => {
      clearTimeout(timer);
      this.inbound.delete(socket);
    });
  }
}

function sameProof(given: Plain, expected: string): boolean {
  if (typeof given !== 'string' || given.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}

/** The outgoing side to one peer: its queue, its connection, and its reconnect schedule. */
class Link {
  queue: Buffer[] = [];
  dropped = 0;
  open = false;
  socket: net.Socket | undefined;
  retry: NodeJS.Timeout | undefined;
  private seq = 0;
  private backoff: number;
  private overflowing = false;
  private flushScheduled = false;

  constructor(private readonly t: Transport, private readonly peer: string, private readonly address: PeerAddress) {
    this.backoff = this.backoffMs.initial;
  }

  private get backoffMs() {
    return this.t.options.backoffMs ?? { initial: 20, max: 1000 };
  }

  send(body: Plain): void {
    const frame = encodeFrame({ from: this.t.self, to: this.peer, seq: ++this.seq, body }, this.t.secret);
    if (this.queue.length >= (this.t.options.queueLimit ?? 1024)) {
      this.queue.shift();
      this.dropped++;
      // One line per overflow episode, not per dropped message.
      if (!this.overflowing) this.t.warn('queue-overflow', `the queue to ${this.peer} is full: dropping the oldest messages`, this.peer);
      this.overflowing = true;
    }
    this.queue.push(frame);
    // Frames sent in one turn of the event loop go out in one write (one system call, one segment).
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      process.nextTick(() => {
        this.flushScheduled = false;
        this.flush();
      });
    }
  }

  private flush(): void {
    const socket = this.socket;
    if (!this.open || !socket || this.queue.length === 0 || socket.writableNeedDrain) return;
    const frames = this.queue;
    this.queue = [];
    socket.write(frames.length === 1 ? frames[0] : Buffer.concat(frames));
    this.overflowing = false;
  }

  dial(): void {
    this.retry = undefined;
    const self = this.t.self;
    const socket = net.connect({ host: this.address.host ?? '127.0.0.1', port: this.address.port });
    this.socket = socket;
    socket.setNoDelay(true);
    const decoder = new FrameDecoder(this.t.secret, this.t.maxFrameBytes);
    const nonce = randomBytes(16).toString('hex');
    const timer = setTimeout(() => this.t.reject(socket, new Rejection('handshake-timeout',
      `${this.peer} did not complete the handshake within ${this.t.handshakeTimeoutMs} ms`), this.peer), this.t.handshakeTimeoutMs);

    socket.on('connect', () => {
      socket.write(encodeFrame({ from: self, to: this.peer, seq: 0, body: { type: 'hello', nonce } }, this.t.secret));
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const f of decoder.push(chunk)) {
          if (this.open) throw new Rejection('unexpected-frame', `${this.peer} sent a frame of type ${typeOf(f)} after the handshake`);
          const welcome = bodyOf(f, 'welcome');
          if (!welcome || f.from !== this.peer || f.to !== self || !sameProof(welcome.proof, this.t.proof('welcome', nonce, self, this.peer))) {
            throw new Rejection('bad-proof', `the listener at port ${this.address.port} did not prove that it is ${this.peer} holding the cluster secret`);
          }
          const auth = { type: 'auth', proof: this.t.proof('auth', welcome.nonce, self, this.peer) };
          socket.write(encodeFrame({ from: self, to: this.peer, seq: 0, body: auth }, this.t.secret));
          clearTimeout(timer);
          this.open = true;
          this.backoff = this.backoffMs.initial;
          this.flush();
        }
      } catch (err) {
        this.t.reject(socket, err, this.peer);
      }
    });
    socket.on('drain', () => this.flush());
    socket.on('error', () => socket.destroy()); // refused or reset: 'close' follows and schedules a retry
    socket.on('close', () => {
      clearTimeout(timer);
      this.open = false;
      this.socket = undefined;
      if (this.t.isClosed) return;
      this.retry = setTimeout(() => this.dial(), this.backoff);
      this.backoff = Math.min(this.backoff * 2, this.backoffMs.max);
    });
  }
}
