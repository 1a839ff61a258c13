/**
 * Plain data: null, booleans, finite numbers, strings, arrays and plain objects of them.
 * States and messages must be plain so that they can be compared, hashed, stored and replayed.
 * The canonical encoding is JSON with object keys sorted, so equal values encode to equal strings
 * whatever order their keys were written in. Properties whose value is `undefined` are left out,
 * as JSON does, so `{ a: undefined }` and `{}` are the same value.
 */
export type Plain = null | boolean | number | string | readonly Plain[] | { readonly [key: string]: Plain };

/** Thrown for the first value that is not plain data; `path` names where it is, e.g. `state.votes[2]`. */
export class PlainDataError extends Error {
  readonly path: string;
  readonly found: string;
  constructor(path: string, found: string, context?: string) {
    super(`${context ? context + ': ' : ''}${path} is ${found}, which is not plain data ` +
      `(use null, booleans, finite numbers, strings, arrays and plain objects)`);
    this.name = 'PlainDataError';
    this.path = path;
    this.found = found;
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'bigint') return `a bigint (${value}n)`;
  if (typeof value === 'symbol') return 'a symbol';
  const name = (value as object).constructor?.name;
  return name ? `a ${name}` : 'an object with a custom prototype';
}

const quote = JSON.stringify;

function encodeAt(value: unknown, path: string, context: string | undefined): string {
  switch (typeof value) {
    case 'string': return quote(value);
    case 'boolean': return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new PlainDataError(path, describe(value), context);
      return Object.is(value, -0) ? '0' : String(value);
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ',';
          out += encodeAt(value[i], `${path}[${i}]`, context);
        }
        return out + ']';
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) throw new PlainDataError(path, describe(value), context);
      const keys = Object.keys(value).sort();
      let out = '{';
      let first = true;
      for (const key of keys) {
        const v = (value as Record<string, unknown>)[key];
        if (v === undefined) continue;
        if (!first) out += ',';
        first = false;
        out += quote(key) + ':' + encodeAt(v, `${path}.${key}`, context);
      }
      return out + '}';
    }
    default:
      throw new PlainDataError(path, describe(value), context);
  }
}

/** Canonical string of a plain value; throws PlainDataError naming the first offending field. */
export function encode(value: unknown, path = 'value', context?: string): string {
  return encodeAt(value, path, context);
}

/** Inverse of `encode`. */
/**
 * Whether `encode` would accept `value`, without building its encoding: the same walk (own enumerable
 * keys, `undefined` values of objects skipped, finite numbers, plain prototypes). Where it says no,
 * `encode` is called to throw the error that names the first offending field.
 */
export function isPlain(value: unknown): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object': {
      if (value === null) return true;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (!isPlain(value[i])) return false;
        return true;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return false;
      const keys = Object.keys(value);
      for (let i = 0; i < keys.length; i++) {
        const v = (value as Record<string, unknown>)[keys[i]];
        if (v !== undefined && !isPlain(v)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

export function decode<T = Plain>(text: string): T {
  return JSON.parse(text) as T;
}

/** 64-bit hash of a string as two 32-bit halves (FNV-1a with two offset bases and a final mix). */
export function hashString(text: string): [number, number] {
  let h1 = 0x811c9dc5 | 0;
  let h2 = 0x050c5d1f | 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
  }
  return [mix32(h1 ^ Math.imul(h2, 0x9e3779b1)), mix32(h2 ^ text.length)];
}

/** murmur3's 32-bit finalizer: spreads every input bit over the output. */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

/** The 64-bit fingerprint of a plain value, as 16 hex digits. */
export function fingerprint(value: unknown): string {
  const [hi, lo] = hashString(encode(value));
  return (hi >>> 0).toString(16).padStart(8, '0') + (lo >>> 0).toString(16).padStart(8, '0');
}
