import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { encode } from '@msgpack/msgpack';

const pack = (value: unknown) => Buffer.from(encode(value));
import { encodeFrame, FrameDecoder, FrameError, TAG_BYTES } from '../src/runtime/frames.ts';
import type { Frame } from '../src/runtime/frames.ts';

const secret = 'secret';
const ping: Frame = { from: 'a', to: 'b', seq: 1, body: { type: 'ping' } };

/** A frame around any payload bytes, with a valid tag: what a sender holding the secret could build. */
function frameAround(payload: Buffer, key = secret): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(payload.length + TAG_BYTES);
  return Buffer.concat([header, payload, createHmac('sha256', key).update(payload).digest()]);
}

function rejection(chunks: Buffer[], end = false): FrameError {
  const d = new FrameDecoder(secret, 1024);
  try {
    for (const c of chunks) d.push(c);
    if (end) d.end();
  } catch (err) {
    assert.ok(err instanceof FrameError, String(err));
    return err;
  }
  assert.fail('the decoder accepted the stream');
}

describe('runtime frames', () => {
  test('exact bytes on the wire: u32 length, MessagePack payload, 32-byte HMAC-SHA256 tag', () => {
    const wire = encodeFrame(ping, secret);
    // 0x42 = 66 = 34 payload bytes + 32 tag bytes.
    assert.equal(wire.subarray(0, 4).toString('hex'), '00000042');
    const payload = wire.subarray(4, wire.length - TAG_BYTES);
    // fixmap(4) "from" "a" "to" "b" "seq" 1 "body" fixmap(1) "type" "ping"
    assert.equal(payload.toString('hex'), '84a466726f6da161a2746fa162a373657101a4626f647981a474797065a470696e67');
    const tag = wire.subarray(wire.length - TAG_BYTES);
    assert.equal(tag.length, 32);
    assert.deepEqual(tag, createHmac('sha256', secret).update(payload).digest());
    assert.equal(wire.length, 4 + 34 + 32);
  });

  test('decodes frames split byte by byte, and several frames in one chunk', () => {
    const second: Frame = { from: 'b', to: 'a', seq: 7, body: { type: 'pong', n: [1.5, -2, 'x', null, true, { k: 'v' }] } };
    const wire = Buffer.concat([encodeFrame(ping, secret), encodeFrame(second, secret)]);
    const d = new FrameDecoder(secret);
    const got: Frame[] = [];
    for (const byte of wire) got.push(...d.push(Buffer.from([byte])));
    d.end();
    assert.deepEqual(got, [ping, second]);
    assert.deepEqual(new FrameDecoder(secret).push(wire), [ping, second]);
  });

  test('oversized: rejected from the length prefix alone', () => {
    const err = rejection([Buffer.from('00000401', 'hex')]);
    assert.equal(err.code, 'oversized');
    assert.equal(err.message, 'frame of 1025 bytes exceeds the maximum of 1024 bytes');
  });

  test('truncated: the stream ends inside a frame', () => {
    const wire = encodeFrame(ping, secret);
    const err = rejection([wire.subarray(0, 10)], true);
    assert.equal(err.code, 'truncated');
    assert.equal(err.message, 'stream ended inside a frame: 10 bytes received of 70 bytes');
    assert.equal(rejection([wire.subarray(0, 2)], true).message, 'stream ended inside a frame: 2 bytes received of a 4-byte length prefix');
  });

  test('forged: a tag made with another secret, or a payload changed after tagging', () => {
    const expected = 'frame tag does not match its payload: the sender does not hold the cluster secret';
    const other = rejection([encodeFrame(ping, 'not the secret')]);
    assert.equal(other.code, 'forged');
    assert.equal(other.message, expected);
    const flipped = Buffer.from(encodeFrame(ping, secret));
    flipped[10] ^= 1;
    assert.equal(rejection([flipped]).message, expected);
  });

  test('malformed: each problem named', () => {
    const cases: [Buffer, string][] = [
      [Buffer.from('0102', 'hex'), 'frame payload is not MessagePack: Extra 1 of 2 byte(s) found at buffer[1]'],
      [Buffer.from('92', 'hex'), 'frame payload is not MessagePack: it ends in the middle of a value'],
      [Buffer.from('c1', 'hex'), 'frame payload is not MessagePack: Unrecognized type byte: 0xc1'],
      [pack([1, 2]), 'frame payload must be a map {from, to, seq, body}, got an array'],
      [pack({ from: 'a', to: 'b', seq: 1, body: null, extra: 1 }), 'frame payload has unexpected field extra: expected {from, to, seq, body}'],
      [pack({ from: 1, to: 'b', seq: 1, body: null }), 'frame field from must be a string, got number'],
      [pack({ from: 'a', to: 'b', seq: -1, body: null }), 'frame field seq must be a non-negative integer, got -1'],
      [pack({ from: 'a', to: 'b', seq: 1 }), 'frame field body is missing'],
      [pack({ from: 'a', to: 'b', seq: 1, body: { at: new Date(0) } }),
        'frame body.at is a Date, which is not plain data (use null, booleans, finite numbers, strings, arrays and plain objects)'],
    ];
    for (const [payload, message] of cases) {
      const err = rejection([frameAround(payload)]);
      assert.equal(err.code, 'malformed', message);
      assert.equal(err.message, message);
    }
    const short = rejection([Buffer.from('0000000a', 'hex')]);
    assert.equal(short.code, 'malformed');
    assert.equal(short.message, 'frame of 10 bytes is too short: it needs a payload and a 32-byte tag');
  });

  test('the sender refuses a body that is not plain data', () => {
    assert.throws(() => encodeFrame({ ...ping, body: { m: new Map() } as never }, secret), { name: 'PlainDataError' });
  });
});
