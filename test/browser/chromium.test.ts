// Real peer: headless Chromium (playwright-core driving /usr/bin/chromium) against the `wasmws serve` echo
// program, run from `dist/` as a child process. The page comes from a loopback `node:http` server because
// Chromium's local-network-access checks block a socket to 127.0.0.1 from `about:blank`. Each test opens
// its own WebSocket in the page, hands back what the browser saw, and the assertions run here in Node.
// A second server runs with `--no-deflate`. The large compressed exchange goes through a loopback TCP relay
// that counts the bytes each way, since neither the page nor CDP reports a frame's size on the wire.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import {
  type AddressInfo,
  connect,
  createServer as createTcpServer,
  type Server as TcpServer,
} from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type Browser, type CDPSession, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './chromium-flags.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI_PATH = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
/** Bound on each wait: server start-up, browser launch, page load, a page-side event, shutdown. */
const STARTUP_MS = 15_000;
const LAUNCH_MS = 30_000;
const PAGE_WAIT_MS = 10_000;
const SHUTDOWN_MS = 5_000;

/** A message the page sends: text, or binary as base64 (a string crosses `evaluate` far faster than an array). */
type Outgoing = { text: string } | { base64: string };
/** What the page received, as it saw it: a string, an ArrayBuffer's bytes in base64, or anything else by its tag. */
type Echo = { text: string } | { base64: string } | { unexpected: string };

interface ExchangeInput {
  url: string;
  messages: Outgoing[];
  close: { code: number; reason: string };
  waitMs: number;
}

interface ExchangeResult {
  protocol: string;
  extensions: string;
  echoes: Echo[];
  close: { code: number; reason: string; wasClean: boolean };
}

/**
 * Runs in the page: open a WebSocket, send every message, wait for as many echoes, close with the given
 * code and reason, wait for the close event. Every wait is bounded by `waitMs`; a close before the wait is
 * over rejects with the close event's code and reason.
 */
