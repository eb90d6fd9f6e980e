/// <reference path="./portable.d.ts" />
// The numbers RFC 6455 fixes, each named once, for the kernels and the codec alike. This
// file imports nothing so asc and tsc both compile it as it is (as they do layout.ts).

// ---- header bits (§5.2) ----
/** §5.2: FIN, the first bit of byte 0: this is the final fragment of a message. */
export const FIN_BIT = 0x80;
/** §5.2: RSV1-3, bits 1-3 of byte 0, 0 unless an extension defines them. */
export const RSV_BITS = 0x70;
/** §5.2 with RFC 7692 §6: RSV1 marks a compressed message's first frame. */
export const RSV1_BIT = 0x40;
/** §5.2: the opcode, the low 4 bits of byte 0. */
export const OPCODE_BITS = 0x0f;
/** §5.2: MASK, the first bit of byte 1: the payload is masked. */
export const MASK_BIT = 0x80;
/** §5.2: the 7-bit payload length, the low 7 bits of byte 1. */
export const LENGTH_7_BITS = 0x7f;

// ---- opcodes (§5.2, §11.8) ----
/** §5.4: a continuation frame. */
export const OPCODE_CONTINUATION = 0x0;
/** §5.6: a text frame. */
export const OPCODE_TEXT = 0x1;
/** §5.6: a binary frame. */
export const OPCODE_BINARY = 0x2;
/** §5.5.1: a close frame; also the first control opcode (§5.5: the opcode's top bit is set). */
export const OPCODE_CLOSE = 0x8;
/** §5.5.2: a ping. */
export const OPCODE_PING = 0x9;
/** §5.5.3: a pong; 0xB-0xF are reserved control opcodes. */
export const OPCODE_PONG = 0xa;

// ---- payload lengths (§5.2) ----
/** §5.2: a 7-bit length of 0-125 is the payload length itself. */
export const MAX_7_BIT_LENGTH = 125;
/** §5.2: a 7-bit length of 126 (0x7E) means the next 2 bytes hold the length. */
export const LENGTH_16_MARKER = 0x7e;
/** §5.2: a 7-bit length of 127 (0x7F) means the next 8 bytes hold the length. */
export const LENGTH_64_MARKER = 0x7f;
/** §5.2: the largest length the 16-bit form holds; past it the 64-bit form is the minimal one. */
export const MAX_16_BIT_LENGTH = 0xffff;
/** §5.3: a masking key is 4 bytes. */
export const MASK_KEY_BYTES = 4;
/** §5.2: byte 0 and byte 1 begin every frame. */
export const MIN_HEADER_BYTES = 2;
/** §5.2: 2 bytes, an 8-byte length and a 4-byte key. */
export const MAX_HEADER_BYTES = 14;

// ---- control frames (§5.5) ----
/** §5.5: all control frames MUST have a payload length of 125 bytes or less. */
export const MAX_CONTROL_PAYLOAD_BYTES = 125;
/** §5.5.1: a non-empty close body starts with a 2-byte status code. */
export const CLOSE_CODE_BYTES = 2;
/** §5.5.1 with §5.5: what is left of a control payload after the close code. */
export const MAX_CLOSE_REASON_BYTES = MAX_CONTROL_PAYLOAD_BYTES - CLOSE_CODE_BYTES;

/**
 * §7.4: whether `code` may appear in a close frame on the wire: 1000-1003, 1007-1014
 * (defined or registered, §7.4.1 and §11.7) and 3000-4999 (libraries and applications,
 * §7.4.2). 1004 is reserved, 1005, 1006 and 1015 are local-only, 1016-2999 unassigned.
 */
export function closeCodeValidOnWire(code: i32): bool {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}
