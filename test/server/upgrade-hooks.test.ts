// handleUpgrade's hooks for facades: verify sees node's IncomingMessage, a protocol selector
// sees the request, and responseHeaders adds headers to the 101 (a hook that fails gives 500).
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { handleUpgrade, type UpgradeOptions, type UpgradeRequestInfo } from '../../src/server/index.js';
import { echo, RawClient, upgradeRequest } from './helpers.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

async function serve(options: UpgradeOptions): Promise<RawClient> {
  const server = http.createServer();
  server.on('upgrade', (req, socket, head) => void handleUpgrade(req, socket, head, echo, options));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = await RawClient.connect((server.address() as AddressInfo).port);
  cleanups.push(() => {
    client.destroy();
    server.closeAllConnections();
    server.close();
  });
  return client;
}

describe('handleUpgrade hooks', () => {
  it("gives verify node's IncomingMessage as request", async () => {
    let seen: UpgradeRequestInfo | undefined;
    const client = await serve({
      verify: (info) => {
        seen = info;
      },
    });
    client.write(upgradeRequest({ path: '/feed?x=1' }));
    expect((await client.readResponse()).status).toBe(101);
    expect(seen?.request).toBeInstanceOf(http.IncomingMessage);
    expect(seen?.request?.url).toBe('/feed?x=1');
  });

  it('calls a protocol selector with the offer and the request', async () => {
    const calls: Array<[string[], string | undefined]> = [];
    const client = await serve({
      protocols: (offered, request) => {
        calls.push([offered, request.request?.url]);
        return offered.at(-1);
      },
    });
    client.write(upgradeRequest({ path: '/p', extra: ['Sec-WebSocket-Protocol: a, b'] }));
    const response = await client.readResponse();
    expect(response.headers['sec-websocket-protocol']).toBe('b');
    expect(calls).toEqual([[['a', 'b'], '/p']]);
  });

  it('adds the headers responseHeaders returns to the 101, after the handshake own', async () => {
    let own: readonly [string, string][] = [];
    const client = await serve({
      responseHeaders: (_request, headers) => {
        own = headers;
        return [['Set-Cookie', 'id=1']];
      },
    });
    client.write(upgradeRequest());
    const response = await client.readResponse();
    expect(response.status).toBe(101);
    expect(response.headers['set-cookie']).toBe('id=1');
    expect(own.map(([name]) => name)).toEqual(['Upgrade', 'Connection', 'Sec-WebSocket-Accept']);
  });

  it('answers 500 when responseHeaders returns a header the handshake owns', async () => {
    const errors: Error[] = [];
    const client = await serve({
      responseHeaders: () => [['Sec-WebSocket-Accept', 'forged']],
      onError: (error) => errors.push(error),
    });
    client.write(upgradeRequest());
    expect((await client.readResponse()).status).toBe(500);
    expect(errors).toHaveLength(1);
  });
});
