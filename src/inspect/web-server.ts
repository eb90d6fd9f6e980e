// The server behind `wasmws inspect --web`: serves the inspector page (src/inspect/web/) and the ES modules
// of the codec it imports (the built wasmws/codec graph: dist/src/codec/ and the dist/assembly/ constants it
// reads), so the page runs the same WebAssembly codec as the CLI, in the browser. The URL space mirrors
// the folder scripts/build-inspector.mjs writes, so the page works the same from either:
//   /, /index.html, /app.js, /style.css     the page (src/inspect/web/)
//   /wasmws/src/codec/…, /wasmws/assembly/… the codec's modules (dist/src/codec/, dist/assembly/)
// Only GET and HEAD of a file inside one of those folders with a known extension are answered; any other
// path is 404, whatever its dots, encoded slashes or symlinks say. Files are found from the package root
// (the nearest package.json named wasmws above this module), which is the same from src/ under vitest,
// from dist/ and from an installed package.
import { existsSync, readFileSync } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Options of {@link startInspectorWebServer}. */
export interface InspectorWebServerOptions {
  /** Interface to listen on. Default `'127.0.0.1'`: captures stay on this machine. */
  host?: string;
  /** TCP port; `0` (the default) picks a free one, which the returned `url` names. */
  port?: number;
}

/** A running inspector server. */
export interface InspectorWebServer {
  /** The page's address, e.g. `http://127.0.0.1:41234/`. */
  url: string;
  /** Stops listening and drops open connections; resolves once the server is closed. */
  close(): Promise<void>;
}

/** Extensions served, with their Content-Type; anything else (`.ts`, `.d.ts`, `.map`, …) is not found. */
export const INSPECTOR_CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
};

/** URL prefix → folder under the package root. The page's own prefix comes last: it matches every path. */
const MOUNTS: ReadonlyArray<{ prefix: string; folder: string }> = [
  { prefix: '/wasmws/src/codec/', folder: 'dist/src/codec' },
  { prefix: '/wasmws/assembly/', folder: 'dist/assembly' },
  { prefix: '/', folder: 'src/inspect/web' },
];

// The page may fetch only from its own origin; WebAssembly.compile needs 'wasm-unsafe-eval'. A capture's
// text reaches the DOM as text only, and this keeps it that way should that ever slip.
const PAGE_POLICY =
  "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * Serves the inspector page and the codec modules it imports, on loopback by default.
 * Requires the built codec (`npm run build`): throws at once if `dist/src/codec/index.js` is missing.
 */
export async function startInspectorWebServer({
  host = '127.0.0.1',
  port = 0,
}: InspectorWebServerOptions = {}): Promise<InspectorWebServer> {
  const root = packageRoot(fileURLToPath(import.meta.url));
  for (const required of ['dist/src/codec/index.js', 'src/inspect/web/index.html']) {
    if (!existsSync(join(root, required)))
      throw new Error(`inspector: ${join(root, required)} is missing (npm run build builds dist/)`);
  }
  const mounts = MOUNTS.map(({ prefix, folder }) => ({ prefix, folder: join(root, folder) }));
  const server = createServer((request, response) => {
    answer(request, response, mounts).catch(() => {
      if (!response.headersSent) send(response, 500, 'internal error');
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}/`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function answer(
  request: IncomingMessage,
  response: ServerResponse,
  mounts: ReadonlyArray<{ prefix: string; folder: string }>,
): Promise<void> {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('Allow', 'GET, HEAD');
    return send(response, 405, 'method not allowed');
  }
  const file = await fileFor(request.url ?? '/', mounts);
  if (file === null) return send(response, 404, 'not found');
  const body = await readFile(file);
  const type = INSPECTOR_CONTENT_TYPES[extname(file)];
  response.writeHead(200, {
    'Content-Type': type,
    'Content-Length': body.length,
    'Cache-Control': 'no-cache',
    'X-Content-Type-Options': 'nosniff',
    ...(type.startsWith('text/html') ? { 'Content-Security-Policy': PAGE_POLICY } : {}),
  });
  response.end(request.method === 'HEAD' ? undefined : body);
}

function send(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache' });
  response.end(`${text}\n`);
}

/**
 * The file a request path names, or null. Each segment is decoded on its own and refused if it decodes
 * to a separator, a dot segment or a NUL, so `..%2f` cannot climb; the real path (symlinks followed) must
 * still lie inside the mount's folder and be a served type.
 */
async function fileFor(
  target: string,
  mounts: ReadonlyArray<{ prefix: string; folder: string }>,
): Promise<string | null> {
  let pathname: string;
  try {
    // Parsing as a URL resolves plain `.`/`..` segments within the URL root and drops a query.
    pathname = new URL(target, 'http://inspector.invalid').pathname;
  } catch {
    return null;
  }
  if (pathname === '/') pathname = '/index.html';
  const mount = mounts.find(({ prefix }) => pathname.startsWith(prefix));
  if (mount === undefined) return null;
  const segments: string[] = [];
  for (const raw of pathname.slice(mount.prefix.length).split('/')) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return null;
    }
    if (segment === '' || segment === '.' || segment === '..' || /[/\\\0]/.test(segment)) return null;
    segments.push(segment);
  }
  if (segments.length === 0 || !(extname(segments[segments.length - 1]) in INSPECTOR_CONTENT_TYPES))
    return null;
  try {
    const [folder, file] = await Promise.all([
      realpath(mount.folder),
      realpath(join(mount.folder, ...segments)),
    ]);
    const inside = file.startsWith(folder + sep) && extname(file) in INSPECTOR_CONTENT_TYPES;
    return inside && (await stat(file)).isFile() ? file : null;
  } catch {
    return null; // missing
  }
}

/** The nearest folder above `file` whose package.json is wasmws's own. */
function packageRoot(file: string): string {
  for (let dir = dirname(file); ; ) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'wasmws') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`inspector: no wasmws package.json above ${file}`);
    dir = parent;
  }
}