async function exchangeInPage(input: ExchangeInput): Promise<ExchangeResult> {
  const ws = new WebSocket(input.url);
  ws.binaryType = 'arraybuffer';
  const toBase64 = (bytes: Uint8Array) => {
    let binary = '';
    for (let i = 0; i < bytes.length; i += 0x8000) {
      binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    }
    return btoa(binary);
  };
  const fromBase64 = (base64: string) => Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
  const echoes: Echo[] = [];
  let opened = false;
  let closeEvent: CloseEvent | undefined;
  let changed = () => {};
  ws.addEventListener('open', () => {
    opened = true;
    changed();
  });
  ws.addEventListener('message', (event: MessageEvent) => {
    const data: unknown = event.data;
    if (typeof data === 'string') echoes.push({ text: data });
    else if (data instanceof ArrayBuffer) echoes.push({ base64: toBase64(new Uint8Array(data)) });
    else echoes.push({ unexpected: Object.prototype.toString.call(data) });
    changed();
  });
  ws.addEventListener('close', (event) => {
    closeEvent = event;
    changed();
  });
  const waitUntil = (what: string, ready: () => boolean) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out after ${input.waitMs} ms waiting for ${what}`)),
        input.waitMs,
      );
      changed = () => {
        if (ready()) {
          clearTimeout(timer);
          resolve();
        } else if (closeEvent) {
          clearTimeout(timer);
          const { code, reason, wasClean } = closeEvent;
          reject(
            new Error(
              `connection closed while waiting for ${what} (${echoes.length} echoes so far): ` +
                `code ${code}, reason ${JSON.stringify(reason)}, wasClean ${wasClean}`,
            ),
          );
        }
      };
      changed();
    });

  await waitUntil('open', () => opened);
  const { protocol, extensions } = ws;
  for (const message of input.messages) {
    ws.send('text' in message ? message.text : fromBase64(message.base64).buffer);
  }
  await waitUntil(`${input.messages.length} echoes`, () => echoes.length >= input.messages.length);
  ws.close(input.close.code, input.close.reason);
  await waitUntil('the close event', () => closeEvent !== undefined);
  const { code, reason, wasClean } = closeEvent!;
  return { protocol, extensions, echoes, close: { code, reason, wasClean } };
}

interface BulkInput {
  url: string;
  textLength: number;
  binaryLength: number;
  waitMs: number;
}

interface BulkResult {
  extensions: string;
  text: { sent: number; received: number; equal: boolean };
  binary: { sent: number; received: number; equal: boolean };
  close: { code: number; reason: string; wasClean: boolean };
}

/**
 * Runs in the page: build `textLength` characters of JSON-like records (ASCII, so as many bytes) and
 * `binaryLength` pseudo-random bytes, send both, compare the echoes in the page, close with 1000. Only
 * lengths and verdicts cross back to Node, not the megabyte itself.
 */
async function bulkExchangeInPage(input: BulkInput): Promise<BulkResult> {
  const records: string[] = [];
  let built = 0;
  for (let id = 0; built < input.textLength; id++) {
    const record = JSON.stringify({
      id,
      user: `user-${id}`,
      status: id % 3 === 0 ? 'idle' : 'active',
      score: (id * 37) % 1000,
      tags: ['alpha', 'beta'],
    });
    records.push(record);
    built += record.length + 1;
  }
  const text = records.join(',').slice(0, input.textLength);
  // xorshift32: incompressible, so the deflate path also has to carry data it cannot shrink.
  const binary = new Uint8Array(input.binaryLength);
  let state = 0x9e3779b9;
  for (let i = 0; i < binary.length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    binary[i] = state & 0xff;
  }

  const ws = new WebSocket(input.url);
  ws.binaryType = 'arraybuffer';
  const received: unknown[] = [];
  let opened = false;
  let closeEvent: CloseEvent | undefined;
  let changed = () => {};
  ws.addEventListener('open', () => {
    opened = true;
    changed();
  });
  ws.addEventListener('message', (event: MessageEvent) => {
    received.push(event.data);
    changed();
  });
  ws.addEventListener('close', (event) => {
    closeEvent = event;
    changed();
  });
  const waitUntil = (what: string, ready: () => boolean) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out after ${input.waitMs} ms waiting for ${what}`)),
        input.waitMs,
      );
      changed = () => {
        if (ready()) {
          clearTimeout(timer);
          resolve();
        } else if (closeEvent) {
          clearTimeout(timer);
          const { code, reason, wasClean } = closeEvent;
          reject(
            new Error(
              `connection closed while waiting for ${what} (${received.length} echoes so far): ` +
                `code ${code}, reason ${JSON.stringify(reason)}, wasClean ${wasClean}`,
            ),
          );
        }
      };
      changed();
    });

  await waitUntil('open', () => opened);
  const { extensions } = ws;
  ws.send(text);
  ws.send(binary.buffer);
  await waitUntil('2 echoes', () => received.length >= 2);
  const [textEcho, binaryEcho] = received;
  const binaryBytes = binaryEcho instanceof ArrayBuffer ? new Uint8Array(binaryEcho) : undefined;
  const result = {
    extensions,
    text: {
      sent: text.length,
      received: typeof textEcho === 'string' ? textEcho.length : -1,
      equal: textEcho === text,
    },
    binary: {
      sent: binary.length,
      received: binaryBytes ? binaryBytes.length : -1,
      equal:
        binaryBytes !== undefined &&
        binaryBytes.length === binary.length &&
        binaryBytes.every((byte, i) => byte === binary[i]),
    },
  };
  ws.close(1000, 'done');
  await waitUntil('the close event', () => closeEvent !== undefined);
  const { code, reason, wasClean } = closeEvent!;
  return { ...result, close: { code, reason, wasClean } };
}

/** Rejects with `what()` (evaluated late, so it can include output gathered meanwhile) after `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what()}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Text stays as is; binary is compared by length and SHA-256 so a mismatch reads in one line. */
function view(message: Outgoing | Echo) {
  if ('text' in message) return { text: message.text };
  if ('base64' in message) {
    const bytes = Buffer.from(message.base64, 'base64');
    return { binary: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
  }
  return message;
}

/** Bytes whose value depends on the position and on the position's high byte, so a shifted chunk shows. */
function pattern(length: number): Outgoing {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + (i >>> 8) + 7) & 0xff;
  return { base64: bytes.toString('base64') };
}

interface Handshake {
  requestHeaders: Record<string, string>;
  status: number;
  responseHeaders: Record<string, string>;
}

