// The session's entry points for its transport, timers, deflate queue and send callbacks:
// symbol-keyed methods, so they are not part of the public surface, reached through small
// adapter objects rather than a closure per connection.
import type { CompressedSendsOwner } from './compressed-sends.js';
import type { LivenessActions } from './liveness.js';
import type { SendCallback, TransportEvents } from './types.js';

export const onData = Symbol('onData');
export const onDataInPlace = Symbol('onDataInPlace');
export const activateThenRead = Symbol('activateThenRead');
export const onSendsDrained = Symbol('onSendsDrained');
export const onSendsQueued = Symbol('onSendsQueued');
export const onDeflateFailed = Symbol('onDeflateFailed');
export const onEnd = Symbol('onEnd');
export const onTransportDrain = Symbol('onTransportDrain');
export const onTransportError = Symbol('onTransportError');
export const onClosed = Symbol('onClosed');
export const onIdle = Symbol('onIdle');
export const onKeepalivePing = Symbol('onKeepalivePing');
export const onPongMissing = Symbol('onPongMissing');
export const onCloseTimedOut = Symbol('onCloseTimedOut');
export const onSendCallbackThrew = Symbol('onSendCallbackThrew');

/** The symbol-keyed methods a {@link WebSocketSession} implements for these adapters. */
export interface SessionEntryPoints {
  [onData](bytes: Uint8Array): void;
  [onDataInPlace](length: number): void;
  [onEnd](): void;
  [onTransportDrain](): void;
  [onTransportError](error: Error): void;
  [onClosed](): void;
  [onIdle](): void;
  [onKeepalivePing](): boolean;
  [onPongMissing](): void;
  [onCloseTimedOut](): void;
  [onSendsQueued](): void;
  [onSendsDrained](): void;
  [onDeflateFailed](error: Error): void;
  [onSendCallbackThrew](thrown: unknown): void;
}

/** The session's transport callbacks as one small object: no closures per connection. */
export class SessionTransportEvents implements TransportEvents {
  constructor(private readonly session: SessionEntryPoints) {}
  data(bytes: Uint8Array): void {
    this.session[onData](bytes);
  }
  receivedInPlace(length: number): void {
    this.session[onDataInPlace](length);
  }
  end(): void {
    this.session[onEnd]();
  }
  drain(): void {
    this.session[onTransportDrain]();
  }
  error(error: Error): void {
    this.session[onTransportError](error);
  }
  closed(): void {
    this.session[onClosed]();
  }
}

/** The timers' actions as one small object: no closures per connection. */
export class SessionTimerActions implements LivenessActions {
  constructor(private readonly session: SessionEntryPoints) {}
  idle(): void {
    this.session[onIdle]();
  }
  keepalivePing(): boolean {
    return this.session[onKeepalivePing]();
  }
  pongMissing(): void {
    this.session[onPongMissing]();
  }
  closeTimedOut(): void {
    this.session[onCloseTimedOut]();
  }
}

/** The deflate queue's callbacks as one small object: no closures per connection. */
export class SessionCompressionEvents implements CompressedSendsOwner {
  constructor(private readonly session: SessionEntryPoints) {}
  framesQueued(): void {
    this.session[onSendsQueued]();
  }
  drained(): void {
    this.session[onSendsDrained]();
  }
  deflateFailed(error: Error): void {
    this.session[onDeflateFailed](error);
  }
}

/**
 * The callbacks of messages not yet written, in send order, each with the number of its
 * message. They are called in a microtask, never inside the session's own turn.
 */
export class SendCallbacks {
  private readonly pending: Array<{ message: number; callback: SendCallback }> = [];

  constructor(private readonly session: SessionEntryPoints) {}

  get waiting(): boolean {
    return this.pending.length > 0;
  }

  waitFor(message: number, callback: SendCallback): void {
    this.pending.push({ message, callback });
  }

  /** Messages up to number `upTo` have been handed to the transport. */
  written(upTo: number): void {
    let count = 0;
    while (count < this.pending.length && this.pending[count]!.message <= upTo) count++;
    if (count > 0) this.call(this.pending.splice(0, count), undefined);
  }

  fail(error: Error): void {
    if (this.pending.length > 0) this.call(this.pending.splice(0), error);
  }

  private call(ready: Array<{ callback: SendCallback }>, error: Error | undefined): void {
    queueMicrotask(() => {
      for (const { callback } of ready) {
        try {
          callback(error);
        } catch (thrown) {
          this.session[onSendCallbackThrew](thrown);
        }
      }
    });
  }
}
