// Assertion helpers for the protocol tests (after python-websockets' test_protocol.py):
// frames are written as unmasked hex; `feed` masks them when the peer is a client, and
// `framesSent` unmasks what a client protocol sends, checking the mask bit either way.
import { expect } from 'vitest';
import { Protocol } from '../../src/protocol/protocol.js';
import { END_OF_STREAM, type ProtocolEvent, type ProtocolOptions } from '../../src/protocol/types.js';

/** The mask key of RFC 6455 §5.7's examples, bytes 37 fa 21 3d (read little-endian). */
export const RFC_KEY = 0x3d21fa37;
/** How `framesSent` reports END_OF_STREAM. */
export const EOF = 'EOF';

/** Bytes from hex, spaces ignored: `bytes('81 05 48656c6c6f')`. */
export function bytes(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-f]/i.test(clean)) throw new Error(`bad hex: ${hex}`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

import { concat, toHex } from '../support/frames.js';

export { concat, toHex };

interface Header {
  masked: boolean;
  length: number;
  /** Index of the mask key (when masked) or of the payload. */
  at: number;
}

function readHeader(frame: Uint8Array): Header {
  const masked = (frame[1] & 0x80) !== 0;
  let length = frame[1] & 0x7f;
  let at = 2;
  if (length === 126) {
    length = (frame[2] << 8) | frame[3];
    at = 4;
  } else if (length === 127) {
    length = Number(new DataView(frame.buffer, frame.byteOffset + 2, 8).getBigUint64(0));
    at = 10;
  }
  return { masked, length, at };
}

function xorInto(target: Uint8Array, source: Uint8Array, key: Uint8Array): void {
  for (let i = 0; i < source.length; i++) target[i] = source[i] ^ key[i & 3];
}

/** Masks one unmasked frame (header and payload) with `key`, as a client would send it. */
export function maskFrame(frame: Uint8Array, key = RFC_KEY): Uint8Array {
  const { length, at } = readHeader(frame);
  const keyBytes = new Uint8Array(new Uint32Array([key >>> 0]).buffer);
  const out = new Uint8Array(frame.length + 4);
  out.set(frame.subarray(0, at));
  out[1] |= 0x80;
  out.set(keyBytes, at);
  xorInto(out.subarray(at + 4, at + 4 + length), frame.subarray(at, at + length), keyBytes);
  return out;
}

/** Frames from the peer of `protocol`, written unmasked: masked for a server, as is for a client. */
export function fromPeer(protocol: Protocol, ...frames: string[]): Uint8Array {
  return concat(frames.map((hex) => (protocol.role === 'server' ? maskFrame(bytes(hex)) : bytes(hex))));
}

/** Feeds frames (unmasked hex, masked here when the peer is a client) in one chunk. */
export function feed(protocol: Protocol, ...frames: string[]): void {
  protocol.receiveData(fromPeer(protocol, ...frames));
}

/** One sent frame as unmasked hex, after checking it is masked exactly when a client sent it. */
function decodeSent(frame: Uint8Array, client: boolean): string {
  const { masked, length, at } = readHeader(frame);
  expect(masked, 'mask bit of a sent frame').toBe(client);
  const payloadAt = masked ? at + 4 : at;
  expect(frame.length, 'one item holds exactly one frame').toBe(payloadAt + length);
  const header = frame.slice(0, at);
  header[1] &= 0x7f;
  const payload = frame.slice(payloadAt);
  if (masked) xorInto(payload, frame.subarray(payloadAt), frame.subarray(at, at + 4));
  return toHex(header) + toHex(payload);
}

/** The frames in one output item: a batch of small frames may hold several. */
function framesOf(item: Uint8Array): Uint8Array[] {
  const frames: Uint8Array[] = [];
  for (let offset = 0; offset < item.length; ) {
    const { masked, length, at } = readHeader(item.subarray(offset));
    const end = offset + at + (masked ? 4 : 0) + length;
    frames.push(item.subarray(offset, end));
    offset = end;
  }
  return frames;
}

/** Drains `dataToSend()`: each frame as unmasked hex, or `EOF`. */
export function framesSent(protocol: Protocol): string[] {
  return protocol.dataToSend().flatMap((item) => {
    if (item === END_OF_STREAM) return [EOF];
    const client = protocol.role === 'client';
    // Small frames are batched into one buffer; a large server frame is [header, payload].
    return framesOf(concat(item)).map((frame) => decodeSent(frame, client));
  });
}

/** Asserts what was sent since the last drain: unmasked hex frames and `EOF`, in order. */
export function assertFramesSent(protocol: Protocol, ...expected: string[]): void {
  expect(framesSent(protocol)).toEqual(expected.map((hex) => (hex === EOF ? EOF : hex.replace(/\s+/g, ''))));
}

/** Asserts the events found since the last drain. */
export function assertEvents(protocol: Protocol, expected: ProtocolEvent[]): void {
  expect(protocol.eventsReceived()).toEqual(expected);
}

/** The hex of a close frame with `code` and `reason`, or of an empty close when `code` is undefined. */
export function closeFrame(code?: number, reason = ''): string {
  if (code === undefined) return '8800';
  const body = concat([new Uint8Array([code >> 8, code & 0xff]), new TextEncoder().encode(reason)]);
  return toHex(new Uint8Array([0x88, body.length])) + toHex(body);
}

/** Asserts a close frame with `code`/`reason` went out and the protocol awaits the peer's close. */
export function assertConnectionClosing(protocol: Protocol, code?: number, reason = ''): void {
  assertFramesSent(protocol, closeFrame(code, reason));
  expect(protocol.state).toBe('closing');
  expect(protocol.closeSent).toEqual({ code: code ?? 1005, reason });
  expect(protocol.closeExpected()).toBe(true);
}

/**
 * Asserts the connection failed with `code`: a close frame with that code (any reason)
 * went out, then the end of stream for a server; a client waits for the server's end.
 */
export function assertConnectionFailing(protocol: Protocol, code: number): void {
  const sent = framesSent(protocol);
  expect(sent[0]?.slice(0, 2), 'a close frame').toBe('88');
  expect(sent[0]?.slice(4, 8), 'its code').toBe(code.toString(16).padStart(4, '0'));
  expect(sent.slice(1)).toEqual(protocol.role === 'server' ? [EOF] : []);
  expect(protocol.state).toBe('closed');
  expect(protocol.closeSent?.code).toBe(code);
  expect(protocol.closeExpected()).toBe(true);
}

/** Asserts the peer broke the rule named by `errorCode`: one error event, then the connection fails with `closeCode`. */
export function assertViolation(protocol: Protocol, errorCode: string, closeCode: number): void {
  const events = protocol.eventsReceived();
  expect(events.map((e) => (e.type === 'error' ? e.error.code : e.type))).toEqual([errorCode]);
  const event = events[0];
  expect(event.type === 'error' && event.error.closeCode).toBe(closeCode);
  assertConnectionFailing(protocol, closeCode);
}

/** A protocol with a fixed client mask key (RFC 6455 §5.7's) unless options say otherwise. */
export function makeProtocol(role: 'server' | 'client', options: Partial<ProtocolOptions> = {}): Protocol {
  return new Protocol({ role, maskKeys: () => RFC_KEY, ...options });
}
