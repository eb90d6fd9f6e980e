// Differential: long one-frame text messages checked by an injected validator, piece by
// piece with the seams carried by the DFA, give the same frames and the same error at the
// same offset as the kernel's own check, however the stream is cut and whatever bytes are
// flipped (the validator here is a strict TextDecoder, the reference is the kernel alone).
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { cutsFor, maskKey, runs, split, text } from '../support/arbitraries.js';
import { buildFrame, concat, cutAt, parseChunks } from '../support/frames.js';

const strict = new TextDecoder('utf-8', { fatal: true });
function validateUtf8(bytes: Uint8Array): boolean {
  try {
    strict.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

// Long enough to be deferred (1 KiB+), built from the boundary-heavy text arbitrary.
const longText = fc.array(text, { minLength: 1, maxLength: 6 }).map((parts) => {
  let joined = parts.join('');
  while (new TextEncoder().encode(joined).length < 1100) joined += `${joined}é😀€`;
  return joined;
});

const flip = fc.record({ at: fc.nat(), bit: fc.nat(7) });

describe.each([true, false])('deferred UTF-8 across cuts, wasm %s', (wasm) => {
  test.prop(
    [
      fc.array(longText, { minLength: 1, maxLength: 3 }),
      fc.array(maskKey, { minLength: 3, maxLength: 3 }),
      fc.option(flip),
      split,
    ],
    {
      numRuns: runs(40),
    },
  )('the injected validator and the kernel agree on every cut', (texts, keys, change, cuts) => {
    const frames = texts.map((t, i) =>
      buildFrame({ opcode: 1, payload: new TextEncoder().encode(t), maskKey: keys[i % keys.length] }),
    );
    const stream = concat(frames);
    // A flip in the first frame's payload: an invalid sequence somewhere, or still valid.
    if (change !== null) {
      // A 16-bit (or 64-bit) length field, then the mask key.
      const header = (frames[0][1] & 0x7f) === 127 ? 14 : 8;
      stream[header + (change.at % (frames[0].length - header))] ^= 1 << change.bit;
    }
    const chunks = cutAt(stream, cutsFor(cuts, stream.length));
    const reference = parseChunks(chunks, { role: 'server', wasm });
    const deferred = parseChunks(chunks, { role: 'server', wasm, validateUtf8 });
    expect(deferred.error).toEqual(reference.error);
    expect(deferred.frames).toEqual(reference.frames);
  });
});
