export { decode, encode, fingerprint, PlainDataError } from './plain.ts';
export type { Plain } from './plain.ts';
export * from './protocol.ts';
export * from './network.ts';
export * from './properties.ts';
export * from './trace.ts';
export * from './source.ts';
export { Topology, stepNode, HandlerError, describeEvent } from './step.ts';
export type { Effect, NodeEvent, StepResult } from './step.ts';
