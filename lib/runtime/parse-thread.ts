/**
 * The main thread's side of the parse worker (parse-worker.ts): starts it, sends it batches of lines (their
 * bytes are moved to it) and answers each with the parsed batch, in order. A worker that fails (an
 * exception, an exit) fails every request still waiting and every later one, with a message that quotes
 * no input.
 */
import { Worker } from 'node:worker_threads';
import { transferable, type ParsedBatch, type ParseWorkerData, type ParseWorkerReply, type ParseWorkerRequest } from './batches';

const ENTRY = new URL('./parse-worker.mjs', import.meta.url);

interface Waiting {
  resolve: (batch: ParsedBatch) => void;
  reject: (error: Error) => void;
}

export class ParseThread {
  private readonly waiting: Waiting[] = [];
  private failure: Error | null = null;
  private closed = false;

  /** Resolves once the worker has loaded (rejects when it cannot start, or was closed first). */
  readonly ready: Promise<void>;

  private constructor(private readonly worker: Worker) {
    this.ready = new Promise<void>((resolve, reject) => {
      const onError = (e: Error) => reject(new Error(`the parse worker did not start: ${e.message}`));
      const onExit = (code: number) => reject(new Error(`the parse worker did not start (exit code ${code})`));
      worker.once('error', onError);
      worker.once('exit', onExit);
      worker.once('message', (m: ParseWorkerReply) => {
        worker.off('error', onError);
        worker.off('exit', onExit);
        if (m.type !== 'ready') return reject(new Error('the parse worker did not start: unexpected message'));
        this.listen();
        resolve();
      });
    });
    // Whoever awaits `ready` sees a failure; it is never unhandled.
    this.ready.catch(() => {});
  }

  /** Starts a worker, without waiting for it (see `ready`; `close` ends it, ready or not). */
  static spawn(options: Omit<ParseWorkerData, 'nhiParseWorker'>): ParseThread {
    const workerData: ParseWorkerData = { ...options, nhiParseWorker: true };
    return new ParseThread(new Worker(ENTRY, { workerData }));
  }

  /** Starts a worker and waits until it is ready (rejects, the worker ended, when it cannot start). */
  static async start(options: Omit<ParseWorkerData, 'nhiParseWorker'>): Promise<ParseThread> {
    const thread = ParseThread.spawn(options);
    try {
      await thread.ready;
    } catch (e) {
      await thread.close();
      throw e;
    }
    return thread;
  }

  private listen(): void {
    this.worker.on('message', (m: ParseWorkerReply) => {
      if (m.type === 'batch') this.waiting.shift()?.resolve(m.batch);
    });
    this.worker.on('error', (e) => this.fail(new Error(`the parse worker failed: ${e.message}`)));
    this.worker.on('messageerror', () => this.fail(new Error('the parse worker sent a message that could not be read')));
    this.worker.on('exit', (code) => {
      if (!this.closed) this.fail(new Error(`the parse worker stopped (exit code ${code})`));
    });
  }

  /**
   * Parses a batch (LineBatcher) whose first line is line `offset + 1` of its file. Its bytes are moved to
   * the worker when they own their ArrayBuffer (LineBatcher's do): they cannot be read here afterwards.
   */
  parse(bytes: Uint8Array, offset: number): Promise<ParsedBatch> {
    return this.request({ bytes, offset }, transferable([bytes]));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.fail(new Error('the parse worker was closed'));
    await this.worker.terminate();
  }

  private request(message: ParseWorkerRequest, transfer: ArrayBuffer[]): Promise<ParsedBatch> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.worker.postMessage(message, transfer);
    });
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const w of this.waiting.splice(0)) w.reject(this.failure);
  }
}
