// Hands out kernels with their arena for the length of one synchronous operation.
// There is one WebAssembly instance; a caller that needs kernels while it is in use
// (a sink that parses another stream from inside a callback) gets a pure-TS arena.
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
  release(): void;
}

class Lease implements KernelLease {
  readonly view: DataView;
  readonly piece = new FramePiece();
  busy = false;
  constructor(readonly kernels: Kernels) {
    this.view = new DataView(kernels.bytes.buffer, kernels.bytes.byteOffset, kernels.bytes.byteLength);
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
