import { parentPort, workerData } from 'node:worker_threads';
import { instantiate } from '../core/instance.ts';
import { tsImport } from 'tsx/esm/api';
import { loadFromSource } from '../core/source.ts';
import type { ProtocolSource } from '../core/source.ts';
import { runOne } from './swarm.ts';
import type { SwarmOptions } from './swarm.ts';

/** Takes seeds from the shared counter until there are none left, posting each run. */
const data = workerData as { source: ProtocolSource; options: SwarmOptions; next: Int32Array };
try {
  const inst = instantiate(await loadFromSource(data.source, (url) => tsImport(url, import.meta.url)), data.options.instance);
  for (;;) {
    const k = Atomics.add(data.next, 0, 1);
    if (k >= data.options.runs) break;
    parentPort!.postMessage({ run: runOne(inst, data.options, data.options.firstSeed + k) });
  }
} catch (err) {
  parentPort!.postMessage({ error: { name: (err as Error).name ?? 'Error', message: (err as Error).message ?? String(err) } });
}
