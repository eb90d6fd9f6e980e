// inspect(): every frame at its offset with its header, mask key and preview; messages with
// their UTF-8 status; every violation at the offset of the frame that broke the rule, for
// both senders and both kernels; any split of the input gives the same result; the JSON
// shape tools script against is pinned.
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { type InspectResult, inspect } from '../../../src/codec/index.js';
import { buildFrame, closeBody, concat, cutAt, type FrameSpec, text, toHex } from '../../support/frames.js';

const MASK = 0x0badf00d;
const MASK_HEX = '0df0ad0b'; // the key's bytes in wire order

const masked = (spec: FrameSpec): FrameSpec => ({ maskKey: MASK, ...spec });

describe('inspect: frames, messages, offsets', () => {
  it('pins the JSON shape: every field of a frame, a message and an error, and no others', async () => {
    const bytes = concat([
      buildFrame(masked({ opcode: 1, payload: text('héllo'), fin: false })),
      buildFrame(masked({ opcode: 9, payload: text('p') })),
      buildFrame(masked({ opcode: 0, payload: text(' world') })),
      buildFrame(masked({ opcode: 2, payload: Uint8Array.of(1, 2, 3) })),
      buildFrame(masked({ opcode: 3, payload: new Uint8Array(0) })),
    ]);
    const result = JSON.parse(JSON.stringify(await inspect(bytes, { from: 'client' }))) as InspectResult;
    expect(Object.keys(result)).toEqual(['frames', 'messages', 'error']);
    expect(result.frames[0]).toEqual({
      offset: 0,
      fin: false,
      rsv1: false,
      rsv2: false,
      rsv3: false,
      opcode: 1,
      masked: true,
      maskKey: MASK_HEX,
      length: 6,
      payloadOffset: 6,
      preview: toHex(text('héllo')),
    });
    expect(result.frames.map((f) => Object.keys(f))).toEqual(
      result.frames.map(() => [
        'offset',
        'fin',
        'rsv1',
        'rsv2',
        'rsv3',
        'opcode',
        'masked',
        'maskKey',
        'length',
        'payloadOffset',
        'preview',
      ]),
    );
    expect(result.messages).toEqual([
      {
        type: 'text',
        length: 12,
        frames: [0, 2],
        preview: toHex(text('héllo world')),
        text: 'héllo world',
        utf8: 'valid',
      },
      { type: 'binary', length: 3, frames: [3], preview: '010203' },
    ]);
    expect(result.error).toEqual({
      code: 'WS_ERR_INVALID_OPCODE',
      closeCode: 1002,
      offset: 12 + 7 + 12 + 9,
      message: 'reserved opcode',
    });
    expect(Object.keys(result.error!)).toEqual(['code', 'closeCode', 'offset', 'message']);
  });

  it('gives offsets, payload offsets and mask keys for 7-, 16- and 64-bit lengths, unmasked server frames', async () => {
    const frames = [
      buildFrame({ opcode: 2, payload: new Uint8Array(125).fill(7) }),
      buildFrame({ opcode: 2, payload: new Uint8Array(300).fill(8) }),
      buildFrame({ opcode: 2, payload: new Uint8Array(70000).fill(9) }),
    ];
    const result = await inspect(concat(frames), { from: 'server', previewBytes: 4 });
    expect(result.frames.map((f) => [f.offset, f.payloadOffset, f.length, f.maskKey, f.preview])).toEqual([
      [0, 2, 125, null, '07070707'],
      [127, 131, 300, null, '08080808'],
      [431, 441, 70000, null, '09090909'],
    ]);
    expect(result.error).toBeNull();
  });

  it('cuts a long text at a character boundary and says so', async () => {
    const result = await inspect(buildFrame({ opcode: 1, payload: text('aé'.repeat(100)) }), {
      from: 'server',
      textBytes: 4,
    });
    expect(result.messages[0]).toMatchObject({
      text: 'aéa',
      textTruncated: true,
      length: 300,
      utf8: 'valid',
    });
  });

  it('reports a frame cut off by the end of the input at its offset, and leaves an open message out', async () => {
    const whole = buildFrame(masked({ opcode: 1, payload: text('a'), fin: false }));
    const cut = buildFrame(masked({ opcode: 0, payload: text('bcdef') })).subarray(0, 5);
    const result = await inspect(concat([whole, cut]), { from: 'client' });
    expect(result.frames).toHaveLength(1);
    expect(result.messages).toEqual([]);
    expect(result.error).toMatchObject({
      code: 'WS_ERR_UNEXPECTED_EOF',
      closeCode: 1006,
      offset: whole.length,
    });
    const open = await inspect(whole, { from: 'client' });
    expect(open.error).toBeNull();
    expect(open.messages).toEqual([]);
  });

  it('gives the same result for any split of the input, as one array, an iterable or an async iterable', async () => {
    const bytes = concat([
      buildFrame(masked({ opcode: 1, payload: text('x'.repeat(200)), fin: false })),
      buildFrame(masked({ opcode: 10, payload: text('pong') })),
      buildFrame(masked({ opcode: 0, payload: text('y'.repeat(70000)) })),
      buildFrame(masked({ opcode: 8, payload: closeBody(1000, 'bye') })),
    ]);
    const whole = await inspect(bytes, { from: 'client' });
    expect(whole.frames).toHaveLength(4);
    let seed = 7;
    const random = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    for (let round = 0; round < 20; round++) {
      const cuts = Array.from({ length: 1 + Math.floor(random() * 12) }, () =>
        Math.floor(random() * bytes.length),
      );
      const parts = cutAt(bytes, cuts);
      expect(await inspect(parts, { from: 'client' })).toEqual(whole);
      async function* chunks() {
        yield* parts;
      }
      expect(await inspect(chunks(), { from: 'client', wasm: round % 2 === 0 })).toEqual(whole);
    }
  });

  it('never throws on random bytes', async () => {
    let seed = 99;
    for (let round = 0; round < 200; round++) {
      const bytes = new Uint8Array(1 + (round % 64));
      for (let i = 0; i < bytes.length; i++) {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        bytes[i] = seed >>> 24;
      }
      for (const from of ['client', 'server'] as const) {
        const result = await inspect(bytes, { from, deflate: round % 2 === 0 });
        expect(result.frames.length + (result.error === null ? 0 : 1)).toBeGreaterThanOrEqual(0);
      }
    }
  });

  it('refuses bad options with a TypeError or RangeError', async () => {
    await expect(inspect(new Uint8Array(0), { from: 'peer' as 'client' })).rejects.toThrow(TypeError);
    await expect(inspect(new Uint8Array(0), { from: 'client', previewBytes: -1 })).rejects.toThrow(
      RangeError,
    );
  });
});

