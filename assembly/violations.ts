// Every violation wasmws reports for something a peer sent: one table, read by both sides.
// The enum numbers each code as walk() writes it to S_ERROR (asc folds the members into
// constants); the code's name is its WS_ERR_* identifier, and src/codec/errors.ts takes the
// close code and message of each from violationRows(). asc parses violationRows() but never
// compiles it (nothing in the kernel calls it), so no strings reach the WebAssembly.

/** A violation's number in S_ERROR; 0 there means none. Its member name is its stable code. */
export enum Violation {
  WS_ERR_UNEXPECTED_RSV = 1,
  WS_ERR_INVALID_OPCODE = 2,
  WS_ERR_EXPECTED_MASK = 3,
  WS_ERR_UNEXPECTED_MASK = 4,
  WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH = 5,
  WS_ERR_EXPECTED_FIN = 6,
  WS_ERR_NON_MINIMAL_LENGTH = 7,
  WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH = 8,
  WS_ERR_UNEXPECTED_CONTINUATION = 9,
  WS_ERR_EXPECTED_CONTINUATION = 10,
  WS_ERR_FRAME_TOO_LARGE = 11,
  WS_ERR_MESSAGE_TOO_LARGE = 12,
  WS_ERR_INVALID_UTF8 = 13,
  WS_ERR_INVALID_CLOSE_PAYLOAD = 14,
  WS_ERR_INVALID_CLOSE_CODE = 15,
  // Found above the kernel: by the inflating layer and at end of stream.
  WS_ERR_INFLATE = 16,
  WS_ERR_UNEXPECTED_EOF = 17,
}

/** One row of the table: a violation, the close code it implies, and why. */
export interface ViolationRow {
  readonly violation: Violation;
  readonly closeCode: number;
  readonly message: string;
}

/** The table, one row per {@link Violation} member, in member order. */
export function violationRows(): ViolationRow[] {
  return [
    // RFC 6455 §5.2: RSV bits MUST be 0 unless an extension defines them
    { violation: Violation.WS_ERR_UNEXPECTED_RSV, closeCode: 1002, message: 'RSV bit set without an extension that defines it' },
    // RFC 6455 §5.2: opcodes 3-7 and 0xB-0xF are reserved
    { violation: Violation.WS_ERR_INVALID_OPCODE, closeCode: 1002, message: 'reserved opcode' },
    // RFC 6455 §5.1: a server MUST close on an unmasked frame
    { violation: Violation.WS_ERR_EXPECTED_MASK, closeCode: 1002, message: 'client frame is not masked' },
    // RFC 6455 §5.1: a client MUST close on a masked frame
    { violation: Violation.WS_ERR_UNEXPECTED_MASK, closeCode: 1002, message: 'server frame is masked' },
    // RFC 6455 §5.5: control frames carry at most 125 bytes
    { violation: Violation.WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH, closeCode: 1002, message: 'control frame payload over 125 bytes' },
    // RFC 6455 §5.5: control frames MUST NOT be fragmented
    { violation: Violation.WS_ERR_EXPECTED_FIN, closeCode: 1002, message: 'fragmented control frame' },
    // RFC 6455 §5.2: the minimal number of bytes MUST be used to encode the length
    { violation: Violation.WS_ERR_NON_MINIMAL_LENGTH, closeCode: 1002, message: 'payload length not minimally encoded' },
    // RFC 6455 §5.2: the most significant bit of a 64-bit length MUST be 0
    { violation: Violation.WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH, closeCode: 1002, message: '64-bit payload length with its most significant bit set' },
    // RFC 6455 §5.4: a continuation belongs to an open fragmented message
    { violation: Violation.WS_ERR_UNEXPECTED_CONTINUATION, closeCode: 1002, message: 'continuation frame outside a fragmented message' },
    // RFC 6455 §5.4: fragments of one message are not interleaved with another
    { violation: Violation.WS_ERR_EXPECTED_CONTINUATION, closeCode: 1002, message: 'new data frame inside a fragmented message' },
    // RFC 6455 §7.4.1: 1009, a message too big to process
    { violation: Violation.WS_ERR_FRAME_TOO_LARGE, closeCode: 1009, message: 'frame payload exceeds maxFrame' },
    { violation: Violation.WS_ERR_MESSAGE_TOO_LARGE, closeCode: 1009, message: 'message exceeds maxMessage' },
    // RFC 6455 §8.1: text MUST be valid UTF-8; §7.4.1: 1007, data inconsistent with its type
    { violation: Violation.WS_ERR_INVALID_UTF8, closeCode: 1007, message: 'invalid UTF-8' },
    // RFC 6455 §5.5.1: a close body is empty or starts with a 2-byte code
    { violation: Violation.WS_ERR_INVALID_CLOSE_PAYLOAD, closeCode: 1002, message: 'close frame body of 1 byte' },
    // RFC 6455 §7.4: only defined, registered or private codes appear on the wire
    { violation: Violation.WS_ERR_INVALID_CLOSE_CODE, closeCode: 1002, message: 'close code not valid on the wire' },
    // RFC 7692 §8.1: an extension's data that does not decode is invalid payload data
    { violation: Violation.WS_ERR_INFLATE, closeCode: 1007, message: 'compressed message does not inflate' },
    // RFC 6455 §7.1.5: a connection closed without a close frame reports 1006, never sends it
    { violation: Violation.WS_ERR_UNEXPECTED_EOF, closeCode: 1006, message: 'connection ended without a close frame' },
  ];
}
