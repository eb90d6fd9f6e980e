// The browser-safe codec entry (`wasmws/codec`): kernels, FrameParser, encoder, close codes.
export {
  CloseCode,
  type ClosePayload,
  closeCodeValidOnWire,
  closeCodeValidToSend,
  decodeClosePayload,
  encodeClosePayload,
} from './close-codes.js';
export {
  createMaskKeyPool,
  type EncodeOptions,
  encodeFrame,
  headerLength,
  type MaskKeySource,
  WASM_MASK_THRESHOLD,
  writeHeader,
} from './encoder.js';
export { ERROR_CLOSE_CODES, WebSocketError, type WebSocketErrorCode } from './errors.js';
export { maskBytes, maskCopy } from './fallback/mask.js';
export { validateUtf8Bytes } from './fallback/utf8.js';
export {
  DEFAULT_MAX_FRAME,
  DEFAULT_MAX_MESSAGE,
  FrameParser,
  type FrameParserOptions,
  FramePiece,
  type FrameSink,
} from './frame-parser.js';
export { acquireKernels, type KernelLease, wasmAvailable } from './kernel-pool.js';
export { createFallbackKernels, createWasmKernels, type Kernels } from './kernels.js';
export { MAX_CLOSE_REASON_BYTES, MAX_CONTROL_PAYLOAD_BYTES } from './limits.js';
export { MessageAssembler, type MessageSink } from './message-assembler.js';
export { isControlOpcode, Opcode, type OpcodeValue } from './opcodes.js';
