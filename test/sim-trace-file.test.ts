import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { instantiate } from '../src/core/index.ts';
import { twoPhaseCommit } from '../src/protocols/index.ts';
import { readTrace, simulate, writeTrace } from '../src/sim/index.ts';

const tpc = instantiate(twoPhaseCommit, { params: { rms: 3 } });
const text = writeTrace(simulate(tpc, { seed: 7, latency: { default: { kind: 'fixed', ms: 2 } } }).trace);
const lines = text.split('\n'); // 12 lines and a final empty string

describe('trace files (JSON Lines)', () => {
  test('a header, one line per event and an end record, with keys in a fixed order', () => {
    assert.equal(lines.length, 13);
    assert.equal(lines[12], '');
    assert.equal(lines[0],
      '{"type":"header","format":"protoforge-trace","version":1,"prng":"xoshiro128** v1","protocol":"two-phase-commit",' +
      '"params":{"rms":3,"variant":"correct"},"seed":7,"network":{"ordering":"unordered","lossy":false,"duplicating":true,"crashes":0,"crashMode":"stop"},' +
      '"latency":{"default":{"kind":"fixed","ms":2},"links":[]},"timerJitter":{"kind":"uniform","minMs":0,"maxMs":10},' +
      '"faults":{"events":[],"dropRate":0,"duplicateRate":0,"clockSkew":{}},"maxTimeMs":60000,"maxEvents":100000}');
    assert.equal(lines[4],
      '{"type":"event","i":3,"t":0,"node":"rm3","event":{"kind":"start"},"changes":[{"field":"","after":{"status":"working"}}],"sent":[],' +
      '"timers":[{"set":"prepare","delayMs":0,"at":6.394},{"set":"abort","delayMs":0,"at":3.066}],"outputs":[]}');
    assert.equal(lines[11], '{"type":"end","stop":"quiescent","events":10,"endTimeMs":3.656,"violation":null}');
  });

  test('reading and writing again gives the same bytes', () => {
    const trace = readTrace(text);
    assert.equal(trace.events.length, 10);
    assert.equal(trace.header.seed, 7);
    assert.equal(writeTrace(trace), text);
  });

  test('each malformed file gives one message naming the line and what was expected', () => {
    const cases: [string, string][] = [
      [text.slice(0, text.length - 30), 'trace line 12 is not complete JSON: the file ends in the middle of a record (truncated?)'],
      [lines.slice(0, 11).join('\n') + '\n', 'the trace ends after line 11 without its end record: the file is truncated'],
      [text.replace('"version":1', '"version":2'), 'trace line 1: protoforge-trace version 2 is not supported (this protoforge reads version 1)'],
      [text.replace('"format":"protoforge-trace"', '"format":"otel"'), 'trace line 1: the format is "otel", but only "protoforge-trace" is supported'],
      [text.replace('"i":3,"t":0', '"i":3,"t":"zero"'), 'trace line 5: field "t" must be a number from 0, got "zero"'],
      [text.replace('"kind":"start"', '"kind":"boot"'), 'trace line 2: field "event.kind" must be one of start, message, timer, crash, recover, drop, got "boot"'],
      [text.replace('"i":3,', '"i":4,'), 'trace line 5: field "i" must be 3 (event records are numbered in order from 0), got 4'],
      [text.replace('"sent":[{"to":"rm1","msg":{"type":"abort"}', '"sent":[{"to":"rm1","msg":{"kind":"abort"}'),
        'trace line 6: field "sent[0].msg.type" must be a string, got nothing'],
      [text.replace('"events":10', '"events":9'), 'trace line 12: field "events" must be 10, the number of event records before it, got 9'],
      [text.replace('"violation":null', '"violation":{"i":2,"property":"consistency"}'), 'trace line 12: field "violation" must be null when the run stopped for "quiescent", got {"i":2,"property":"consistency"}'],
      [lines.slice(1).join('\n'), 'trace line 1: the first record must be the header, found a record of type "event"'],
      [text + lines[1] + '\n', 'trace line 13: a record of type "event" follows the end record'],
      ['[1,2]\n', 'trace line 1: a record must be a JSON object, got [1,2]'],
      ['', 'the trace is empty: expected a header line'],
    ];
    for (const [bad, message] of cases) assert.throws(() => readTrace(bad), { name: 'TraceFormatError', message });
    assert.throws(() => readTrace(lines.slice(0, 3).join('\n') + '\n{oops\n' + lines.slice(3).join('\n')), { name: 'TraceFormatError', message: /^trace line 4 is not valid JSON \(/ });
  });
});
