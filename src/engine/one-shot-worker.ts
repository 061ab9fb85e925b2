/**
 * The worker thread of {@link OneShotAhead} (one-shot.ts): reads and checksums the index files it
 * is given, posting each as it is done (its bytes moved, not copied; a file given open, through its
 * descriptor, keeping its head alone), then scans the folder and
 * posts the result, or nothing when the scan failed or was not asked for; then ends.
 *
 * Its work comes as its `workerData`, or, for a thread started before the work was known
 * (ahead-thread.ts `AheadThread`), as the first message it receives.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { scanWorkspace } from './files/scan';
import { readAndHash } from './index/read-ahead';
import type { AheadReply, AheadWork } from './one-shot';

const post = (reply: AheadReply, transfer: ArrayBuffer[] = []) => parentPort!.postMessage(reply, transfer);

function run(work: AheadWork): void {
  for (const { path, checksum, fd } of work.reads) {
    const early = readAndHash(path, checksum, fd);
    if (!early) {
      post({ read: path });
      continue;
    }
    // a whole file's own buffer is moved to the main thread; a part of a shared one (a small file) is copied
    const { bytes } = early;
    const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
    const buffer = own ? (bytes.buffer as ArrayBuffer) : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    post({ read: path, early: { bytes: buffer, checksum: early.checksum, ...(early.size !== undefined && { size: early.size }) } }, [buffer]);
  }
  if (work.scan === undefined) post({});
  else {
    scanWorkspace(work.root, work.scan).then(
      (scan) => post({ scan }),
      () => post({}),
    );
  }
}

if (workerData !== undefined && workerData !== null) run(workerData as AheadWork);
else parentPort!.once('message', (work: AheadWork) => run(work));
