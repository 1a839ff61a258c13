import type { ParamValue } from './protocol.ts';
import type { InFlight, NodeView, OutputRecord, World } from './properties.ts';

export interface WorldParts {
  readonly params: Readonly<Record<string, ParamValue>>;
  /** One view per node, in declaration order. */
  readonly nodes: readonly NodeView[];
  readonly messages: readonly InFlight[];
  readonly outputs: readonly OutputRecord[];
}

/**
 * A World over plain arrays, for executors that hold node states as objects (the simulator, the
 * runtime). Make a new one for every state: properties may cache what they work out per World object.
 */
export function makeWorld(parts: WorldParts): World {
  const { params, nodes, messages, outputs } = parts;
  return {
    params,
    nodes,
    messages,
    outputs,
    node(id) {
      const view = nodes.find((v) => v.id === id);
      if (!view) throw new Error(`no node ${JSON.stringify(id)} (nodes: ${nodes.map((v) => v.id).join(', ')})`);
      return view;
    },
    statesOf(role) {
      return nodes.filter((v) => v.role === role).map((v) => v.state);
    },
  };
}
