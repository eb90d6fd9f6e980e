// Protocol: fragmentation (RFC 6455 §5.4), received and sent, and the memory it costs:
// reassembly grows with bytes, never with the number of fragments.
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { Protocol } from '../../src/protocol/protocol.js';
import {
  assertEvents,
  assertFramesSent,
  assertViolation,
  bytes,
  concat,
  feed,
  makeProtocol,
  maskFrame,
} from './helpers.js';

describe.each([true, false])('receiving fragmented messages (RFC 6455 §5.4), wasm %s', (wasm) => {
  it('text in three fragments is one message', () => {
    const p = makeProtocol('server', { wasm });
    feed(p, '01 03 48656c', '00 01 6c', '80 01 6f');
    assertEvents(p, [{ type: 'message', data: 'Hello', isBinary: false }]);
  });

  it('binary in fragments, some empty', () => {
    const p = makeProtocol('client', { wasm });
    feed(p, '02 00', '00 02 0102', '00 00', '80 01 03');
    assertEvents(p, [{ type: 'message', data: new Uint8Array([1, 2, 3]), isBinary: true }]);
  });

  it('fragments arriving in separate chunks give nothing until the last', () => {
    const p = makeProtocol('server', { wasm });
    feed(p, '01 01 61');
    feed(p, '00 01 62');
    assertEvents(p, []);
    feed(p, '80 01 63');
    assertEvents(p, [{ type: 'message', data: 'abc', isBinary: false }]);
  });

  it('a code point split across fragments is whole in the message (§5.6: the message is checked, not the frame)', () => {
    const p = makeProtocol('server', { wasm });
    feed(p, '01 01 e2', '00 01 82', '80 01 ac');
    assertEvents(p, [{ type: 'message', data: '€', isBinary: false }]);
  });

  it('invalid UTF-8 fails with 1007 as soon as a fragment shows it, before the last', () => {
    const p = makeProtocol('client', { wasm });
    feed(p, '01 01 e2', '00 01 28');
    assertViolation(p, 'WS_ERR_INVALID_UTF8', 1007);
  });

  it('a text message ending inside a code point fails with 1007', () => {
    const p = makeProtocol('server', { wasm });
    feed(p, '01 01 e2', '80 01 82');
    assertViolation(p, 'WS_ERR_INVALID_UTF8', 1007);
  });

  it('a continuation with no message started fails with 1002', () => {
    const p = makeProtocol('server', { wasm });
    feed(p, '80 01 61');
    assertViolation(p, 'WS_ERR_UNEXPECTED_CONTINUATION', 1002);
  });

  it('a new data frame inside a fragmented message fails with 1002', () => {
    const p = makeProtocol('client', { wasm });
    feed(p, '01 01 61', '81 01 62');
    assertViolation(p, 'WS_ERR_EXPECTED_CONTINUATION', 1002);
  });

  it('a 4 MiB message in 65,536 fragments of 64 bytes arrives intact', () => {
    const fragments = 65536;
    const message = new Uint8Array(fragments * 64);
    for (let i = 0; i < message.length; i++) message[i] = (i * 31 + (i >>> 8)) & 0xff;
    // Binary without FIN, then continuations, the last with FIN; each with its own mask key.
    const input = new Uint8Array(fragments * 70);
    for (let i = 0; i < fragments; i++) {
      const at = i * 70;
      input[at] = i === 0 ? 0x02 : i === fragments - 1 ? 0x80 : 0x00;
      input[at + 1] = 0x80 | 64;
      const key = [i & 0xff, 0x5a, (i >>> 8) & 0xff, 0xc3];
      input.set(key, at + 2);
      for (let j = 0; j < 64; j++) input[at + 6 + j] = message[i * 64 + j] ^ key[j & 3];
    }
    const p = new Protocol({ role: 'server', wasm });
    p.receiveData(input);
    const events = p.eventsReceived();
    expect(events).toHaveLength(1);
    const [event] = events;
    if (event.type !== 'message' || !(event.data instanceof Uint8Array))
      throw new Error('not a binary message');
    expect(Buffer.from(event.data).equals(message)).toBe(true);
  });

  it('100,000 empty continuations cost no allocation per fragment', () => {
    const empty = maskFrame(bytes('00 00'));
    const flood = new Uint8Array(empty.length * 100_000);
    for (let i = 0; i < 100_000; i++) flood.set(empty, i * empty.length);
    const input = concat([maskFrame(bytes('01 01 61')), flood, maskFrame(bytes('80 01 62'))]);
    const p = new Protocol({ role: 'server', wasm });
    p.receiveData(input.subarray(0, 6 * 1000)); // warm up the paths before measuring
    const { collections, heapGrowth, ms } = measureAllocation(() => p.receiveData(input.subarray(6 * 1000)));
    assertEvents(p, [{ type: 'message', data: 'ab', isBinary: false }]);
    // Any object per fragment is at least 16 bytes: 1.6 MB and young-generation collections.
    expect(collections).toBe(0);
    expect(heapGrowth).toBeLessThan(100_000 * 10);
    expect(ms).toBeLessThan(2000);
  });
});

