// Protocol: the closing handshake (RFC 6455 §5.5.1, §7.1), close codes (§7.4), the end of
// the stream (§7.1.5) and failing the connection then discarding input (§7.1.7).
import { describe, expect, it } from 'vitest';
import {
  assertConnectionClosing,
  assertConnectionFailing,
  assertEvents,
  assertFramesSent,
  assertViolation,
  closeFrame,
  EOF,
  feed,
  framesSent,
  fromPeer,
  makeProtocol,
} from './helpers.js';

describe.each([true, false])('the peer closes first (RFC 6455 §5.5.1), wasm %s', (wasm) => {
  it('a server echoes the code and reason once, then ends the stream (§7.1.1: the server closes TCP first)', () => {
    const p = makeProtocol('server', { wasm });
    feed(p, closeFrame(1000, 'bye'));
    assertEvents(p, [{ type: 'close', code: 1000, reason: 'bye' }]);
    assertFramesSent(p, closeFrame(1000, 'bye'), EOF);
    expect(p.state).toBe('closed');
    expect(p.closeReceived).toEqual({ code: 1000, reason: 'bye' });
    expect(p.closeSent).toEqual({ code: 1000, reason: 'bye' });
    // The client's TCP close is still awaited.
    expect(p.closeExpected()).toBe(true);
    p.receiveEof();
    assertEvents(p, []);
    assertFramesSent(p);
    expect(p.closeExpected()).toBe(false);
  });

  it('a client echoes the code and reason, then waits for the server to end the stream', () => {
    const p = makeProtocol('client', { wasm });
    feed(p, closeFrame(1001, 'going'));
    assertEvents(p, [{ type: 'close', code: 1001, reason: 'going' }]);
    assertFramesSent(p, closeFrame(1001, 'going'));
    expect(p.state).toBe('closed');
    expect(p.closeExpected()).toBe(true);
    p.receiveEof();
    assertEvents(p, []);
    assertFramesSent(p, EOF);
    expect(p.closeExpected()).toBe(false);
  });

  it('an empty close body is reported as 1005 and echoed as an empty body (§7.4.1: 1005 is never sent)', () => {
    const p = makeProtocol('server', { wasm });
    feed(p, '88 00');
    assertEvents(p, [{ type: 'close', code: 1005, reason: '' }]);
    assertFramesSent(p, '88 00', EOF);
    expect(p.closeSent).toEqual({ code: 1005, reason: '' });
  });

  it('application codes 3000-4999 are echoed', () => {
    const p = makeProtocol('client', { wasm });
    feed(p, closeFrame(4999, 'x'));
    assertEvents(p, [{ type: 'close', code: 4999, reason: 'x' }]);
    assertFramesSent(p, closeFrame(4999, 'x'));
  });

  it('the echo goes out once, and nothing after the close frame is parsed', () => {
    const p = makeProtocol('server', { wasm });
    // A second close, a message and a reserved opcode in the same chunk, then more later.
    feed(p, closeFrame(1000), closeFrame(1002), '81 01 61', '83 00');
    feed(p, closeFrame(1000), '81 01 61');
    assertEvents(p, [{ type: 'close', code: 1000, reason: '' }]);
    assertFramesSent(p, closeFrame(1000), EOF);
  });

  it('a close in the middle of a fragmented message closes; the fragment is dropped', () => {
    const p = makeProtocol('client', { wasm });
    feed(p, '01 01 61', closeFrame(1000), '80 01 62');
    assertEvents(p, [{ type: 'close', code: 1000, reason: '' }]);
    assertFramesSent(p, closeFrame(1000));
  });

  it('the reason is UTF-8 and keeps a leading byte order mark', () => {
    const p = makeProtocol('client', { wasm });
    feed(p, '88 0a 03e8 efbbbf c3a9 e282ac');
    assertEvents(p, [{ type: 'close', code: 1000, reason: '\ufeffé€' }]);
  });
});

