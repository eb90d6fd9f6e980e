// The RFC 6455 limits the layers above the codec need, re-exported with their TypeScript
// types from assembly/rfc6455.ts, where the kernels read them too.
import {
  MAX_CLOSE_REASON_BYTES as closeReasonBytes,
  MAX_CONTROL_PAYLOAD_BYTES as controlPayloadBytes,
} from '../../assembly/rfc6455.js';

/** RFC 6455 §5.5: a control frame (close, ping, pong) carries at most 125 payload bytes. */
export const MAX_CONTROL_PAYLOAD_BYTES: number = controlPayloadBytes;

/** RFC 6455 §5.5.1: the longest close reason, 123 bytes (125 less the 2-byte code). */
export const MAX_CLOSE_REASON_BYTES: number = closeReasonBytes;
