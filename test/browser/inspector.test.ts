// The inspector page in headless Chromium (playwright-core driving /usr/bin/chromium): served by
// startInspectorWebServer, and as the static folder scripts/build-inspector.mjs writes behind a bare static
// server. The test builds a client capture itself (masked frames: a text message in two fragments with a
// ping between them, then a frame with a reserved opcode), feeds it to the page as pasted hex and as a
// chosen file, and reads the page as a user would: the frame table's rows, the violation row with its close
// code, the message, a clicked frame's bytes. It also checks that the page ran the WebAssembly kernels,
// not the fallback, and stores a screenshot under test-artifacts/.
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InspectorWebServer, startInspectorWebServer } from '../../src/inspect/web-server.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './chromium-flags.js';

const ROOT = resolve(import.meta.dirname, '../..');
const LAUNCH_MS = 30_000;
const PAGE_WAIT_MS = 10_000;
const ARTIFACTS = join(ROOT, 'test-artifacts');

const KEY = [0x37, 0xfa, 0x21, 0x3d];

/** One masked client frame (payload under 126 bytes), as it goes on the wire. */
function clientFrame(byte0: number, payload: string): number[] {
  const data = [...new TextEncoder().encode(payload)];
  return [byte0, 0x80 | data.length, ...KEY, ...data.map((b, i) => b ^ KEY[i % 4])];
}

// RFC 6455 §5.4: control frames may come between the fragments of a message.
const FRAMES = [
  clientFrame(0x01, 'Hel'), // text, FIN=0
  clientFrame(0x89, 'hi'), // ping
  clientFrame(0x80, 'lo!'), // continuation, FIN=1
  clientFrame(0x83, ''), // RFC 6455 §5.2: opcode 0x3 is reserved: fail with 1002
];
const CAPTURE = Uint8Array.from(FRAMES.flat());
const OFFSETS = [0, 9, 17, 26];
const hex = (bytes: Iterable<number>) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
/** A hex dump's right-hand column: printable ASCII as itself, anything else as a dot. */
const printable = (bytes: number[]) =>
  bytes.map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');

/** What the page shows for one stream: its frame rows, violation row and message rows, cell by cell. */
interface Shown {
  frames: string[][];
  violation: string[] | null;
  messages: string[][];
  summary: string | null;
}

async function readTables(page: Page): Promise<Shown> {
  return page.evaluate(() => {
    const cells = (row: Element) => Array.from(row.querySelectorAll('td'), (td) => td.textContent ?? '');
    const stream = document.querySelector('#results section.stream');
    if (!stream) throw new Error('no stream section');
    const violation = stream.querySelector('table.frames tr.violation');
    return {
      frames: Array.from(stream.querySelectorAll('table.frames tr.frame'), cells),
      violation: violation ? cells(violation) : null,
      messages: Array.from(stream.querySelectorAll('table.messages tr.message'), cells),
      summary: stream.querySelector('.violation-summary')?.textContent ?? null,
    };
  });
}

function expectCaptureShown(shown: Shown): void {
  // Columns: #, offset, FIN, RSV, opcode, mask, length, preview.
  expect(shown.frames.map((row) => row.slice(0, 7))).toEqual([
    ['0', '0', '0', '-', '0x1 text', '37fa213d', '3'],
    ['1', '9', '1', '-', '0x9 ping', '37fa213d', '2'],
    ['2', '17', '1', '-', '0x0 continuation', '37fa213d', '3'],
  ]);
  // The codec's preview (hex of the unmasked payload), then the same bytes as text.
  expect(shown.frames.map((row) => row[7])).toEqual(['48656c  |Hel|', '6869  |hi|', '6c6f21  |lo!|']);
  expect(shown.violation?.slice(0, 2)).toEqual(['!', String(OFFSETS[3])]);
  expect(shown.violation?.[2]).toMatch(/^WS_ERR_INVALID_OPCODE · close 1002 · /);
  expect(shown.summary).toContain('close code 1002');
  expect(shown.messages).toHaveLength(1);
  expect(shown.messages[0].slice(0, 4)).toEqual(['0', 'text', '6', '0, 2']);
  expect(shown.messages[0][4]).toContain('Hello!');
}

async function waitForState(page: Page, state: string): Promise<void> {
  await page.waitForSelector(`body[data-state="${state}"]`, { timeout: PAGE_WAIT_MS });
}

/** A bare static file server, standing for "any static server": a folder, Content-Type by extension. */
async function serveFolder(folder: string): Promise<{ url: string; server: Server }> {
  const types: Record<string, string> = {
    '.html': 'text/html',
    '.js': 'text/javascript',
    '.css': 'text/css',
  };
  const server = createServer((request, response) => {
    const path = normalize(join(folder, new URL(request.url ?? '/', 'http://x').pathname));
    const file = path.endsWith(sep) ? join(path, 'index.html') : path;
    if (!file.startsWith(folder + sep) || !existsSync(file)) return void response.writeHead(404).end();
    response.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
    response.end(readFileSync(file));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}

let browser: Browser;
const browserLog: string[] = [];

async function openPage(url: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  page.on('console', (message) => browserLog.push(`${message.type()}: ${message.text()}`));
  page.on('pageerror', (error) => browserLog.push(`pageerror: ${error.message}`));
  await page.goto(url, { timeout: PAGE_WAIT_MS });
  try {
    await waitForState(page, 'ready');
  } catch (error) {
    throw new Error(`${(error as Error).message}\npage log:\n${browserLog.join('\n')}`);
  }
  return page;
}

beforeAll(async () => {
  for (const [path, hint] of [
    [join(ROOT, 'dist/src/codec/index.js'), 'build it with `npm run build`'],
    [CHROMIUM_PATH, 'install the chromium package (.ci/run does)'],
  ]) {
    if (!existsSync(path)) throw new Error(`${path} is missing: ${hint}`);
  }
  browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: LAUNCH_MS,
  });
});

