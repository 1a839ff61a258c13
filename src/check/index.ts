export { check, CheckOptionsError } from './search.ts';
export type { CheckOptions, CheckResult, PropertyResult, Progress, Verdict, Bound } from './search.ts';
export { instantiate, resolveParams, ParamError } from './instance.ts';
export type { Instance, InstanceOptions } from './instance.ts';
export { rememberSource } from './source.ts';
export type { ProtocolSource } from './source.ts';
export { PropertyError } from './expander.ts';
