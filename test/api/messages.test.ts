// messages(): the async iterator over a session, fed by messageHandler() or put in front of any handler. Types kept, a clean
// close ends the loop, an abnormal one throws CloseError, backpressure pauses and resumes the
// session, leaving the loop early closes it. Sessions run over an in-memory pair.
import { describe, expect, it } from 'vitest';
import { CloseError } from '../../src/api/close-error.js';
import { messageHandler, messages } from '../../src/api/messages.js';
import { WebSocketError } from '../../src/codec/errors.js';
import { createMemoryPair } from '../../src/session/memory-pair.js';
import { accept, createClientSession } from '../../src/session/start.js';
import type { Session } from '../../src/session/types.js';
import { connectedSessions, handshake, RawPeer, recorder, settle } from '../session/helpers.js';

/** Consumes the iterator to its end: what it yielded and what it threw. */
async function drain(iterator: AsyncIterableIterator<string | Uint8Array>) {
  const seen: Array<string | Uint8Array> = [];
  try {
    for await (const message of iterator) seen.push(message);
    return { seen, error: undefined };
  } catch (error) {
    return { seen, error };
  }
}

/** Records calls to `session.pause()`/`resume()` while letting them through. */
function spyFlowControl(session: Session): string[] {
  const calls: string[] = [];
  const pause = session.pause.bind(session);
  const resume = session.resume.bind(session);
  session.pause = () => {
    calls.push('pause');
    pause();
  };
  session.resume = () => {
    calls.push('resume');
    resume();
  };
  return calls;
}

