// Close timeout, keepalive and idle timeout, all on a manual clock.
import { describe, expect, it } from 'vitest';
import { createMemoryPair } from '../../src/session/memory-pair.js';
import { createClientSession } from '../../src/session/start.js';
import {
  connectedSessions,
  handshake,
  ManualClock,
  RawPeer,
  recorder,
  serverWithRawClient,
  settle,
} from './helpers.js';

describe('close timeout', () => {
  it('destroys the transport when the peer never answers our close (1006)', async () => {
    const clock = new ManualClock();
    const handler = recorder();
    const { session, peer } = serverWithRawClient(handler, { clock });
    session.activate();
    session.close(1000, 'bye');
    await settle();
    expect(peer.summary()).toEqual(['close:1000:bye']);
    clock.advance(4999);
    await settle();
    expect(session.state).toBe('closing');
    clock.advance(1);
    await settle();
    expect(peer.closed).toBe(true);
    expect(handler.log).toEqual(['open', 'close:1006:']);
  });

  it('destroys a peer that answers the close but never closes TCP, keeping its code', async () => {
    const clock = new ManualClock();
    const handler = recorder();
    const { session, peer } = serverWithRawClient(handler, { clock, closeTimeout: 2000 });
    session.activate();
    session.close(1000);
    peer.send(8, peer.closeBody(1000));
    await settle();
    expect(peer.ended).toBe(true);
    expect(session.state).toBe('closing');
    clock.advance(2000);
    await settle();
    expect(handler.log).toEqual(['open', 'close:1000:']);
    expect(clock.pending).toBe(0);
  });

  it('destroys a peer that sent a close and never closes TCP after our echo', async () => {
    const clock = new ManualClock();
    const handler = recorder();
    const { session, peer } = serverWithRawClient(handler, { clock });
    session.activate();
    peer.send(8, peer.closeBody(1001, 'going'));
    await settle();
    expect(peer.summary()).toEqual(['close:1001:going']);
    clock.advance(5000);
    await settle();
    expect(handler.log).toEqual(['open', 'close:1001:going']);
  });

  it('lets a client wait for the server to close TCP, then drops it', async () => {
    const clock = new ManualClock();
    const handler = recorder();
    const [clientSide, serverSide] = createMemoryPair();
    const client = createClientSession(clientSide, handshake(), handler, { clock });
    const server = new RawPeer(serverSide, false);
    client.activate();
    client.close(3001, 'client done');
    server.send(8, server.closeBody(3001));
    await settle();
    // RFC 6455 §7.1.1: the server closes TCP first; this one never does.
    expect(clientSide.ended).toBe(false);
    expect(client.state).toBe('closing');
    clock.advance(5000);
    await settle();
    expect(handler.log).toEqual(['open', 'close:3001:']);
  });

  it('is off with closeTimeout 0', async () => {
    const clock = new ManualClock();
    const { session } = serverWithRawClient(recorder(), { clock, closeTimeout: 0 });
    session.activate();
    session.close(1000);
    expect(clock.pending).toBe(0);
  });
});

describe('keepalive', () => {
  it('pings after pingInterval of silence and drops a peer that sends nothing back (1006)', async () => {
    const clock = new ManualClock();
    const handler = recorder();
    const { session, peer } = serverWithRawClient(handler, { clock, pingInterval: 1000, pongTimeout: 500 });
    session.activate();
    clock.advance(999);
    await settle();
    expect(peer.frames()).toEqual([]);
    clock.advance(1);
    await settle();
    expect(peer.summary()).toEqual(['ping:']);
    clock.advance(499);
    await settle();
    expect(session.state).toBe('open');
    clock.advance(1);
    await settle();
    expect(peer.closed).toBe(true);
    expect(handler.log).toEqual(['open', 'close:1006:']);
    expect(clock.pending).toBe(0);
  });

  it('keeps a live peer: its automatic pong arrives in time, and pings go on', async () => {
    const clock = new ManualClock();
    const serverLog = recorder();
    const clientLog = recorder();
    const { server } = connectedSessions(
      serverLog,
      clientLog,
      { clock, pingInterval: 1000, pongTimeout: 500 },
      {},
      {},
    );
    // Step by step, so each pong travels before the next timer is due.
    for (let step = 0; step < 6; step++) {
      clock.advance(500);
      await settle();
    }
    expect(server.state).toBe('open');
    expect(serverLog.log).toEqual(['open', 'pong:', 'pong:', 'pong:']);
    expect(clientLog.log).toEqual(['open', 'ping:', 'ping:', 'ping:']);
  });

  it('counts any data as a sign of life and pings only after pingInterval of silence', async () => {
    const clock = new ManualClock();
    const { session, peer } = serverWithRawClient(recorder(), {
      clock,
      pingInterval: 1000,
      pongTimeout: 500,
    });
    session.activate();
    clock.advance(900);
    peer.send(1, 'still here');
    await settle();
    clock.advance(100);
    await settle();
    expect(peer.frames()).toEqual([]);
    clock.advance(899);
    await settle();
    expect(peer.frames()).toEqual([]);
    clock.advance(1);
    await settle();
    expect(peer.summary()).toEqual(['ping:']);
    // A data frame instead of the pong also shows the peer is alive.
    clock.advance(200);
    peer.send(2, new Uint8Array(1));
    await settle();
    clock.advance(300);
    await settle();
    expect(session.state).toBe('open');
  });
});

describe('idle timeout', () => {
  it('closes with 1001 after idleTimeout without receiving anything', async () => {
    const clock = new ManualClock();
    const handler = recorder();
    const { session, peer } = serverWithRawClient(handler, { clock, idleTimeout: 1000 });
    session.activate();
    clock.advance(600);
    peer.send(1, 'hi');
    await settle();
    clock.advance(999);
    await settle();
    expect(peer.summary()).toEqual([]);
    clock.advance(1);
    await settle();
    expect(peer.summary()).toEqual(['close:1001:idle timeout']);
    expect(session.state).toBe('closing');
    peer.send(8, peer.closeBody(1001));
    await settle();
    peer.transport.end();
    await settle();
    expect(handler.log).toEqual(['open', 'text:hi', 'close:1001:']);
    expect(clock.pending).toBe(0);
  });
});

describe('timers', () => {
  it('are all cleared once the session closes', async () => {
    const clock = new ManualClock();
    const options = { clock, idleTimeout: 10_000, pingInterval: 1000, pongTimeout: 500 };
    const { server, client } = connectedSessions(recorder(), recorder(), options);
    expect(clock.pending).toBeGreaterThan(0);
    client.close(1000);
    await settle();
    expect([server.state, client.state]).toEqual(['closed', 'closed']);
    expect(clock.pending).toBe(0);
  });

  it('are all cleared after terminate()', async () => {
    const clock = new ManualClock();
    const { session } = serverWithRawClient(recorder(), { clock, idleTimeout: 1000, pingInterval: 100 });
    session.activate();
    session.terminate();
    await settle();
    expect(session.state).toBe('closed');
    expect(clock.pending).toBe(0);
  });
});
