/**
 * The durable fields of a node as write-ahead log records: each record is what changed since the
 * previous one, so a step costs the log what it changed, not the size of the durable state.
 *
 * A record is `{set?: {field: value}, patch?: {field: {set?: {key: value}, del?: [key]}}}`: `set`
 * replaces whole fields, `patch` changes some keys of a field that is an object. Handlers return new
 * states that share what they did not change (core's handlers are pure), so changes are found by
 * identity: a field, or a key of an object field, that is the same value as last logged is unchanged.
 * Folding the records in order gives the durable fields as last logged; compaction rewrites the log
 * as one record that sets them all.
 */
export interface DurableRecord {
  readonly set?: Readonly<Record<string, unknown>>;
  readonly patch?: Readonly<Record<string, { readonly set?: Readonly<Record<string, unknown>>; readonly del?: readonly string[] }>>;
}

type Fields = Readonly<Record<string, unknown>>;

const isRecord = (v: unknown): v is Readonly<Record<string, unknown>> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The durable fields of a state. */
export function durableFields(state: unknown, fields: readonly string[]): Fields {
  const out: Record<string, unknown> = {};
  for (const f of fields) out[f] = (state as Record<string, unknown>)[f];
  return out;
}

/** What changed from `before` (undefined: nothing logged yet) to `after`, or null when nothing did. */
export function durableDelta(before: Fields | undefined, after: Fields): DurableRecord | null {
  if (before === undefined) return { set: after };
  const set: Record<string, unknown> = {};
  const patch: Record<string, { set?: Record<string, unknown>; del?: string[] }> = {};
  for (const f in after) {
    const a = before[f];
    const b = after[f];
    if (a === b) continue;
    if (!isRecord(a) || !isRecord(b)) {
      set[f] = b;
      continue;
    }
    const changed: Record<string, unknown> = {};
    const gone: string[] = [];
    let n = 0;
    for (const k in b) {
      if (a[k] === b[k] && k in a) continue;
      changed[k] = b[k];
      n++;
    }
    for (const k in a) if (!(k in b)) gone.push(k);
    if (n + gone.length === 0) continue;
    // A field mostly rewritten is logged whole.
    if (n + gone.length > Object.keys(b).length / 2 + 1) set[f] = b;
    else patch[f] = { ...(n > 0 ? { set: changed } : {}), ...(gone.length > 0 ? { del: gone } : {}) };
  }
  const record: { set?: Record<string, unknown>; patch?: typeof patch } = {};
  if (Object.keys(set).length > 0) record.set = set;
  if (Object.keys(patch).length > 0) record.patch = patch;
  return record.set || record.patch ? record : null;
}

/** The durable fields after the records, in order; undefined when there are none. Throws on a record of another shape. */
export function foldDurable(records: readonly unknown[]): Fields | undefined {
  let fields: Record<string, unknown> | undefined;
  records.forEach((r, i) => {
    const keys = isRecord(r) ? Object.keys(r) : [];
    if (!isRecord(r) || keys.length === 0 || keys.some((k) => k !== 'set' && k !== 'patch')
      || (r.set !== undefined && !isRecord(r.set)) || (r.patch !== undefined && !isRecord(r.patch))) {
      throw new Error(`log record ${i + 1} is not a durable-state record ({set?, patch?})`);
    }
    const rec = r as DurableRecord;
    fields = { ...fields, ...rec.set };
    for (const [f, p] of Object.entries(rec.patch ?? {})) {
      const base = fields[f];
      if (!isRecord(base)) throw new Error(`log record ${i + 1} patches field ${JSON.stringify(f)}, which is not an object`);
      const next: Record<string, unknown> = { ...base, ...p.set };
      for (const k of p.del ?? []) delete next[k];
      fields[f] = next;
    }
  });
  return fields;
}
