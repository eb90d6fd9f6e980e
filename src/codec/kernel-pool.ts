// Hands out kernels with their arena for the length of one synchronous operation.
// There is one WebAssembly instance; a caller that needs kernels while it is in use
// (a sink that parses another stream from inside a callback) gets a pure-TS arena.
import { WINDOW, WINDOW_BYTES } from '../../assembly/layout.js';
import { FramePiece } from './frame-piece.js';
import { createFallbackKernels, createWasmKernels, type Kernels } from './kernels.js';

/** Kernels lent for one operation; call `release()` when done with the arena. */
export interface KernelLease {
  readonly kernels: Kernels;
  /** Lent right now. */
  busy: boolean;
  /** A DataView over the whole arena. */
  readonly view: DataView;
  /** The piece object parsers fill while delivering from this arena. */
  readonly piece: FramePiece;
  /** The part of the window a reader may write the next bytes into (one view, shared by every parser of this arena). */
  readonly readTarget: Uint8Array;
  release(): void;
}

/**
 * Where a lease's {@link KernelLease.readTarget} starts: after room for the bytes a parser
 * holds back between pushes (at most MAX_DEFERRED_BYTES), which go just before the new ones.
 */
export const READ_TARGET = WINDOW + 256;
/** The most bytes one read into a read target takes: the rest of the window. */
export const READ_TARGET_BYTES = WINDOW_BYTES - 256;

class Lease implements KernelLease {
  readonly view: DataView;
  readonly piece = new FramePiece();
  busy = false;
  private target: Uint8Array | null = null;
  constructor(readonly kernels: Kernels) {
    this.view = new DataView(kernels.bytes.buffer, kernels.bytes.byteOffset, kernels.bytes.byteLength);
  }
  get readTarget(): Uint8Array {
    this.target ??= this.kernels.bytes.subarray(READ_TARGET, READ_TARGET + READ_TARGET_BYTES);
    return this.target;
  }
  release(): void {
    this.busy = false;
  }
}

let wasmLease: Lease | null | undefined;
const fallbackLeases: Lease[] = [];

/** Whether the WebAssembly kernels load here. */
export function wasmAvailable(): boolean {
  if (wasmLease === undefined) {
    const kernels = createWasmKernels();
    wasmLease = kernels === null ? null : new Lease(kernels);
  }
  return wasmLease !== null;
}

/** Lends the WebAssembly kernels when preferred, available and free; otherwise a pure-TS arena. */
export function acquireKernels(preferWasm: boolean): KernelLease {
  if (preferWasm && wasmAvailable() && !wasmLease!.busy) {
    wasmLease!.busy = true;
    return wasmLease!;
  }
  for (const lease of fallbackLeases) {
    if (!lease.busy) {
      lease.busy = true;
      return lease;
    }
  }
  const lease = new Lease(createFallbackKernels());
  lease.busy = true;
  fallbackLeases.push(lease);
  return lease;
}

/**
 * The lease whose arena a parser's read target lies in: the WebAssembly one when preferred and
 * available, otherwise the first pure-TS one (the one a parse that does not nest gets). Not
 * marked busy: the caller checks `busy` and takes it for the parse.
 */
export function readTargetLease(preferWasm: boolean): KernelLease {
  if (preferWasm && wasmAvailable()) return wasmLease!;
  if (fallbackLeases.length === 0) fallbackLeases.push(new Lease(createFallbackKernels()));
  return fallbackLeases[0]!;
}
