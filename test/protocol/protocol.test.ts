// Protocol: construction, masking (RFC 6455 §5.3), data frames (§5.6), output as iovecs,
// sending rules, UTF-8 (§8.1) and limits. Close, control frames, fragmentation and EOF
// have their own files.
import { describe, expect, it } from 'vitest';
import { acquireKernels } from '../../src/codec/kernel-pool.js';
import { Protocol } from '../../src/protocol/protocol.js';
import { END_OF_STREAM } from '../../src/protocol/types.js';
import { parseChunks } from '../support/frames.js';
import {
  assertConnectionClosing,
  assertEvents,
  assertFramesSent,
  assertViolation,
  bytes,
  concat,
  feed,
  framesSent,
  makeProtocol,
  maskFrame,
  toHex,
} from './helpers.js';

describe('construction', () => {
  it('starts open with nothing to say', () => {
    const p = new Protocol({ role: 'server' });
    expect(p.state).toBe('open');
    expect(p.closeSent).toBeNull();
    expect(p.closeReceived).toBeNull();
    expect(p.closeExpected()).toBe(false);
    expect(p.eventsReceived()).toEqual([]);
    expect(p.dataToSend()).toEqual([]);
  });

  it('rejects bad options at once', () => {
    expect(() => new Protocol({ role: 'peer' as 'server' })).toThrow(TypeError);
    expect(() => new Protocol({ role: 'server', maxFrame: -1 })).toThrow(RangeError);
    expect(() => new Protocol({ role: 'server', maxMessage: 1.5 })).toThrow(RangeError);
    expect(() => new Protocol({ role: 'client', maskKeys: 7 as unknown as () => number })).toThrow(TypeError);
  });
});

describe.each([true, false])('masking (RFC 6455 §5.3), wasm %s', (wasm) => {
  it('a client masks with the injected key (the §5.7 example)', () => {
    const p = makeProtocol('client', { wasm });
    p.sendText('Hello');
    const [item] = p.dataToSend();
    expect(item).not.toBe(END_OF_STREAM);
    expect((item as Uint8Array[]).map((b) => Buffer.from(b).toString('hex'))).toEqual([
      '818537fa213d7f9f4d5158',
    ]);
  });

  it('a client draws a fresh key for every frame', () => {
    let next = 0;
    const p = makeProtocol('client', { wasm, maskKeys: () => ++next });
    p.sendBinary(new Uint8Array(600)); // long enough for the wasm masking kernel
    p.sendPing();
    // Both frames are masked into one batch: 4 + 4 + 600 bytes, then the ping's 2 + 4.
    const sent = concat((p.dataToSend() as Uint8Array[][]).flat());
    expect(sent.length).toBe(608 + 6);
    expect(Array.from(sent.subarray(4, 8))).toEqual([1, 0, 0, 0]);
    expect(Array.from(sent.subarray(8, 12))).toEqual([1, 0, 0, 0]); // zeros XOR key
    expect(Array.from(sent.subarray(610, 614))).toEqual([2, 0, 0, 0]);
  });

  it('a server sends unmasked frames', () => {
    const p = makeProtocol('server', { wasm });
    p.sendText('Hello');
    assertFramesSent(p, '81 05 48656c6c6f');
  });

  it('a server unmasks what the client sent', () => {
    const p = makeProtocol('server', { wasm });
    p.receiveData(bytes('81 85 37fa213d 7f9f4d5158'));
    assertEvents(p, [{ type: 'message', data: 'Hello', isBinary: false }]);
  });

  it('a server fails on an unmasked frame (§5.1)', () => {
    const p = makeProtocol('server', { wasm });
    p.receiveData(bytes('81 05 48656c6c6f'));
    assertViolation(p, 'WS_ERR_EXPECTED_MASK', 1002);
  });

  it('a client fails on a masked frame (§5.1) and waits for the server to close', () => {
    const p = makeProtocol('client', { wasm });
    p.receiveData(maskFrame(bytes('81 05 48656c6c6f')));
    assertViolation(p, 'WS_ERR_UNEXPECTED_MASK', 1002);
  });
});

