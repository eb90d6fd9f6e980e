// Small conversions the session makes on what the application and zlib hand it.

const textEncoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true });

/** `text` as UTF-8 bytes. */
export function encodeText(text: string): Uint8Array {
  return textEncoder.encode(text);
}

/** Whether `data` is UTF-8: with the whole-buffer check when given (buffer.isUtf8 on Node, no string made), else the strict decoder. */
export function isUtf8(data: Uint8Array, validate: ((bytes: Uint8Array) => boolean) | undefined): boolean {
  if (validate !== undefined) return validate(data);
  try {
    strictDecoder.decode(data);
    return true;
  } catch {
    return false;
  }
}

/** What `send`, `ping`, `pong` and `close` throw before activate(), as a browser does while CONNECTING. */
export function invalidState(action: string): DOMException {
  return new DOMException(`cannot ${action} before activate()`, 'InvalidStateError');
}

/** A thrown value as an Error. */
export function asError(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new Error(String(thrown));
}

/** zlib hands out Buffers; binary messages are plain Uint8Arrays everywhere. */
export function asPlainBytes(data: Uint8Array): Uint8Array {
  return data.constructor === Uint8Array
    ? data
    : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** A ping or pong payload: strings as UTF-8. */
export function controlPayload(data: Uint8Array | string | undefined): Uint8Array | undefined {
  if (data === undefined) return undefined;
  return typeof data === 'string' ? textEncoder.encode(data) : data;
}