describe.each(['server', 'client'] as const)('we close first (RFC 6455 §7.1.2), %s', (role) => {
  it('sendClose sends the code and reason and waits for the peer', () => {
    const p = makeProtocol(role);
    p.sendClose(1000, 'bye');
    assertConnectionClosing(p, 1000, 'bye');
    expect(p.closeReceived).toBeNull();
  });

  it("the peer's close completes the handshake without a second close", () => {
    const p = makeProtocol(role);
    p.sendClose(1000, 'bye');
    framesSent(p);
    feed(p, closeFrame(1000));
    assertEvents(p, [{ type: 'close', code: 1000, reason: '' }]);
    assertFramesSent(p, ...(role === 'server' ? [EOF] : []));
    expect(p.state).toBe('closed');
    expect(p.closeExpected()).toBe(true);
    p.receiveEof();
    assertFramesSent(p, ...(role === 'client' ? [EOF] : []));
    expect(p.closeExpected()).toBe(false);
  });

  it('sendClose without arguments sends an empty body', () => {
    const p = makeProtocol(role);
    p.sendClose();
    assertConnectionClosing(p);
  });

  it('data the peer sends before its close is still delivered (§5.5.1)', () => {
    const p = makeProtocol(role);
    p.sendClose(1000);
    framesSent(p);
    feed(p, '81 01 61', '01 01 62', '80 01 63', closeFrame(1000));
    assertEvents(p, [
      { type: 'message', data: 'a', isBinary: false },
      { type: 'message', data: 'bc', isBinary: false },
      { type: 'close', code: 1000, reason: '' },
    ]);
  });

  it('a ping after our close is reported but not answered: the close is our last frame', () => {
    const p = makeProtocol(role);
    p.sendClose(1000);
    framesSent(p);
    feed(p, '89 01 01');
    assertEvents(p, [{ type: 'ping', data: new Uint8Array([1]) }]);
    assertFramesSent(p);
  });
});

describe('sendClose misuse throws at once (RFC 6455 §7.4)', () => {
  it.each([1004, 1005, 1006, 1015, 999, 0, 1016, 2000, 2999, 5000, 1000.5, Number.NaN])('code %s', (code) => {
    const p = makeProtocol('server');
    expect(() => p.sendClose(code)).toThrow(RangeError);
    assertFramesSent(p);
    expect(p.state).toBe('open');
  });

  it('a reason over 123 bytes, counted in UTF-8', () => {
    const p = makeProtocol('server');
    expect(() => p.sendClose(1000, 'é'.repeat(62))).toThrow(RangeError);
    expect(p.sendClose(1000, 'a'.repeat(123))).toBe(true);
  });

  it('a reason without a code', () => {
    const p = makeProtocol('server');
    expect(() => p.sendClose(undefined, 'why')).toThrow(TypeError);
  });

  it('misuse throws even once closing', () => {
    const p = makeProtocol('server');
    p.sendClose(1000);
    expect(() => p.sendClose(1005)).toThrow(RangeError);
  });
});

describe.each([true, false])('close codes on the wire (RFC 6455 §7.4), wasm %s', (wasm) => {
  it.each([1004, 1005, 1006, 1015, 999, 0, 1016, 2999, 5000, 65535])('code %s fails with 1002', (code) => {
    const p = makeProtocol('server', { wasm });
    feed(p, closeFrame(code));
    assertViolation(p, 'WS_ERR_INVALID_CLOSE_CODE', 1002);
  });

  it.each([1000, 1003, 1007, 1014, 3000, 4999])('code %s is accepted', (code) => {
    const p = makeProtocol('client', { wasm });
    feed(p, closeFrame(code));
    assertEvents(p, [{ type: 'close', code, reason: '' }]);
  });

  it('a one-byte body fails with 1002 (§5.5.1)', () => {
    const p = makeProtocol('server', { wasm });
    feed(p, '88 01 03');
    assertViolation(p, 'WS_ERR_INVALID_CLOSE_PAYLOAD', 1002);
  });

  it('a reason that is not UTF-8 fails with 1007', () => {
    const p = makeProtocol('client', { wasm });
    feed(p, '88 04 03e8 c328');
    assertViolation(p, 'WS_ERR_INVALID_UTF8', 1007);
  });
});

