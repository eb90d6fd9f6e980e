// The codec entry (`wasmws/codec`), browser-safe: what frame tools and inspectors use. Push
// bytes into a FrameParser (reassembly is opt-in with MessageAssembler), encode frames,
// read close codes and errors. Kernels and arena internals are in `wasmws/kernels`.
export {
  CloseCode,
  type ClosePayload,
  closeCodeValidOnWire,
  closeCodeValidToSend,
  decodeClosePayload,
  encodeClosePayload,
} from './close-codes.js';
export { createMaskKeyPool, type EncodeOptions, encodeFrame, type MaskKeySource } from './encoder.js';
export { ERROR_CLOSE_CODES, WebSocketError, type WebSocketErrorCode } from './errors.js';
export {
  DEFAULT_MAX_FRAME,
  DEFAULT_MAX_MESSAGE,
  FrameParser,
  type FrameParserOptions,
  FramePiece,
  type FrameSink,
} from './frame-parser.js';
export {
  type CaptureStream,
  type DecodedCapture,
  decodeCapture,
  type InspectCaptureOptions,
  type InspectDeflateOptions,
  type InspectError,
  type InspectFrame,
  type InspectMessage,
  type InspectOptions,
  type InspectResult,
  inspect,
  inspectCapture,
} from './inspect/index.js';
export { MAX_CLOSE_REASON_BYTES, MAX_CONTROL_PAYLOAD_BYTES } from './limits.js';
export { MessageAssembler, type MessageSink } from './message-assembler.js';
export { isControlOpcode, Opcode, type OpcodeValue } from './opcodes.js';
