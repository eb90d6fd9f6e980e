// Activation, message flow, write coalescing and the closing handshake.
import { describe, expect, it } from 'vitest';
import { createMemoryPair } from '../../src/session/memory-pair.js';
import { accept } from '../../src/session/start.js';
import type { Session } from '../../src/session/types.js';
import {
  clientFrame,
  connectedSessions,
  handshake,
  recorder,
  serverWithRawClient,
  settle,
  text,
} from './helpers.js';

const echo = (session: Session, data: string | Uint8Array) => {
  session.send(data);
};

describe('activate()', () => {
  it('reads nothing before activate(), then replays the handshake head before later bytes', async () => {
    const handler = recorder();
    const head = new Uint8Array([...clientFrame(1, 'first'), ...clientFrame(1, 'second')]);
    const { session, peer } = serverWithRawClient(handler, { head });
    peer.send(1, 'third');
    await settle();
    expect(session.state).toBe('connecting');
    expect(handler.log).toEqual([]);

    session.activate();
    expect(session.state).toBe('open');
    expect(handler.log).toEqual(['open', 'text:first', 'text:second']);
    await settle();
    expect(handler.log).toEqual(['open', 'text:first', 'text:second', 'text:third']);
  });

  it('replays a head that ends inside a frame, joined with the bytes that follow', async () => {
    const handler = recorder();
    const frame = clientFrame(1, 'split across head and socket');
    const { session, peer } = serverWithRawClient(handler, { head: frame.subarray(0, 5) });
    peer.transport.write([frame.subarray(5)]);
    session.activate();
    await settle();
    expect(handler.log).toEqual(['open', 'text:split across head and socket']);
  });

  it('is idempotent', () => {
    const handler = recorder();
    const { session } = serverWithRawClient(handler);
    session.activate();
    session.activate();
    expect(handler.log).toEqual(['open']);
  });

  it('throws InvalidStateError for send, ping and close before activate()', () => {
    const { session } = serverWithRawClient(recorder());
    for (const call of [() => session.send('x'), () => session.ping(), () => session.close(1000)]) {
      expect(call).toThrow(expect.objectContaining({ name: 'InvalidStateError' }));
    }
  });

  it('holds the head back while paused in open, and replays it on resume()', async () => {
    const handler = recorder({ open: (session) => session.pause() });
    const { session } = serverWithRawClient(handler, { head: clientFrame(1, 'held') });
    session.activate();
    await settle();
    expect(handler.log).toEqual(['open']);
    session.resume();
    expect(handler.log).toEqual(['open', 'text:held']);
  });

  it('sends what open() sends once activated', async () => {
    const { session, peer } = serverWithRawClient(recorder({ open: (s) => s.send('welcome') }));
    session.activate();
    await settle();
    expect(peer.summary()).toEqual(['text:welcome']);
  });

  it('exposes the handshake and the context', () => {
    const [serverSide] = createMemoryPair();
    const session = accept(serverSide, handshake({ path: '/feed', protocol: 'v1' }), recorder(), {
      context: { user: 7 },
    });
    expect(session.role).toBe('server');
    expect(session.protocol).toBe('v1');
    expect(session.handshake.path).toBe('/feed');
    expect(session.context).toEqual({ user: 7 });
  });

  it('validates its options', () => {
    const [serverSide] = createMemoryPair();
    expect(() => accept(serverSide, handshake(), recorder(), { closeTimeout: -1 })).toThrow(RangeError);
    expect(() => accept(serverSide, handshake(), recorder(), { highWaterMark: Number.NaN })).toThrow(
      /highWaterMark/,
    );
    expect(() => accept(serverSide, handshake(), {} as never)).toThrow(TypeError);
  });
});

describe('messages', () => {
  it('echoes text as text and binary as binary', async () => {
    const { session, peer } = serverWithRawClient(recorder({ message: echo }));
    session.activate();
    peer.send(1, 'hello');
    peer.send(2, new Uint8Array([1, 2, 3]));
    await settle();
    expect(peer.summary()).toEqual(['text:hello', 'binary:3']);
  });

  it('sends a string as binary and UTF-8 bytes as text on request, and refuses bad text', async () => {
    const { session, peer } = serverWithRawClient(recorder());
    session.activate();
    session.send('abc', { binary: true });
    session.send(text('déjà'), { binary: false });
    expect(() => session.send(new Uint8Array([0xff]), { binary: false })).toThrow(TypeError);
    expect(() => session.send(42 as never)).toThrow(TypeError);
    await settle();
    expect(peer.summary()).toEqual(['binary:3', 'text:déjà']);
  });

  it('carries messages both ways between a server session and a client session', async () => {
    const serverLog = recorder({ message: echo });
    const clientLog = recorder();
    const { client } = connectedSessions(serverLog, clientLog);
    client.send('ping me back');
    client.send(new Uint8Array(300));
    await settle();
    expect(serverLog.log).toEqual(['open', 'text:ping me back', 'binary:300']);
    expect(clientLog.log).toEqual(['open', 'text:ping me back', 'binary:300']);
  });

  it('answers a ping before the handler sees it', async () => {
    let writesWhenPinged = -1;
    const { session, peer, transport } = serverWithRawClient(
      recorder({
        ping(s) {
          writesWhenPinged = transport.writeCount;
          s.send('after');
        },
      }),
    );
    session.activate();
    peer.send(9, 'are you there');
    await settle();
    // The pong was on the transport when the handler heard of the ping.
    expect(writesWhenPinged).toBe(1);
    expect(peer.summary()).toEqual(['pong:are you there', 'text:after']);
  });

  it('reports pongs and sends pings and unsolicited pongs', async () => {
    const handler = recorder();
    const { session, peer } = serverWithRawClient(handler);
    session.activate();
    session.ping('hb');
    session.pong(new Uint8Array(0));
    expect(() => session.ping(new Uint8Array(126))).toThrow(RangeError);
    peer.send(10, 'hb');
    await settle();
    expect(peer.summary()).toEqual(['ping:hb', 'pong:']);
    expect(handler.log).toEqual(['open', 'pong:hb']);
  });
});

