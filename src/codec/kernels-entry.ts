// The kernels entry (`wasmws/kernels`), browser-safe: the raw-speed way in, for callers who
// manage their own bytes. The WebAssembly kernels and their pure-TS twins over the shared
// arena, the pool that lends them out, and the masking, UTF-8 and header primitives.
export {
  encodeMaskedFrameInto,
  headerLength,
  WASM_MASK_THRESHOLD,
  writeHeader,
} from './encoder.js';
export { maskBytes, maskCopy } from './fallback/mask.js';
export { validateUtf8Bytes } from './fallback/utf8.js';
export { acquireKernels, type KernelLease, wasmAvailable } from './kernel-pool.js';
export { createFallbackKernels, createWasmKernels, type Kernels } from './kernels.js';
