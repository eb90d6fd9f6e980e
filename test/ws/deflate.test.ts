// permessage-deflate options as ws 8 takes them (threshold, context takeover, window bits,
// zlibDeflateOptions), with ws's defaults on both sides: what is negotiated and that messages
// above and below the threshold go through. Each program runs against every pair in PEERS.
import { once } from 'node:events';
import type * as http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup, listen, nextConnection, nextMessage, PEERS } from './peers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

describe.each(PEERS)('%s', (_name, server, client) => {
  it('offers ws’s default (client_max_window_bits) and agrees with a server that enables it', async () => {
    const { wss, url } = await listen(server, cleanup, { perMessageDeflate: true });
    const serverSide = nextConnection(wss);
    const socket = cleanup.track(new client.WebSocket(url));
    const opened = once(socket, 'open');
    const [response] = (await once(socket, 'upgrade')) as [http.IncomingMessage];
    await opened;
    const peer = await serverSide;
    expect([response.headers['sec-websocket-extensions'], socket.extensions, peer.extensions]).toEqual([
      'permessage-deflate',
      'permessage-deflate',
      'permessage-deflate',
    ]);
  });

  it('negotiates serverNoContextTakeover and clientMaxWindowBits, and compresses from threshold', async () => {
    const { wss, url } = await listen(server, cleanup, {
      perMessageDeflate: { threshold: 0, zlibDeflateOptions: { memLevel: 4, level: 1 } },
    });
    wss.on('connection', (peer) =>
      peer.on('message', (data, isBinary) => peer.send(data, { binary: isBinary })),
    );
    const socket = cleanup.track(
      new client.WebSocket(url, {
        perMessageDeflate: { serverNoContextTakeover: true, clientMaxWindowBits: 10, threshold: 0 },
      }),
    );
    const opened = once(socket, 'open');
    const [response] = (await once(socket, 'upgrade')) as [http.IncomingMessage];
    await opened;
    expect(response.headers['sec-websocket-extensions']).toBe(
      'permessage-deflate; server_no_context_takeover; client_max_window_bits=10',
    );
    for (const text of ['a', 'hello '.repeat(500)]) {
      socket.send(text);
      expect(String((await nextMessage(socket))[0])).toBe(text);
    }
  });

  it('agrees to nothing when the client does not offer it', async () => {
    const { wss, url } = await listen(server, cleanup, { perMessageDeflate: true });
    const serverSide = nextConnection(wss);
    const socket = cleanup.track(new client.WebSocket(url, { perMessageDeflate: false }));
    await once(socket, 'open');
    expect([(await serverSide).extensions, socket.extensions]).toEqual(['', '']);
  });
});
