import { isProtocol } from '../core/protocol.ts';
import type { Protocol } from '../core/protocol.ts';
import type { ProtocolSource } from '../core/source.ts';

export async function loadFromSource(source: ProtocolSource): Promise<Protocol> {
  const mod = await import(source.module);
  const value = mod[source.exportName];
  if (!isProtocol(value)) throw new Error(`${source.module} has no protocol exported as ${source.exportName}`);
  return value;
}
