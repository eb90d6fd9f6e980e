// The fixed arena in linear memory shared by the kernels and the TypeScript side.
// Written in the subset that compiles both as AssemblyScript (i32 constants) and as
// TypeScript (numbers), so the two sides cannot disagree on an offset.
//
// [0, ARENA_BASE)           AssemblyScript static data (lookup tables)
// [STATE, +STATE_BYTES)      one parser's state, copied in before a walk and out after
// [DESCRIPTORS, ...)         descriptor table written by walk()
// [WINDOW, +WINDOW_BYTES)    received bytes; deferred bytes (a partial header, an incomplete
//                            control frame) are moved to WINDOW before the next chunk
// [SCRATCH, +SCRATCH_BYTES)  mask/validate work area for callers other than the parser

export const ARENA_BASE = 65536;

export const STATE = 65536;
export const STATE_BYTES = 256;

export const DESCRIPTORS = 65792;
export const DESCRIPTOR_BYTES = 32;
export const DESCRIPTOR_CAPACITY = 1024;

export const WINDOW = 131072;
export const WINDOW_BYTES = 262144;
/** Zeroed tail after the window so 16-byte lanes never need a scalar tail loop on reads. */
export const WINDOW_PADDING = 64;

export const SCRATCH = 393472;
export const SCRATCH_BYTES = 65536;

export const MEMORY_BYTES = 524288;

/**
 * The most bytes walk() leaves unconsumed: MAX_HEADER_BYTES (14) plus MAX_CONTROL_PAYLOAD_BYTES
 * (125) from rfc6455.ts, written out because this file imports nothing (test/codec checks the sum).
 */
export const MAX_DEFERRED_BYTES = 139;

// ---- parser state: byte offsets from STATE ----
// i32 slots
export const S_ROLE = 0; // ROLE_SERVER or ROLE_CLIENT
export const S_ALLOWED_RSV = 4; // header byte 0 bits (0x40 rsv1, 0x20 rsv2, 0x10 rsv3) an extension allows
export const S_IN_PAYLOAD = 8; // 1 while a frame's payload is being consumed
export const S_FRAME_BYTE0 = 12; // FIN, RSV and opcode of the current frame
export const S_FRAME_MASKED = 16;
export const S_MASK_KEY = 20; // the 4 key bytes read little-endian
export const S_MESSAGE_OPEN = 24; // 1 between a non-final data frame and its final continuation
export const S_MESSAGE_OPCODE = 28; // 1 text, 2 binary, of the open or last message
export const S_MESSAGE_COMPRESSED = 32; // RSV1 on the message's first frame: UTF-8 checked after inflation
export const S_UTF8_STATE = 36; // DFA state of the current text message
export const S_CONTROL_UTF8_STATE = 40; // DFA state of the current close reason
export const S_CLOSE_CODE = 44; // close code bytes gathered so far (big-endian)
export const S_ERROR = 48; // an ERR_* code once the stream failed, else 0
export const S_CONSUMED = 52; // absolute pointer where the last walk stopped
export const S_DESCRIPTOR_COUNT = 56;
export const S_HEADER_LENGTH = 60; // header bytes of the current frame
// f64 slots (lengths may exceed 2^32)
export const S_FRAME_LENGTH = 64; // payload length of the current frame
export const S_FRAME_REMAINING = 72; // payload bytes of the current frame not yet consumed
export const S_FRAME_OFFSET = 80; // stream offset of the current frame's first header byte
export const S_MESSAGE_LENGTH = 88; // payload bytes of the open message so far
export const S_MAX_FRAME = 96;
export const S_MAX_MESSAGE = 104;
export const S_STREAM_BASE = 112; // stream offset of the byte at WINDOW
export const S_ERROR_OFFSET = 120; // stream offset of the frame that failed
// i32 again
export const S_DEFERRED_UTF8_MIN = 128; // whole text messages this long are left to the caller's validator; 0: never
/** Bytes of state a parser keeps between walks. */
export const STATE_USED_BYTES = 136;

export const ROLE_SERVER = 0;
export const ROLE_CLIENT = 1;

// ---- descriptor: byte offsets within one entry ----
export const D_BYTE0 = 0; // u8: FIN, RSV, opcode
export const D_FLAGS = 1; // u8: F_* bits
export const D_MASK_KEY = 4; // u32, 0 when unmasked
export const D_PAYLOAD_PTR = 8; // i32 absolute pointer of this piece's unmasked payload
export const D_PAYLOAD_LENGTH = 12; // i32 bytes in this piece
export const D_FRAME_OFFSET = 16; // f64 stream offset of the frame's first header byte
export const D_FRAME_LENGTH = 24; // f64 payload length of the whole frame

export const F_MASKED = 1;
export const F_FIRST_PIECE = 2; // this piece starts at the frame's payload byte 0
export const F_LAST_PIECE = 4; // this piece ends the frame
export const F_HEADER_LENGTH_SHIFT = 3; // bits 3-6: header length in bytes (2 to 14)
export const F_UTF8_DEFERRED = 128; // a piece of a long one-frame text message whose UTF-8 the caller validates

// ---- UTF-8 DFA states (multiples of 12, Hoehrmann) ----
export const UTF8_ACCEPT = 0;
export const UTF8_REJECT = 12;

// S_ERROR holds a Violation from violations.ts (0: none).
