// Protocol: control frames (RFC 6455 §5.5): ping and pong (§5.5.2, §5.5.3), their size
// and fragmentation rules, interleaving with fragmented messages, and the header bits
// and opcodes nobody may send (§5.2).
import { describe, expect, it } from 'vitest';
import {
  assertEvents,
  assertFramesSent,
  assertViolation,
  closeFrame,
  EOF,
  feed,
  makeProtocol,
} from './helpers.js';

describe.each(['server', 'client'] as const)('ping and pong (RFC 6455 §5.5.2-3), %s', (role) => {
  it('a ping is answered with a pong carrying the same payload, queued before the event is seen', () => {
    const p = makeProtocol(role);
    feed(p, '89 04 01020304');
    // The session writes the output, then delivers the events: the pong must already be there.
    assertFramesSent(p, '8a 04 01020304');
    assertEvents(p, [{ type: 'ping', data: new Uint8Array([1, 2, 3, 4]) }]);
  });

  it('an empty ping and a 125-byte ping', () => {
    const p = makeProtocol(role);
    feed(p, '89 00', `89 7d ${'5a'.repeat(125)}`);
    assertFramesSent(p, '8a 00', `8a 7d ${'5a'.repeat(125)}`);
    expect(p.eventsReceived().map((e) => e.type)).toEqual(['ping', 'ping']);
  });

  it('every ping gets its own pong, in order, between the messages around it', () => {
    const p = makeProtocol(role);
    feed(p, '81 01 61', '89 01 01', '89 01 02', '81 01 62');
    assertFramesSent(p, '8a 01 01', '8a 01 02');
    expect(p.eventsReceived().map((e) => e.type)).toEqual(['message', 'ping', 'ping', 'message']);
  });

  it("the ping event's data is the handler's own: changing it does not change the pong", () => {
    const p = makeProtocol(role);
    feed(p, '89 02 0102');
    const [event] = p.eventsReceived();
    if (event.type !== 'ping') throw new Error('expected a ping');
    event.data.fill(0xff);
    feed(p, '89 02 0304'); // reuses the parser's arena
    assertFramesSent(p, '8a 02 0102', '8a 02 0304');
  });

  it('a ping between fragments of a message is answered at once (§5.4: control frames may interleave)', () => {
    const p = makeProtocol(role);
    feed(p, '01 02 6865', '89 01 07');
    assertFramesSent(p, '8a 01 07');
    assertEvents(p, [{ type: 'ping', data: new Uint8Array([7]) }]);
    feed(p, '00 02 6c6c', '8a 00', '80 01 6f');
    assertEvents(p, [
      { type: 'pong', data: new Uint8Array(0) },
      { type: 'message', data: 'hello', isBinary: false },
    ]);
  });

  it('an unsolicited pong is reported and otherwise ignored', () => {
    const p = makeProtocol(role);
    feed(p, '8a 03 616263');
    assertEvents(p, [{ type: 'pong', data: new Uint8Array([0x61, 0x62, 0x63]) }]);
    assertFramesSent(p);
    expect(p.state).toBe('open');
  });

  it('sendPing and sendPong', () => {
    const p = makeProtocol(role);
    p.sendPing(new Uint8Array([9]));
    p.sendPong(new Uint8Array([8]));
    p.sendPing();
    assertFramesSent(p, '89 01 09', '8a 01 08', '89 00');
  });
});

describe.each([true, false])('control frame rules (RFC 6455 §5.5), wasm %s', (wasm) => {
  it('a control frame over 125 bytes fails with 1002', () => {
    const p = makeProtocol('server', { wasm });
    feed(p, `89 7e 007e ${'00'.repeat(126)}`);
    assertViolation(p, 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH', 1002);
  });

  it('a fragmented ping fails with 1002 and gets no pong', () => {
    const p = makeProtocol('client', { wasm });
    feed(p, '09 01 01');
    assertViolation(p, 'WS_ERR_EXPECTED_FIN', 1002);
  });

  it('a fragmented close fails with 1002', () => {
    const p = makeProtocol('server', { wasm });
    feed(p, '08 02 03e8');
    assertViolation(p, 'WS_ERR_EXPECTED_FIN', 1002);
  });
});

describe.each([true, false])('reserved bits and opcodes (RFC 6455 §5.2), wasm %s', (wasm) => {
  it.each(['3', '4', '5', '6', '7', 'b', 'c', 'd', 'e', 'f'])('opcode %s fails with 1002', (opcode) => {
    const p = makeProtocol('server', { wasm });
    feed(p, `8${opcode} 00`);
    assertViolation(p, 'WS_ERR_INVALID_OPCODE', 1002);
  });

  it.each(['c1', 'a1', '91', 'c9'])('byte 0 %s (an RSV bit with no extension) fails with 1002', (byte0) => {
    const p = makeProtocol('client', { wasm });
    feed(p, `${byte0} 00`);
    assertViolation(p, 'WS_ERR_UNEXPECTED_RSV', 1002);
  });

  it('a violating ping is not answered, even after a valid ping in the same chunk', () => {
    const p = makeProtocol('server', { wasm });
    feed(p, '89 01 01', 'c9 01 02');
    expect(p.eventsReceived().map((e) => e.type)).toEqual(['ping', 'error']);
    assertFramesSent(
      p,
      '8a 01 01',
      closeFrame(1002, 'RSV bit set without an extension that defines it'),
      EOF,
    );
  });
});
