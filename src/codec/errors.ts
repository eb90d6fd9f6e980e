// Protocol violations as data: a stable code and the close code it implies.
import {
  ERR_CLOSE_PAYLOAD_LENGTH,
  ERR_CONTROL_FRAGMENTED,
  ERR_CONTROL_TOO_LONG,
  ERR_EXPECTED_CONTINUATION,
  ERR_EXPECTED_MASK,
  ERR_FRAME_TOO_LARGE,
  ERR_INVALID_CLOSE_CODE,
  ERR_INVALID_OPCODE,
  ERR_INVALID_UTF8,
  ERR_LENGTH_TOP_BIT,
  ERR_MESSAGE_TOO_LARGE,
  ERR_NON_MINIMAL_LENGTH,
  ERR_RSV,
  ERR_UNEXPECTED_CONTINUATION,
  ERR_UNEXPECTED_MASK,
} from '../../assembly/layout.js';

/** Every error code wasmws reports for something a peer sent, with the close code it implies. */
export const ERROR_CLOSE_CODES = {
  WS_ERR_UNEXPECTED_RSV: 1002,
  WS_ERR_INVALID_OPCODE: 1002,
  WS_ERR_EXPECTED_MASK: 1002,
  WS_ERR_UNEXPECTED_MASK: 1002,
  WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH: 1002,
  WS_ERR_EXPECTED_FIN: 1002,
  WS_ERR_NON_MINIMAL_LENGTH: 1002,
  WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH: 1002,
  WS_ERR_UNEXPECTED_CONTINUATION: 1002,
  WS_ERR_EXPECTED_CONTINUATION: 1002,
  WS_ERR_FRAME_TOO_LARGE: 1009,
  WS_ERR_MESSAGE_TOO_LARGE: 1009,
  WS_ERR_INVALID_UTF8: 1007,
  WS_ERR_INVALID_CLOSE_PAYLOAD: 1002,
  WS_ERR_INVALID_CLOSE_CODE: 1002,
  WS_ERR_INFLATE: 1007,
  WS_ERR_UNEXPECTED_EOF: 1006,
} as const;

/** A stable identifier for a protocol violation. */
export type WebSocketErrorCode = keyof typeof ERROR_CLOSE_CODES;

const MESSAGES: Record<WebSocketErrorCode, string> = {
  WS_ERR_UNEXPECTED_RSV: 'RSV bit set without an extension that defines it',
  WS_ERR_INVALID_OPCODE: 'reserved opcode',
  WS_ERR_EXPECTED_MASK: 'client frame is not masked',
  WS_ERR_UNEXPECTED_MASK: 'server frame is masked',
  WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH: 'control frame payload over 125 bytes',
  WS_ERR_EXPECTED_FIN: 'fragmented control frame',
  WS_ERR_NON_MINIMAL_LENGTH: 'payload length not minimally encoded',
  WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH: '64-bit payload length with its most significant bit set',
  WS_ERR_UNEXPECTED_CONTINUATION: 'continuation frame outside a fragmented message',
  WS_ERR_EXPECTED_CONTINUATION: 'new data frame inside a fragmented message',
  WS_ERR_FRAME_TOO_LARGE: 'frame payload exceeds maxFrame',
  WS_ERR_MESSAGE_TOO_LARGE: 'message exceeds maxMessage',
  WS_ERR_INVALID_UTF8: 'invalid UTF-8',
  WS_ERR_INVALID_CLOSE_PAYLOAD: 'close frame body of 1 byte',
  WS_ERR_INVALID_CLOSE_CODE: 'close code not valid on the wire',
  WS_ERR_INFLATE: 'compressed message does not inflate',
  WS_ERR_UNEXPECTED_EOF: 'connection ended without a close frame',
};

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

const KERNEL_ERRORS: Record<number, WebSocketErrorCode> = {
  [ERR_RSV]: 'WS_ERR_UNEXPECTED_RSV',
  [ERR_INVALID_OPCODE]: 'WS_ERR_INVALID_OPCODE',
  [ERR_EXPECTED_MASK]: 'WS_ERR_EXPECTED_MASK',
  [ERR_UNEXPECTED_MASK]: 'WS_ERR_UNEXPECTED_MASK',
  [ERR_CONTROL_TOO_LONG]: 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH',
  [ERR_CONTROL_FRAGMENTED]: 'WS_ERR_EXPECTED_FIN',
  [ERR_NON_MINIMAL_LENGTH]: 'WS_ERR_NON_MINIMAL_LENGTH',
  [ERR_LENGTH_TOP_BIT]: 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH',
  [ERR_UNEXPECTED_CONTINUATION]: 'WS_ERR_UNEXPECTED_CONTINUATION',
  [ERR_EXPECTED_CONTINUATION]: 'WS_ERR_EXPECTED_CONTINUATION',
  [ERR_FRAME_TOO_LARGE]: 'WS_ERR_FRAME_TOO_LARGE',
  [ERR_MESSAGE_TOO_LARGE]: 'WS_ERR_MESSAGE_TOO_LARGE',
  [ERR_INVALID_UTF8]: 'WS_ERR_INVALID_UTF8',
  [ERR_CLOSE_PAYLOAD_LENGTH]: 'WS_ERR_INVALID_CLOSE_PAYLOAD',
  [ERR_INVALID_CLOSE_CODE]: 'WS_ERR_INVALID_CLOSE_CODE',
};

/** Maps a kernel ERR_* number to its error. */
export function errorFromKernel(kernelError: number, offset: number): WebSocketError {
  return new WebSocketError(KERNEL_ERRORS[kernelError] ?? 'WS_ERR_INVALID_OPCODE', offset);
}
