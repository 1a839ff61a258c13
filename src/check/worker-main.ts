import { parentPort, workerData } from 'node:worker_threads';
import { createEngine } from './engine.ts';
import type { SharedBuffers } from './engine.ts';
import { CTRL_CURSOR, CTRL_STOP } from './expander.ts';
import { FingerprintSet } from './fingerprints.ts';
import type { FingerprintBuffers } from './fingerprints.ts';
import type { InternBuffers } from './intern.ts';
import { Level } from './frontier.ts';
import type { LevelBuffers } from './frontier.ts';
import { instantiate } from '../core/instance.ts';
import type { InstanceOptions } from '../core/instance.ts';
import { tsImport } from 'tsx/esm/api';
import { loadFromSource } from '../core/source.ts';
import type { ProtocolSource } from '../core/source.ts';

/**
 * A search worker: takes chunks of the current level from a shared cursor until the level is done,
 * a stop is signalled, or the fingerprint table needs to grow (then it pauses and reports).
 */
const data = workerData as { source: ProtocolSource; options: InstanceOptions; buffers: SharedBuffers; maxStates: number; chunk: number };
const protocol = await loadFromSource(data.source, (url) => tsImport(url, import.meta.url));
const engine = createEngine(instantiate(protocol, data.options), data.buffers, data.maxStates);
const ctrl = new Int32Array(data.buffers.ctrl);
const expander = engine.expander;
const intern = engine.model.intern;
intern.soleWriter = false;

interface Job {
  readonly level: LevelBuffers;
  readonly next: LevelBuffers;
  readonly fingerprints: FingerprintBuffers;
  readonly intern: InternBuffers;
}

parentPort!.on('message', (job: Job) => {
  try {
    expander.fingerprints = new FingerprintSet(job.fingerprints);
    intern.use(job.intern);
    const level = new Level(job.level);
    const next = new Level(job.next);
    const before = expander.transitions;
    let paused = false;
    while (Atomics.load(ctrl, CTRL_STOP) === 0) {
      const room = data.chunk * Math.max(expander.maxBranch, 32) * 2;
      if (expander.fingerprints.wouldOverfill(room) || intern.wouldOverfill(room)) { paused = true; break; }
      const from = Atomics.add(ctrl, CTRL_CURSOR, data.chunk);
      if (from >= level.size) break;
      expander.expand(level, from, Math.min(level.size, from + data.chunk), next);
    }
    parentPort!.postMessage({ report: { transitions: expander.transitions - before, maxBranch: expander.maxBranch, paused } });
  } catch (err) {
    parentPort!.postMessage({ error: { name: (err as Error).name ?? 'Error', message: (err as Error).message ?? String(err) } });
  }
});
