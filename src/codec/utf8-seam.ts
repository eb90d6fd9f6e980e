// Where a code point is cut between two pieces of a text frame, for the deferred validator:
// the bytes before the cut go to the whole-buffer check, the cut code point to the kernel's DFA.

/** Bytes in the UTF-8 sequence that `lead` starts; 1 for a byte that starts none (the validator rejects it). */
export function sequenceLength(lead: number): number {
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 1;
}

/** Where the last code point that is cut off by `end` starts in `bytes[start, end)`, or `end` when none is. */
export function cutCodePoint(bytes: Uint8Array, start: number, end: number): number {
  for (let i = end - 1; i >= start && i >= end - 3; i--) {
    const byte = bytes[i];
    if ((byte & 0xc0) !== 0x80) return sequenceLength(byte) > end - i ? i : end;
  }
  return end;
}
