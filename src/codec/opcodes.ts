// RFC 6455 §5.2 opcodes.

/** Frame opcodes defined by RFC 6455. */
export const Opcode = {
  Continuation: 0x0,
  Text: 0x1,
  Binary: 0x2,
  Close: 0x8,
  Ping: 0x9,
  Pong: 0xa,
} as const;

/** One of the defined opcodes. */
export type OpcodeValue = (typeof Opcode)[keyof typeof Opcode];

/** Whether `opcode` is a control frame's (close, ping, pong). */
export function isControlOpcode(opcode: number): boolean {
  return opcode >= 0x8;
}
