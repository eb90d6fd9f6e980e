// The session's callbacks for a wasmws/ws WebSocket, and ws's rule for listener exceptions:
// they are thrown uncaught on the next tick, never handed to the session (whose policy is 1011).
import type { Handler, Session } from '../session/types.js';

export const kOpen = Symbol('wasmws.ws.open');
export const kMessage = Symbol('wasmws.ws.message');
export const kControl = Symbol('wasmws.ws.control');
export const kError = Symbol('wasmws.ws.error');
export const kClosed = Symbol('wasmws.ws.closed');

/** What a wasmws/ws WebSocket takes from its session (symbol-keyed, so not part of its public surface). */
export interface SessionEventsTarget {
  [kOpen](session: Session): void;
  [kMessage](data: string | Uint8Array, isBinary: boolean): void;
  [kControl](kind: 'ping' | 'pong', data: Uint8Array): void;
  [kError](error: Error): void;
  [kClosed](code: number, reason: string): void;
}

/**
 * The session's callbacks, one small object per connection. A listener's exception never reaches
 * the session (whose policy is to close with 1011): as with ws it is thrown again on the next
 * tick, uncaught, once the session's turn is over and its state is consistent.
 */
export class SessionEvents implements Handler {
  constructor(private readonly ws: SessionEventsTarget) {}
  open(session: Session): void {
    try {
      this.ws[kOpen](session);
    } catch (error) {
      rethrowUncaught(error);
    }
  }
  message(_session: Session, data: string | Uint8Array, isBinary: boolean): void {
    try {
      this.ws[kMessage](data, isBinary);
    } catch (error) {
      rethrowUncaught(error);
    }
  }
  ping(_session: Session, data: Uint8Array): void {
    try {
      this.ws[kControl]('ping', data);
    } catch (error) {
      rethrowUncaught(error);
    }
  }
  pong(_session: Session, data: Uint8Array): void {
    try {
      this.ws[kControl]('pong', data);
    } catch (error) {
      rethrowUncaught(error);
    }
  }
  error(_session: Session, error: Error): void {
    try {
      this.ws[kError](error);
    } catch (thrown) {
      rethrowUncaught(thrown);
    }
  }
  close(_session: Session, code: number, reason: string): void {
    try {
      this.ws[kClosed](code, reason);
    } catch (error) {
      rethrowUncaught(error);
    }
  }
}

/** Throws `error` on the next tick, outside any promise or session turn: the process sees it. */
export function rethrowUncaught(error: unknown): void {
  process.nextTick(throwError, error);
}

function throwError(error: unknown): never {
  throw error;
}

/** A send callback whose exception is thrown uncaught, as ws's are. */
export function uncaughtCallback(cb: (error?: Error) => void): (error?: Error) => void {
  return (error) => {
    try {
      cb(error);
    } catch (thrown) {
      rethrowUncaught(thrown);
    }
  };
}
