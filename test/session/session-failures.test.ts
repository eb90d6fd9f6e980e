// Transport errors, handler exceptions, protocol violations, drops and terminate().
import { describe, expect, it } from 'vitest';
import { createMemoryPair } from '../../src/session/memory-pair.js';
import { accept, createClientSession } from '../../src/session/start.js';
import type { TransportEvents } from '../../src/session/types.js';
import { connectedSessions, handshake, RawPeer, recorder, serverWithRawClient, settle } from './helpers.js';

describe('transport failures', () => {
  it('reports a transport error once, then closes with 1006', async () => {
    const handler = recorder();
    const { session, transport } = serverWithRawClient(handler);
    session.activate();
    transport.injectError(new Error('ECONNRESET'));
    await settle();
    expect(handler.log).toEqual(['open', 'error:ECONNRESET', 'close:1006:']);
    expect(session.state).toBe('closed');
  });

  it('reports only the first of repeated transport errors', () => {
    const handler = recorder();
    const { session, transport } = serverWithRawClient(handler);
    let events: TransportEvents | undefined;
    const attach = transport.attach.bind(transport);
    transport.attach = (installed) => {
      events = installed;
      attach(installed);
    };
    session.activate();
    events!.error(new Error('EPIPE'));
    events!.error(new Error('ECONNRESET'));
    events!.closed();
    expect(handler.log).toEqual(['open', 'error:EPIPE', 'close:1006:']);
  });

  it('reports a peer that ends without a close frame as 1006, not as an error', async () => {
    const handler = recorder();
    const { session, peer } = serverWithRawClient(handler);
    session.activate();
    peer.transport.end();
    await settle();
    expect(handler.log).toEqual(['open', 'close:1006:']);
    expect(peer.ended).toBe(true);
    expect(session.state).toBe('closed');
  });

  it('reports a peer that vanishes as 1006', async () => {
    const handler = recorder();
    const { session, peer } = serverWithRawClient(handler);
    session.activate();
    peer.transport.destroy();
    await settle();
    expect(handler.log).toEqual(['open', 'close:1006:']);
  });
});

describe('handler exceptions', () => {
  it('reports a throwing message handler, stops delivering, and closes with 1011', async () => {
    const handler = recorder({
      message() {
        throw new Error('boom');
      },
    });
    const { session, peer } = serverWithRawClient(handler);
    session.activate();
    peer.transport.write([peer.frame(1, 'first'), peer.frame(1, 'second')]);
    await settle();
    expect(peer.summary()).toEqual(['close:1011:internal error']);
    expect(peer.ended).toBe(true);
    peer.transport.end();
    await settle();
    expect(handler.log).toEqual(['open', 'text:first', 'error:boom', 'close:1011:internal error']);
  });

  it('closes with 1011 when open throws', async () => {
    const handler = recorder({
      open() {
        throw new Error('no');
      },
    });
    const { session, peer } = serverWithRawClient(handler);
    session.activate();
    await settle();
    expect(peer.summary()).toEqual(['close:1011:internal error']);
    expect(handler.log).toEqual(['open', 'error:no']);
  });

  it('survives error and close handlers that throw too', async () => {
    const { session, peer } = serverWithRawClient({
      message() {
        throw new Error('one');
      },
      error() {
        throw new Error('two');
      },
      close() {
        throw new Error('three');
      },
    });
    session.activate();
    peer.send(1, 'x');
    await settle();
    peer.transport.end();
    await settle();
    expect(session.state).toBe('closed');
  });

  it('tells the peer 1011 when a client-side handler throws', async () => {
    const serverLog = recorder();
    const clientLog = recorder({
      message() {
        throw new TypeError('bad state');
      },
    });
    const { server, client } = connectedSessions(serverLog, clientLog);
    server.send('trigger');
    await settle();
    expect(serverLog.log).toEqual(['open', 'close:1011:internal error']);
    expect(clientLog.log).toEqual(['open', 'text:trigger', 'error:bad state', 'close:1011:internal error']);
    expect(client.state).toBe('closed');
  });
});

describe('protocol violations', () => {
  it('reports the error, sends its close code, and closes with it', async () => {
    const handler = recorder();
    const { session, peer } = serverWithRawClient(handler);
    session.activate();
    peer.send(1, 'unmasked', { maskKey: undefined });
    await settle();
    expect(handler.log).toEqual(['open', 'error:WS_ERR_EXPECTED_MASK']);
    expect(peer.summary()).toEqual(['close:1002:client frame is not masked']);
    expect(peer.ended).toBe(true);
    peer.transport.end();
    await settle();
    expect(handler.log).toEqual([
      'open',
      'error:WS_ERR_EXPECTED_MASK',
      'close:1002:client frame is not masked',
    ]);
  });

  it('fails a client session on a masked server frame, then waits for the server to end', async () => {
    const handler = recorder();
    const [clientSide, serverSide] = createMemoryPair();
    const session = createClientSession(clientSide, handshake(), handler);
    const server = new RawPeer(serverSide, false);
    session.activate();
    server.send(1, 'masked', { maskKey: 1 });
    await settle();
    expect(server.summary()).toEqual(['close:1002:server frame is masked']);
    expect(handler.log).toEqual(['open', 'error:WS_ERR_UNEXPECTED_MASK']);
    // RFC 6455 §7.1.1: the client leaves closing TCP to the server.
    expect(server.ended).toBe(false);
    server.transport.end();
    await settle();
    expect(server.ended).toBe(true);
    expect(handler.log).toEqual([
      'open',
      'error:WS_ERR_UNEXPECTED_MASK',
      'close:1002:server frame is masked',
    ]);
  });

  it('closes with 1007 for invalid UTF-8 and ignores what follows', async () => {
    const handler = recorder();
    const { session, peer } = serverWithRawClient(handler);
    session.activate();
    peer.transport.write([peer.frame(1, new Uint8Array([0xc3, 0x28])), peer.frame(1, 'after')]);
    await settle();
    peer.transport.end();
    await settle();
    expect(handler.log).toEqual(['open', 'error:WS_ERR_INVALID_UTF8', 'close:1007:invalid UTF-8']);
  });
});

describe('terminate()', () => {
  it('drops the connection at once: 1006, no close frame', async () => {
    const handler = recorder();
    const { session, peer } = serverWithRawClient(handler);
    session.activate();
    session.terminate();
    session.terminate();
    await settle();
    expect(peer.closed).toBe(true);
    expect(peer.frames()).toEqual([]);
    expect(handler.log).toEqual(['open', 'close:1006:']);
  });

  it('before activate(), destroys the transport and reports 1006', async () => {
    const handler = recorder();
    const [serverSide, clientSide] = createMemoryPair();
    const session = accept(serverSide, handshake(), handler);
    session.terminate();
    expect(session.state).toBe('closed');
    expect(handler.log).toEqual(['close:1006:']);
    await settle();
    expect(clientSide.closed).toBe(true);
  });
});