// The violations of test/regress/reply-before-violation-close.test.ts, each preceded by a
// good message so the offset of the breaking frame is not 0.
interface Violation {
  code: string;
  closeCode: number;
  frames(m: boolean): FrameSpec[];
  options?: { maxFrame?: number; maxMessage?: number };
}
const key = (m: boolean) => (m ? MASK : undefined);
const f = (m: boolean, spec: FrameSpec): FrameSpec => ({ maskKey: key(m), ...spec });
const VIOLATIONS: Violation[] = [
  {
    code: 'WS_ERR_UNEXPECTED_RSV',
    closeCode: 1002,
    frames: (m) => [f(m, { opcode: 1, payload: text('x'), rsv: 0x40 })],
  },
  {
    code: 'WS_ERR_INVALID_OPCODE',
    closeCode: 1002,
    frames: (m) => [f(m, { opcode: 0xb, payload: text('x') })],
  },
  {
    code: 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH',
    closeCode: 1002,
    frames: (m) => [f(m, { opcode: 9, payload: new Uint8Array(126) })],
  },
  {
    code: 'WS_ERR_EXPECTED_FIN',
    closeCode: 1002,
    frames: (m) => [f(m, { opcode: 9, payload: text('p'), fin: false })],
  },
  {
    code: 'WS_ERR_NON_MINIMAL_LENGTH',
    closeCode: 1002,
    frames: (m) => [f(m, { opcode: 1, payload: text('x'), lengthBits: 16 })],
  },
  {
    code: 'WS_ERR_UNEXPECTED_CONTINUATION',
    closeCode: 1002,
    frames: (m) => [f(m, { opcode: 0, payload: text('x') })],
  },
  {
    code: 'WS_ERR_EXPECTED_CONTINUATION',
    closeCode: 1002,
    frames: (m) => [
      f(m, { opcode: 1, payload: text('a'), fin: false }),
      f(m, { opcode: 1, payload: text('b') }),
    ],
  },
  {
    code: 'WS_ERR_FRAME_TOO_LARGE',
    closeCode: 1009,
    frames: (m) => [f(m, { opcode: 2, payload: new Uint8Array(1025) })],
    options: { maxFrame: 1024 },
  },
  {
    code: 'WS_ERR_MESSAGE_TOO_LARGE',
    closeCode: 1009,
    frames: (m) => [
      f(m, { opcode: 2, payload: new Uint8Array(600), fin: false }),
      f(m, { opcode: 0, payload: new Uint8Array(600) }),
    ],
    options: { maxMessage: 1024 },
  },
  {
    code: 'WS_ERR_INVALID_UTF8',
    closeCode: 1007,
    frames: (m) => [f(m, { opcode: 1, payload: Uint8Array.of(0xce, 0xba, 0xff) })],
  },
  {
    code: 'WS_ERR_INVALID_CLOSE_PAYLOAD',
    closeCode: 1002,
    frames: (m) => [f(m, { opcode: 8, payload: Uint8Array.of(0x03) })],
  },
  {
    code: 'WS_ERR_INVALID_CLOSE_CODE',
    closeCode: 1002,
    frames: (m) => [f(m, { opcode: 8, payload: closeBody(1005) })],
  },
  {
    code: 'WS_ERR_INVALID_UTF8',
    closeCode: 1007,
    frames: (m) => [f(m, { opcode: 8, payload: concat([closeBody(1000), Uint8Array.of(0xff)]) })],
  },
];