describe('messages()', () => {
  it('yields text as strings and binary as Uint8Array, in order', async () => {
    const { server, client } = connectedSessions(recorder(), messageHandler());
    server.send('hé');
    server.send(Uint8Array.of(1, 2, 3));
    server.send('');
    server.close(1000);
    const { seen, error } = await drain(messages(client));
    expect(error).toBeUndefined();
    expect(seen).toEqual(['hé', Uint8Array.of(1, 2, 3), '']);
    expect(seen[1]).toBeInstanceOf(Uint8Array);
  });

  it.each([
    ['1000', (s: Session) => s.close(1000, 'bye')],
    ['1001', (s: Session) => s.close(1001)],
    ['1005 (no status)', (s: Session) => s.close()],
  ])('ends after the queued messages on a clean close with %s', async (_, close) => {
    const { server, client } = connectedSessions(recorder(), messageHandler());
    server.send('last words');
    close(server);
    expect(await drain(messages(client))).toEqual({ seen: ['last words'], error: undefined });
  });

  it('throws a CloseError with the code and reason after an application close code', async () => {
    const { server, client } = connectedSessions(recorder(), messageHandler());
    server.send('before');
    server.close(4000, 'kicked');
    const { seen, error } = await drain(messages(client));
    expect(seen).toEqual(['before']);
    expect(error).toBeInstanceOf(CloseError);
    expect(error).toMatchObject({ code: 4000, reason: 'kicked' });
  });

  it('throws a CloseError 1006 when the connection drops', async () => {
    const { server, client } = connectedSessions(recorder(), messageHandler());
    const loop = drain(messages(client));
    await settle();
    server.terminate();
    const { error } = await loop;
    expect(error).toBeInstanceOf(CloseError);
    expect((error as CloseError).code).toBe(1006);
  });

  it('throws a CloseError 1002 whose cause is the protocol error when the server masks a frame', async () => {
    const [serverSide, clientSide] = createMemoryPair();
    const client = createClientSession(clientSide, handshake(), messageHandler());
    client.activate();
    const peer = new RawPeer(serverSide, false);
    peer.send(1, 'ok');
    peer.send(1, 'masked', { maskKey: 0x11223344 });
    peer.transport.end();
    const { seen, error } = await drain(messages(client));
    expect(seen).toEqual(['ok']);
    expect(error).toMatchObject({ name: 'CloseError', code: 1002 });
    expect((error as CloseError).cause).toBeInstanceOf(WebSocketError);
    expect(((error as CloseError).cause as WebSocketError).code).toBe('WS_ERR_UNEXPECTED_MASK');
  });

  it('pauses the session at the high-water mark and resumes it at half', async () => {
    const { server, client, clientSide } = connectedSessions(
      recorder(),
      messageHandler({ highWaterMark: 4 }),
    );
    const calls = spyFlowControl(client);
    // One write (and so one data event) per turn: the pause takes effect between messages.
    for (let i = 0; i < 10; i++) {
      server.send(`m${i}`);
      await settle();
    }
    expect(calls).toEqual(['pause']);
    // The rest waits unread on the way to the client: the backpressure reached the transport.
    expect(clientSide.peer.bufferedAmount).toBeGreaterThan(0);

    const iterator = messages(client);
    expect(await iterator.next()).toEqual({ done: false, value: 'm0' });
    expect(calls).toEqual(['pause']);
    expect(await iterator.next()).toEqual({ done: false, value: 'm1' });
    // Down to half: resumed (and, as the waiting messages flow in, possibly paused again).
    expect(calls.slice(0, 2)).toEqual(['pause', 'resume']);

    const rest: Array<string | Uint8Array> = [];
    for (let i = 2; i < 10; i++) rest.push((await iterator.next()).value as string);
    expect(rest).toEqual(['m2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9']);
    expect(clientSide.peer.bufferedAmount).toBe(0);
    expect(calls.join(' ')).toMatch(/^(pause resume ?)+$/);
    server.close(1000);
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  it('closes the session with 1000 and drops the queue when the loop is left early', async () => {
    const serverLog = recorder();
    const { server, client } = connectedSessions(serverLog, messageHandler());
    for (let i = 0; i < 5; i++) server.send(`m${i}`);
    const seen: Array<string | Uint8Array> = [];
    for await (const message of messages(client)) {
      seen.push(message);
      if (seen.length === 2) break;
    }
    expect(seen).toEqual(['m0', 'm1']);
    expect(client.state).not.toBe('open');
    for (let i = 0; i < 5 && client.state !== 'closed'; i++) await settle();
    expect(serverLog.log).toContain('close:1000:');
    expect(await messages(client).next()).toEqual({ done: true, value: undefined });
  });

  it('with closeOnBreak: false, leaves the session open and keeps the rest for the next loop', async () => {
    const { server, client } = connectedSessions(recorder(), messageHandler());
    for (let i = 0; i < 3; i++) server.send(`m${i}`);
    for await (const message of messages(client, { closeOnBreak: false })) {
      expect(message).toBe('m0');
      break;
    }
    expect(client.state).toBe('open');
    server.close(1000);
    expect(await drain(messages(client))).toEqual({ seen: ['m1', 'm2'], error: undefined });
  });

  it('keeps one queue per session when one handler serves several', async () => {
    const shared = messageHandler();
    const a = connectedSessions(recorder(), shared);
    const b = connectedSessions(recorder(), shared);
    a.server.send('for a');
    b.server.send('for b');
    a.server.close(1000);
    b.server.close(1000);
    expect((await drain(messages(a.client))).seen).toEqual(['for a']);
    expect((await drain(messages(b.client))).seen).toEqual(['for b']);
  });

  it('works on a session made but not yet activated, and calls the extra callbacks', async () => {
    const [serverSide, clientSide] = createMemoryPair();
    const log: string[] = [];
    const server = accept(
      serverSide,
      handshake(),
      messageHandler({
        handler: { open: () => log.push('open'), close: (_, code) => log.push(`close:${code}`) },
      }),
    );
    const iterator = messages(server);
    server.activate();
    const peer = new RawPeer(clientSide, true);
    peer.send(1, 'hello');
    peer.send(8, peer.closeBody(1000));
    peer.transport.end();
    expect(await drain(iterator)).toEqual({ seen: ['hello'], error: undefined });
    expect(log).toEqual(['open', 'close:1000']);
  });

  it('works over a session with any handler, which keeps every callback but message', async () => {
    const serverLog = recorder();
    const clientLog = recorder();
    const { server, client } = connectedSessions(serverLog, clientLog);
    const iterator = messages(client);
    server.send('one');
    server.send(new Uint8Array([1, 2]));
    server.ping('p');
    server.close(1000, 'done');
    const { seen, error } = await drain(iterator);
    expect(error).toBeUndefined();
    expect(seen).toEqual(['one', new Uint8Array([1, 2])]);
    expect(clientLog.log).toEqual(['open', 'ping:p', 'close:1000:done']);
  });

  it('throws CloseError after an abnormal close of a session with any handler', async () => {
    const { server, client } = connectedSessions(recorder(), recorder());
    const iterator = messages(client);
    server.close(4000, 'app');
    const { error } = await drain(iterator);
    expect(error).toBeInstanceOf(CloseError);
    expect((error as CloseError).code).toBe(4000);
  });

  it('ends at once for a session that is already closed', async () => {
    let closed!: () => void;
    const clientClosed = new Promise<void>((resolve) => (closed = resolve));
    const { server, client } = connectedSessions(recorder(), recorder({ close: () => closed() }));
    server.close(1000);
    await clientClosed;
    expect(client.state).toBe('closed');
    expect(await drain(messages(client))).toEqual({ seen: [], error: undefined });
  });

  it('refuses a high-water mark below 1', () => {
    expect(() => messageHandler({ highWaterMark: 0 })).toThrow(RangeError);
  });
});
