import { isProtocol } from './protocol.ts';
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

/** Loads a protocol again from where it was recorded to come from (in a worker thread, say). */
export async function loadFromSource(source: ProtocolSource): Promise<Protocol> {
  const mod = await import(source.module);
  const value = mod[source.exportName];
  if (!isProtocol(value)) throw new Error(`${source.module} has no protocol exported as ${source.exportName}`);
  return value;
}
