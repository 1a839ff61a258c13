export { check, CheckOptionsError } from './search.ts';
export type { CheckOptions, CheckResult, PropertyResult, Progress, Verdict, Bound } from './search.ts';
export { instantiate, resolveParams, ParamError } from './instance.ts';
export type { Instance, InstanceOptions } from './instance.ts';
export { PropertyError } from './expander.ts';
export { replayPath, ReplayError } from './replay.ts';
