// Request and answer over a forked child's IPC channel, both ends. The parent numbers its
// requests and waits for the answer with that number, within a time limit; anything else
// the child sends (progress events) goes to a listener. A child exits when the channel
// closes, so no benchmark process outlives the run.
import { type ChildProcess, fork } from 'node:child_process';

/** A message on the channel: requests carry `id`, answers echo it with `ok`. */
export interface Envelope {
  id?: number;
  type: string;
  ok?: boolean;
  error?: string;
  [field: string]: unknown;
}

/** A benchmark child process seen from the parent. */
export class Child {
  private nextId = 1;
  private readonly waiting = new Map<
    number,
    { resolve(answer: Envelope): void; reject(error: Error): void }
  >();
  private readonly exited: Promise<void>;
  private exitNote = '';

  private constructor(
    readonly process: ChildProcess,
    private readonly onEvent: (event: Envelope) => void,
  ) {
    this.exited = new Promise((resolve) => {
      process.once('exit', (code, signal) => {
        this.exitNote = `exited (${signal ?? code})`;
        for (const { reject } of this.waiting.values()) reject(new Error(`child ${this.exitNote}`));
        this.waiting.clear();
        resolve();
      });
    });
    process.on('message', (message: Envelope) => {
      const waiter = message.id === undefined ? undefined : this.waiting.get(message.id);
      if (waiter === undefined) {
        this.onEvent(message);
        return;
      }
      this.waiting.delete(message.id!);
      if (message.ok) waiter.resolve(message);
      else waiter.reject(new Error(message.error ?? 'child request failed'));
    });
  }

  /**
   * Forks `script` and waits for its first message of type `ready` (within `timeoutMs`).
   * Later messages without an answer id go to `onEvent`.
   */
  static async start(
    script: URL,
    args: string[],
    options: { execArgv?: string[]; timeoutMs?: number; onEvent?: (event: Envelope) => void } = {},
  ): Promise<{ child: Child; ready: Envelope }> {
    const forked = fork(script, args, {
      execArgv: options.execArgv ?? [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let readyResolve: (ready: Envelope) => void = () => {};
    const ready = new Promise<Envelope>((resolve) => (readyResolve = resolve));
    const onEvent = options.onEvent ?? (() => {});
    const child = new Child(forked, (event) =>
      event.type === 'ready' ? readyResolve(event) : onEvent(event),
    );
    try {
      const first = await raceTimeout(
        Promise.race([ready, child.exited.then(() => Promise.reject(new Error(`child ${child.exitNote}`)))]),
        options.timeoutMs ?? 15_000,
        `${script.pathname} start`,
      );
      return { child, ready: first };
    } catch (error) {
      await child.stop();
      throw error;
    }
  }

  /** The child's process id. */
  get pid(): number | undefined {
    return this.process.pid;
  }

  /** Sends a request and resolves with the child's answer; rejects on its error, exit or the time limit. */
  request(message: Envelope, timeoutMs: number): Promise<Envelope> {
    if (this.process.exitCode !== null || !this.process.connected) {
      return Promise.reject(new Error(`child ${this.exitNote || 'is gone'}`));
    }
    const id = this.nextId++;
    const answer = new Promise<Envelope>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    this.process.send({ ...message, id });
    return raceTimeout(answer, timeoutMs, `child request ${message.type}`).finally(() =>
      this.waiting.delete(id),
    );
  }

  /** Closes the channel (the child exits on that) and kills the child if it has not exited within `graceMs`. */
  async stop(graceMs = 3000): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    if (this.process.connected) this.process.disconnect();
    const timer = setTimeout(() => this.process.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Rejects with "`what` took over `ms` ms" unless `promise` settles first. */
export function raceTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The child's end: answers each request with `handle`'s result (or its error), and exits
 * when the parent closes the channel. Call once, then send `ready`.
 */
export function answerRequests(handle: (request: Envelope) => Promise<Record<string, unknown>>): void {
  const send = process.send?.bind(process);
  if (send === undefined) throw new Error('this script runs as a child of bench/echo.js');
  process.on('message', (request: Envelope) => {
    handle(request).then(
      (answer) => send({ ...answer, type: request.type, id: request.id, ok: true }),
      (error: Error) => send({ type: request.type, id: request.id, ok: false, error: error.message }),
    );
  });
  process.on('disconnect', () => process.exit(0));
}

/** Sends a message without an answer id: `ready` or a progress event. */
export function notifyParent(message: Envelope): void {
  process.send?.(message);
}