describe.each(['server', 'client'] as const)('data frames (RFC 6455 §5.6), %s', (role) => {
  it('text arrives as a string, binary as bytes', () => {
    const p = makeProtocol(role);
    feed(p, '81 05 48656c6c6f', '82 03 010203');
    assertEvents(p, [
      { type: 'message', data: 'Hello', isBinary: false },
      { type: 'message', data: new Uint8Array([1, 2, 3]), isBinary: true },
    ]);
  });

  it('empty messages', () => {
    const p = makeProtocol(role);
    feed(p, '81 00', '82 00');
    assertEvents(p, [
      { type: 'message', data: '', isBinary: false },
      { type: 'message', data: new Uint8Array(0), isBinary: true },
    ]);
  });

  it('16-bit and 64-bit lengths', () => {
    const p = makeProtocol(role);
    feed(p, `82 7e 007e ${'ab'.repeat(126)}`, `82 7f 0000000000010000 ${'cd'.repeat(65536)}`);
    const events = p.eventsReceived();
    expect(events).toEqual([
      { type: 'message', data: new Uint8Array(126).fill(0xab), isBinary: true },
      { type: 'message', data: new Uint8Array(65536).fill(0xcd), isBinary: true },
    ]);
  });

  it('binary data is an owned copy, not a view of the parser arena', () => {
    const p = makeProtocol(role);
    feed(p, '82 03 010203');
    const [first] = p.eventsReceived();
    feed(p, '82 03 090909');
    p.eventsReceived();
    expect(first.type === 'message' && first.data).toEqual(new Uint8Array([1, 2, 3]));
    // Whatever memory it lives in, later input never changes it, and it is a plain Uint8Array.
    const data = (first as { data: Uint8Array }).data;
    expect(data.length).toBe(3);
    expect(Object.getPrototypeOf(data)).toBe(Uint8Array.prototype);
    const lease = acquireKernels(true);
    expect(data.buffer).not.toBe(lease.kernels.bytes.buffer);
    lease.release();
  });

  it('receiving sends nothing', () => {
    const p = makeProtocol(role);
    feed(p, '81 05 48656c6c6f');
    assertFramesSent(p);
  });
});

describe('output as iovecs', () => {
  it('a large server payload goes out by reference after its header, not copied', () => {
    const p = makeProtocol('server');
    const payload = new Uint8Array(2000).fill(7);
    p.sendText('a');
    p.sendBinary(payload);
    p.sendText('b');
    // The header ends the batch before it; the payload follows in the same item; then a new batch.
    const [first, second] = p.dataToSend() as Uint8Array[][];
    expect(first).toHaveLength(2);
    expect(Array.from(first[0])).toEqual([0x81, 0x01, 0x61, 0x82, 0x7e, 0x07, 0xd0]);
    expect(first[1]).toBe(payload);
    expect(second.map((chunk) => Array.from(chunk))).toEqual([[0x81, 0x01, 0x62]]);
  });

  it('a small server frame is one buffer, header and payload together', () => {
    const p = makeProtocol('server');
    const payload = new Uint8Array(200).fill(7);
    p.sendBinary(payload);
    const [item] = p.dataToSend() as Uint8Array[][];
    expect(item).toHaveLength(1);
    expect(Array.from(item[0].subarray(0, 4))).toEqual([0x82, 0x7e, 0x00, 0xc8]);
    expect(item[0].subarray(4)).toEqual(payload);
  });

  it('an empty server frame is a header alone', () => {
    const p = makeProtocol('server');
    p.sendPing();
    expect(p.dataToSend()).toEqual([[new Uint8Array([0x89, 0x00])]]);
  });

  it('many small sends between drains come back as one buffer, in order; draining empties', () => {
    const p = makeProtocol('server');
    p.sendText('a');
    p.sendBinary(new Uint8Array([1]));
    p.sendPing(new Uint8Array([2]));
    p.sendPong();
    const items = p.dataToSend() as Uint8Array[][];
    expect(items.map((item) => item.map((chunk) => toHex(chunk)))).toEqual([['810161820101890102' + '8a00']]);
    expect(p.dataToSend()).toEqual([]);
  });

  it('eventsReceived drains', () => {
    const p = makeProtocol('server');
    feed(p, '81 01 61');
    expect(p.eventsReceived()).toHaveLength(1);
    expect(p.eventsReceived()).toEqual([]);
  });
});

