// `wasmws connect` when the server does not do what the command line asked (the built program
// against `wasmws serve`): --h2 to a server without HTTP/2, -s to one that selects no
// subprotocol, and an http:// URL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Running, run, startServe } from './helpers.js';

let server: Running;
let url: string;

beforeAll(async () => {
  ({ server, url } = await startServe());
});

afterAll(async () => {
  server.child.kill('SIGTERM');
  await server.exited;
});

describe('wasmws connect: what it says when the server does not do what was asked', () => {
  it('--h2 against a plain ws:// server without HTTP/2 says so (RFC 8441), with no wss:// hint, and exits 1', async () => {
    const client = run(['connect', '--h2', url]);
    expect(await client.exited).toBe(1);
    expect(client.stderr()).toMatch(/^wasmws connect: \S+ does not speak HTTP\/2 on this port.*RFC 8441/);
    expect(client.stderr()).toMatch(/hint: leave out --h2/);
    expect(client.stderr()).not.toMatch(/wss:/);
  });

  it('-s v2 against a server that selects no subprotocol says so and exits 1, as ws fails', async () => {
    const client = run(['connect', '-s', 'v2', url, '-x', 'unsent']);
    expect(await client.exited).toBe(1);
    expect(client.stderr()).toMatch(
      /^wasmws connect: \S+ selected none of the subprotocols offered \(v2\)\n$/,
    );
    expect(client.stdout()).toBe('');
  });

  it('says an http:// URL is taken as ws:// and connects', async () => {
    const httpUrl = url.replace('ws://', 'http://');
    const client = run(['connect', httpUrl, '-x', 'over http:', '-w', '0.2']);
    expect(await client.exited).toBe(0);
    expect(client.stderr()).toMatch(new RegExp(`^\\* ${httpUrl} is taken as ${url}\n\\* connected to `));
    expect(client.stdout()).toBe('< over http:\n');
  });
});
