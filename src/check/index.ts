export { check, CheckOptionsError } from './search.ts';
export type { CheckOptions, CheckResult, PropertyResult, Progress, Verdict, Bound } from './search.ts';
export { PropertyError } from './expander.ts';
export { replayPath, ReplayError } from './replay.ts';
export { Explorer } from './explore.ts';
export type { ExploreView } from './explore.ts';
export { checkRounds, countRuns, formatRun } from './rounds.ts';
export type { RoundCheckResult } from './rounds.ts';
export {
  checkLinearizable, checkOperations as checkLinearizableOperations, formatCounterexample as formatLinearizabilityCounterexample,
  formatKvOperation, kvModel, LinearizabilityInputError,
} from './linearizability.ts';
export type {
  KvCheckOptions, KvCheckResult, KvCounterexample, KvInput, KvKey, KvOperation, KvOutput, KvValue,
  LinearizabilityOptions, Model as LinearizabilityModel, Operation, OperationsResult, Counterexample as LinearizabilityCounterexample,
  Verdict as LinearizabilityVerdict,
} from './linearizability.ts';
export {
  checkInductive, DEFAULT_MAX_STATES as DEFAULT_INDUCT_MAX_STATES, describeInduction, formatCounterexample as formatInductionCounterexample,
  formatInductResult, inductResultJson, InductOptionsError, NoDomainsError, UnknownInvariantError, UniverseTooLargeError,
} from './induct.ts';
export type { InductionCounterexample, InductOptions, InductProgress, InductResult, InductState, InductVerdict, UniverseSize } from './induct.ts';
