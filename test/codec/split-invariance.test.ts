// Any cut of a byte stream into chunks yields the same frames and the same error at the
// same offset, with either kernel; the WebAssembly walk and the TS walk agree.
import { describe, expect, it } from 'vitest';
import { buildFrame, bytesOf, concat, cutAt, type FrameSpec, parseChunks, prng } from '../support/frames.js';

const SAMPLES = ['', 'a', 'hello', 'κόσμε', '€uro', '𝄞 clef', '日本語テキスト', 'mixed ascii and ü and 🎉'];

/** A random valid stream of client frames: messages, fragments, interleaved control frames. */
function randomStream(random: () => number, frameCount: number): FrameSpec[] {
  const specs: FrameSpec[] = [];
  const key = () => Math.floor(random() * 2 ** 32);
  const size = () => {
    const r = random();
    return r < 0.5
      ? Math.floor(random() * 20)
      : r < 0.8
        ? 120 + Math.floor(random() * 10)
        : r < 0.95
          ? 65530 + Math.floor(random() * 10)
          : 300_000;
  };
  while (specs.length < frameCount) {
    const kind = random();
    if (kind < 0.15) {
      specs.push({
        opcode: random() < 0.5 ? 9 : 10,
        payload: new Uint8Array(Math.floor(random() * 126)).fill(0x61),
        maskKey: key(),
      });
    } else if (kind < 0.6) {
      const payload = new Uint8Array(size()).map(() => Math.floor(random() * 256));
      specs.push({ opcode: 2, payload, maskKey: key() });
    } else {
      // A text message cut into fragments at arbitrary byte positions, code points included.
      const words = Array.from(
        { length: 1 + Math.floor(random() * 30) },
        () => SAMPLES[Math.floor(random() * SAMPLES.length)],
      );
      const bytes = new TextEncoder().encode(words.join(' '));
      const cuts = Array.from({ length: Math.floor(random() * 4) }, () =>
        Math.floor(random() * bytes.length),
      );
      const parts = cutAt(bytes, cuts);
      parts.forEach((part, i) => {
        specs.push({ opcode: i === 0 ? 1 : 0, payload: part, fin: i === parts.length - 1, maskKey: key() });
        if (random() < 0.2 && i < parts.length - 1)
          specs.push({ opcode: 9, payload: new Uint8Array(3), maskKey: key() });
      });
    }
  }
  return specs;
}

/** Breaks one rule somewhere in the stream, or leaves it valid. */
function corrupt(random: () => number, bytes: Uint8Array): Uint8Array {
  const copy = bytes.slice();
  const at = Math.floor(random() * copy.length);
  copy[at] ^= 1 << Math.floor(random() * 8);
  return copy;
}

function randomCuts(random: () => number, length: number): number[] {
  return Array.from({ length: 1 + Math.floor(random() * 12) }, () => Math.floor(random() * length));
}

describe('split invariance', () => {
  for (let seed = 1; seed <= 10; seed++) {
    it(`seed ${seed}: whole, random cuts, byte at a time, wasm and TS all agree`, () => {
      const random = prng(seed * 7919);
      const valid = concat(randomStream(random, 12).map(buildFrame));
      for (const stream of [valid, corrupt(random, valid), corrupt(random, corrupt(random, valid))]) {
        const reference = parseChunks([stream], { role: 'server', wasm: false, maxFrame: 1 << 20 });
        const variants = [
          parseChunks([stream], { role: 'server', maxFrame: 1 << 20 }),
          parseChunks(cutAt(stream, randomCuts(random, stream.length)), {
            role: 'server',
            maxFrame: 1 << 20,
          }),
          parseChunks(cutAt(stream, randomCuts(random, stream.length)), {
            role: 'server',
            wasm: false,
            maxFrame: 1 << 20,
          }),
        ];
        if (stream.length < 200_000)
          variants.push(parseChunks(bytesOf(stream), { role: 'server', maxFrame: 1 << 20 }));
        for (const variant of variants) {
          expect(variant.frames).toEqual(reference.frames);
          expect(variant.error).toEqual(reference.error);
        }
      }
    });
  }

  it('a valid stream parses without error', () => {
    const random = prng(42);
    const stream = concat(randomStream(random, 40).map(buildFrame));
    const result = parseChunks([stream], { role: 'server' });
    expect(result.error).toBeNull();
    expect(result.frames.length).toBeGreaterThanOrEqual(40);
  });

  it('client role: unmasked server frames at every cut', () => {
    const frames = [
      buildFrame({ opcode: 1, payload: new TextEncoder().encode('héllo wörld 🎉') }),
      buildFrame({ opcode: 9, payload: new Uint8Array(5) }),
      buildFrame({ opcode: 2, payload: new Uint8Array(300).fill(3) }),
      buildFrame({ opcode: 8, payload: Uint8Array.of(0x03, 0xe8, 0x62, 0x79, 0x65) }),
    ];
    const stream = concat(frames);
    const reference = parseChunks([stream], { role: 'client' });
    expect(reference.frames).toHaveLength(4);
    for (let cut = 1; cut < stream.length; cut++) {
      for (const wasm of [true, false]) {
        const result = parseChunks([stream.subarray(0, cut), stream.subarray(cut)], { role: 'client', wasm });
        expect(result.frames).toEqual(reference.frames);
        expect(result.error).toBeNull();
      }
    }
  });
});