describe('inspect: every violation at the offset of the frame that broke the rule', () => {
  for (const from of ['client', 'server'] as const) {
    const m = from === 'client';
    for (const wasm of [true, false]) {
      for (const violation of VIOLATIONS) {
        it(`${violation.code} sent by the ${from} (${wasm ? 'wasm' : 'pure TS'}) ${violation.frames(m).map((s) => s.opcode)}`, async () => {
          const good = concat([
            buildFrame(f(m, { opcode: 1, payload: text('ok') })),
            buildFrame(f(m, { opcode: 9, payload: new Uint8Array(0) })),
          ]);
          const specs = violation.frames(m);
          const built = specs.map((spec) => buildFrame(spec));
          // The last frame breaks the rule (earlier ones open the message it breaks).
          const breaking = good.length + built.slice(0, -1).reduce((n, b) => n + b.length, 0);
          const result = await inspect(concat([good, ...built]), { from, wasm, ...violation.options });
          expect(result.error).toEqual({
            code: violation.code,
            closeCode: violation.closeCode,
            offset: breaking,
            message: expect.any(String),
          });
          expect(result.frames.map((frame) => frame.offset)).toEqual([
            0,
            8 - (m ? 0 : 4),
            ...built
              .slice(0, -1)
              .map((_, i) => good.length + built.slice(0, i).reduce((n, b) => n + b.length, 0)),
          ]);
          expect(result.messages).toHaveLength(1);
        });
      }
      it(`the wrong masking for the ${from} (${wasm ? 'wasm' : 'pure TS'})`, async () => {
        const good = buildFrame(f(m, { opcode: 2, payload: Uint8Array.of(1) }));
        const bad = buildFrame({ opcode: 2, payload: Uint8Array.of(1), maskKey: m ? undefined : MASK });
        const result = await inspect(concat([good, bad]), { from, wasm });
        expect(result.error).toMatchObject({
          code: m ? 'WS_ERR_EXPECTED_MASK' : 'WS_ERR_UNEXPECTED_MASK',
          closeCode: 1002,
          offset: good.length,
        });
      });
      it(`a 64-bit length with its top bit set from the ${from} (${wasm ? 'wasm' : 'pure TS'})`, async () => {
        const good = buildFrame(f(m, { opcode: 2, payload: Uint8Array.of(1) }));
        const header = [0x82, (m ? 0x80 : 0) | 127, 0x80, 0, 0, 0, 0, 0, 0, 0, ...(m ? [1, 2, 3, 4] : [])];
        const result = await inspect(concat([good, Uint8Array.from(header)]), { from, wasm });
        expect(result.error).toMatchObject({
          code: 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH',
          offset: good.length,
        });
      });
    }
  }
});

/** Messages compressed the way RFC 7692 §7.2.1 says: sync flush, the 00 00 ff ff tail removed. */
async function compressMessages(messages: string[], takeover: boolean): Promise<Uint8Array[]> {
  const { createDeflateRaw, constants } = await import('node:zlib');
  let stream = createDeflateRaw();
  const out: Uint8Array[] = [];
  for (const message of messages) {
    if (!takeover) stream = createDeflateRaw();
    stream.write(message);
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer) => chunks.push(chunk);
    stream.on('data', onData);
    await new Promise<void>((done) => stream.flush(constants.Z_SYNC_FLUSH, () => done()));
    stream.off('data', onData);
    const all = Buffer.concat(chunks);
    expect(toHex(all.subarray(all.length - 4))).toBe('0000ffff');
    out.push(new Uint8Array(all.subarray(0, all.length - 4)));
  }
  return out;
}

