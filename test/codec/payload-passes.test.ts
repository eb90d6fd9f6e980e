// How many times a payload is walked before the sink sees it, pinned with the pure-TS
// kernels' traffic counter (the WebAssembly build makes the same calls, uncounted): read in
// place, a 16 KiB masked frame is never copied into the arena (the read put it there), is
// unmasked once where it lies, text is checked once, and it is delivered from that place.
import { describe, expect, it } from 'vitest';
import { arenaTraffic } from '../../src/codec/fallback/arena-access.js';
import { FrameParser, type FramePiece } from '../../src/codec/frame-parser.js';
import { buildFrame } from '../support/frames.js';

const SIZE = 16 * 1024;
const KEY = 0x3d21fa37;

function payload(text: boolean): Uint8Array {
  const bytes = new Uint8Array(SIZE);
  for (let i = 0; i < SIZE; i++) bytes[i] = text ? 0x61 + (i % 26) : (i * 31) & 0xff;
  return bytes;
}

interface Delivery {
  pieces: number;
  /** Where the payload lay when delivered, relative to the read target. */
  offsetInTarget: number;
  sameMemory: boolean;
  bytes: Uint8Array;
}

function parseOnce(
  text: boolean,
  feed: 'in-place' | 'push',
  validateUtf8?: (bytes: Uint8Array) => boolean,
): { traffic: typeof arenaTraffic; delivery: Delivery; target: Uint8Array; frame: Uint8Array } {
  const data = payload(text);
  const frame = buildFrame({ opcode: text ? 1 : 2, payload: data, maskKey: KEY });
  const delivery: Delivery = { pieces: 0, offsetInTarget: -1, sameMemory: false, bytes: new Uint8Array(0) };
  let target: Uint8Array = new Uint8Array(0);
  const parser = new FrameParser(
    {
      frame(piece: FramePiece) {
        delivery.pieces++;
        delivery.sameMemory = piece.bytes.buffer === target.buffer;
        delivery.offsetInTarget = piece.bytes.byteOffset + piece.start - target.byteOffset;
        delivery.bytes = piece.payload().slice();
      },
      error(error) {
        throw error;
      },
    },
    { role: 'server', wasm: false, validateUtf8 },
  );
  target = parser.readTarget();
  const before = { ...arenaTraffic };
  if (feed === 'in-place') {
    target.set(frame);
    parser.pushInPlace(frame.length);
  } else {
    parser.push(frame);
  }
  const traffic = {
    copiedIn: arenaTraffic.copiedIn - before.copiedIn,
    unmasked: arenaTraffic.unmasked - before.unmasked,
    validated: arenaTraffic.validated - before.validated,
  };
  expect(delivery.bytes).toEqual(data);
  return { traffic, delivery, target, frame };
}

describe('passes over a 16 KiB masked frame whole in one read', () => {
  it('binary read in place: no copy in, unmasked once where it lies, delivered from there', () => {
    const { traffic, delivery, target, frame } = parseOnce(false, 'in-place');
    expect(traffic).toEqual({ copiedIn: 0, unmasked: SIZE, validated: 0 });
    expect(delivery.pieces).toBe(1);
    expect(delivery.sameMemory).toBe(true);
    // The payload starts right after the 8-byte header (2 + 2 length + 4 key) in the target.
    expect(delivery.offsetInTarget).toBe(frame.length - SIZE);
    expect(target.subarray(frame.length - SIZE, frame.length)).toEqual(payload(false));
  });

  it('text read in place: no copy in, each byte unmasked once and checked once', () => {
    const { traffic, delivery } = parseOnce(true, 'in-place');
    expect(traffic).toEqual({ copiedIn: 0, unmasked: SIZE, validated: SIZE });
    expect(delivery.sameMemory).toBe(true);
  });

  it('text with a whole-message validator: the kernel leaves the check to it, which reads it once', () => {
    const checked: number[] = [];
    const { traffic } = parseOnce(true, 'in-place', (bytes) => {
      checked.push(bytes.length);
      return true;
    });
    expect(traffic).toEqual({ copiedIn: 0, unmasked: SIZE, validated: 0 });
    expect(checked).toEqual([SIZE]);
  });

  it('pushed instead (a TLS or HTTP/2 chunk): one copy into the arena first, then the same', () => {
    const { traffic, frame } = parseOnce(false, 'push');
    expect(traffic).toEqual({ copiedIn: frame.length, unmasked: SIZE, validated: 0 });
  });
});
