/**
 * The parse worker (a worker_threads thread started by ingest.ts through parse-worker.mjs): it turns
 * batches of JSON lines, cut from a file's bytes by the main thread, into parsed batches encoded as COPY
 * rows, while the main thread writes the previous ones. On a 2-core machine one core parses and
 * PostgreSQL uses the other.
 *
 * Each message `{ bytes, offset }` (a batch and the lines before it in its file) is answered with
 * `{ type: 'batch', batch }`, in order. The bytes' and rows' ArrayBuffers are moved, not copied. Parsing
 * never throws (a malformed line is a rejected item with its place and reason); anything else that fails
 * ends the thread, and parse-thread.ts fails the requests waiting for it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { parseBatchBytes, transferable, type ParseWorkerData, type ParseWorkerReply, type ParseWorkerRequest } from './batches';

const port = parentPort;
const data = workerData as ParseWorkerData | undefined;
// Only in the thread ingest.ts starts (not when imported elsewhere, e.g. in a test runner's worker).
if (port && data?.nhiParseWorker === true) {
  const { clusterId } = data;
  port.on('message', (message: ParseWorkerRequest) => {
    const batch = parseBatchBytes(clusterId, message.bytes, message.offset);
    port.postMessage({ type: 'batch', batch } satisfies ParseWorkerReply, transferable([batch.rows]));
  });
  port.postMessage({ type: 'ready' } satisfies ParseWorkerReply);
}
