import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as protoforge from '../src/index.ts';

// The public surface is pinned: a change to it shows here as an exact diff.
test('the package exports exactly its public API', () => {
  assert.deepEqual(Object.keys(protoforge).sort(), [
    'CheckOptionsError', 'Explorer', 'HandlerError', 'LOST', 'LinearizabilityInputError', 'NetworkOptionsError', 'PRNG_NAME', 'ParamError',
    'PlainDataError', 'PropertyCheckError', 'PropertyError', 'ReplayError', 'RoundsError', 'ShrinkError',
    'SimOptionsError', 'Topology', 'TraceFormatError', 'TraceReplayError', 'always', 'check', 'checkLinearizable',
    'checkLinearizableOperations', 'checkRounds',
    'countRuns', 'decode', 'defaultNetwork', 'defineProtocol', 'defineRoundProblem', 'describeAction',
    'describeEvent', 'describeNetwork', 'diffFields', 'encode', 'eventually', 'findProtocol', 'fingerprint',
    'formatKvOperation', 'formatLinearizabilityCounterexample', 'formatRun', 'instantiate', 'instantiateRounds', 'isProtocol', 'kvModel', 'library', 'makeWorld', 'node', 'nodes', 'param', 'playRounds',
    'readTrace', 'rememberSource', 'renderTraceHtml', 'replayPath', 'replayTrace', 'resolveNetwork', 'resolveParams',
    'role', 'roundFunction', 'runRounds', 'serveExplorer', 'shrinkTrace', 'simulate', 'simulateSwarm', 'sometimes',
    'sourceOf', 'stepNode', 'tabulate', 'validateTable', 'writeTrace',
  ]);
});
