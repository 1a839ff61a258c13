import { counterBuffer, ensureLength, growable } from './shared-array.ts';

/**
 * For every stored state, by index in the order found: its parent's index and which of the parent's
 * actions led to it. That is 6 bytes a state, and enough to rebuild any path by replaying actions.
 */
export interface StateStoreBuffers {
  readonly parent: SharedArrayBuffer;
  readonly action: SharedArrayBuffer;
  readonly meta: SharedArrayBuffer; // [count]
}

export const MAX_STATES = 1 << 30;

export function createStateStoreBuffers(maxStates: number): StateStoreBuffers {
  // Room past the bound for the successors of the states being expanded when it is reached.
  const max = Math.min(MAX_STATES, maxStates + (1 << 20));
  return { parent: growable(1 << 16, max * 4), action: growable(1 << 15, max * 2), meta: counterBuffer() };
}

export class StateStore {
  private readonly parents: Int32Array;
  private readonly actions: Uint16Array;
  private readonly meta: Int32Array;

  constructor(private readonly buffers: StateStoreBuffers) {
    this.parents = new Int32Array(buffers.parent);
    this.actions = new Uint16Array(buffers.action);
    this.meta = new Int32Array(buffers.meta);
  }

  get size(): number {
    return Atomics.load(this.meta, 0);
  }

  get bytesUsed(): number {
    return this.size * 6;
  }

  add(parent: number, action: number): number {
    const i = Atomics.add(this.meta, 0, 1);
    if (i * 4 + 4 > this.buffers.parent.byteLength) {
      ensureLength(this.buffers.parent, (i + 1) * 4, 'the parent table');
      ensureLength(this.buffers.action, (i + 1) * 2, 'the action table');
    }
    this.parents[i] = parent;
    this.actions[i] = action;
    return i;
  }

  /** Indices of the actions from the initial state to state `i`. */
  path(i: number): number[] {
    const out: number[] = [];
    while (i > 0) {
      out.push(this.actions[i]);
      i = this.parents[i];
    }
    return out.reverse();
  }
}
