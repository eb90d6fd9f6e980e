// startInspectorWebServer: serves the page and the codec's modules with the right Content-Type, and
// nothing else: dot segments, encoded separators, other folders, other extensions and other methods are
// refused. Requests go through node:http with the path as written, since fetch() would normalise it.
// Also scripts/build-inspector.mjs: the static folder it writes holds the page and its whole module graph.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InspectorWebServer, startInspectorWebServer } from '../../src/inspect/web-server.js';

const ROOT = resolve(import.meta.dirname, '../..');

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Sends `method path` exactly as written (no URL normalisation) and reads the whole reply. */
function get(base: string, path: string, method = 'GET'): Promise<Reply> {
  const { hostname, port } = new URL(base);
  return new Promise((done, fail) => {
    const req = request({ host: hostname, port, path, method, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        done({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', fail);
    });
    req.on('error', fail);
    req.end();
  });
}

let server: InspectorWebServer;

beforeAll(async () => {
  expect(existsSync(join(ROOT, 'dist/src/codec/index.js')), 'run npm run build first').toBe(true);
  server = await startInspectorWebServer();
});

afterAll(async () => {
  await server?.close();
});

describe('startInspectorWebServer', () => {
  it('listens on loopback on a free port by default', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(new URL(server.url).port).not.toBe('0');
  });

  it('serves the page at / with text/html and a policy that allows only its own scripts and WebAssembly', async () => {
    const reply = await get(server.url, '/');
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(reply.headers['x-content-type-options']).toBe('nosniff');
    expect(reply.headers['content-security-policy']).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(reply.body).toBe(readFileSync(join(ROOT, 'src/inspect/web/index.html'), 'utf8'));
    expect((await get(server.url, '/index.html')).body).toBe(reply.body);
  });

  it.each([
    ['/app.js', 'text/javascript; charset=utf-8', 'src/inspect/web/app.js'],
    ['/style.css', 'text/css; charset=utf-8', 'src/inspect/web/style.css'],
    ['/wasmws/src/codec/index.js', 'text/javascript; charset=utf-8', 'dist/src/codec/index.js'],
    [
      '/wasmws/src/codec/fallback/mask.js',
      'text/javascript; charset=utf-8',
      'dist/src/codec/fallback/mask.js',
    ],
    ['/wasmws/assembly/layout.js', 'text/javascript; charset=utf-8', 'dist/assembly/layout.js'],
    ['/app.js?v=1', 'text/javascript; charset=utf-8', 'src/inspect/web/app.js'],
  ])('serves %s as %s', async (path, type, file) => {
    const reply = await get(server.url, path);
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe(type);
    expect(reply.body).toBe(readFileSync(join(ROOT, file), 'utf8'));
  });

  it('answers HEAD with the headers and no body', async () => {
    const reply = await get(server.url, '/wasmws/src/codec/index.js', 'HEAD');
    expect(reply.status).toBe(200);
    expect(Number(reply.headers['content-length'])).toBe(
      readFileSync(join(ROOT, 'dist/src/codec/index.js')).length,
    );
    expect(reply.body).toBe('');
  });

  it.each([
    '/../package.json',
    '/wasmws/src/codec/../../../package.json',
    '/wasmws/src/codec/../cli/main.js',
    '/wasmws/src/codec/%2e%2e/cli/main.js',
    '/wasmws/src/codec/..%2fcli%2fmain.js',
    '/wasmws/src/codec/..%2F..%2F..%2Fpackage.json',
    '/wasmws/src/codec/..%5ccli%5cmain.js',
    '/wasmws/src/codec/%2e%2e%2f%2e%2e%2f%2e%2e%2fsrc%2finspect%2fweb-server.ts',
    '/..%2f..%2f..%2fpackage.json',
    '/%2fetc%2fpasswd',
    '//etc/passwd',
    '/wasmws/src/cli/main.js',
    '/wasmws/src/index.js',
    '/wasmws/src/codec/index.d.ts',
    '/wasmws/src/codec/index.js.map',
    '/wasmws/src/codec/',
    '/wasmws/src/codec/nothing-here.js',
    '/web-server.ts',
    '/app.js%00.html',
    '/%E0%A4%A.js',
  ])('refuses %s with 404', async (path) => {
    const reply = await get(server.url, path);
    expect(reply.status).toBe(404);
    expect(reply.body).not.toContain('"name"');
  });

  it('refuses methods other than GET and HEAD', async () => {
    const reply = await get(server.url, '/index.html', 'POST');
    expect(reply.status).toBe(405);
    expect(reply.headers.allow).toBe('GET, HEAD');
  });

  it('listens where asked and closes', async () => {
    const other = await startInspectorWebServer({ host: '127.0.0.1', port: 0 });
    expect(other.url).not.toBe(server.url);
    expect((await get(other.url, '/style.css')).status).toBe(200);
    await other.close();
    await expect(get(other.url, '/style.css')).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('scripts/build-inspector.mjs', () => {
  interface Sizes {
    modules: Array<{ file: string; raw: number; gzip: number }>;
    total: { files: number; raw: number; gzip: number; gzipJoined: number };
    wasm: { raw: number; gzip: number };
  }
  let out: string;
  let report: { page: string[]; wasm: { module: string; bytes: number }; built: Sizes; copied: Sizes };

  beforeAll(async () => {
    out = join(mkdtempSync(join(tmpdir(), 'wasmws-inspector-')), 'site');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [join(ROOT, 'scripts/build-inspector.mjs'), '--out', out, '--json'],
      { cwd: ROOT },
    );
    report = JSON.parse(stdout);
  });

  afterAll(() => {
    if (out !== undefined) rmSync(resolve(out, '..'), { recursive: true, force: true });
  });

  it('writes the page and every module its script reaches, in the layout the server uses', () => {
    expect(report.page.sort()).toEqual(['app.js', 'index.html', 'style.css']);
    for (const name of report.page) {
      expect(readFileSync(join(out, name))).toEqual(readFileSync(join(ROOT, 'src/inspect/web', name)));
    }
    const files = report.copied.modules.map((m) => m.file);
    expect(files).toEqual(report.built.modules.map((m) => m.file));
    expect(files).toEqual(expect.arrayContaining(['src/codec/index.js', 'src/codec/kernels-entry.js']));
    for (const file of files) {
      // Every relative import of a copied module resolves to another copied module.
      const code = readFileSync(join(out, 'wasmws', file), 'utf8');
      for (const [, specifier] of code.matchAll(/from\s+'(\.[^']+)'/g)) {
        const target = resolve(out, 'wasmws', file, '..', specifier);
        expect(existsSync(target), `${file} → ${specifier}`).toBe(true);
      }
    }
  });

  it('copies the modules without their comments, the inlined WebAssembly intact', () => {
    const base64 = (code: string) => /'([A-Za-z0-9+/=]{1000,})'/.exec(code)?.[1];
    const built = readFileSync(join(ROOT, 'dist', report.wasm.module), 'utf8');
    const copied = readFileSync(join(out, 'wasmws', report.wasm.module), 'utf8');
    expect(base64(copied)).toBe(base64(built));
    expect(Buffer.from(base64(built) ?? '', 'base64').length).toBe(report.wasm.bytes);
    const frameParser = readFileSync(join(out, 'wasmws/src/codec/frame-parser.js'), 'utf8');
    expect(frameParser).not.toMatch(/^\s*\/\//m);
    expect(frameParser).toContain('export class FrameParser');
  });

  it('measures the codec bundle, raw and gzip, as built and as copied', () => {
    for (const sizes of [report.built, report.copied]) {
      expect(sizes.total.raw).toBe(sizes.modules.reduce((total, m) => total + m.raw, 0));
      expect(sizes.total.gzip).toBe(sizes.modules.reduce((total, m) => total + m.gzip, 0));
      expect(sizes.total.files).toBe(sizes.modules.length);
      expect(sizes.total.gzip).toBeLessThan(sizes.total.raw);
      expect(sizes.wasm.raw).toBeGreaterThan((report.wasm.bytes * 4) / 3);
    }
    expect(report.copied.total.raw).toBeLessThan(report.built.total.raw);
  });
});