/** The next WebSocket handshake the page makes, as Chromium's network layer saw it (via CDP). */
function nextHandshake(cdp: CDPSession): Promise<Handshake> {
  return new Promise((resolve) => {
    const requests = new Map<string, Record<string, string>>();
    const onRequest = (event: { requestId: string; request: { headers: Record<string, string> } }) => {
      requests.set(event.requestId, event.request.headers);
    };
    const onResponse = (event: {
      requestId: string;
      response: { status: number; headers: Record<string, string>; requestHeaders?: Record<string, string> };
    }) => {
      cdp.off('Network.webSocketWillSendHandshakeRequest', onRequest);
      cdp.off('Network.webSocketHandshakeResponseReceived', onResponse);
      resolve({
        // The raw request headers, when given, include the ones the network stack adds.
        requestHeaders: event.response.requestHeaders ?? requests.get(event.requestId) ?? {},
        status: event.response.status,
        responseHeaders: event.response.headers,
      });
    };
    cdp.on('Network.webSocketWillSendHandshakeRequest', onRequest);
    cdp.on('Network.webSocketHandshakeResponseReceived', onResponse);
  });
}

/** A running `wasmws serve` child and what it printed. */
interface ServeProcess {
  flags: string[];
  child: ChildProcess;
  url: string;
  stdout: string[];
  stderr: string[];
}

/** Starts `wasmws serve --port 0 ...flags` from dist/ and resolves with its address once it prints it. */
async function startServe(flags: string[], started: (serve: ServeProcess) => void): Promise<string> {
  const child = spawn(process.execPath, [CLI_PATH, 'serve', '--port', '0', ...flags], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const serve: ServeProcess = { flags, child, url: '', stdout: [], stderr: [] };
  started(serve);
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => serve.stderr.push(chunk));
  // Keep reading stdout for the whole run so the child never blocks on a full pipe.
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (line) => serve.stdout.push(line));
  const firstLine = new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      reject(new Error(`wasmws serve exited (code ${code}, signal ${signal}) before printing its address`)),
    );
  });
  const line = await within(
    firstLine,
    STARTUP_MS,
    () => `no first line from wasmws serve ${flags.join(' ')}`,
  );
  const listening = /^wasmws listening on (ws:\/\/\S+\/)$/.exec(line);
  if (!listening) throw new Error(`unexpected first line from wasmws serve: ${JSON.stringify(line)}`);
  serve.url = listening[1];
  return serve.url;
}

/** Bytes a relay carried for one connection, each way. */
interface RelayCount {
  toServer: number;
  toBrowser: number;
  closed: Promise<void>;
}

/**
 * A loopback TCP relay in front of `target`: the page connects to it instead of the server, and it counts
 * the bytes of every connection, both ways, as they cross the wire (frames, compressed or not, and headers).
 */
async function startRelay(target: URL, connections: RelayCount[]): Promise<TcpServer> {
  const relay = createTcpServer((browserSide) => {
    const serverSide = connect(Number(target.port), target.hostname);
    let ended = 0;
    let done = () => {};
    const count: RelayCount = {
      toServer: 0,
      toBrowser: 0,
      closed: new Promise((resolve) => {
        done = resolve;
      }),
    };
    connections.push(count);
    const onClose = () => {
      if (++ended === 2) done();
    };
    browserSide.on('data', (chunk: Buffer) => {
      count.toServer += chunk.length;
    });
    serverSide.on('data', (chunk: Buffer) => {
      count.toBrowser += chunk.length;
    });
    browserSide.pipe(serverSide);
    serverSide.pipe(browserSide);
    browserSide.on('close', onClose);
    serverSide.on('close', onClose);
    browserSide.on('error', () => serverSide.destroy());
    serverSide.on('error', () => browserSide.destroy());
  });
  relay.listen(0, '127.0.0.1');
  await within(once(relay, 'listening'), STARTUP_MS, () => 'the relay to listen');
  return relay;
}

