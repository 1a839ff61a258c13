import type { Message, ParamValue } from './protocol.ts';
import type { NetworkOptions } from './network.ts';
import type { InFlight, OutputRecord } from './properties.ts';

/** One transition of the global state. */
export type Action =
  | { readonly kind: 'init' }
  | { readonly kind: 'deliver'; readonly node: string; readonly from: string; readonly msg: Message }
  | { readonly kind: 'timer'; readonly node: string; readonly timer: string }
  | { readonly kind: 'drop'; readonly node: string; readonly from: string; readonly msg: Message }
  | { readonly kind: 'crash'; readonly node: string }
  | { readonly kind: 'recover'; readonly node: string };

export interface FieldChange {
  readonly node: string;
  /** A dotted path inside the node's state; empty when the whole state changed shape. */
  readonly field: string;
  readonly before: unknown;
  readonly after: unknown;
}

export interface TraceStep {
  readonly step: number;
  readonly action: Action;
  readonly changes: readonly FieldChange[];
  readonly sent: readonly InFlight[];
  readonly outputs: readonly OutputRecord[];
  /** Every node's full state after the step. */
  readonly states: Readonly<Record<string, unknown>>;
  readonly crashed: readonly string[];
}

export interface Trace {
  readonly protocol: string;
  readonly params: Readonly<Record<string, ParamValue>>;
  readonly network: NetworkOptions;
  /** Successor indices from the initial state, as `0/2/1`: enough to replay the run exactly. */
  readonly path: string;
  readonly steps: readonly TraceStep[];
}

export function describeAction(a: Action): string {
  switch (a.kind) {
    case 'init': return 'Initial state';
    case 'deliver': return `${a.node} receives ${a.msg.type} from ${a.from}`;
    case 'timer': return `${a.node} fires timer ${a.timer}`;
    case 'drop': return `network drops ${a.msg.type} from ${a.from} to ${a.node}`;
    case 'crash': return `${a.node} crashes`;
    case 'recover': return `${a.node} recovers`;
  }
}

/** Field-level differences between two plain values, as dotted paths. */
export function diffFields(node: string, before: unknown, after: unknown, path = ''): FieldChange[] {
  const out: FieldChange[] = [];
  diffInto(out, node, before, after, path);
  return out;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function diffInto(out: FieldChange[], node: string, before: unknown, after: unknown, path: string): void {
  if (before === after) return;
  if (isRecord(before) && isRecord(after)) {
    for (const k of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
      diffInto(out, node, before[k], after[k], path ? `${path}.${k}` : k);
    }
    return;
  }
  // Arrays and values of different kinds compare whole (their JSON is canonical enough for equality here).
  if (typeof before === 'object' && typeof after === 'object' && JSON.stringify(before) === JSON.stringify(after)) return;
  out.push({ node, field: path, before, after });
}
