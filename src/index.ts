export * from './core/index.ts';
export * from './check/index.ts';
export { library, findProtocol } from './protocols/index.ts';