describe('inspect: permessage-deflate (RFC 7692)', () => {
  const texts = [
    'hello hello hello hello',
    'hello hello hello hello, again',
    'é'.repeat(40000),
    'hello hello hello hello',
  ];

  for (const takeover of [true, false]) {
    it(`inflates messages ${takeover ? 'with' : 'without'} context takeover, fragmented too`, async () => {
      const compressed = await compressMessages(texts, takeover);
      const frames = compressed.flatMap((payload, i) =>
        i === 2
          ? [
              buildFrame(masked({ opcode: 1, rsv: 0x40, payload: payload.subarray(0, 10), fin: false })),
              buildFrame(masked({ opcode: 9, payload: text('mid') })),
              buildFrame(masked({ opcode: 0, payload: payload.subarray(10) })),
            ]
          : [buildFrame(masked({ opcode: 1, rsv: 0x40, payload }))],
      );
      const deflate = takeover ? true : { clientNoContextTakeover: true };
      const result = await inspect(concat(frames), { from: 'client', deflate, textBytes: 1 << 20 });
      expect(result.error).toBeNull();
      expect(result.messages.map((m) => m.text)).toEqual(texts);
      expect(result.messages.map((m) => [m.compressed, m.compressedLength, m.length, m.utf8])).toEqual(
        texts.map((t, i) => [true, compressed[i].length, text(t).length, 'valid']),
      );
      expect(result.messages[2].frames).toEqual([2, 4]);
      // With takeover the later repeat refers back to the first message: smaller than alone.
      if (takeover) expect(compressed[3].length).toBeLessThan(compressed[0].length);
    });
  }

  it('fails the right message when context takeover is assumed wrongly', async () => {
    const compressed = await compressMessages(texts.slice(0, 2), true);
    const frames = compressed.map((payload) => buildFrame({ opcode: 1, rsv: 0x40, payload }));
    const result = await inspect(concat(frames), {
      from: 'server',
      deflate: { serverNoContextTakeover: true },
    });
    expect(result.messages).toHaveLength(1);
    expect(result.error).toMatchObject({ code: 'WS_ERR_INFLATE', closeCode: 1007, offset: frames[0].length });
  });

  it('reports data that does not inflate, inflated text that is not UTF-8, and an inflated size over maxMessage', async () => {
    const good = buildFrame({ opcode: 2, payload: Uint8Array.of(1) });
    const junk = await inspect(
      concat([good, buildFrame({ opcode: 2, rsv: 0x40, payload: Uint8Array.of(0xff, 0xff) })]),
      {
        from: 'server',
        deflate: true,
      },
    );
    expect(junk.error).toMatchObject({ code: 'WS_ERR_INFLATE', closeCode: 1007, offset: good.length });
    expect(junk.frames).toHaveLength(2);

    const latin1 = new Uint8Array(deflateRawSync(Uint8Array.of(0x61, 0xe9, 0x62), { finishFlush: 2 }));
    const bad = await inspect(
      buildFrame({ opcode: 1, rsv: 0x40, payload: latin1.subarray(0, latin1.length - 4) }),
      {
        from: 'server',
        deflate: true,
      },
    );
    expect(bad.error).toMatchObject({ code: 'WS_ERR_INVALID_UTF8', closeCode: 1007, offset: 0 });
    expect(bad.messages).toMatchObject([{ utf8: 'invalid', length: 3 }]);

    const bomb = new Uint8Array(deflateRawSync(new Uint8Array(1 << 20), { finishFlush: 2 }));
    const big = await inspect(
      buildFrame({ opcode: 2, rsv: 0x40, payload: bomb.subarray(0, bomb.length - 4) }),
      {
        from: 'server',
        deflate: true,
        maxMessage: 1000,
      },
    );
    expect(big.error).toMatchObject({ code: 'WS_ERR_MESSAGE_TOO_LARGE', closeCode: 1009, offset: 0 });
  });

  it('treats RSV1 as a violation when deflate is off', async () => {
    const result = await inspect(buildFrame({ opcode: 1, rsv: 0x40, payload: Uint8Array.of(1) }), {
      from: 'server',
    });
    expect(result.error).toMatchObject({ code: 'WS_ERR_UNEXPECTED_RSV', offset: 0 });
  });
});