describe.each(['server', 'client'] as const)('end of stream (RFC 6455 §7.1.5), %s', (role) => {
  it('an end before any close is reported as 1006 and ends our side too', () => {
    const p = makeProtocol(role);
    p.receiveEof();
    assertEvents(p, [{ type: 'close', code: 1006, reason: '' }]);
    assertFramesSent(p, EOF);
    expect(p.state).toBe('closed');
    expect(p.closeReceived).toBeNull();
    expect(p.closeExpected()).toBe(false);
  });

  it('an end in the middle of a frame is 1006 too, with no error event', () => {
    const p = makeProtocol(role);
    const frame = fromPeer(p, '81 05 48656c6c6f');
    p.receiveData(frame.subarray(0, frame.length - 3));
    p.receiveEof();
    assertEvents(p, [{ type: 'close', code: 1006, reason: '' }]);
  });

  it('an end after our close but before theirs is 1006', () => {
    const p = makeProtocol(role);
    p.sendClose(1000);
    framesSent(p);
    p.receiveEof();
    assertEvents(p, [{ type: 'close', code: 1006, reason: '' }]);
    assertFramesSent(p, EOF);
    expect(p.state).toBe('closed');
  });

  it('nothing is queued after the end of the stream: sends are dropped, fail() sends no close', () => {
    const p = makeProtocol(role);
    p.receiveEof();
    p.eventsReceived();
    expect(p.sendText('a')).toBe(false);
    expect(p.sendPing()).toBe(false);
    expect(p.sendClose(1000)).toBe(false);
    p.fail(1011);
    assertFramesSent(p, EOF);
    expect(p.closeSent).toBeNull();
  });

  it('a second end and later data are ignored', () => {
    const p = makeProtocol(role);
    p.receiveEof();
    p.receiveEof();
    feed(p, '81 01 61');
    expect(p.eventsReceived()).toHaveLength(1);
    assertFramesSent(p, EOF);
  });
});

describe.each([true, false])('failing, then discarding input (RFC 6455 §7.1.7), wasm %s', (wasm) => {
  it('a violation: one error event, a close with its code and a short reason, then the end (server)', () => {
    const p = makeProtocol('server', { wasm });
    feed(p, '83 00');
    const [event] = p.eventsReceived();
    expect(event.type === 'error' && event.error.code).toBe('WS_ERR_INVALID_OPCODE');
    assertFramesSent(p, closeFrame(1002, 'reserved opcode'), EOF);
    expect(p.closeSent).toEqual({ code: 1002, reason: 'reserved opcode' });
  });

  it('after a violation all input is discarded and the end gives no event', () => {
    const p = makeProtocol('server', { wasm });
    feed(p, '81 01 61', '83 00', '81 01 62');
    expect(p.eventsReceived().map((e) => e.type)).toEqual(['message', 'error']);
    framesSent(p);
    feed(p, '81 01 63', closeFrame(1000), '84 00');
    p.receiveEof();
    assertEvents(p, []);
    assertFramesSent(p);
    expect(p.closeExpected()).toBe(false);
  });

  it('a client that fails waits for the server to end the stream, then ends its side', () => {
    const p = makeProtocol('client', { wasm });
    feed(p, '84 00');
    assertViolation(p, 'WS_ERR_INVALID_OPCODE', 1002);
    p.receiveEof();
    assertEvents(p, []);
    assertFramesSent(p, EOF);
  });

  it('a violation after our close sends no second close', () => {
    const p = makeProtocol('server', { wasm });
    p.sendClose(1000);
    framesSent(p);
    feed(p, 'c1 00');
    expect(p.eventsReceived().map((e) => e.type)).toEqual(['error']);
    assertFramesSent(p, EOF);
    expect(p.closeSent?.code).toBe(1000);
  });

  it('fail() sends the close and ends the stream at once on a server, emitting no event', () => {
    const p = makeProtocol('server', { wasm });
    p.fail(1011, 'oops');
    assertConnectionFailing(p, 1011);
    expect(p.closeSent).toEqual({ code: 1011, reason: 'oops' });
    feed(p, '81 01 61');
    assertEvents(p, []);
  });

  it('fail() on a client waits for the server to end the stream', () => {
    const p = makeProtocol('client', { wasm });
    p.fail(1008);
    assertConnectionFailing(p, 1008);
    feed(p, closeFrame(1008));
    p.receiveEof();
    assertEvents(p, []);
    assertFramesSent(p, EOF);
  });

  it('fail(1006) drops without a close frame and ends the stream at once, on a client too', () => {
    const p = makeProtocol('client', { wasm });
    p.fail(1006);
    assertFramesSent(p, EOF);
    expect(p.closeSent).toBeNull();
    expect(p.state).toBe('closed');
    expect(p.closeExpected()).toBe(true);
  });

  it('after fail(1006) nothing more is sent', () => {
    const p = makeProtocol('server', { wasm });
    p.fail(1006);
    expect(p.sendClose(1000)).toBe(false);
    expect(p.sendBinary(new Uint8Array(1))).toBe(false);
    p.fail(1002);
    assertFramesSent(p, EOF);
  });

  it('fail() after our close sends no second close; misuse throws', () => {
    const p = makeProtocol('server', { wasm });
    expect(() => p.fail(1005)).toThrow(RangeError);
    p.sendClose(1000);
    framesSent(p);
    p.fail(1011);
    assertFramesSent(p, EOF);
  });
});
