// How the facades report a connection that did not end cleanly: the close code and reason the
// session reported, and the error behind it when there was one.

/** Close codes after which a message stream simply ends: 1000, 1001 and 1005 (no status). */
export const CLEAN_CLOSE_CODES: readonly number[] = [1000, 1001, 1005];

/** Whether a session that closed with `code` ended normally. */
export function isCleanClose(code: number): boolean {
  return CLEAN_CLOSE_CODES.includes(code);
}

/**
 * The session closed abnormally: 1006 (the connection dropped), a protocol error the peer or
 * we detected (1002, 1007, 1009, …), 1011, or an application code (3000-4999).
 */
export class CloseError extends Error {
  /** The close code `handler.close` reported. */
  readonly code: number;
  /** The close reason, possibly empty. */
  readonly reason: string;

  constructor(code: number, reason: string, cause?: unknown) {
    super(
      `WebSocket closed with ${code}${reason === '' ? '' : ` (${reason})`}`,
      cause === undefined ? undefined : { cause },
    );
    this.name = 'CloseError';
    this.code = code;
    this.reason = reason;
  }
}
