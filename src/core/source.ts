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

/**
 * Loads a protocol again from where it was recorded to come from (in a worker thread, say). `load`
 * imports a module by URL; executors that load TypeScript files pass their TypeScript-aware loader.
 */
export async function loadFromSource(
  source: ProtocolSource,
  load: (url: string) => Promise<Record<string, unknown>> = (url) => import(url),
): Promise<Protocol> {
  const mod = await load(source.module);
  let value = mod[source.exportName];
  // A module loaded as CommonJS carries its exports as the default export.
  if (!isProtocol(value)) value = (mod.default as Record<string, unknown> | undefined)?.[source.exportName];
  if (!isProtocol(value)) throw new Error(`${source.module} has no protocol exported as ${source.exportName}`);
  return value;
}
