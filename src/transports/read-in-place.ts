// Reading a Node TCP socket straight into memory we choose: net.Socket's `onread` option
// (documented for sockets a caller constructs) switched on for a socket that already exists,
// such as one handed over by an HTTP server's `upgrade` event. Node keeps that option in three
// symbol-keyed fields and hands the memory to its stream handle with `useUserBuffer`; both are
// internal, so they are found by name and checked, and any surprise means "not available":
// the caller then reads as usual. test/transports/read-in-place.test.ts fails loudly if a
// Node release drops them. Set WASMWS_NO_READ_IN_PLACE=1 to turn it off (benchmarks compare).
import { Socket } from 'node:net';

interface UserBufferFields {
  buffer: symbol;
  callback: symbol;
  generator: symbol;
}

interface StreamHandle {
  useUserBuffer?(target: Uint8Array): void;
}

let fields: UserBufferFields | null | undefined;

/** The symbols `net.Socket` keeps its `onread` option in, or null where they are not as expected. */
function userBufferFields(): UserBufferFields | null {
  if (fields !== undefined) return fields;
  fields = null;
  if (process.env.WASMWS_NO_READ_IN_PLACE === '1') return null;
  const probe = new Socket();
  const symbols = Object.getOwnPropertySymbols(probe);
  const named = (name: string) => symbols.find((symbol) => symbol.description === name);
  const buffer = named('kBuffer');
  const callback = named('kBufferCb');
  const generator = named('kBufferGen');
  const record = probe as unknown as Record<symbol, unknown>;
  if (buffer === undefined || callback === undefined || generator === undefined) return null;
  if (record[buffer] !== null || record[callback] !== null || record[generator] !== null) return null;
  fields = { buffer, callback, generator };
  return fields;
}

/** Whether this Node supports reading existing TCP sockets in place (the internals are as expected). */
export function readInPlaceAvailable(): boolean {
  return userBufferFields() !== null;
}

/**
 * From the next read on, `socket` reads into `target` and calls `onRead(length)` (with the
 * socket as `this`) instead of emitting `data`. Returns false, changing nothing, for a socket
 * that cannot: TLS, not connected, already reading into memory of its own, or a Node whose
 * internals differ. Pausing and resuming the socket keep working (net.Socket stops and starts
 * its handle's reads in this mode); the end of the stream is still its `end` event.
 */
export function readSocketInPlace(
  socket: Socket,
  target: Uint8Array,
  onRead: (this: Socket, length: number) => void,
): boolean {
  const names = userBufferFields();
  if (names === null || !(socket instanceof Socket) || (socket as { encrypted?: boolean }).encrypted)
    return false;
  const handle = (socket as unknown as { _handle: StreamHandle | null })._handle;
  if (handle === null || typeof handle.useUserBuffer !== 'function') return false;
  const record = socket as unknown as Record<symbol, unknown>;
  if (record[names.buffer] !== null) return false;
  record[names.callback] = onRead;
  record[names.buffer] = target;
  handle.useUserBuffer(target);
  return true;
}
