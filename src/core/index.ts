export * from './plain.ts';
export * from './protocol.ts';
export * from './network.ts';
export * from './properties.ts';
export * from './trace.ts';
