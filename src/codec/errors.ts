// Protocol violations as data: a stable code and the close code it implies. Codes, close
// codes and messages all come from the one table in assembly/violations.ts, which also
// numbers them for the kernel, so a kernel error maps to its code by name, never by a list.
import { Violation, violationRows } from '../../assembly/violations.js';

/** A stable identifier for a protocol violation. */
export type WebSocketErrorCode = keyof typeof Violation;

const ROWS = violationRows();
const MESSAGES = {} as Record<WebSocketErrorCode, string>;
const closeCodes = {} as Record<WebSocketErrorCode, number>;
for (const row of ROWS) {
  const code = Violation[row.violation] as WebSocketErrorCode;
  closeCodes[code] = row.closeCode;
  MESSAGES[code] = row.message;
}

/** Every error code wasmws reports for something a peer sent, with the close code it implies. */
export const ERROR_CLOSE_CODES: Readonly<Record<WebSocketErrorCode, number>> = Object.freeze(closeCodes);

/** A violation of the protocol by the peer. Returned or reported, never thrown at the peer's bidding. */
export class WebSocketError extends Error {
  /** Stable machine-readable code. */
  readonly code: WebSocketErrorCode;
  /** The close code to send (or report, for 1006). */
  readonly closeCode: number;
  /** Stream offset of the frame that broke the rule, or -1 when not tied to a frame. */
  readonly offset: number;

  constructor(code: WebSocketErrorCode, offset = -1, detail?: string) {
    super(detail === undefined ? MESSAGES[code] : `${MESSAGES[code]}: ${detail}`);
    this.name = 'WebSocketError';
    this.code = code;
    this.closeCode = ERROR_CLOSE_CODES[code];
    this.offset = offset;
  }
}

/** Maps the {@link Violation} number the kernel wrote to S_ERROR to its error. */
export function errorFromKernel(kernelError: number, offset: number): WebSocketError {
  const code = Violation[kernelError] as WebSocketErrorCode | undefined;
  return new WebSocketError(code ?? 'WS_ERR_INVALID_OPCODE', offset);
}
