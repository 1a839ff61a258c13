import { isProtocol } from '../core/protocol.ts';
import type { Protocol } from '../core/protocol.ts';

/** Where a worker thread finds the protocol: a module and the name it is exported under. */
export interface ProtocolSource {
  readonly module: string;
  readonly exportName: string;
}

const sources = new WeakMap<Protocol, ProtocolSource>();

/** Records where a protocol was loaded from, so that worker threads can load it too. */
export function rememberSource(protocol: Protocol, source: ProtocolSource): Protocol {
  sources.set(protocol, source);
  return protocol;
}

export function sourceOf(protocol: Protocol): ProtocolSource | undefined {
  return sources.get(protocol);
}

export async function loadFromSource(source: ProtocolSource): Promise<Protocol> {
  const mod = await import(source.module);
  const value = mod[source.exportName];
  if (!isProtocol(value)) throw new Error(`${source.module} has no protocol exported as ${source.exportName}`);
  return value;
}
