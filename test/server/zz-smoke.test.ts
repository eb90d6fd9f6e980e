import { expect, it } from 'vitest';
import WebSocket from 'ws';
import { createServer } from '../../src/server/index.js';

it('smoke', async () => {
  const server = createServer({ handler: { message: (s, d) => { s.send(d); } } });
  const { url } = await server.listen();
  const ws = new WebSocket(url);
  await new Promise((r) => ws.once('open', r));
  ws.send('héllo');
  const [data, isBinary] = await new Promise<[unknown, boolean]>((r) => ws.once('message', (d, b) => r([d, b])));
  expect(String(data)).toBe('héllo');
  expect(isBinary).toBe(false);
  const closed = new Promise<[number, string]>((r) => ws.once('close', (c, reason) => r([c, String(reason)])));
  await server.close();
  expect(await closed).toEqual([1001, 'server shutting down']);
});
