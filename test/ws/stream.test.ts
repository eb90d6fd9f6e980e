// createWebSocketStream as ws 8 has it: the readable side applies backpressure (the socket is
// paused while the stream is full and resumed as it is read), ending the writable side while
// CONNECTING sends what was written and then closes, and a stream on a socket that fails to
// connect is destroyed with its error. Each program runs against every pair in PEERS.
import { once } from 'node:events';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { closedPort } from '../client/helpers.js';
import { Cleanup, closed, listen, messages, nextConnection, open, PEERS } from './peers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** Reads `count` chunks from a paused stream, one per call of read(). */
async function readChunks(stream: Duplex, count: number): Promise<string[]> {
  const chunks: string[] = [];
  while (chunks.length < count) {
    const chunk = stream.read();
    if (chunk === null) await once(stream, 'readable');
    else chunks.push(String(chunk));
  }
  return chunks;
}

describe.each(PEERS)('%s', (_name, server, client) => {
  it('pauses the socket while the readable side is full, and resumes it as it is read', async () => {
    const { wss, url } = await listen(server, cleanup);
    const serverSide = nextConnection(wss);
    const socket = await open(client, cleanup, url);
    const peer = await serverSide;
    const stream = client.createWebSocketStream(socket, { readableHighWaterMark: 4 });
    stream.on('error', () => {});
    stream.pause();
    const first = once(socket, 'message');
    peer.send('abcdefgh');
    await first;
    expect(socket.isPaused).toBe(true);
    peer.send('second');
    expect(await readChunks(stream, 2)).toEqual(['abcdefgh', 'second']);
    expect(socket.isPaused).toBe(false);
  });

  it('sends what was written while CONNECTING, then closes when the writable side ends', async () => {
    const { wss, url } = await listen(server, cleanup);
    const serverSide = nextConnection(wss);
    const socket = cleanup.track(new client.WebSocket(url));
    const stream = client.createWebSocketStream(socket);
    stream.on('error', () => {});
    const finished = once(stream, 'finish');
    stream.write('one');
    stream.end('two');
    const peer = await serverSide;
    const received = messages(peer, 2);
    const peerClosed = closed(peer);
    expect((await received).map(([data]) => String(data))).toEqual(['one', 'two']);
    expect((await peerClosed)[0]).toBe(1005);
    await finished;
  });

  it('is destroyed with the error when its socket cannot connect, and closes', async () => {
    const port = await closedPort();
    const socket = cleanup.track(new client.WebSocket(`ws://127.0.0.1:${port}/`));
    const stream = client.createWebSocketStream(socket);
    const failed = once(stream, 'error');
    // (events.once would reject on the 'error' that comes first.)
    const streamClosed = new Promise((resolve) => stream.once('close', resolve));
    stream.end('never sent');
    const [error] = (await failed) as [Error & { code?: string }];
    expect(error.code).toBe('ECONNREFUSED');
    await streamClosed;
    expect([stream.destroyed, socket.readyState]).toEqual([true, client.WebSocket.CLOSED]);
  });
});
