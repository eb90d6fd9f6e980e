// The process-wide FIFO limit on zlib operations that run on the thread pool (default 10, as
// in ws: unbounded concurrent zlib work fragments memory, ws#1202, nodejs/node#8871).
// Synchronous operations take no slot: they never overlap.

/** Concurrent zlib operations allowed in the process by default (ws's `concurrencyLimit`). */
export const DEFAULT_ZLIB_CONCURRENCY = 10;

/** One zlib operation waiting for a slot; `start` is cleared once started or cancelled. */
export interface QueuedJob {
  start: (() => void) | null;
  next: QueuedJob | null;
}

let concurrency = DEFAULT_ZLIB_CONCURRENCY;
let running = 0;
let queueHead: QueuedJob | null = null;
let queueTail: QueuedJob | null = null;

/**
 * Sets how many zlib operations may run at once in this process (default
 * {@link DEFAULT_ZLIB_CONCURRENCY}); waiting operations start in the order they were asked for.
 */
export function setZlibConcurrency(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`zlib concurrency must be a positive integer, got ${limit}`);
  concurrency = limit;
  startQueuedJobs();
}

/** How many zlib operations run and wait now (diagnostics). */
export function zlibJobCounts(): { running: number; queued: number } {
  let queued = 0;
  for (let job = queueHead; job; job = job.next) if (job.start) queued++;
  return { running, queued };
}

/** Starts `job` once a slot is free, after the jobs asked for before it. */
export function enqueueJob(job: QueuedJob): void {
  if (queueTail) queueTail.next = job;
  else queueHead = job;
  queueTail = job;
  startQueuedJobs();
}

function startQueuedJobs(): void {
  while (running < concurrency && queueHead) {
    const job = queueHead;
    queueHead = job.next;
    if (!queueHead) queueTail = null;
    job.next = null;
    const start = job.start;
    if (!start) continue; // cancelled while it waited
    job.start = null;
    running++;
    start();
  }
}

/** A started job finished (or was abandoned): its slot goes to the next one waiting. */
export function releaseSlot(): void {
  running--;
  startQueuedJobs();
}
