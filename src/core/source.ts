import type { Protocol } from './protocol.ts';

/** Where a protocol can be loaded from again (by a worker thread, say): a module URL and an export name. */
export interface ProtocolSource {
  readonly module: string;
  readonly exportName: string;
}

const sources = new WeakMap<Protocol, ProtocolSource>();

/** Records where a protocol was loaded from; returns it unchanged. */
export function rememberSource<P extends Protocol>(protocol: P, source: ProtocolSource): P {
  sources.set(protocol, source);
  return protocol;
}

export function sourceOf(protocol: Protocol): ProtocolSource | undefined {
  return sources.get(protocol);
}
