/**
 * The worker thread of {@link ScanAhead} (scan-ahead.ts): scans one folder and posts the result,
 * or the error's message, then ends.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { scanWorkspace, type ScanOptions } from './scan';

const { root, options } = workerData as { root: string; options: Omit<ScanOptions, 'signal'> };
scanWorkspace(root, options).then(
  (result) => parentPort!.postMessage({ result }),
  (err: unknown) => parentPort!.postMessage({ error: err instanceof Error ? err.message : String(err) }),
);
