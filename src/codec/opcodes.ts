// RFC 6455 §5.2 opcodes, named from assembly/rfc6455.ts.
import {
  OPCODE_BINARY,
  OPCODE_CLOSE,
  OPCODE_CONTINUATION,
  OPCODE_PING,
  OPCODE_PONG,
  OPCODE_TEXT,
} from '../../assembly/rfc6455.js';

/** Frame opcodes defined by RFC 6455. */
export const Opcode = {
  Continuation: OPCODE_CONTINUATION,
  Text: OPCODE_TEXT,
  Binary: OPCODE_BINARY,
  Close: OPCODE_CLOSE,
  Ping: OPCODE_PING,
  Pong: OPCODE_PONG,
} as const;

/** One of the defined opcodes. */
export type OpcodeValue = (typeof Opcode)[keyof typeof Opcode];

/** Whether `opcode` is a control frame's (close, ping, pong). */
export function isControlOpcode(opcode: number): boolean {
  // RFC 6455 §5.5: control opcodes have their most significant bit set
  return opcode >= OPCODE_CLOSE;
}
