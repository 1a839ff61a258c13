/**
 * A growable shared buffer that several threads append to: space is claimed with an atomic add on a
 * counter, and whoever needs more room grows the buffer (growing only ever lengthens it, and views
 * made without a length follow it). Untouched space costs address space, not memory.
 */
export function ensureLength(buffer: SharedArrayBuffer, bytes: number, what: string): void {
  while (buffer.byteLength < bytes) {
    const want = Math.min(buffer.maxByteLength, Math.max(bytes, buffer.byteLength * 2));
    if (want < bytes) throw new RangeError(`${what} is full (${buffer.maxByteLength} bytes)`);
    try {
      buffer.grow(want);
    } catch (err) {
      if (buffer.byteLength < bytes && !(err instanceof RangeError)) throw err; // lost a race: look again
    }
  }
}

export function growable(initialBytes: number, maxBytes: number): SharedArrayBuffer {
  return new SharedArrayBuffer(Math.min(initialBytes, maxBytes), { maxByteLength: maxBytes });
}

/**
 * Room for a few shared counters. Each search table gets its own 128 bytes, so counters that different
 * threads update often never share a cache line with another table's.
 */
export function counterBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(128);
}