describe('sending', () => {
  it('rejects arguments of the wrong type or size', () => {
    const p = makeProtocol('server');
    expect(() => p.sendText(1 as unknown as string)).toThrow(TypeError);
    expect(() => p.sendBinary('x' as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => p.receiveData('x' as unknown as Uint8Array)).toThrow(TypeError);
    // RFC 6455 §5.5: control frames carry at most 125 bytes
    expect(() => p.sendPing(new Uint8Array(126))).toThrow(RangeError);
    expect(() => p.sendPong(new Uint8Array(126))).toThrow(RangeError);
    p.sendPing(new Uint8Array(125));
    expect(framesSent(p)).toHaveLength(1);
  });

  it('after a close was sent, data and control sends are dropped and return false (as browsers drop them)', () => {
    for (const role of ['server', 'client'] as const) {
      const p = makeProtocol(role);
      expect(p.sendText('a')).toBe(true);
      p.sendClose(1000);
      framesSent(p);
      expect(p.sendText('a')).toBe(false);
      expect(p.sendBinary(new Uint8Array(1))).toBe(false);
      expect(p.sendFragment(1, new Uint8Array(1), false)).toBe(false);
      expect(p.sendPing()).toBe(false);
      expect(p.sendPong()).toBe(false);
      // Misuse still throws: it is a bug whether or not the frame would go out.
      expect(() => p.sendPing(new Uint8Array(126))).toThrow(RangeError);
      assertFramesSent(p);
    }
  });

  it('a client may still send after the server sent data, and text is UTF-8', () => {
    const p = makeProtocol('client');
    feed(p, '81 01 61');
    p.sendText('é€');
    assertFramesSent(p, '81 05 c3a9e282ac');
  });

  it('a lone surrogate is sent as U+FFFD, never as invalid UTF-8', () => {
    const p = makeProtocol('server');
    p.sendText('\ud800');
    assertFramesSent(p, '81 03 efbfbd');
  });

  it('sends are allowed until the close, then sendClose is a no-op', () => {
    const p = makeProtocol('server');
    expect(p.sendClose(1001, 'bye')).toBe(true);
    assertConnectionClosing(p, 1001, 'bye');
    expect(p.sendClose(1000)).toBe(false);
    assertFramesSent(p);
  });
});

describe.each([true, false])('UTF-8 (RFC 6455 §8.1), wasm %s', (wasm) => {
  it('invalid UTF-8 in a text message fails with 1007', () => {
    const p = makeProtocol('server', { wasm });
    feed(p, '81 02 c328');
    assertViolation(p, 'WS_ERR_INVALID_UTF8', 1007);
  });

  it('an overlong encoding and a surrogate fail with 1007', () => {
    for (const payload of ['c0af', 'eda080']) {
      const p = makeProtocol('client', { wasm });
      feed(p, `81 0${payload.length / 2} ${payload}`);
      assertViolation(p, 'WS_ERR_INVALID_UTF8', 1007);
    }
  });

  it('a text message cut inside a code point fails with 1007', () => {
    const p = makeProtocol('server', { wasm });
    feed(p, '81 02 e282');
    assertViolation(p, 'WS_ERR_INVALID_UTF8', 1007);
  });

  it('a leading byte order mark is part of the text', () => {
    const p = makeProtocol('server', { wasm });
    feed(p, '81 04 efbbbf41');
    assertEvents(p, [{ type: 'message', data: '\ufeffA', isBinary: false }]);
  });

  it('binary messages are not checked', () => {
    const p = makeProtocol('server', { wasm });
    feed(p, '82 02 c328');
    assertEvents(p, [{ type: 'message', data: new Uint8Array([0xc3, 0x28]), isBinary: true }]);
  });

  it('four-byte code points survive', () => {
    const p = makeProtocol('server', { wasm });
    feed(p, '81 04 f09f9880');
    assertEvents(p, [{ type: 'message', data: '😀', isBinary: false }]);
  });
});

describe.each([true, false])('limits, wasm %s', (wasm) => {
  it('a frame at maxFrame passes, one byte more fails with 1009', () => {
    const p = makeProtocol('server', { wasm, maxFrame: 4 });
    feed(p, '82 04 01020304');
    expect(p.eventsReceived()).toHaveLength(1);
    feed(p, '82 05 0102030405');
    assertViolation(p, 'WS_ERR_FRAME_TOO_LARGE', 1009);
  });

  it('a header announcing too much fails before the payload arrives', () => {
    const p = makeProtocol('client', { wasm });
    p.receiveData(bytes('82 7f 0000010000000000'));
    assertViolation(p, 'WS_ERR_FRAME_TOO_LARGE', 1009);
  });

  it('a fragmented message over maxMessage fails with 1009', () => {
    const p = makeProtocol('server', { wasm, maxMessage: 5 });
    feed(p, '02 03 010203', '80 02 0405');
    expect(p.eventsReceived()).toHaveLength(1);
    feed(p, '02 03 010203', '80 03 040506');
    assertViolation(p, 'WS_ERR_MESSAGE_TOO_LARGE', 1009);
  });

  it('a 64-bit length with its top bit set fails with 1002', () => {
    const p = makeProtocol('client', { wasm });
    p.receiveData(bytes('82 7f 8000000000000000'));
    assertViolation(p, 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH', 1002);
  });

  it('a length not minimally encoded fails with 1002', () => {
    const p = makeProtocol('client', { wasm });
    p.receiveData(bytes('82 7e 0005 0102030405'));
    assertViolation(p, 'WS_ERR_NON_MINIMAL_LENGTH', 1002);
  });
});

describe('client output batching', () => {
  it('masks a burst of small sends into one buffer, in order', () => {
    const p = makeProtocol('client');
    for (let i = 0; i < 100; i++) p.sendText(`message ${i}`);
    const items = p.dataToSend() as Uint8Array[][];
    expect(items).toHaveLength(1);
    expect(items[0]).toHaveLength(1);
    // Our client's frames are what a server parses.
    const parsed = parseChunks(items[0], { role: 'server' });
    expect(parsed.error).toBeNull();
    expect(parsed.frames.map((f) => f.payload)).toEqual(
      Array.from({ length: 100 }, (_, i) => toHex(new TextEncoder().encode(`message ${i}`))),
    );
  });

  it('keeps two protocols that send in turn apart, each frame whole and in order', () => {
    const a = makeProtocol('client');
    const b = makeProtocol('client');
    for (let i = 0; i < 50; i++) {
      a.sendText(`a${i}`);
      b.sendBinary(Uint8Array.of(i));
    }
    const expectedA = Array.from({ length: 50 }, (_, i) => toHex(new TextEncoder().encode(`a${i}`)));
    expect(framesSent(a).map((hex) => hex.slice(4))).toEqual(expectedA);
    expect(framesSent(b).map((hex) => hex.slice(4))).toEqual(
      Array.from({ length: 50 }, (_, i) => toHex(Uint8Array.of(i))),
    );
  });
});
