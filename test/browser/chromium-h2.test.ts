// Real peer: headless Chromium over RFC 8441. Chromium 156 opens a WebSocket as an HTTP/2 stream only
// on an HTTP/2 connection to that origin that already exists and whose SETTINGS allowed extended
// CONNECT, so each page is first loaded from the WebSocket server's own origin; a cold WebSocket (page
// from another origin) goes over HTTP/1.1, which the same port also serves. The browser's own account
// comes from CDP (`Network.webSocketHandshakeResponseReceived`: 200 over HTTP/2, 101 over HTTP/1.1);
// the in-process server's comes from `verify`, which sees the request's HTTP version.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type WebSocketServer } from '../../src/server/index.js';
import { certificateFiles, selfSignedCertificate } from '../client/helpers.js';
import { CHROMIUM_ARGS as CHROMIUM_FLAGS, CHROMIUM_PATH } from './chromium-flags.js';

const CLI_PATH = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
// The certificate is self-signed; this flag keeps Chromium's reuse of the HTTP/2 connection.
const CHROMIUM_ARGS = [...CHROMIUM_FLAGS, '--ignore-certificate-errors'];
const WAIT_MS = 10_000;

interface PageExchange {
  extensions: string;
  echoes: string[];
  close: { code: number; reason: string; wasClean: boolean };
}

/** Runs in the page: open, send a text and a binary message, read both echoes, close with 4000. */
async function exchangeInPage(url: string): Promise<PageExchange> {
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  const echoes: string[] = [];
  const opened = new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = () => reject(new Error('the WebSocket failed'));
  });
  const both = new Promise<void>((resolve) => {
    ws.onmessage = (event) => {
      const data = event.data as string | ArrayBuffer;
      echoes.push(
        typeof data === 'string' ? `text:${data}` : `binary:${Array.from(new Uint8Array(data)).join(',')}`,
      );
      if (echoes.length === 2) resolve();
    };
  });
  const closed = new Promise<CloseEvent>((resolve) => {
    ws.onclose = resolve;
  });
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timed out')), 8000));
  await Promise.race([opened, timeout]);
  ws.send('hello over h2?');
  ws.send(Uint8Array.of(0, 1, 254, 255));
  await Promise.race([both, timeout]);
  ws.close(4000, 'bye');
  const { code, reason, wasClean } = await Promise.race([closed, timeout]);
  return { extensions: ws.extensions, echoes, close: { code, reason, wasClean } };
}

/** The HTTP statuses of the WebSocket handshakes the page made, as CDP reports them. */
async function recordHandshakeStatuses(page: Page): Promise<number[]> {
  const statuses: number[] = [];
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  cdp.on('Network.webSocketHandshakeResponseReceived', (event) => statuses.push(event.response.status));
  return statuses;
}

const EXPECTED_ECHOES = ['text:hello over h2?', 'binary:0,1,254,255'];

let browser: Browser;
const pair = selfSignedCertificate();

beforeAll(async () => {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`${CHROMIUM_PATH} is missing: apt-get install chromium`);
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
});

describe('Chromium against createServer({ http2: true }) serving its own page', () => {
  let server: WebSocketServer;
  let origin: string;
  const versions: string[] = [];

  beforeAll(async () => {
    server = createServer({
      http2: true,
      tls: pair,
      handler: {
        message(session, data) {
          session.send(data);
        },
      },
      verify(info) {
        versions.push(info.httpVersion);
      },
      onRequest(stream) {
        stream.respond({ ':status': 200, 'content-type': 'text/html; charset=utf-8' });
        stream.end('<!doctype html><title>wasmws over HTTP/2</title>');
      },
    });
    origin = new URL((await server.listen()).url).origin
      .replace('wss:', 'https:')
      .replace('127.0.0.1', 'localhost');
  });

  afterAll(() => server.close());

  it('opens the WebSocket as an RFC 8441 stream on the page’s HTTP/2 connection', async () => {
    const page = await browser.newPage();
    try {
      const statuses = await recordHandshakeStatuses(page);
      await page.goto(`${origin}/`);
      expect(
        await page.evaluate(
          () =>
            (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).nextHopProtocol,
        ),
      ).toBe('h2');
      const result = await page.evaluate(exchangeInPage, `${origin.replace('https:', 'wss:')}/chat`);
      expect(result).toEqual({
        extensions: '',
        echoes: EXPECTED_ECHOES,
        close: { code: 4000, reason: 'bye', wasClean: true },
      });
      expect(versions).toEqual(['2.0']);
      expect(statuses).toEqual([200]);
    } finally {
      await page.close();
    }
  });
});

describe(
  'Chromium against wasmws serve --h2',
  () => {
    let child: ChildProcess;
    let origin: string;
    let pagesOrigin: Server;
    const files = certificateFiles();

    beforeAll(async () => {
      const args = ['serve', '--h2', '--port', '0', ...files.serveArgs];
      child = spawn(process.execPath, [CLI_PATH, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
      const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
      const url = /^wasmws listening on (wss:\/\/\S+)$/.exec(line)?.[1];
      if (url === undefined) throw new Error(`unexpected first line: ${line}`);
      origin = new URL(url).origin.replace('wss:', 'https:').replace('127.0.0.1', 'localhost');
      // A page from another origin, for the cold WebSocket.
      pagesOrigin = createHttpServer((_, response) =>
        response.end('<!doctype html><title>elsewhere</title>'),
      );
      await new Promise<void>((resolve) => pagesOrigin.listen(0, '127.0.0.1', resolve));
    });

    afterAll(async () => {
      child.kill('SIGTERM');
      await once(child, 'exit');
      await new Promise((resolve) => pagesOrigin.close(resolve));
      files.remove();
    });

    it('goes over HTTP/2 once a page from the server’s origin opened the connection (CDP: 200)', async () => {
      const page = await browser.newPage();
      try {
        const statuses = await recordHandshakeStatuses(page);
        // serve answers a plain GET with an error status, but the HTTP/2 connection it leaves is what counts.
        const response = await page.goto(`${origin}/`);
        expect(response?.status()).toBeGreaterThanOrEqual(400);
        const result = await page.evaluate(exchangeInPage, `${origin.replace('https:', 'wss:')}/`);
        // serve negotiates permessage-deflate by default, over HTTP/2 as over HTTP/1.1.
        expect(result).toEqual({
          extensions: expect.stringMatching(/^permessage-deflate/),
          echoes: EXPECTED_ECHOES,
          close: { code: 4000, reason: 'bye', wasClean: true },
        });
        expect(statuses).toEqual([200]);
      } finally {
        await page.close();
      }
    });

    it('falls back to an HTTP/1.1 upgrade on the same port for a cold WebSocket (CDP: 101)', async () => {
      const page = await browser.newPage();
      try {
        const statuses = await recordHandshakeStatuses(page);
        await page.goto(`http://127.0.0.1:${(pagesOrigin.address() as AddressInfo).port}/`);
        const result = await page.evaluate(exchangeInPage, `${origin.replace('https:', 'wss:')}/`);
        expect(result).toEqual({
          extensions: expect.stringMatching(/^permessage-deflate/),
          echoes: EXPECTED_ECHOES,
          close: { code: 4000, reason: 'bye', wasClean: true },
        });
        expect(statuses).toEqual([101]);
      } finally {
        await page.close();
      }
    });
  },
  WAIT_MS * 3,
);
