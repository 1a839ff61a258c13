import type { InFlight, NodeView, OutputRecord, World } from './properties.ts';
import type { Topology } from './step.ts';

export interface WorldParts {
  readonly topo: Topology;
  /** One view per node, in declaration order. */
  readonly nodes: readonly NodeView[];
  /** Computed only if a property asks. */
  readonly messages: () => readonly InFlight[];
  readonly outputs: () => readonly OutputRecord[];
}

/**
 * A World over plain arrays, for executors that hold node states as objects (the simulator, the
 * runtime). Make a new one for every state, and judge it before the state changes: properties may
 * cache what they work out per World object, and the arrays are not copied.
 */
export function makeWorld(parts: WorldParts): World {
  return new ArrayWorld(parts);
}

class ArrayWorld implements World {
  private messagesCache?: readonly InFlight[];
  private outputsCache?: readonly OutputRecord[];
  constructor(private readonly parts: WorldParts) {}
  get params() { return this.parts.topo.params; }
  get nodes() { return this.parts.nodes; }
  get messages() { return (this.messagesCache ??= this.parts.messages()); }
  get outputs() { return (this.outputsCache ??= this.parts.outputs()); }
  node(id: string): NodeView {
    const i = this.parts.topo.index.get(id);
    if (i === undefined) throw new Error(`no node ${JSON.stringify(id)} (nodes: ${this.parts.topo.ids.join(', ')})`);
    return this.parts.nodes[i];
  }
  statesOf<S = any>(role: string): S[] {
    const indices = this.parts.topo.indicesOf(role);
    const out = new Array<S>(indices.length);
    for (let j = 0; j < indices.length; j++) out[j] = this.parts.nodes[indices[j]].state as S;
    return out;
  }
}
