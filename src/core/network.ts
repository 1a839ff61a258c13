/** How the environment treats messages and nodes; chosen by the executor, never written into a protocol. */
export interface NetworkOptions {
  /** `unordered`: any message in flight may be delivered next; `ordered`: FIFO per (sender, receiver) channel. */
  readonly ordering: 'unordered' | 'ordered';
  /** Messages in flight may be dropped. */
  readonly lossy: boolean;
  /**
   * A delivered message stays in flight and may be delivered again (the grow-only message set of TLA+
   * specifications); otherwise messages in flight are a multiset and delivery removes one copy.
   */
  readonly duplicating: boolean;
  /** At most this many crash events in a run. */
  readonly crashes: number;
  /** `stop`: a crashed node stays down; `recover`: it may restart with its durable state. */
  readonly crashMode: 'stop' | 'recover';
}

export const defaultNetwork: NetworkOptions = {
  ordering: 'unordered',
  lossy: false,
  duplicating: false,
  crashes: 0,
  crashMode: 'stop',
};

export class NetworkOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NetworkOptionsError';
  }
}

/** Merges protocol defaults and executor overrides, rejecting combinations that mean nothing. */
export function resolveNetwork(...layers: (Partial<NetworkOptions> | undefined)[]): NetworkOptions {
  const net: NetworkOptions = Object.assign({}, defaultNetwork, ...layers.map((l) => stripUndefined(l ?? {})));
  if (net.ordering !== 'unordered' && net.ordering !== 'ordered') {
    throw new NetworkOptionsError(`network ordering must be "unordered" or "ordered", got ${JSON.stringify(net.ordering)}`);
  }
  if (net.ordering === 'ordered' && net.duplicating) {
    throw new NetworkOptionsError('an ordered (FIFO) network cannot also be duplicating: choose one of them');
  }
  if (!Number.isInteger(net.crashes) || net.crashes < 0 || net.crashes > 30) {
    throw new NetworkOptionsError(`crashes must be a whole number from 0 to 30, got ${net.crashes}`);
  }
  if (net.crashMode !== 'stop' && net.crashMode !== 'recover') {
    throw new NetworkOptionsError(`crash mode must be "stop" or "recover", got ${JSON.stringify(net.crashMode)}`);
  }
  return net;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function describeNetwork(net: NetworkOptions): string {
  const parts: string[] = [net.ordering];
  if (net.lossy) parts.push('lossy');
  if (net.duplicating) parts.push('duplicating');
  if (net.crashes > 0) parts.push(`crashes<=${net.crashes} (${net.crashMode})`);
  return parts.join(', ');
}