/** SIGTERM, then SIGKILL if the child is still there after `SHUTDOWN_MS`; rejects if it ignored SIGTERM. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  try {
    await within(exited, SHUTDOWN_MS, () => 'wasmws serve to exit on SIGTERM');
  } catch (error) {
    child.kill('SIGKILL');
    await within(exited, SHUTDOWN_MS, () => 'wasmws serve to exit on SIGKILL');
    throw error;
  }
}

function header(headers: Record<string, string>, name: string): string | undefined {
  const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : headers[key];
}

describe('Chromium against wasmws serve', () => {
  const serves: ServeProcess[] = [];
  /** `wasmws serve` with default flags (permessage-deflate accepted) and with `--no-deflate`. */
  let serverUrl = '';
  let noDeflateUrl = '';
  let relay: TcpServer | undefined;
  let relayUrl = '';
  const relayed: RelayCount[] = [];
  let pageServer: Server | undefined;
  let pageUrl = '';
  let browser: Browser | undefined;
  let page: Page;
  let cdp: CDPSession;
  const browserLog: string[] = [];

  /** What the servers and the browser printed, appended to failures so the cause is in the report. */
  const diagnostics = () =>
    [
      ...serves.flatMap((serve) => [
        `wasmws serve ${serve.flags.join(' ')} stdout: ${JSON.stringify(serve.stdout)}`,
        `wasmws serve ${serve.flags.join(' ')} stderr: ${JSON.stringify(serve.stderr.join(''))}`,
      ]),
      `browser console: ${JSON.stringify(browserLog)}`,
    ].join('\n');

  async function exchange(
    input: Omit<ExchangeInput, 'url' | 'waitMs'>,
    url: string = serverUrl,
  ): Promise<ExchangeResult> {
    try {
      return await page.evaluate(exchangeInPage, { ...input, url, waitMs: PAGE_WAIT_MS });
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${diagnostics()}`);
    }
  }

  beforeAll(async () => {
    if (!existsSync(CLI_PATH)) {
      throw new Error(`${CLI_PATH} is missing: build it with \`npm run build\` (\`npm install\` runs it).`);
    }
    if (!existsSync(CHROMIUM_PATH)) {
      throw new Error(`${CHROMIUM_PATH} is missing: install the chromium package (.ci/run does).`);
    }

    try {
      [serverUrl, noDeflateUrl] = await Promise.all([
        startServe([], (serve) => serves.push(serve)),
        startServe(['--no-deflate'], (serve) => serves.push(serve)),
      ]);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${diagnostics()}`);
    }
    relay = await startRelay(new URL(serverUrl), relayed);
    relayUrl = `ws://127.0.0.1:${(relay.address() as AddressInfo).port}/`;

    const htmlServer = createHttpServer((request, response) => {
      if (request.url !== '/') {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end('<!doctype html><meta charset="utf-8"><title>wasmws interop</title>');
    });
    pageServer = htmlServer;
    htmlServer.listen(0, '127.0.0.1');
    await within(once(htmlServer, 'listening'), STARTUP_MS, () => 'the page server to listen');
    pageUrl = `http://127.0.0.1:${(htmlServer.address() as AddressInfo).port}/`;

    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
      timeout: LAUNCH_MS,
    });
    page = await browser.newPage();
    page.on('console', (message) => browserLog.push(`${message.type()}: ${message.text()}`));
    page.on('pageerror', (error) => browserLog.push(`pageerror: ${error.message}`));
    cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await page.goto(pageUrl, { timeout: STARTUP_MS });
  });

  afterAll(async () => {
    const problems: string[] = [];
    if (browser) {
      await within(browser.close(), SHUTDOWN_MS, () => 'browser.close()').catch((error: Error) => {
        problems.push(error.message);
      });
    }
    for (const { flags, child, url } of serves) {
      if (url !== '' && (child.exitCode !== null || child.signalCode !== null)) {
        problems.push(
          `wasmws serve ${flags.join(' ')} exited during the run (code ${child.exitCode}, signal ${child.signalCode})`,
        );
      }
    }
    await Promise.all(
      serves.map(({ child }) => stopChild(child).catch((error: Error) => problems.push(error.message))),
    );
    if (relay?.listening) {
      const closed = once(relay, 'close');
      relay.close();
      await within(closed, SHUTDOWN_MS, () => 'the relay to close');
    }
    if (pageServer?.listening) {
      const closed = once(pageServer, 'close');
      pageServer.close();
      pageServer.closeAllConnections();
      await within(closed, SHUTDOWN_MS, () => 'the page server to close');
    }
    if (problems.length > 0) throw new Error(`${problems.join('\n')}\n${diagnostics()}`);
  });

  it('round-trips multi-byte text, 16- and 64-bit-length binary and empty text, then closes with 4000', async () => {
    const messages: Outgoing[] = [
      { text: 'héllo wörld 🎉' },
      pattern(70_000), // above 65 535: the 64-bit length form, both ways
      pattern(200), // 126..65 535: the 16-bit length form
      { text: '' },
    ];

    const result = await exchange({ messages, close: { code: 4000, reason: 'bye' } });

    expect(result.echoes.map(view)).toEqual(messages.map(view));
    expect(result.close).toEqual({ code: 4000, reason: 'bye', wasClean: true });
    expect(result.protocol).toBe('');
  });

  it("negotiates permessage-deflate: the server's answer to Chromium's offer is what ws.extensions reports", async () => {
    const handshake = nextHandshake(cdp);
    const messages: Outgoing[] = [
      { text: 'wasmws permessage-deflate '.repeat(2_000) },
      { base64: Buffer.alloc(16_384, '0123456789abcdef').toString('base64') },
      { text: 'après la négociation ✓' }, // below the 1 KiB threshold: sent uncompressed
    ];

    const result = await exchange({ messages, close: { code: 1000, reason: 'done' } });
    const seen = await within(handshake, PAGE_WAIT_MS, () => 'the handshake in the CDP Network events');

    expect(header(seen.requestHeaders, 'Sec-WebSocket-Extensions')).toMatch(/^permessage-deflate\b/);
    expect(seen.status).toBe(101);
    const answer = header(seen.responseHeaders, 'Sec-WebSocket-Extensions');
    expect(answer).toMatch(/^permessage-deflate\b/);
    expect(result.extensions.replace(/\s+/g, '')).toBe(answer!.replace(/\s+/g, ''));
    expect(result.protocol).toBe('');
    expect(result.echoes.map(view)).toEqual(messages.map(view));
    expect(result.close).toEqual({ code: 1000, reason: 'done', wasClean: true });
  });

  it('round-trips 1 MiB of compressible JSON text and 64 KiB of random binary, compressed on the wire both ways', async () => {
    const textLength = 1 << 20;
    const binaryLength = 64 << 10;
    const before = relayed.length;

    let result: BulkResult;
    try {
      result = await page.evaluate(bulkExchangeInPage, {
        url: relayUrl,
        textLength,
        binaryLength,
        waitMs: PAGE_WAIT_MS,
      });
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${diagnostics()}`);
    }

    expect(result.extensions).toMatch(/^permessage-deflate\b/);
    expect(result.text).toEqual({ sent: textLength, received: textLength, equal: true });
    expect(result.binary).toEqual({ sent: binaryLength, received: binaryLength, equal: true });
    expect(result.close).toEqual({ code: 1000, reason: 'done', wasClean: true });
    // The text deflates to about a tenth; the random binary does not shrink. A quarter of the text on top of
    // the binary is a bound that only compression in that direction can meet.
    expect(relayed.length).toBe(before + 1);
    const wire = relayed[before];
    await within(wire.closed, PAGE_WAIT_MS, () => 'the relayed connection to close');
    const bound = binaryLength + textLength / 4;
    expect(wire.toBrowser, `server to browser: ${wire.toBrowser} bytes`).toBeLessThan(bound);
    expect(wire.toServer, `browser to server: ${wire.toServer} bytes`).toBeLessThan(bound);
  });

  it('with --no-deflate, answers no extension: ws.extensions is empty and messages still round-trip', async () => {
    const handshake = nextHandshake(cdp);
    const messages: Outgoing[] = [{ text: 'uncompressed '.repeat(1_000) }, pattern(4_096)];

    const result = await exchange({ messages, close: { code: 1000, reason: 'plain' } }, noDeflateUrl);
    const seen = await within(handshake, PAGE_WAIT_MS, () => 'the handshake in the CDP Network events');

    // The premise: Chromium offered it, and the server left it out of its answer.
    expect(header(seen.requestHeaders, 'Sec-WebSocket-Extensions')).toMatch(/^permessage-deflate\b/);
    expect(seen.status).toBe(101);
    expect(header(seen.responseHeaders, 'Sec-WebSocket-Extensions')).toBeUndefined();
    expect(result.extensions).toBe('');
    expect(result.echoes.map(view)).toEqual(messages.map(view));
    expect(result.close).toEqual({ code: 1000, reason: 'plain', wasClean: true });
  });
});