afterAll(async () => {
  await browser?.close();
});

describe('the inspector page served by startInspectorWebServer', () => {
  let server: InspectorWebServer;
  let page: Page;

  beforeAll(async () => {
    server = await startInspectorWebServer();
    page = await openPage(server.url);
  });

  afterAll(async () => {
    await page?.close();
    await server?.close();
  });

  it('loads the WebAssembly kernels under the page policy', async () => {
    expect(await page.getAttribute('body', 'data-codec')).toBe('wasm');
    expect(browserLog.filter((line) => line.startsWith('pageerror') || line.startsWith('error'))).toEqual([]);
  });

  it('decodes pasted hex sent by the client: every frame, the message, the violation with its close code', async () => {
    await page.fill('#text', hex(CAPTURE));
    await page.selectOption('#from', 'client');
    await page.click('#decode');
    await waitForState(page, 'done');
    expectCaptureShown(await readTables(page));
  });

  it("shows a clicked frame's bytes as captured and its payload unmasked", async () => {
    await page.click('table.frames tr.frame[data-frame="1"]');
    expect(await page.isVisible('#bytes')).toBe(true);
    expect(await page.textContent('#bytes-title')).toBe('Frame 1 · bytes 9–16 · header 6 + payload 2');
    const dump = (await page.textContent('#bytes-hex')) ?? '';
    const [wire, , title, unmasked] = dump.split('\n');
    expect(wire).toBe(`00000009  ${hex(FRAMES[1]).padEnd(47)}  |${printable(FRAMES[1])}|`);
    expect(title).toBe('payload unmasked (key 37fa213d):');
    expect(unmasked).toBe(`0000000f  ${'68 69'.padEnd(47)}  |hi|`);
    expect(await page.getAttribute('tr.frame[data-frame="1"]', 'class')).toContain('selected');
  });

  it('decodes a chosen file with from: auto, and stores a screenshot', async () => {
    await page.fill('#text', '');
    await page.selectOption('#from', 'auto');
    await page.setInputFiles('#file', {
      name: 'client-capture.bin',
      mimeType: 'application/octet-stream',
      buffer: Buffer.from(CAPTURE),
    });
    await waitForState(page, 'done');
    expectCaptureShown(await readTables(page));
    await page.click('table.frames tr.frame[data-frame="0"]');
    mkdirSync(ARTIFACTS, { recursive: true });
    const path = join(ARTIFACTS, 'inspector.png');
    await page.screenshot({ path, fullPage: true });
    console.log(`inspector screenshot: ${path}`);
    expect(readFileSync(path).subarray(1, 4).toString()).toBe('PNG');
  });
  it('takes the sender from an HTTP head in the capture, and shows a clean stream without a violation row', async () => {
    const head =
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n';
    const frames = [0x81, 0x02, 0x6f, 0x6b, 0x88, 0x02, 0x03, 0xe8]; // text "ok", close 1000
    await page.selectOption('#from', 'auto');
    await page.setInputFiles('#file', {
      name: 'server-side.bin',
      mimeType: 'application/octet-stream',
      buffer: Buffer.concat([Buffer.from(head), Buffer.from(frames)]),
    });
    await waitForState(page, 'done');
    expect(await page.textContent('#results .stream-meta')).toContain('sent by the server');
    const shown = await readTables(page);
    expect(shown.frames.map((row) => row.slice(0, 7))).toEqual([
      ['0', '0', '1', '-', '0x1 text', '-', '2'],
      ['1', '4', '1', '-', '0x8 close', '-', '2'],
    ]);
    expect(shown.violation).toBeNull();
    expect(shown.summary).toBeNull();
    expect(shown.messages).toEqual([['0', 'text', '2', '0', 'ok']]);
    await page.click('table.frames tr.frame[data-frame="1"]');
    expect(await page.textContent('#bytes-hex')).toBe(`00000004  ${'88 02 03 e8'.padEnd(47)}  |....|`);
  });
});

describe('the inspector as static files (npm run build:inspector) behind a bare static server', () => {
  let folder: string;
  let site: { url: string; server: Server };
  let page: Page;

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'wasmws-inspector-site-'));
    await promisify(execFile)(process.execPath, [join(ROOT, 'scripts/build-inspector.mjs'), '--out', folder]);
    site = await serveFolder(folder);
    page = await openPage(site.url);
  });

  afterAll(async () => {
    await page?.close();
    site?.server.close();
    site?.server.closeAllConnections();
    if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
  });

  it('runs the same codec from the copied modules', async () => {
    expect(await page.getAttribute('body', 'data-codec')).toBe('wasm');
    await page.fill('#text', Buffer.from(CAPTURE).toString('base64'));
    await page.selectOption('#from', 'client');
    await page.click('#decode');
    await waitForState(page, 'done');
    expectCaptureShown(await readTables(page));
  });
});
