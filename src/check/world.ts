import type { InFlight, NodeView, OutputRecord, World } from '../core/properties.ts';
import type { Model } from './model.ts';

/** The World properties see, decoded lazily from a state vector. */
export class CheckWorld implements World {
  private nodesCache?: NodeView[];
  private messagesCache?: InFlight[];
  private outputsCache?: OutputRecord[];
  constructor(private readonly model: Model, private readonly v: Int32Array) {}
  get params() { return this.model.inst.params; }
  get nodes(): readonly NodeView[] {
    if (!this.nodesCache) {
      const n = this.model.n;
      const arr = new Array<NodeView>(n);
      for (let i = 0; i < n; i++) arr[i] = this.model.nodeView(i, this.v[1 + i]);
      this.nodesCache = arr;
    }
    return this.nodesCache;
  }
  get messages(): readonly InFlight[] {
    return (this.messagesCache ??= this.model.messagesOf(this.v));
  }
  get outputs(): readonly OutputRecord[] {
    return (this.outputsCache ??= this.model.outputsOf(this.v));
  }
  node(id: string): NodeView {
    const i = this.model.inst.topo.index.get(id);
    if (i === undefined) throw new Error(`no node ${JSON.stringify(id)} (nodes: ${this.model.inst.topo.ids.join(', ')})`);
    return this.model.nodeView(i, this.v[1 + i]);
  }
  statesOf<S = any>(role: string): S[] {
    const indices = this.model.inst.topo.indicesOf(role);
    const out = new Array<S>(indices.length);
    for (let j = 0; j < indices.length; j++) out[j] = this.model.nodeView(indices[j], this.v[1 + indices[j]]).state as S;
    return out;
  }
}
