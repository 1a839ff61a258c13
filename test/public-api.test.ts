import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as protoforge from '../src/index.ts';

// The public surface is pinned: a change to it shows here as an exact diff.
test('the package exports exactly its public API', () => {
  assert.deepEqual(Object.keys(protoforge).sort(), [
    'CheckOptionsError', 'DEFAULT_INDUCT_MAX_STATES', 'DomainError', 'Explorer', 'HandlerError',
    'InductOptionsError', 'LOST', 'LinearizabilityInputError', 'MissingBoundError', 'NetworkOptionsError',
    'NoDomainsError', 'PRNG_NAME', 'ParamError', 'PlainDataError', 'PropertyCheckError', 'PropertyError',
    'ReplayError', 'RoundsError', 'ShrinkError', 'SimOptionsError', 'SstError', 'Topology',
    'TraceFormatError', 'TraceReplayError', 'UniverseTooLargeError', 'UnknownInvariantError', 'always',
    'attachInduction', 'check', 'checkInductive', 'checkLinearizable', 'checkLinearizableOperations',
    'checkRounds', 'countRuns', 'decode', 'defaultNetwork', 'defineInduction', 'defineProtocol',
    'defineRoundProblem', 'defineSstProtocol', 'describeAction', 'describeEvent', 'describeInduction',
    'describeNetwork', 'diffFields', 'domains', 'encode', 'eventually', 'everyMessage', 'everyNode',
    'findProtocol', 'fingerprint', 'formatInductResult', 'formatInductionCounterexample', 'formatKvOperation',
    'formatLinearizabilityCounterexample', 'formatRun', 'inductResultJson', 'inductionOf', 'instantiate',
    'instantiateRounds', 'isProtocol', 'kvModel', 'library', 'makeWorld', 'node', 'nodes', 'param',
    'playRounds', 'readTrace', 'rememberInductionSource', 'rememberSource', 'renderTraceHtml', 'replayPath',
    'replayTrace', 'resolveNetwork', 'resolveParams', 'role', 'roundFunction', 'runRounds', 'serveExplorer',
    'shrinkTrace', 'simulate', 'simulateSwarm', 'sometimes', 'sourceOf', 'sst', 'sstMembers', 'stepNode',
    'tabulate', 'validateTable', 'withReliableLinks', 'writeTrace',
  ]);
});
