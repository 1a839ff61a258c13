export * from './core/index.ts';
export * from './check/index.ts';
export { simulate, simulateSwarm, shrinkTrace, readTrace, writeTrace, replayTrace, PRNG_NAME, ShrinkError, SimOptionsError, PropertyCheckError, TraceFormatError, TraceReplayError } from './sim/index.ts';
export type { SimOptions, SimResult, SimTrace, FaultSchedule, LatencyDistribution, LatencyOptions, ReplayResult } from './sim/index.ts';
export { library, findProtocol } from './protocols/index.ts';
export { serveExplorer } from './viz/explorer-server.ts';
export type { ExplorerServer } from './viz/explorer-server.ts';
export { renderTraceHtml } from './viz/trace-html.ts';
