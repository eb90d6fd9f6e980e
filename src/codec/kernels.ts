// Loads the WebAssembly kernels (bytes inlined at build time, so no fs or fetch) and
// offers the pure-TS fallback with the same signatures over an arena of the same layout.
import { MEMORY_BYTES } from '../../assembly/layout.js';
import { bindArena } from './fallback/arena-access.js';
import { maskBytes } from './fallback/mask.js';
import { validateUtf8Bytes } from './fallback/utf8.js';
import { walk as walkPortable } from './fallback/walk.generated.js';
import { kernelsWasmBase64 } from './wasm-bytes.generated.js';

/**
 * The hot-path kernels over one arena laid out as `assembly/layout.ts` says.
 * Pointers are byte offsets into `bytes`.
 */
export interface Kernels {
  /** `'wasm'` for the WebAssembly build, `'ts'` for the pure-TypeScript fallback. */
  readonly kind: 'wasm' | 'ts';
  /** The whole arena; for WebAssembly, a view of its linear memory (which never grows). */
  readonly bytes: Uint8Array;
  /** XORs `length` bytes at `ptr` with `key` (4 bytes read little-endian) starting at key byte `rotation`. */
  maskInPlace(ptr: number, length: number, key: number, rotation: number): void;
  /**
   * Validates `length` bytes at `ptr` as UTF-8 from DFA `state`; returns the new state.
   * The WebAssembly kernel may read (never write) up to 15 bytes before `ptr` on short inputs.
   */
  validateUtf8(ptr: number, length: number, state: number): number;
  /** Walks the frames in `[start, end)` with the parser state at STATE; returns the descriptor count. */
  walk(start: number, end: number): number;
}

interface KernelExports {
  memory: WebAssembly.Memory;
  maskInPlace(ptr: number, length: number, key: number, rotation: number): void;
  validateUtf8(ptr: number, length: number, state: number): number;
  walk(start: number, end: number): number;
}

function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

let wasmModule: WebAssembly.Module | null | undefined;

function compileKernels(): WebAssembly.Module | null {
  if (wasmModule === undefined) {
    try {
      wasmModule = new WebAssembly.Module(decodeBase64(kernelsWasmBase64) as Uint8Array<ArrayBuffer>);
    } catch {
      // No WebAssembly, no SIMD, or a browser main thread that refuses synchronous compiles.
      wasmModule = null;
    }
  }
  return wasmModule;
}

/** A fresh WebAssembly instance with its own linear memory, or `null` where WebAssembly SIMD is unavailable. */
export function createWasmKernels(): Kernels | null {
  const module = compileKernels();
  if (module === null) return null;
  const instance = new WebAssembly.Instance(module, {
    env: {
      abort() {
        throw new Error('wasmws kernel abort');
      },
    },
  });
  const exports = instance.exports as unknown as KernelExports;
  const bytes = new Uint8Array(exports.memory.buffer);
  if (bytes.length < MEMORY_BYTES) throw new Error('wasmws kernels: linear memory smaller than the arena');
  return {
    kind: 'wasm',
    bytes,
    maskInPlace: exports.maskInPlace,
    validateUtf8: exports.validateUtf8,
    walk: exports.walk,
  };
}

/** The pure-TS kernels over a new arena of the same layout. */
export function createFallbackKernels(): Kernels {
  const bytes = new Uint8Array(MEMORY_BYTES);
  const arena = { bytes, view: new DataView(bytes.buffer) };
  return {
    kind: 'ts',
    bytes,
    maskInPlace: (ptr, length, key, rotation) => maskBytes(bytes, ptr, length, key, rotation),
    validateUtf8: (ptr, length, state) => validateUtf8Bytes(bytes, ptr, length, state),
    walk: (start, end) => {
      bindArena(arena);
      return walkPortable(start, end);
    },
  };
}
