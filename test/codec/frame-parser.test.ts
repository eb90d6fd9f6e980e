import { describe, expect, it } from 'vitest';
import { FrameParser } from '../../src/codec/frame-parser.js';
import { buildFrame, bytesOf, concat, digest, hex, parseChunks, text, toHex } from '../support/frames.js';

const KEY = 0x3d21fa37; // the RFC 6455 §5.7 key 37 fa 21 3d read little-endian

describe.each([
  ['wasm', true],
  ['ts', false],
])('FrameParser (%s kernels)', (_name, wasm) => {
  const server = { role: 'server' as const, wasm };
  const client = { role: 'client' as const, wasm };
  const parse = (bytes: Uint8Array, options: Parameters<typeof parseChunks>[1] = server) =>
    parseChunks([bytes], options);

  describe('RFC 6455 §5.7 examples', () => {
    it('decodes a single-frame unmasked text message', () => {
      const { frames, error } = parse(hex('810548656c6c6f'), client);
      expect(error).toBeNull();
      expect(frames).toMatchObject([
        { fin: true, opcode: 1, masked: false, length: 5, payload: toHex(text('Hello')) },
      ]);
    });
    it('decodes a single-frame masked text message', () => {
      const { frames, error } = parse(hex('818537fa213d7f9f4d5158'));
      expect(error).toBeNull();
      expect(frames).toMatchObject([
        { opcode: 1, masked: true, maskKey: KEY, headerLength: 6, payload: toHex(text('Hello')) },
      ]);
    });
    it('decodes a fragmented unmasked text message', () => {
      const { frames } = parse(hex('010348656c 80026c6f'), client);
      expect(frames.map((f) => [f.opcode, f.fin, f.payload])).toEqual([
        [1, false, toHex(text('Hel'))],
        [0, true, toHex(text('lo'))],
      ]);
      expect(frames[1].offset).toBe(5);
    });
    it('decodes an unmasked ping and a masked pong', () => {
      expect(parse(hex('890548656c6c6f'), client).frames[0]).toMatchObject({
        opcode: 9,
        payload: toHex(text('Hello')),
      });
      expect(parse(hex('8a8537fa213d7f9f4d5158')).frames[0]).toMatchObject({
        opcode: 10,
        payload: toHex(text('Hello')),
      });
    });
    it('decodes 256 bytes and 64 KiB binary messages with 16- and 64-bit lengths', () => {
      const small = new Uint8Array(256).map((_, i) => i);
      const r1 = parse(concat([hex('827e0100'), small]), client);
      expect(r1.frames).toMatchObject([{ opcode: 2, length: 256, headerLength: 4, payload: toHex(small) }]);
      const big = new Uint8Array(65536).map((_, i) => i * 7);
      const r2 = parse(concat([hex('827f0000000000010000'), big]), client);
      expect(r2.frames).toMatchObject([{ opcode: 2, length: 65536, headerLength: 10 }]);
      expect(r2.frames[0].payload).toBe(digest(big));
    });
  });

  describe('masking (§5.1, §5.3)', () => {
    it('rejects an unmasked frame from a client with 1002', () => {
      expect(parse(hex('810548656c6c6f')).error).toEqual({
        code: 'WS_ERR_EXPECTED_MASK',
        closeCode: 1002,
        offset: 0,
      });
    });
    it('rejects a masked frame from a server with 1002', () => {
      expect(parse(hex('818537fa213d7f9f4d5158'), client).error?.code).toBe('WS_ERR_UNEXPECTED_MASK');
    });
    it('unmasks a payload split at every offset', () => {
      const payload = text('rotation matters across chunks');
      const frame = buildFrame({ opcode: 2, payload, maskKey: 0x04030201 });
      for (let cut = 1; cut < frame.length; cut++) {
        const r = parseChunks([frame.subarray(0, cut), frame.subarray(cut)], server);
        expect(r.frames[0].payload).toBe(digest(payload));
      }
    });
  });

  describe('base framing (§5.2)', () => {
    it('rejects RSV bits without an extension', () => {
      for (const rsv of [0x40, 0x20, 0x10]) {
        expect(parse(buildFrame({ opcode: 1, payload: text('x'), rsv, maskKey: 1 })).error?.code).toBe(
          'WS_ERR_UNEXPECTED_RSV',
        );
      }
    });
    it('accepts RSV1 on a first data frame only when allowed, never on continuations or control frames', () => {
      const options = { ...server, allowRsv1: true };
      const compressed = buildFrame({ opcode: 2, payload: text('x'), rsv: 0x40, maskKey: 1 });
      expect(parse(compressed, options).frames[0].rsv).toBe(0x40);
      const cont = concat([
        buildFrame({ opcode: 2, payload: text('x'), rsv: 0x40, fin: false, maskKey: 1 }),
        buildFrame({ opcode: 0, payload: text('y'), rsv: 0x40, maskKey: 1 }),
      ]);
      expect(parse(cont, options).error).toMatchObject({ code: 'WS_ERR_UNEXPECTED_RSV', offset: 7 });
      expect(
        parse(buildFrame({ opcode: 9, payload: text(''), rsv: 0x40, maskKey: 1 }), options).error?.code,
      ).toBe('WS_ERR_UNEXPECTED_RSV');
      expect(
        parse(buildFrame({ opcode: 2, payload: text('x'), rsv: 0x20, maskKey: 1 }), options).error?.code,
      ).toBe('WS_ERR_UNEXPECTED_RSV');
    });
    it('rejects reserved opcodes 3-7 and 11-15', () => {
      for (const opcode of [3, 4, 5, 6, 7, 11, 12, 13, 14, 15]) {
        expect(parse(buildFrame({ opcode, payload: text(''), maskKey: 1 })).error).toEqual({
          code: 'WS_ERR_INVALID_OPCODE',
          closeCode: 1002,
          offset: 0,
        });
      }
    });
    it('reports a reserved opcode from the first two bytes, before the rest of the header', () => {
      expect(parse(hex('83fe'))).toMatchObject({ error: { code: 'WS_ERR_INVALID_OPCODE' } });
    });
    it('rejects non-minimal 16- and 64-bit lengths', () => {
      expect(
        parse(buildFrame({ opcode: 2, payload: new Uint8Array(125), lengthBits: 16, maskKey: 1 })).error
          ?.code,
      ).toBe('WS_ERR_NON_MINIMAL_LENGTH');
      expect(
        parse(buildFrame({ opcode: 2, payload: new Uint8Array(65535), lengthBits: 64, maskKey: 1 })).error
          ?.code,
      ).toBe('WS_ERR_NON_MINIMAL_LENGTH');
      expect(
        parse(buildFrame({ opcode: 2, payload: new Uint8Array(126), lengthBits: 16, maskKey: 1 })).error,
      ).toBeNull();
      expect(
        parse(buildFrame({ opcode: 2, payload: new Uint8Array(65536), lengthBits: 64, maskKey: 1 })).error,
      ).toBeNull();
    });
    it('rejects a 64-bit length with its most significant bit set', () => {
      expect(parse(hex('82ff8000000000000001 00000000')).error?.code).toBe(
        'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH',
      );
    });
    it('accepts empty frames of every data opcode', () => {
      const r = parse(
        concat([
          buildFrame({ opcode: 1, payload: text(''), maskKey: 9 }),
          buildFrame({ opcode: 2, payload: text(''), maskKey: 9 }),
        ]),
      );
      expect(r.frames.map((f) => [f.opcode, f.length, f.payload])).toEqual([
        [1, 0, ''],
        [2, 0, ''],
      ]);
    });
  });

  describe('control frames (§5.5)', () => {
    it('rejects a control frame over 125 bytes', () => {
      expect(parse(buildFrame({ opcode: 9, payload: new Uint8Array(126), maskKey: 1 })).error?.code).toBe(
        'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH',
      );
      expect(parse(buildFrame({ opcode: 9, payload: new Uint8Array(125), maskKey: 1 })).error).toBeNull();
    });
    it('rejects a fragmented control frame', () => {
      expect(parse(buildFrame({ opcode: 10, payload: text('a'), fin: false, maskKey: 1 })).error?.code).toBe(
        'WS_ERR_EXPECTED_FIN',
      );
    });
    it('delivers a control frame whole, however it is split', () => {
      const ping = buildFrame({ opcode: 9, payload: new Uint8Array(125).fill(7), maskKey: 0xdeadbeef });
      const r = parseChunks(bytesOf(ping), server);
      expect(r.pieces).toBe(1);
      expect(r.frames[0].payload).toBe(toHex(new Uint8Array(125).fill(7)));
    });
    it('allows control frames between the fragments of a message', () => {
      const stream = concat([
        buildFrame({ opcode: 1, payload: text('Hel'), fin: false, maskKey: 5 }),
        buildFrame({ opcode: 9, payload: text('p'), maskKey: 6 }),
        buildFrame({ opcode: 0, payload: text('lo'), maskKey: 7 }),
      ]);
      expect(parse(stream).frames.map((f) => f.opcode)).toEqual([1, 9, 0]);
    });
  });

  describe('close frames (§5.5.1, §7.4)', () => {
    const close = (body: Uint8Array) => parse(buildFrame({ opcode: 8, payload: body, maskKey: 0x11223344 }));
    it('accepts an empty close and codes valid on the wire', () => {
      expect(close(new Uint8Array(0)).error).toBeNull();
      for (const code of [
        1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999,
      ]) {
        expect(close(Uint8Array.of(code >> 8, code & 0xff)).error).toBeNull();
      }
    });
    it('rejects codes that never appear on the wire', () => {
      for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535]) {
        expect(close(Uint8Array.of(code >> 8, code & 0xff)).error?.code).toBe('WS_ERR_INVALID_CLOSE_CODE');
      }
    });
    it('rejects a 1-byte body', () => {
      expect(close(Uint8Array.of(3)).error).toMatchObject({
        code: 'WS_ERR_INVALID_CLOSE_PAYLOAD',
        closeCode: 1002,
      });
    });
    it('rejects a reason that is not UTF-8 with 1007', () => {
      expect(close(hex('03e8 ceba e1bd b9cf 83ce bcce b5ed a080 6564 6974 6564')).error).toMatchObject({
        code: 'WS_ERR_INVALID_UTF8',
        closeCode: 1007,
      });
      expect(close(concat([hex('03e8'), text('κόσμε')])).error).toBeNull();
    });
  });

  describe('fragmentation (§5.4)', () => {
    it('rejects a continuation outside a message', () => {
      expect(parse(buildFrame({ opcode: 0, payload: text('x'), maskKey: 1 })).error?.code).toBe(
        'WS_ERR_UNEXPECTED_CONTINUATION',
      );
    });
    it('rejects a new data frame inside an open message', () => {
      const stream = concat([
        buildFrame({ opcode: 1, payload: text('a'), fin: false, maskKey: 1 }),
        buildFrame({ opcode: 2, payload: text('b'), maskKey: 1 }),
      ]);
      expect(parse(stream).error).toMatchObject({ code: 'WS_ERR_EXPECTED_CONTINUATION', offset: 7 });
    });
    it('accepts a continuation after the message closed only as an error', () => {
      const stream = concat([
        buildFrame({ opcode: 1, payload: text('a'), maskKey: 1 }),
        buildFrame({ opcode: 0, payload: text('b'), maskKey: 1 }),
      ]);
      expect(parse(stream).error?.code).toBe('WS_ERR_UNEXPECTED_CONTINUATION');
    });
  });

  describe('UTF-8 (§8.1)', () => {
    it('accepts a code point split across fragments and chunks', () => {
      const euro = text('€'); // e2 82 ac
      const stream = concat([
        buildFrame({ opcode: 1, payload: euro.subarray(0, 1), fin: false, maskKey: 1 }),
        buildFrame({ opcode: 0, payload: euro.subarray(1, 2), fin: false, maskKey: 2 }),
        buildFrame({ opcode: 0, payload: euro.subarray(2), maskKey: 3 }),
      ]);
      expect(parseChunks(bytesOf(stream), server).error).toBeNull();
      expect(parse(stream).error).toBeNull();
    });
    it('rejects a message that ends inside a code point', () => {
      const stream = concat([
        buildFrame({ opcode: 1, payload: hex('e282'), fin: false, maskKey: 1 }),
        buildFrame({ opcode: 0, payload: hex(''), maskKey: 2 }),
      ]);
      expect(parse(stream).error).toMatchObject({ code: 'WS_ERR_INVALID_UTF8', closeCode: 1007, offset: 8 });
    });
    it('rejects invalid text as soon as the bad byte arrives', () => {
      const frame = buildFrame({
        opcode: 1,
        payload: concat([text('ok'), hex('c0af'), new Uint8Array(1000)]),
        maskKey: 1,
      });
      const r = parseChunks([frame.subarray(0, 12)], server);
      expect(r.error?.code).toBe('WS_ERR_INVALID_UTF8');
    });
    it('does not validate binary or compressed text', () => {
      expect(parse(buildFrame({ opcode: 2, payload: hex('ff'), maskKey: 1 })).error).toBeNull();
      expect(
        parse(buildFrame({ opcode: 1, payload: hex('ff'), rsv: 0x40, maskKey: 1 }), {
          ...server,
          allowRsv1: true,
        }).error,
      ).toBeNull();
    });
  });

  describe('deferred UTF-8 validation (validateUtf8 option)', () => {
    const strict = new TextDecoder('utf-8', { fatal: true });
    const counting = () => {
      const calls: number[] = [];
      const validateUtf8 = (bytes: Uint8Array) => {
        calls.push(bytes.length);
        try {
          strict.decode(bytes);
          return true;
        } catch {
          return false;
        }
      };
      return { calls, options: { ...server, validateUtf8 } };
    };
    it('hands whole text messages of 1 KiB and more to the validator, and nothing else', () => {
      const { calls, options } = counting();
      const long = text('ü'.repeat(600));
      const stream = concat([
        buildFrame({ opcode: 1, payload: long, maskKey: 1 }),
        buildFrame({ opcode: 1, payload: text('short'), maskKey: 2 }),
        buildFrame({ opcode: 1, payload: long.subarray(0, 1100), fin: false, maskKey: 3 }),
        buildFrame({ opcode: 0, payload: long.subarray(1100), maskKey: 4 }),
        buildFrame({ opcode: 2, payload: new Uint8Array(2000).fill(0xff), maskKey: 5 }),
      ]);
      const result = parseChunks([stream], options);
      expect(result.error).toBeNull();
      expect(result.frames).toHaveLength(5);
      expect(result.frames[0]).toMatchObject({ headerLength: 8, length: 1200 });
      expect(calls).toEqual([1200]);
    });
    it('fails with 1007 at the frame when the validator rejects it, delivering nothing of it', () => {
      const { options } = counting();
      const good = buildFrame({ opcode: 1, payload: text('ok'), maskKey: 1 });
      const bad = concat([text('a'.repeat(1500)), hex('eda080')]);
      const result = parseChunks(
        [concat([good, buildFrame({ opcode: 1, payload: bad, maskKey: 2 }), good])],
        options,
      );
      expect(result.frames).toHaveLength(1);
      expect(result.error).toEqual({ code: 'WS_ERR_INVALID_UTF8', closeCode: 1007, offset: good.length });
    });
    it('hands a long one-frame message split across pushes to the validator piece by piece, each byte once', () => {
      const { calls, options } = counting();
      const payload = text('a'.repeat(1500));
      const frame = buildFrame({ opcode: 1, payload, maskKey: 9 });
      const result = parseChunks([frame.subarray(0, 700), frame.subarray(700)], options);
      expect(result.error).toBeNull();
      expect(calls).toEqual([700 - 8, 1500 - (700 - 8)]);
    });
    it('finds invalid UTF-8 in a later piece of a split message', () => {
      const { options } = counting();
      const frame = buildFrame({
        opcode: 1,
        payload: concat([text('a'.repeat(1500)), hex('c0af')]),
        maskKey: 9,
      });
      const result = parseChunks([frame.subarray(0, 700), frame.subarray(700)], options);
      expect(result.error).toMatchObject({ code: 'WS_ERR_INVALID_UTF8', closeCode: 1007, offset: 0 });
    });
    // A code point cut between two pushes is checked across the seam, at every cut.
    const seams: [string, string, boolean][] = [
      ['two-byte', 'c3bc', true],
      ['three-byte', 'e282ac', true],
      ['four-byte', 'f09f9880', true],
      ['surrogate', 'eda080', false],
      ['overlong', 'e08080', false],
      ['above U+10FFFF', 'f4908080', false],
      ['truncated then ASCII', 'e28261', false],
      ['lone continuation', '80', false],
      ['invalid lead', 'f5808080', false],
    ];
    for (const [name, sequence, valid] of seams) {
      it(`${name} (${sequence}) cut at every byte around the seam: ${valid ? 'accepted' : '1007'}`, () => {
        const payload = concat([text('a'.repeat(1200)), hex(sequence), text('bcd')]);
        const frame = buildFrame({ opcode: 1, payload, maskKey: 5 });
        const at = frame.length - 3 - sequence.length / 2;
        for (let cut = at - 1; cut <= at + sequence.length / 2 + 1; cut++) {
          const { options, calls } = counting();
          const result = parseChunks([frame.subarray(0, cut), frame.subarray(cut)], options);
          expect(result.error?.code ?? null, `cut at ${cut}`).toBe(valid ? null : 'WS_ERR_INVALID_UTF8');
          // Every byte but the cut code point's (at most 4, the DFA's) goes to the validator, once.
          const validated = calls.reduce((sum, length) => sum + length, 0);
          if (valid) expect(payload.length - validated).toBeGreaterThanOrEqual(0);
          if (valid) expect(payload.length - validated).toBeLessThanOrEqual(4);
        }
      });
    }
    it('a message ending inside a code point is rejected, however it is cut', () => {
      const payload = concat([text('a'.repeat(1200)), hex('f09f98')]);
      const frame = buildFrame({ opcode: 1, payload, maskKey: 5 });
      for (const cut of [frame.length - 3, frame.length - 2, frame.length - 1]) {
        const { options } = counting();
        expect(parseChunks([frame.subarray(0, cut), frame.subarray(cut)], options).error?.code).toBe(
          'WS_ERR_INVALID_UTF8',
        );
      }
    });
  });

  describe('limits', () => {
    it('closes with 1009 when a frame exceeds maxFrame, from its header alone', () => {
      const r = parseChunks([hex('82ff0000000001000000 01020304')], { ...server, maxFrame: 1 << 20 });
      expect(r.error).toEqual({ code: 'WS_ERR_FRAME_TOO_LARGE', closeCode: 1009, offset: 0 });
    });
    it('closes with 1009 when fragments exceed maxMessage', () => {
      const part = buildFrame({ opcode: 2, payload: new Uint8Array(600), fin: false, maskKey: 1 });
      const tail = buildFrame({ opcode: 0, payload: new Uint8Array(600), maskKey: 1 });
      const r = parse(concat([part, tail]), { ...server, maxMessage: 1000 });
      expect(r.error).toMatchObject({
        code: 'WS_ERR_MESSAGE_TOO_LARGE',
        closeCode: 1009,
        offset: part.length,
      });
      expect(parse(concat([part, tail]), { ...server, maxMessage: 1200 }).error).toBeNull();
    });
    it('validates limit options', () => {
      expect(() => parse(new Uint8Array(0), { ...server, maxFrame: -1 })).toThrow(RangeError);
      expect(() => parse(new Uint8Array(0), { ...server, maxMessage: 1.5 })).toThrow(RangeError);
    });
  });

  describe('streaming', () => {
    it('delivers a frame larger than the window in pieces with the right offsets', () => {
      const payload = new Uint8Array(600_000).map((_, i) => i * 31);
      const frame = buildFrame({ opcode: 2, payload, maskKey: 0x9abcdef1 });
      const r = parseChunks([frame], server);
      expect(r.pieces).toBeGreaterThan(1);
      expect(r.frames).toHaveLength(1);
      expect(r.frames[0].payload).toBe(digest(payload));
    });
    it('walks more frames than the descriptor table holds in one chunk', () => {
      const frames = Array.from({ length: 5000 }, (_, i) =>
        buildFrame({ opcode: 2, payload: Uint8Array.of(i & 0xff), maskKey: i }),
      );
      const r = parse(concat(frames));
      expect(r.frames).toHaveLength(5000);
      expect(r.frames[4999]).toMatchObject({ payload: '87', offset: 4999 * 7 });
    });
    it('discards everything after the first error', () => {
      const bad = buildFrame({ opcode: 3, payload: text(''), maskKey: 1 });
      const good = buildFrame({ opcode: 1, payload: text('x'), maskKey: 1 });
      const r = parseChunks([good, bad, good, good], server);
      expect(r.frames).toHaveLength(1);
      expect(r.error?.offset).toBe(good.length);
    });
  });
});

describe('FrameParser across kernels', () => {
  it('parses another stream from inside a callback (the arena is lent, not shared)', () => {
    const inner = buildFrame({ opcode: 2, payload: text('inner'), maskKey: 2 });
    const outer = concat([
      buildFrame({ opcode: 2, payload: text('outer'), maskKey: 3 }),
      buildFrame({ opcode: 2, payload: text('again'), maskKey: 4 }),
    ]);
    const seen: string[] = [];
    const parser = new FrameParser(
      {
        frame(piece) {
          const before = toHex(piece.payload());
          const nested = parseChunks([inner], { role: 'server' });
          seen.push(before, nested.frames[0].payload, toHex(piece.payload()));
        },
        error(error) {
          throw error;
        },
      },
      { role: 'server' },
    );
    parser.push(outer);
    expect(seen).toEqual([
      toHex(text('outer')),
      toHex(text('inner')),
      toHex(text('outer')),
      toHex(text('again')),
      toHex(text('inner')),
      toHex(text('again')),
    ]);
  });
});
