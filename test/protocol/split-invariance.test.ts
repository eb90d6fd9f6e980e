// Protocol: split invariance. A random stream of valid frames (messages whole and
// fragmented, code points cut across fragments, pings and pongs between fragments, all
// length encodings), ending open, with a close, or with a violation, gives the same
// events, output and state whether it is fed whole, byte by byte, or cut at random.
import { describe, expect, it } from 'vitest';
import { writeHeader } from '../../src/codec/encoder.js';
import type { Protocol } from '../../src/protocol/protocol.js';
import type { ProtocolEvent } from '../../src/protocol/types.js';
import { concat, framesSent, makeProtocol } from './helpers.js';

/** mulberry32: a small seeded PRNG, so a failure names the seed that reproduces it. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = ['a', 'Z', ' ', '0', 'é', 'ß', '€', '中', '😀', '\u{10ffff}', '\ufeff'];
const LENGTHS = [0, 1, 5, 125, 126, 127, 300, 65535, 65536, 70000];

class StreamBuilder {
  readonly parts: Uint8Array[] = [];
  constructor(
    readonly random: () => number,
    private readonly masked: boolean,
  ) {}

  int(below: number): number {
    return Math.floor(this.random() * below);
  }

  frame(byte0: number, payload: Uint8Array): void {
    const key = this.masked ? (this.random() * 2 ** 32) >>> 0 : undefined;
    const header = new Uint8Array(14);
    const at = writeHeader(header, byte0 & 0x0f, payload.length, (byte0 & 0x80) !== 0, false, key);
    const body = payload.slice();
    if (key !== undefined) for (let i = 0; i < body.length; i++) body[i] ^= header[at - 4 + (i & 3)];
    this.parts.push(header.subarray(0, at), body);
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.int(256);
    return out;
  }

  control(): void {
    this.frame(this.random() < 0.5 ? 0x89 : 0x8a, this.bytes(this.int(126)));
  }

  /** A text or binary message, whole or in fragments cut anywhere (inside code points too). */
  message(): void {
    const text = this.random() < 0.5;
    // Long payloads are rare: byte-by-byte feeding pays for every byte.
    const length = this.random() < 0.1 ? LENGTHS[this.int(LENGTHS.length)] : this.int(130);
    let payload: Uint8Array;
    if (text) {
      let s = '';
      while (s.length < length) s += ALPHABET[this.int(ALPHABET.length)];
      payload = new TextEncoder().encode(s);
    } else {
      payload = this.bytes(length);
    }
    const cuts = [0];
    for (let n = this.random() < 0.4 ? this.int(5) + 1 : 0; n > 0; n--)
      cuts.push(this.int(payload.length + 1));
    cuts.sort((x, y) => x - y).push(payload.length);
    for (let i = 0; i + 1 < cuts.length; i++) {
      const last = i + 2 === cuts.length;
      const opcode = i === 0 ? (text ? 1 : 2) : 0;
      this.frame((last ? 0x80 : 0) | opcode, payload.subarray(cuts[i], cuts[i + 1]));
      if (!last && this.random() < 0.3) this.control();
    }
  }

  /** How the stream ends: still open, a close (and bytes after it), or a violation. */
  ending(): void {
    const kind = this.int(3);
    if (kind === 1) {
      const code = [1000, 1001, 1003, 1011, 3000, 4999][this.int(6)];
      const reason = new TextEncoder().encode('bye é'.slice(0, this.int(6)));
      this.frame(0x88, concat([new Uint8Array([code >> 8, code & 0xff]), reason]));
      this.frame(0x81, new TextEncoder().encode('after the close'));
    } else if (kind === 2) {
      const violations = [
        [0x83, new Uint8Array(0)], // reserved opcode
        [0x81, new Uint8Array([0xed, 0xa0, 0x80])], // a surrogate
        [0x80, new Uint8Array([1])], // stray continuation
        [0x88, new Uint8Array([0x03, 0xed])], // close code 1005
      ] as const;
      const [byte0, payload] = violations[this.int(violations.length)];
      this.frame(byte0, payload);
      this.frame(0x81, new TextEncoder().encode('after the violation'));
    }
  }
}

function randomStream(seed: number, masked: boolean): Uint8Array {
  const builder = new StreamBuilder(prng(seed), masked);
  for (let n = builder.int(12) + 1; n > 0; n--) {
    if (builder.random() < 0.2) builder.control();
    else builder.message();
  }
  builder.ending();
  return concat(builder.parts);
}

/** What a feeding produced, in a form `toEqual` compares exactly. */
function outcome(p: Protocol, events: ProtocolEvent[]) {
  return {
    // Payloads as hex: deep equality over large Uint8Arrays is slow.
    events: events.map((e) => {
      if (e.type === 'error') return { type: 'error', code: e.error.code, offset: e.error.offset };
      if (e.type === 'close' || typeof e.data === 'string') return e;
      return { ...e, data: Buffer.from(e.data).toString('hex') };
    }),
    sent: framesSent(p),
    state: p.state,
    closeSent: p.closeSent,
    closeReceived: p.closeReceived,
    closeExpected: p.closeExpected(),
  };
}

function feedIn(role: 'server' | 'client', wasm: boolean, stream: Uint8Array, cuts: number[]) {
  const p = makeProtocol(role, { wasm });
  const events: ProtocolEvent[] = [];
  let from = 0;
  for (const to of [...cuts, stream.length]) {
    // A fresh copy per chunk: the protocol must not keep the caller's buffer.
    p.receiveData(stream.slice(from, to));
    events.push(...p.eventsReceived());
    from = to;
  }
  return outcome(p, events);
}

function randomCuts(random: () => number, length: number): number[] {
  const cuts: number[] = [];
  for (let at = 0; ; ) {
    // Mostly small steps (headers cut in every way), sometimes large ones.
    at += random() < 0.8 ? 1 + Math.floor(random() * 16) : 1 + Math.floor(random() * 70000);
    if (at >= length) return cuts;
    cuts.push(at);
  }
}

describe.each([
  ['server', true],
  ['server', false],
  ['client', true],
  ['client', false],
] as const)('split invariance, %s, wasm %s', (role, wasm) => {
  it.each(Array.from({ length: 12 }, (_, i) => 1000 + i))('seed %i', (seed) => {
    const stream = randomStream(seed, role === 'server');
    const whole = feedIn(role, wasm, stream, []);
    expect(whole.events.length).toBeGreaterThan(0);
    if (stream.length <= 20000) {
      const byByte = Array.from({ length: stream.length - 1 }, (_, i) => i + 1);
      expect(feedIn(role, wasm, stream, byByte)).toEqual(whole);
    }
    const random = prng(seed * 7919);
    for (let round = 0; round < 3; round++) {
      expect(feedIn(role, wasm, stream, randomCuts(random, stream.length))).toEqual(whole);
    }
  });
});