describe('sending fragmented messages (RFC 6455 §5.4)', () => {
  it('text: opcode 1 first, continuations after, FIN on the last', () => {
    const p = makeProtocol('server');
    expect(p.sendFragment(1, bytes('48656c'), false)).toBe(true);
    p.sendFragment(0, bytes('6c'), false);
    p.sendFragment(0, bytes('6f'), true);
    assertFramesSent(p, '01 03 48656c', '00 01 6c', '80 01 6f');
  });

  it('a client masks every fragment; control frames may come between fragments (§5.5)', () => {
    const p = makeProtocol('client');
    p.sendFragment(2, bytes('01'), false);
    p.sendPing(bytes('aa'));
    p.sendFragment(0, bytes('02'), true);
    assertFramesSent(p, '02 01 01', '89 01 aa', '80 01 02');
  });

  it('a single fragment with FIN is a whole message, and another may follow', () => {
    const p = makeProtocol('server');
    p.sendFragment(2, bytes('01'), true);
    p.sendText('a');
    assertFramesSent(p, '82 01 01', '81 01 61');
  });

  it('misuse throws and sends nothing: a stray continuation, interleaved messages, a bad opcode', () => {
    const p = makeProtocol('server');
    expect(() => p.sendFragment(0, bytes('01'), true)).toThrow(TypeError);
    p.sendFragment(1, bytes('61'), false);
    expect(() => p.sendFragment(2, bytes('01'), false)).toThrow(TypeError);
    expect(() => p.sendText('b')).toThrow(TypeError);
    expect(() => p.sendBinary(bytes('01'))).toThrow(TypeError);
    expect(() => p.sendFragment(8 as 0, bytes(''), true)).toThrow(RangeError);
    assertFramesSent(p, '01 01 61');
    p.sendFragment(0, bytes('62'), true);
    p.sendText('c');
    assertFramesSent(p, '80 01 62', '81 01 63');
  });

  it('a close may end a fragmented message; later fragments are dropped', () => {
    const p = makeProtocol('server');
    p.sendFragment(1, bytes('61'), false);
    p.sendClose(1000);
    expect(p.sendFragment(0, bytes('62'), true)).toBe(false);
    assertFramesSent(p, '01 01 61', '88 02 03e8');
  });
});

/** Runs `fn` after a full collection; reports collections during it, heap growth and time. */
function measureAllocation(fn: () => void): { collections: number; heapGrowth: number; ms: number } {
  v8.setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  const profiler = new v8.GCProfiler();
  const before = process.memoryUsage().heapUsed;
  const start = performance.now();
  profiler.start();
  fn();
  const stats = profiler.stop();
  const ms = performance.now() - start;
  return { collections: stats.statistics.length, heapGrowth: process.memoryUsage().heapUsed - before, ms };
}
