// Messages as an async iterator: `for await (const msg of messages(session))`.
//
// The iterator is fed by a handler adapter: pass `messageHandler()` to `connect`/`accept`/
// `createServer`, or call `messages(session)` on any session and it puts an adapter in front of
// the session's handler (messages go to the loop, every other callback still to that handler).
// Each session gets its own queue (looked up by session), so one adapter can serve a whole server. The queue pauses the session when `highWaterMark` messages wait
// unread and resumes it once half of them are consumed: backpressure reaches the socket.
//
// Queue states: flowing → paused (at the high-water mark; back to flowing at half) →
// ended (the session closed: buffered messages are still delivered, then the end or the
// CloseError) or discarding (the loop was left early: the session is closing with 1000).

import type { Handler, Session } from '../session/types.js';
import { CloseError, isCleanClose } from './close-error.js';

/** Default `highWaterMark` of {@link messageHandler}: 16 messages. */
export const DEFAULT_MESSAGE_HIGH_WATER_MARK = 16;

/** A received message: `string` for text, `Uint8Array` for binary. */
export type Message = string | Uint8Array;

/** Options of {@link messageHandler}. */
export interface MessageHandlerOptions<Context = unknown> {
  /**
   * Pause the session once this many messages wait unread; resume it when half as many (rounded
   * down) remain. A chunk already read may still add a few more. Default 16; at least 1.
   */
  highWaterMark?: number;
  /** More callbacks (`open`, `close`, `error`, `ping`, `pong`, `drain`), called after the queue's own. */
  handler?: Omit<Handler<Context>, 'message'>;
}

/** Options of {@link messages}. */
export interface MessagesOptions {
  /**
   * When the loop is left early (`break`, `return`, a throw), close the session with 1000 and drop
   * the messages still queued. With `false`, the session stays open and messages keep queuing
   * (up to the high-water mark) for a later `messages(session)`. Default true.
   */
  closeOnBreak?: boolean;
}

type Waiter = { resolve: (result: IteratorResult<Message>) => void; reject: (error: Error) => void };

const DONE: IteratorResult<Message> = { done: true, value: undefined };

/** The messages of one session not yet consumed, and how the session ended. */
class MessageQueue {
  private items: Message[] = [];
  private first = 0;
  private readonly waiters: Waiter[] = [];
  private paused = false;
  private discarding = false;
  private ending: { code: number; reason: string } | null = null;
  private endReported = false;
  private lastError: Error | undefined;

  constructor(
    private readonly session: Session<unknown>,
    /** Set by the adapter when it meets the session (a queue made by `messages()` first has the default). */
    public highWaterMark: number,
  ) {}

  get length(): number {
    return this.items.length - this.first;
  }

  push(message: Message): void {
    if (this.discarding) return;
    const waiter = this.waiters.shift();
    if (waiter !== undefined) {
      waiter.resolve({ done: false, value: message });
      return;
    }
    this.items.push(message);
    if (!this.paused && this.length >= this.highWaterMark && this.ending === null) {
      this.paused = true;
      this.session.pause();
    }
  }

  recordError(error: Error): void {
    this.lastError ??= error;
  }

  end(code: number, reason: string): void {
    this.ending = { code, reason };
    while (this.waiters.length > 0) this.settleEnded(this.waiters.shift()!);
  }

  next(): Promise<IteratorResult<Message>> {
    if (this.length > 0) {
      const value = this.items[this.first]!;
      this.items[this.first++] = '';
      if (this.first > 1024 && this.first * 2 > this.items.length) {
        this.items = this.items.slice(this.first);
        this.first = 0;
      }
      this.resumeIfDrained();
      return Promise.resolve({ done: false, value });
    }
    return new Promise((resolve, reject) => {
      const waiter = { resolve, reject };
      if (this.ending !== null || this.discarding) this.settleEnded(waiter);
      else this.waiters.push(waiter);
    });
  }

  /** The consumer left the loop early. */
  abandon(closeSession: boolean): void {
    if (!closeSession) return;
    this.discarding = true;
    this.items = [];
    this.first = 0;
    for (const waiter of this.waiters.splice(0)) waiter.resolve(DONE);
    if (this.session.state === 'open') this.session.close(1000);
    // The close echo has to be read: a paused session would wait for the close timeout.
    if (this.paused) {
      this.paused = false;
      this.session.resume();
    }
  }

  private resumeIfDrained(): void {
    if (!this.paused || this.length > Math.floor(this.highWaterMark / 2)) return;
    this.paused = false;
    this.session.resume();
  }

  /** The first consumer after an abnormal close hears of it; everyone after that sees the end. */
  private settleEnded(waiter: Waiter): void {
    const ending = this.ending;
    if (ending === null || this.endReported || this.discarding || isCleanClose(ending.code)) {
      waiter.resolve(DONE);
      return;
    }
    this.endReported = true;
    waiter.reject(new CloseError(ending.code, ending.reason, this.lastError));
  }
}

