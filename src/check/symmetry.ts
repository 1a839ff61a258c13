import { decode, encode } from '../core/plain.ts';
import type { Model } from './model.ts';

/**
 * Symmetry reduction: nodes of an interchangeable role are sorted by their local state, and every
 * node id of the role is renamed accordingly wherever it appears (node states, messages, outputs),
 * so that states equal up to renaming share one representative. Sorting by local state is a cheap
 * canonical form: it may leave a few symmetric states apart when two nodes tie, never merges
 * states that are not symmetric.
 */
export class Canonicalizer {
  private readonly memo = new Map<string, number>();
  private out = new Int32Array(256);

  constructor(private readonly model: Model, private readonly groups: readonly (readonly number[])[]) {}

  canonical(w: Int32Array): Int32Array {
    const perm = this.permutation(w);
    return perm ? this.rename(w, perm) : w;
  }

  /** The renaming that takes `w` to its representative (perm[old node] = new node), or null when none is needed. */
  permutation(w: Int32Array): number[] | null {
    let perm: number[] | null = null;
    for (const g of this.groups) {
      const sorted = [...g].sort((a, b) => {
        const ta = this.model.intern.text(w[1 + a]);
        const tb = this.model.intern.text(w[1 + b]);
        return ta < tb ? -1 : ta > tb ? 1 : a - b;
      });
      if (sorted.every((x, j) => x === g[j])) continue;
      perm ??= Array.from({ length: this.model.n }, (_, i) => i);
      sorted.forEach((old, j) => { perm![old] = g[j]; });
    }
    return perm;
  }

  /** `w` with node i renamed to perm[i] everywhere; the result is scratch space, valid until the next call. */
  rename(w: Int32Array, perm: readonly number[]): Int32Array {
    const model = this.model;
    const n = model.n;
    const ids = model.inst.topo.ids;
    const names = new Map<string, string>();
    perm.forEach((to, from) => { if (to !== from) names.set(ids[from], ids[to]); });
    const key = perm.join(',');
    const m = w[n + 1];
    const k = w[n + 2 + m];
    if (this.out.length < w.length) this.out = new Int32Array(w.length * 2);
    const out = this.out;
    out[0] = w[0];
    for (let i = 0; i < n; i++) out[1 + perm[i]] = this.renamed(w[1 + i], key, names, (text) => text);
    const msgs: number[] = [];
    for (let p = n + 2; p < n + 2 + m; p++) {
      msgs.push(this.renamed(w[p], key, names, (text) => {
        const [from, to, body] = decode<[number, number, unknown]>(text.slice(1));
        return `M[${perm[from]},${perm[to]},${encode(renameValue(body, names))}]`;
      }));
    }
    const arranged = model.arrangeMessages(msgs);
    out[n + 1] = arranged.length;
    out.set(arranged, n + 2);
    const outs: number[] = [];
    for (let p = n + 3 + m; p < n + 3 + m + k; p++) {
      outs.push(this.renamed(w[p], key, names, (text) => {
        const [node, value] = decode<[number, unknown]>(text.slice(1));
        return `O[${perm[node]},${encode(renameValue(value, names))}]`;
      }));
    }
    outs.sort((a, b) => a - b);
    out[n + 2 + m] = outs.length;
    out.set(outs, n + 3 + m);
    return out.subarray(0, w.length);
  }

  /** The id of the renamed value of `id`; locals are `L[crashed,timers,state]` and only the state is renamed. */
  private renamed(id: number, key: string, names: Map<string, string>, build: (text: string) => string): number {
    const memoKey = `${key}|${id}`;
    let r = this.memo.get(memoKey);
    if (r === undefined) {
      const text = this.model.intern.text(id);
      let renamedText: string;
      if (text[0] === 'L') {
        const [crashed, timers, state] = decode<[number, string[], unknown]>(text.slice(1));
        renamedText = `L[${crashed},${encode(timers)},${encode(renameValue(state, names))}]`;
      } else {
        renamedText = build(text);
      }
      r = this.model.intern.id(renamedText);
      this.memo.set(memoKey, r);
    }
    return r;
  }
}

export function renameValue(value: unknown, names: Map<string, string>): unknown {
  if (typeof value === 'string') return names.get(value) ?? value;
  if (Array.isArray(value)) return value.map((x) => renameValue(x, names));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[names.get(k) ?? k] = renameValue(v, names);
    return out;
  }
  return value;
}
