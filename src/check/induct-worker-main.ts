import { parentPort, workerData } from 'node:worker_threads';
import { tsImport } from 'tsx/esm/api';
import { inductWorker } from './induct.ts';
import type { InductWorkerData } from './induct.ts';

/** One thread of an inductiveness check: examines the blocks of node states it claims and reports each. */
const post = (msg: unknown) => parentPort!.postMessage(msg);
try {
  await inductWorker(workerData as InductWorkerData, post, (url) => tsImport(url, import.meta.url));
} catch (err) {
  post({ error: { name: (err as Error)?.name ?? 'Error', message: (err as Error)?.message ?? String(err) } });
}
