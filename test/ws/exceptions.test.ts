// Listener exceptions as ws has them: thrown uncaught (the process's 'uncaughtException' sees
// the very error), never turned into an `error` event or a 1011 close, and the connection goes
// on. Each program runs against every pair in PEERS.
import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup, closed, listen, messages, nextConnection, open, PEERS } from './peers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** The next uncaught exception, with the runner's own handlers set aside until it came. */
function nextUncaught(): Promise<unknown> {
  const runner = process.rawListeners('uncaughtException');
  process.removeAllListeners('uncaughtException');
  return new Promise((resolve) => {
    process.once('uncaughtException', (error) => {
      for (const listener of runner) process.on('uncaughtException', listener as (error: Error) => void);
      resolve(error);
    });
  });
}

describe.each(PEERS)('%s', (_name, server, client) => {
  it('throws a message listener’s exception uncaught, with no error event, and keeps the connection', async () => {
    const { wss, url } = await listen(server, cleanup);
    const serverSide = nextConnection(wss);
    const socket = await open(client, cleanup, url);
    const peer = await serverSide;
    const boom = new Error('boom in message');
    const errors: Error[] = [];
    socket.on('error', (error) => errors.push(error));
    socket.once('message', () => {
      throw boom;
    });
    const uncaught = nextUncaught();
    peer.send('first');
    expect(await uncaught).toBe(boom);
    expect([errors, socket.readyState]).toEqual([[], client.WebSocket.OPEN]);
    // The peer heard no 1011: it can still close the connection with its own code.
    const peerClosed = closed(peer);
    socket.close(4001, 'after the throw');
    expect(await peerClosed).toEqual([4001, 'after the throw']);
  });

  it('throws a connection listener’s exception uncaught; the client is open', async () => {
    const { wss, url } = await listen(server, cleanup);
    const boom = new Error('boom in connection');
    wss.once('connection', () => {
      throw boom;
    });
    const uncaught = nextUncaught();
    const socket = await open(client, cleanup, url);
    expect(await uncaught).toBe(boom);
    expect(socket.readyState).toBe(client.WebSocket.OPEN);
  });

  it('throws an open listener’s and a send callback’s exceptions uncaught', async () => {
    const { wss, url } = await listen(server, cleanup);
    wss.on('connection', (peer) => peer.on('message', (data) => peer.send(data)));
    const socket = cleanup.track(new client.WebSocket(url));
    const inOpen = new Error('boom in open');
    socket.once('open', () => {
      throw inOpen;
    });
    expect(await nextUncaught()).toBe(inOpen);
    const inCallback = new Error('boom in send callback');
    const echoed = messages(socket, 2);
    const uncaught = nextUncaught();
    socket.send('x', () => {
      throw inCallback;
    });
    expect(await uncaught).toBe(inCallback);
    socket.send('still echoed');
    expect((await echoed).map(([data]) => String(data))).toEqual(['x', 'still echoed']);
  });
});
