// Regression: a valid message and a violation in the same read. The failing close used to
// be queued while parsing, before the handler saw the message, so an echo server's reply
// was dropped and Autobahn scored cases 3.2-3.4, 4.1.3-5, 4.2.3-5 and 5.15 NON-STRICT. Now
// the message is delivered and answered first, then the close with the violation's code.
import { describe, expect, it } from 'vitest';
import { createMemoryPair } from '../../src/session/memory-pair.js';
import { accept, createClientSession } from '../../src/session/start.js';
import type { Handler } from '../../src/session/types.js';
import { handshake, RawPeer, settle } from '../session/helpers.js';
import { buildFrame, bytesOf, closeBody, concat, type FrameSpec, text } from '../support/frames.js';

const MASK = 0x0badf00d;
const LIMITS = { maxFrame: 1024, maxMessage: 1024 };

interface Violation {
  name: string;
  closeCode: number;
  /** The offending frames; `masked` is whether the sending role masks (the peer is a client). */
  frames(masked: boolean): FrameSpec[];
}

const key = (masked: boolean) => (masked ? MASK : undefined);
const frame = (masked: boolean, spec: FrameSpec): FrameSpec => ({ maskKey: key(masked), ...spec });

const VIOLATIONS: Violation[] = [
  {
    name: 'WS_ERR_UNEXPECTED_RSV',
    closeCode: 1002,
    frames: (m) => [frame(m, { opcode: 1, payload: text('x'), rsv: 0x40 })],
  },
  {
    name: 'WS_ERR_INVALID_OPCODE',
    closeCode: 1002,
    frames: (m) => [frame(m, { opcode: 3, payload: text('x') })],
  },
  {
    name: 'WS_ERR_EXPECTED_MASK / WS_ERR_UNEXPECTED_MASK',
    closeCode: 1002,
    // The wrong masking for the sender's role.
    frames: (m) => [{ opcode: 1, payload: text('x'), maskKey: m ? undefined : MASK }],
  },
  {
    name: 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH',
    closeCode: 1002,
    frames: (m) => [frame(m, { opcode: 9, payload: new Uint8Array(126) })],
  },
  {
    name: 'WS_ERR_EXPECTED_FIN',
    closeCode: 1002,
    frames: (m) => [frame(m, { opcode: 9, payload: text('p'), fin: false })],
  },
  {
    name: 'WS_ERR_NON_MINIMAL_LENGTH',
    closeCode: 1002,
    frames: (m) => [frame(m, { opcode: 1, payload: text('x'), lengthBits: 16 })],
  },
  {
    name: 'WS_ERR_UNEXPECTED_CONTINUATION',
    closeCode: 1002,
    frames: (m) => [frame(m, { opcode: 0, payload: text('x') })],
  },
  {
    name: 'WS_ERR_EXPECTED_CONTINUATION',
    closeCode: 1002,
    frames: (m) => [
      frame(m, { opcode: 1, payload: text('a'), fin: false }),
      frame(m, { opcode: 1, payload: text('b') }),
    ],
  },
  {
    name: 'WS_ERR_FRAME_TOO_LARGE',
    closeCode: 1009,
    frames: (m) => [frame(m, { opcode: 2, payload: new Uint8Array(1025) })],
  },
  {
    name: 'WS_ERR_MESSAGE_TOO_LARGE',
    closeCode: 1009,
    frames: (m) => [
      frame(m, { opcode: 2, payload: new Uint8Array(600), fin: false }),
      frame(m, { opcode: 0, payload: new Uint8Array(600) }),
    ],
  },
  {
    name: 'WS_ERR_INVALID_UTF8',
    closeCode: 1007,
    frames: (m) => [frame(m, { opcode: 1, payload: Uint8Array.of(0xce, 0xba, 0xff) })],
  },
  {
    name: 'WS_ERR_INVALID_CLOSE_PAYLOAD',
    closeCode: 1002,
    frames: (m) => [frame(m, { opcode: 8, payload: Uint8Array.of(0x03) })],
  },
  {
    name: 'WS_ERR_INVALID_CLOSE_CODE',
    closeCode: 1002,
    frames: (m) => [frame(m, { opcode: 8, payload: closeBody(1005) })],
  },
  {
    name: 'WS_ERR_INVALID_UTF8 (close reason)',
    closeCode: 1007,
    frames: (m) => [frame(m, { opcode: 8, payload: concat([closeBody(1000), Uint8Array.of(0xff)]) })],
  },
];

/** 64-bit length with its most significant bit set (RFC 6455 §5.2), built by hand. */
function hugeLengthFrame(masked: boolean): Uint8Array {
  const header = [0x82, (masked ? 0x80 : 0) | 127, 0x80, 0, 0, 0, 0, 0, 0, 0];
  return Uint8Array.from(masked ? [...header, 1, 2, 3, 4] : header);
}

const echo: Handler = {
  message(session, data) {
    session.send(data);
  },
};

/** A session of `role` over a memory pair, and the raw peer on the other side. */
function sessionAndPeer(role: 'server' | 'client', wasm: boolean) {
  const [ours, theirs] = createMemoryPair();
  const options = { ...LIMITS, wasm };
  const session =
    role === 'server'
      ? accept(ours, handshake(), echo, options)
      : createClientSession(ours, handshake(), echo, { ...options, maskKeys: () => MASK });
  const peer = new RawPeer(theirs, role === 'server');
  session.activate();
  return { session, peer };
}

describe.each([
  ['server', true],
  ['server', false],
  ['client', true],
  ['client', false],
] as const)('a message, then a violation, then a ping: %s, wasm %s', (role, wasm) => {
  const peerMasks = role === 'server';
  const cases = [
    ...VIOLATIONS.map((v) => ({
      name: v.name,
      closeCode: v.closeCode,
      bytes: concat(v.frames(peerMasks).map(buildFrame)),
    })),
    { name: 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH', closeCode: 1002, bytes: hugeLengthFrame(peerMasks) },
  ];
  for (const violation of cases) {
    for (const split of ['one chunk', 'byte by byte'] as const) {
      it(`${violation.name}, ${split}: the echo goes out before the close ${violation.closeCode}`, async () => {
        const { session, peer } = sessionAndPeer(role, wasm);
        const stream = concat([
          buildFrame({ opcode: 1, payload: text('hello'), maskKey: peerMasks ? MASK : undefined }),
          violation.bytes,
          buildFrame({ opcode: 9, payload: text('late'), maskKey: peerMasks ? MASK : undefined }),
        ]);
        for (const chunk of split === 'one chunk' ? [stream] : bytesOf(stream)) peer.transport.write([chunk]);
        for (let i = 0; i < 4; i++) await settle();
        const summary = peer.summary();
        expect(summary[0]).toBe('text:hello');
        expect(summary[1]).toMatch(new RegExp(`^close:${violation.closeCode}:`));
        // RFC 6455 §7.1.7: nothing after the violation is processed; the ping gets no pong.
        expect(summary).toHaveLength(2);
        expect(session.state).not.toBe('open');
        // §7.1.1: the server ends the TCP connection after its close; a client waits for it.
        expect(peer.ended).toBe(role === 'server');
      });
    }
  }
});
