// The errors `ws` users match on: a protocol violation reported by the engine becomes the
// error `ws` 8 emits for it (its class, `Invalid WebSocket frame: …` message and `WS_ERR_*`
// code, from ws's lib/receiver.js), and misuse throws with ws's own messages.
import type { WebSocketError } from '../codec/errors.js';

/** A `ws`-style error: the message and class `ws` uses, its `code`, and the close code sent. */
export type WsError = (RangeError | Error) & { code: string; closeCode: number };

function frameError(
  kind: typeof RangeError | typeof Error,
  message: string,
  code: string,
  closeCode: number,
): WsError {
  return Object.assign(new kind(message), { code, closeCode });
}

const invalidFrame = (message: string) => `Invalid WebSocket frame: ${message}`;

/**
 * The `ws` error for a violation the engine found. Where ws's message names a value the engine
 * does not report (the opcode, the length, the status code), the message stops before it.
 * `compressionOn` tells RSV1 (allowed with permessage-deflate) from RSV2/RSV3.
 */
export function wsErrorFrom(error: WebSocketError, compressionOn: boolean): WsError {
  const close = error.closeCode;
  switch (error.code) {
    case 'WS_ERR_UNEXPECTED_RSV':
      return compressionOn
        ? frameError(
            RangeError,
            invalidFrame('RSV2 and RSV3 must be clear'),
            'WS_ERR_UNEXPECTED_RSV_2_3',
            close,
          )
        : frameError(RangeError, invalidFrame('RSV1 must be clear'), 'WS_ERR_UNEXPECTED_RSV_1', close);
    case 'WS_ERR_INVALID_OPCODE':
    case 'WS_ERR_EXPECTED_CONTINUATION':
      return frameError(RangeError, invalidFrame('invalid opcode'), 'WS_ERR_INVALID_OPCODE', close);
    case 'WS_ERR_UNEXPECTED_CONTINUATION':
      return frameError(RangeError, invalidFrame('invalid opcode 0'), 'WS_ERR_INVALID_OPCODE', close);
    case 'WS_ERR_EXPECTED_MASK':
      return frameError(RangeError, invalidFrame('MASK must be set'), error.code, close);
    case 'WS_ERR_UNEXPECTED_MASK':
      return frameError(RangeError, invalidFrame('MASK must be clear'), error.code, close);
    case 'WS_ERR_EXPECTED_FIN':
      return frameError(RangeError, invalidFrame('FIN must be set'), error.code, close);
    case 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH':
      return frameError(RangeError, invalidFrame('invalid payload length'), error.code, close);
    case 'WS_ERR_INVALID_CLOSE_PAYLOAD':
      return frameError(
        RangeError,
        invalidFrame('invalid payload length 1'),
        'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH',
        close,
      );
    case 'WS_ERR_INVALID_CLOSE_CODE':
      return frameError(RangeError, invalidFrame('invalid status code'), error.code, close);
    case 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH':
      return frameError(
        RangeError,
        'Unsupported WebSocket frame: payload length > 2^53 - 1',
        error.code,
        close,
      );
    case 'WS_ERR_FRAME_TOO_LARGE':
    case 'WS_ERR_MESSAGE_TOO_LARGE':
      return frameError(RangeError, 'Max payload size exceeded', 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', close);
    case 'WS_ERR_INVALID_UTF8':
      return frameError(Error, invalidFrame('invalid UTF-8 sequence'), error.code, close);
    default:
      // Rules ws does not check (e.g. WS_ERR_NON_MINIMAL_LENGTH) or words it lacks (WS_ERR_INFLATE).
      return frameError(
        error.closeCode === 1007 ? Error : RangeError,
        invalidFrame(error.message),
        error.code,
        close,
      );
  }
}

/** The message `ws` throws or passes to callbacks when a socket is not open. */
export function notOpen(readyState: number): Error {
  const names = ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'];
  return new Error(`WebSocket is not open: readyState ${readyState} (${names[readyState]})`);
}
