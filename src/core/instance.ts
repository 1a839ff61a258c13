import { isProtocol } from './protocol.ts';
import type { NodeDecl, ParamSpec, ParamValue, Protocol } from './protocol.ts';
import { resolveNetwork } from './network.ts';
import type { NetworkOptions } from './network.ts';
import type { Property } from './properties.ts';
import { Topology } from './step.ts';

/** A protocol with its parameters chosen: the thing every executor runs. */
export interface Instance {
  readonly protocol: Protocol;
  readonly params: Readonly<Record<string, ParamValue>>;
  readonly topo: Topology;
  readonly properties: readonly Property[];
  readonly network: NetworkOptions;
  /** Groups of node indices that may be permuted, when symmetry reduction is on. */
  readonly symmetry: readonly (readonly number[])[];
}

export class ParamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ParamError';
  }
}

function listParams(specs: Readonly<Record<string, ParamSpec>>): string {
  const names = Object.keys(specs);
  return names.length ? names.join(', ') : 'none';
}

/** Parses and range-checks parameter values given as strings (`--param k=v`) or values. */
/** Also serves meta-models and round problems: anything with a name and parameter specs. */
export function resolveParams(protocol: Pick<Protocol, 'name' | 'paramSpecs'>, given: Readonly<Record<string, unknown>> = {}): Record<string, ParamValue> {
  const specs = protocol.paramSpecs;
  const out: Record<string, ParamValue> = {};
  for (const key of Object.keys(given)) {
    if (!(key in specs)) {
      throw new ParamError(`${protocol.name} has no parameter ${JSON.stringify(key)} (its parameters: ${listParams(specs)})`);
    }
  }
  for (const [key, spec] of Object.entries(specs)) {
    const raw = given[key];
    if (raw === undefined) {
      out[key] = spec.default;
      continue;
    }
    const text = String(raw);
    switch (spec.kind) {
      case 'int': {
        const n = typeof raw === 'number' ? raw : /^-?\d+$/.test(text) ? Number(text) : NaN;
        if (!Number.isInteger(n) || n < spec.min || n > spec.max) {
          throw new ParamError(`parameter ${key} of ${protocol.name} must be a whole number from ${spec.min} to ${spec.max}, got ${JSON.stringify(text)}`);
        }
        out[key] = n;
        break;
      }
      case 'bool': {
        if (text !== 'true' && text !== 'false') {
          throw new ParamError(`parameter ${key} of ${protocol.name} must be true or false, got ${JSON.stringify(text)}`);
        }
        out[key] = text === 'true';
        break;
      }
      case 'enum': {
        if (!spec.choices.includes(text)) {
          throw new ParamError(`parameter ${key} of ${protocol.name} must be one of ${spec.choices.join(', ')}, got ${JSON.stringify(text)}`);
        }
        out[key] = text;
        break;
      }
    }
  }
  return out;
}

export interface InstanceOptions {
  readonly params?: Readonly<Record<string, unknown>>;
  readonly network?: Partial<NetworkOptions>;
  readonly symmetry?: boolean;
}

export function instantiate(protocol: Protocol, options: InstanceOptions = {}): Instance {
  if (!isProtocol(protocol)) throw new ParamError('not a protocol: define it with defineProtocol()');
  const params = resolveParams(protocol, options.params);
  const decls: readonly NodeDecl[] = protocol.nodes(params as never);
  if (decls.length === 0) throw new ParamError(`${protocol.name} declares no nodes`);
  const topo = new Topology(decls, params);
  const properties = protocol.properties(params as never);
  const names = new Set<string>();
  for (const p of properties) {
    if (names.has(p.name)) throw new ParamError(`${protocol.name} has two properties named ${JSON.stringify(p.name)}`);
    names.add(p.name);
  }
  const network = resolveNetwork(protocol.network, options.network);
  let symmetry: number[][] = [];
  if (options.symmetry) {
    if (!protocol.symmetric || protocol.symmetric.length === 0) {
      throw new ParamError(`${protocol.name} declares no interchangeable roles, so symmetry reduction does not apply`);
    }
    symmetry = protocol.symmetric
      .map((r) => decls.flatMap((d, i) => (d.role === r ? [i] : [])))
      .filter((g) => g.length > 1);
  }
  return { protocol, params, topo, properties, network, symmetry };
}