describe('write coalescing', () => {
  it('writes 100 sends made in one turn with one write call', async () => {
    const { session, peer, transport } = serverWithRawClient(recorder());
    session.activate();
    await settle();
    const before = transport.writeCount;
    for (let i = 0; i < 100; i++) session.send(`message ${i}`);
    expect(transport.writeCount).toBe(before);
    await settle();
    expect(transport.writeCount).toBe(before + 1);
    expect(peer.frames()).toHaveLength(100);
  });

  it('writes 100 replies to one message with one write call', async () => {
    const { session, peer, transport } = serverWithRawClient(
      recorder({
        message(s) {
          for (let i = 0; i < 100; i++) s.send(new Uint8Array([i]));
        },
      }),
    );
    session.activate();
    peer.send(1, 'go');
    await settle();
    expect(transport.writeCount).toBe(1);
    expect(peer.frames()).toHaveLength(100);
  });

  it('answers many pings in one chunk with one write call', async () => {
    const { session, peer, transport } = serverWithRawClient(recorder());
    session.activate();
    peer.transport.write(Array.from({ length: 20 }, (_, i) => peer.frame(9, `${i}`)));
    await settle();
    expect(transport.writeCount).toBe(1);
    expect(peer.frames().map((f) => f.opcode)).toEqual(Array(20).fill(10));
  });
});

describe('closing handshake', () => {
  it('server-initiated: the client sees code and reason, the server the echo of both', async () => {
    const serverLog = recorder();
    const clientLog = recorder();
    const { server, client, serverSide, clientSide } = connectedSessions(serverLog, clientLog);
    server.close(1000, 'bye');
    expect(server.state).toBe('closing');
    await settle();
    expect(clientLog.log).toEqual(['open', 'close:1000:bye']);
    expect(serverLog.log).toEqual(['open', 'close:1000:bye']);
    expect([server.state, client.state]).toEqual(['closed', 'closed']);
    expect([serverSide.closed, clientSide.closed]).toEqual([true, true]);
  });

  it('client-initiated, with a registered code', async () => {
    const serverLog = recorder();
    const clientLog = recorder();
    const { client } = connectedSessions(serverLog, clientLog);
    client.close(4000, 'done here');
    await settle();
    expect(serverLog.log).toEqual(['open', 'close:4000:done here']);
    expect(clientLog.log).toEqual(['open', 'close:4000:done here']);
  });

  it('reports 1005 on both sides for a close without a code', async () => {
    const serverLog = recorder();
    const clientLog = recorder();
    const { client } = connectedSessions(serverLog, clientLog);
    client.close();
    await settle();
    expect(serverLog.log).toEqual(['open', 'close:1005:']);
    expect(clientLog.log).toEqual(['open', 'close:1005:']);
  });

  it('delivers messages sent before the close, and drops sends after it', async () => {
    const serverLog = recorder();
    const { server, client } = connectedSessions(serverLog, recorder());
    client.send('last words');
    client.close(1000);
    expect(client.send('too late')).toBe(false);
    client.close(1001);
    await settle();
    expect(serverLog.log).toEqual(['open', 'text:last words', 'close:1000:']);
    expect(server.state).toBe('closed');
  });

  it('validates code and reason in every state, before anything is sent', () => {
    const { session } = serverWithRawClient(recorder());
    expect(() => session.close(1005)).toThrow(RangeError);
    expect(() => session.close(1000, 'x'.repeat(124))).toThrow(RangeError);
    expect(() => session.close(undefined, 'why')).toThrow(TypeError);
    session.activate();
    expect(() => session.close(2999)).toThrow(RangeError);
    expect(session.state).toBe('open');
  });

  it('echoes a raw peer’s close and ends the stream first, as a server must', async () => {
    const handler = recorder();
    const { session, peer } = serverWithRawClient(handler);
    session.activate();
    peer.send(8, peer.closeBody(1001, 'going'));
    await settle();
    expect(peer.summary()).toEqual(['close:1001:going']);
    expect(peer.ended).toBe(true);
    expect(session.state).toBe('closing');
    peer.transport.end();
    await settle();
    expect(handler.log).toEqual(['open', 'close:1001:going']);
    expect(session.state).toBe('closed');
  });
});
