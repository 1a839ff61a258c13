/**
 * A write-ahead log of one node's durable state, on disk.
 *
 * File: the 8 bytes `PFWAL\x00\x01\n` (format and version), then records, each
 *   u32 LE payload length | u32 LE CRC-32 of the payload | payload (UTF-8 JSON)
 * Appends are buffered; `sync` writes them and fsyncs before returning, so whatever the caller lets
 * out of the node afterwards (messages, replies) depends only on state that is on disk.
 *
 * A process killed in the middle of a write leaves a torn last record: cut short, or with bytes that
 * do not match its checksum. Opening the log finds it, drops it (truncating the file to the last whole
 * record) and says so; it is never read as a record. A bad record that is not the last one is not a
 * torn write but damage, and opening fails with the offset rather than silently losing what follows.
 */
import { closeSync, existsSync, fstatSync, fsync, fsyncSync, ftruncateSync, openSync, readSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';

const MAGIC = Buffer.from('PFWAL\x00\x01\n', 'latin1');
const HEAD = 8;
/** A record longer than this is taken as damage, not allocated. */
const MAX_RECORD_BYTES = 64 * 1024 * 1024;

export class WalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WalError';
  }
}

export interface WalRecovery {
  /** The records read, oldest first. */
  readonly records: readonly unknown[];
  /** Bytes of a torn last record that were dropped, 0 when the log ended cleanly. */
  readonly droppedBytes: number;
  /** Why they were dropped. */
  readonly dropped: string | null;
}

function readAll(fd: number): Buffer {
  const size = fstatSync(fd).size;
  const buf = Buffer.alloc(size);
  let at = 0;
  while (at < size) at += readSync(fd, buf, at, size - at, at);
  return buf;
}

/** Reads the records of a log; where the last one is torn, reports how many bytes it took. */
function scan(file: string, buf: Buffer): { records: unknown[]; end: number; dropped: string | null } {
  if (buf.length < HEAD) {
    // A log whose creation was cut short before its header was whole holds nothing.
    if (MAGIC.subarray(0, buf.length).equals(buf)) return { records: [], end: 0, dropped: buf.length ? 'the file header is incomplete' : null };
    throw new WalError(`${file} is not a protoforge write-ahead log (its first bytes are not the log header)`);
  }
  if (!buf.subarray(0, HEAD).equals(MAGIC)) {
    throw new WalError(`${file} is not a protoforge write-ahead log of this version (its first 8 bytes are ${JSON.stringify(buf.subarray(0, HEAD).toString('latin1'))})`);
  }
  const records: unknown[] = [];
  let at = HEAD;
  while (at < buf.length) {
    const torn = (why: string) => ({ records, end: at, dropped: `record ${records.length + 1} at byte ${at} ${why}` });
    if (buf.length - at < 8) return torn(`has an incomplete header (${buf.length - at} of 8 bytes)`);
    const length = buf.readUInt32LE(at);
    const sum = buf.readUInt32LE(at + 4);
    const end = at + 8 + length;
    if (length > MAX_RECORD_BYTES) {
      throw new WalError(`${file}: record ${records.length + 1} at byte ${at} claims ${length} bytes: the log is damaged`);
    }
    if (end > buf.length) return torn(`is cut short (${buf.length - at - 8} of ${length} bytes)`);
    const payload = buf.subarray(at + 8, end);
    if (crc32(payload) !== sum) {
      if (end === buf.length) return torn('does not match its checksum');
      throw new WalError(`${file}: record ${records.length + 1} at byte ${at} does not match its checksum and is not the last record: the log is damaged`);
    }
    try {
      records.push(JSON.parse(payload.toString('utf8')));
    } catch {
      throw new WalError(`${file}: record ${records.length + 1} at byte ${at} matches its checksum but is not JSON: the log was not written by protoforge`);
    }
    at = end;
  }
  return { records, end: at, dropped: null };
}