const queues = new WeakMap<Session<unknown>, MessageQueue>();
/** The handlers made by {@link messageHandler}: they feed the queue themselves. */
const adapters = new WeakSet<Handler<never>>();

function queueOf(session: Session<unknown>, highWaterMark: number): MessageQueue {
  let queue = queues.get(session);
  if (queue === undefined) {
    queue = new MessageQueue(session, highWaterMark);
    queues.set(session, queue);
  }
  return queue;
}

/**
 * A handler that queues every message of its sessions for {@link messages}. Pass it where a
 * handler goes: `const client = await connect(url, messageHandler())`.
 *
 * @param options - `highWaterMark` (default 16 messages) and other callbacks to run.
 * @throws RangeError if `highWaterMark` is not an integer >= 1.
 */
export function messageHandler<Context = unknown>(
  options: MessageHandlerOptions<Context> = {},
): Handler<Context> {
  const highWaterMark = options.highWaterMark ?? DEFAULT_MESSAGE_HIGH_WATER_MARK;
  if (!Number.isInteger(highWaterMark) || highWaterMark < 1) {
    throw new RangeError(`highWaterMark must be an integer >= 1, got ${String(highWaterMark)}`);
  }
  const more = options.handler ?? {};
  const queue = (session: Session<Context>) => {
    const found = queueOf(session as Session<unknown>, highWaterMark);
    found.highWaterMark = highWaterMark;
    return found;
  };
  const adapter: Handler<Context> = {
    open(session) {
      queue(session);
      more.open?.(session);
    },
    message(session, data) {
      queue(session).push(data);
    },
    ping: more.ping && ((session, data) => more.ping?.(session, data)),
    pong: more.pong && ((session, data) => more.pong?.(session, data)),
    drain: more.drain && ((session) => more.drain?.(session)),
    error(session, error) {
      queue(session).recordError(error);
      more.error?.(session, error);
    },
    close(session, code, reason) {
      queue(session).end(code, reason);
      more.close?.(session, code, reason);
    },
  };
  adapters.add(adapter as Handler<never>);
  return adapter;
}

/** Puts a queue in front of `session`'s own handler: messages to the queue, the rest to it. */
function interpose(session: Session<unknown>, queue: MessageQueue): void {
  const own = session.handler;
  session.setHandler({
    open: own.open && ((s) => own.open?.(s)),
    message(_session, data) {
      queue.push(data);
    },
    ping: own.ping && ((s, data) => own.ping?.(s, data)),
    pong: own.pong && ((s, data) => own.pong?.(s, data)),
    drain: own.drain && ((s) => own.drain?.(s)),
    error(s, error) {
      queue.recordError(error);
      own.error?.(s, error);
    },
    close(s, code, reason) {
      queue.end(code, reason);
      own.close?.(s, code, reason);
    },
  });
}

/**
 * The messages of a session, in order: text as `string`, binary as `Uint8Array`. With a
 * {@link messageHandler} as the session's handler they are queued from the start (and paused
 * at its high-water mark); with any other handler, from this call on (default high-water mark),
 * and that handler keeps every callback but `message`. A session already closed yields nothing. The loop ends after a clean close (1000, 1001, 1005) and
 * throws a {@link CloseError} after any other (1006 when the connection dropped, 1002/1007/1009
 * for protocol errors, application codes), in both cases once the queued messages are consumed.
 *
 * Leaving the loop early closes the session with 1000 unless `closeOnBreak` is false.
 * One consumer at a time: two loops over one session share (split) its messages.
 *
 */
export function messages(
  session: Session<unknown>,
  options: MessagesOptions = {},
): AsyncIterableIterator<Message> {
  let queue = queues.get(session);
  if (queue === undefined) {
    queue = queueOf(session, DEFAULT_MESSAGE_HIGH_WATER_MARK);
    // A closed session will report nothing more: its loop ends at once.
    if (session.state === 'closed') queue.end(1005, '');
    // A messageHandler() adapter meets its queue at `open`; any other handler gets one in front.
    else if (!adapters.has(session.handler as Handler<never>)) interpose(session, queue);
  }
  return new MessageIterator(queue, options.closeOnBreak ?? true);
}

class MessageIterator implements AsyncIterableIterator<Message> {
  private finished = false;

  constructor(
    private readonly queue: MessageQueue,
    private readonly closeOnBreak: boolean,
  ) {}

  [Symbol.asyncIterator](): AsyncIterableIterator<Message> {
    return this;
  }

  async next(): Promise<IteratorResult<Message>> {
    if (this.finished) return DONE;
    try {
      const result = await this.queue.next();
      if (result.done) this.finished = true;
      return result;
    } catch (error) {
      this.finished = true;
      throw error;
    }
  }

  async return(): Promise<IteratorResult<Message>> {
    if (!this.finished) {
      this.finished = true;
      this.queue.abandon(this.closeOnBreak);
    }
    return DONE;
  }

  async throw(error?: unknown): Promise<IteratorResult<Message>> {
    await this.return();
    throw error;
  }
}
