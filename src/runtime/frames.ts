/**
 * Length-prefixed, authenticated binary frames:
 *
 *   [u32 big-endian length][payload][HMAC-SHA256 tag, 32 bytes]
 *
 * `length` counts payload and tag. The payload is the MessagePack encoding of {from, to, seq, body}
 * (body is plain data); the tag is HMAC-SHA256 over the payload bytes, keyed with the cluster secret.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { decode, encode } from '@msgpack/msgpack';
import { encode as checkPlain, isPlain, PlainDataError } from '../core/plain.ts';
import type { Plain } from '../core/plain.ts';

export interface Frame {
  readonly from: string;
  readonly to: string;
  readonly seq: number;
  readonly body: Plain;
}

export const TAG_BYTES = 32;
export const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;

export type FrameErrorCode = 'oversized' | 'truncated' | 'forged' | 'malformed';

/** Why a byte stream was rejected; the connection that sent it cannot be trusted any further. */
export class FrameError extends Error {
  constructor(readonly code: FrameErrorCode, message: string) {
    super(message);
    this.name = 'FrameError';
  }
}


function tag(secret: string | Buffer, payload: Buffer): Buffer {
  return createHmac('sha256', secret).update(payload).digest();
}

/** One frame on the wire. Throws PlainDataError when the body is not plain data. */
export function encodeFrame(frame: Frame, secret: string | Buffer): Buffer {
  if (!isPlain(frame.body)) checkPlain(frame.body, 'body'); // throws, naming the offending field
  const payload = Buffer.from(encode({ from: frame.from, to: frame.to, seq: frame.seq, body: frame.body }));
  const header = Buffer.alloc(4);
  header.writeUInt32BE(payload.length + TAG_BYTES);
  return Buffer.concat([header, payload, tag(secret, payload)]);
}

function describe(v: unknown): string {
  if (v === null || typeof v !== 'object') return v === null ? 'null' : typeof v;
  return Array.isArray(v) ? 'an array' : `a ${(v as object).constructor?.name ?? 'null-prototype object'}`;
}

function parsePayload(payload: Buffer): Frame {
  let value: unknown;
  try {
    value = decode(payload);
  } catch (err) {
    // The decoder reports a value cut short as a raw DataView range error: say what it means.
    const message = (err as Error).message;
    const why = /outside the bounds of the DataView/.test(message) ? 'it ends in the middle of a value' : message;
    throw new FrameError('malformed', `frame payload is not MessagePack: ${why}`);
  }
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) {
    throw new FrameError('malformed', `frame payload must be a map {from, to, seq, body}, got ${describe(value)}`);
  }
  const { from, to, seq, body, ...extra } = value as Record<string, unknown>;
  const unexpected = Object.keys(extra);
  if (unexpected.length) throw new FrameError('malformed', `frame payload has unexpected field ${unexpected[0]}: expected {from, to, seq, body}`);
  if (typeof from !== 'string') throw new FrameError('malformed', `frame field from must be a string, got ${describe(from)}`);
  if (typeof to !== 'string') throw new FrameError('malformed', `frame field to must be a string, got ${describe(to)}`);
  if (!Number.isSafeInteger(seq) || (seq as number) < 0) {
    throw new FrameError('malformed', `frame field seq must be a non-negative integer, got ${typeof seq === 'number' ? seq : describe(seq)}`);
  }
  if (body === undefined) throw new FrameError('malformed', 'frame field body is missing');
  try {
    checkPlain(body, 'body');
  } catch (err) {
    if (err instanceof PlainDataError) throw new FrameError('malformed', `frame ${err.message}`);
    throw err;
  }
  return { from, to, seq: seq as number, body: body as Plain };
}

/**
 * Cuts a byte stream into verified frames, whatever the chunk boundaries. After it throws, the stream
 * is out of step and the decoder must be dropped with its connection.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly secret: string | Buffer, private readonly maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {}

  /** The frames completed by `chunk`, in order. */
  push(chunk: Buffer): Frame[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Frame[] = [];
    for (;;) {
      if (this.buffered < 4) return frames;
      const length = this.peekLength();
      // Rejected as soon as the prefix is read, so an oversized frame is never buffered.
      if (length > this.maxFrameBytes) {
        throw new FrameError('oversized', `frame of ${length} bytes exceeds the maximum of ${this.maxFrameBytes} bytes`);
      }
      if (length <= TAG_BYTES) {
        throw new FrameError('malformed', `frame of ${length} bytes is too short: it needs a payload and a ${TAG_BYTES}-byte tag`);
      }
      if (this.buffered < 4 + length) return frames;
      const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
      const payload = all.subarray(4, 4 + length - TAG_BYTES);
      const received = all.subarray(4 + length - TAG_BYTES, 4 + length);
      if (!timingSafeEqual(received, tag(this.secret, payload))) {
        throw new FrameError('forged', 'frame tag does not match its payload: the sender does not hold the cluster secret');
      }
      frames.push(parsePayload(payload));
      const rest = all.subarray(4 + length);
      this.chunks = rest.length ? [rest] : [];
      this.buffered = rest.length;
    }
  }

  /** Call when the stream ends: throws when it ended inside a frame. */
  end(): void {
    if (this.buffered === 0) return;
    const expected = this.buffered >= 4 ? `${4 + this.peekLength()} bytes` : 'a 4-byte length prefix';
    throw new FrameError('truncated', `stream ended inside a frame: ${this.buffered} bytes received of ${expected}`);
  }

  private peekLength(): number {
    // Joined once, so a prefix that arrived byte by byte is not re-joined on every later chunk.
    if (this.chunks[0].length < 4) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0].readUInt32BE(0);
  }
}