function encodeRecord(value: unknown): Buffer {
  const payload = Buffer.from(JSON.stringify(value), 'utf8');
  const head = Buffer.alloc(8);
  head.writeUInt32LE(payload.length, 0);
  head.writeUInt32LE(crc32(payload), 4);
  return Buffer.concat([head, payload]);
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export class WriteAheadLog {
  private pending: Buffer[] = [];
  private syncing = false;
  private size: number;
  private recordsOnDisk: number;

  private constructor(readonly file: string, private fd: number, size: number, records: number) {
    this.size = size;
    this.recordsOnDisk = records;
  }

  /** Opens (creating it if needed) the log at `file`, and reads back what it holds. */
  static open(file: string): { log: WriteAheadLog; recovery: WalRecovery } {
    const created = !existsSync(file);
    const fd = openSync(file, created ? 'w+' : 'r+');
    try {
      const buf = readAll(fd);
      const { records, end, dropped } = scan(file, buf);
      let size = end;
      if (end < buf.length || end === 0) {
        ftruncateSync(fd, end);
        if (end === 0) {
          writeSync(fd, MAGIC, 0, HEAD, 0);
          size = HEAD;
        }
        fsyncSync(fd);
      }
      if (created) fsyncDir(path.dirname(file));
      return { log: new WriteAheadLog(file, fd, size, records.length), recovery: { records, droppedBytes: buf.length - end, dropped } };
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  /** Records held on disk (after the last sync or compaction). */
  get records(): number {
    return this.recordsOnDisk;
  }

  /** Bytes of the file on disk. */
  get bytes(): number {
    return this.size;
  }

  /** Queues a record; it is on disk once `sync` returns. */
  append(value: unknown): void {
    this.pending.push(encodeRecord(value));
  }

  /** Whether records are queued and not yet on disk. */
  get dirty(): boolean {
    return this.pending.length > 0;
  }

  /** Writes the queued records and fsyncs: one disk flush for however many records were queued. */
  sync(): void {
    if (this.pending.length === 0) return;
    const data = Buffer.concat(this.pending);
    let at = 0;
    while (at < data.length) at += writeSync(this.fd, data, at, data.length - at, this.size + at);
    fsyncSync(this.fd);
    this.size += data.length;
    this.recordsOnDisk += this.pending.length;
    this.pending = [];
  }

  /**
   * `sync` without blocking: the queued records are written now (to the page cache) and the fsync
   * runs on libuv's thread pool; records appended meanwhile wait for the next call. One at a time.
   */
  syncAsync(): Promise<void> {
    if (this.syncing) throw new Error(`${this.file}: a sync is already in progress`);
    const count = this.pending.length;
    if (count === 0) return Promise.resolve();
    const data = Buffer.concat(this.pending);
    this.pending = [];
    let at = 0;
    while (at < data.length) at += writeSync(this.fd, data, at, data.length - at, this.size + at);
    this.size += data.length;
    this.syncing = true;
    return new Promise((resolve, reject) => fsync(this.fd, (err) => {
      this.syncing = false;
      if (err) return reject(new WalError(`${this.file}: fsync failed: ${err.message}`));
      this.recordsOnDisk += count;
      resolve();
    }));
  }

  /**
   * Replaces the log by one holding only `latest` (the current durable state): written to a
   * temporary file, fsync'd, renamed over the log and the folder fsync'd, so a crash at any point
   * leaves either the old log or the new one.
   */
  compact(latest: unknown): void {
    if (this.syncing) throw new Error(`${this.file}: cannot compact while a sync is in progress`);
    this.pending = [];
    const tmp = `${this.file}.compact`;
    const fd = openSync(tmp, 'w');
    const data = Buffer.concat([MAGIC, encodeRecord(latest)]);
    try {
      writeSync(fd, data, 0, data.length, 0);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.file);
    fsyncDir(path.dirname(this.file));
    closeSync(this.fd);
    this.fd = openSync(this.file, 'r+');
    this.size = data.length;
    this.recordsOnDisk = 1;
  }

  close(): void {
    this.sync();
    closeSync(this.fd);
  }
}
