// The package as a user gets it: `npm pack` this checkout, install the tarball into a fresh
// project (offline: wasmws has no runtime dependencies), and use it from there through the
// package.json `exports` and `bin`, as a consumer's own Node would resolve them.
//
// The pack runs with --ignore-scripts: dist/ is already built (`npm test` builds it first),
// and rebuilding here would rewrite dist/ and src/codec/wasm-bytes.generated.ts under the
// test files running beside this one. `prepack` builds for a real `npm pack`/`npm publish`.
//
// The package has no `prepare` script: npm 11 lists a tarball's (or any non-registry
// source's) `prepare` as an install script not covered by the consumer's `allowScripts`,
// although it never runs it for a tarball. A clone's own `npm install`/`npm ci` builds
// through `postprepare`, which npm runs only for the project being installed.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

/** The environment without the npm_* variables of an enclosing `npm test`, so the child npm reads only its own config. */
const childEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));

/** Prints, for each entry named on the command line, the file it resolves to and its export names. */
const PROBE = `
const result = {};
for (const entry of process.argv.slice(2)) {
  const module = await import(entry);
  result[entry] = { file: new URL(import.meta.resolve(entry)).pathname, names: Object.keys(module) };
}
const { createWasmKernels } = await import('wasmws/kernels');
result.wasmKernels = createWasmKernels() !== null;
console.log(JSON.stringify(result));
`;

/** An echo server and a client, both from the installed package, on a free port; prints what came back. */
const ECHO = `
import { connect, createServer, messageHandler, messages } from 'wasmws';
const server = createServer({ handler: { message(session, data) { session.send(data); } } });
const { url } = await server.listen();
const client = await connect(url, messageHandler());
client.send('hello through the tarball');
const { value } = await messages(client).next();
client.close(1000);
await server.close();
console.log(JSON.stringify(value));
`;

/** A consumer's TypeScript: compiles only if each entry's declarations are found through `exports`. */
const CONSUMER_TS = `
import { createServer, type WebSocketServer } from 'wasmws';
import { FrameParser } from 'wasmws/codec';
import { createWasmKernels } from 'wasmws/kernels';
import { Protocol } from 'wasmws/browser';
import WebSocket, { WebSocketServer as WsServer } from 'wasmws/ws';
const server: WebSocketServer = createServer({ handler: { message() {} } });
const wss = new WsServer({ noServer: true });
export const used: unknown[] = [FrameParser, Protocol, createWasmKernels(), server, WebSocket.OPEN, wss];
`;

let temp: string;
let project: string;
let packedFiles: string[];
let install: { stdout: string; stderr: string };

beforeAll(async () => {
  expect(
    existsSync(join(ROOT, 'dist/src/index.js')),
    'dist/ is missing: npm install (or npm run build) builds it',
  ).toBe(true);
  temp = mkdtempSync(join(tmpdir(), 'wasmws-tarball-'));
  const pack = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', temp], {
    cwd: ROOT,
    env: childEnv,
  });
  const [packed] = JSON.parse(pack.stdout);
  packedFiles = packed.files.map((file: { path: string }) => file.path);

  project = join(temp, 'project');
  mkdirSync(project);
  writeFileSync(
    join(project, 'package.json'),
    `${JSON.stringify({ name: 'consumer', private: true }, null, 2)}\n`,
  );
  writeFileSync(join(project, 'probe.mjs'), PROBE);
  writeFileSync(join(project, 'echo.mjs'), ECHO);
  writeFileSync(join(project, 'consumer.mts'), CONSUMER_TS);
  // Scripts are not ignored here: a consumer's install is what must stay quiet about them.
  install = await run(
    'npm',
    ['install', '--offline', '--no-audit', '--no-fund', join(temp, packed.filename)],
    { cwd: project, env: childEnv },
  );
}, 60_000);

afterAll(() => {
  if (temp !== undefined) rmSync(temp, { recursive: true, force: true });
});

/** Runs `node [flags] script args` in the consumer project. */
async function node(flags: string[], script: string, args: string[] = []) {
  return run(process.execPath, [...flags, script, ...args], { cwd: project, env: childEnv, timeout: 15_000 });
}

describe('the packed tarball', () => {
  it('holds the built entries, their declarations, the bin and the README', () => {
    for (const path of [
      'package.json',
      'README.md',
      'dist/src/index.js',
      'dist/src/index.d.ts',
      'dist/src/browser.js',
      'dist/src/browser.d.ts',
      'dist/src/codec/index.js',
      'dist/src/codec/index.d.ts',
      'dist/src/codec/kernels-entry.js',
      'dist/src/codec/kernels-entry.d.ts',
      'dist/src/ws/index.js',
      'dist/src/ws/index.d.ts',
      'dist/src/cli/main.js',
      'dist/src/codec/wasm-bytes.generated.js',
      // `wasmws bench` runs from the installed program: its harness ships with it.
      'dist/src/bench/child.js',
      'dist/src/bench/codec.js',
      'dist/assembly/layout.js',
    ]) {
      expect(packedFiles).toContain(path);
    }
  });

  it('holds every file package.json points at: exports, types and bin', () => {
    const targets = [
      ...Object.values(manifest.exports).flatMap((target) =>
        typeof target === 'string' ? [target] : Object.values(target as Record<string, string>),
      ),
      manifest.types,
      ...Object.values(manifest.bin),
    ] as string[];
    for (const target of targets) expect(packedFiles).toContain(target.replace(/^\.\//, ''));
  });

  it('holds nothing else: no TypeScript sources, tests, benchmarks or build leftovers', () => {
    // The inspector page's static files are served as they are (src/inspect/web has no TypeScript).
    const unexpected = packedFiles.filter(
      (path) =>
        !/^(package\.json|README\.md|dist\/(src|assembly)\/.+\.(js|d\.ts|js\.map)|src\/inspect\/web\/[\w-]+\.(html|js|css))$/.test(
          path,
        ),
    );
    expect(unexpected).toEqual([]);
  });

  it('carries the WebAssembly kernels, inlined as a module that compiles and exports them', () => {
    const generated = readFileSync(
      join(project, 'node_modules/wasmws/dist/src/codec/wasm-bytes.generated.js'),
      'utf8',
    );
    const base64 = /kernelsWasmBase64 = '([A-Za-z0-9+/=]+)'/.exec(generated)?.[1];
    expect(base64, 'no kernelsWasmBase64 in the generated module').toBeDefined();
    const module = new WebAssembly.Module(Buffer.from(base64!, 'base64'));
    const exported = WebAssembly.Module.exports(module).map((entry) => entry.name);
    expect(exported).toEqual(expect.arrayContaining(['maskInPlace', 'validateUtf8', 'walk', 'memory']));
  });

  it('carries no install-time script (a tarball install would list it as not covered by allowScripts)', () => {
    const installed = JSON.parse(readFileSync(join(project, 'node_modules/wasmws/package.json'), 'utf8'));
    for (const event of ['preinstall', 'install', 'postinstall', 'prepare']) {
      expect(installed.scripts ?? {}).not.toHaveProperty(event);
    }
  });
});

describe('installing the tarball into a fresh project', () => {
  it('says nothing about scripts', () => {
    expect(install.stderr).not.toMatch(/script/i);
    expect(install.stdout).toMatch(/added 1 package/);
  });

  it('resolves each entry through package.json exports, and each exposes its API', async () => {
    const { stdout } = await node([], 'probe.mjs', [
      'wasmws',
      'wasmws/codec',
      'wasmws/kernels',
      'wasmws/browser',
      'wasmws/ws',
    ]);
    const result = JSON.parse(stdout);
    const at = (entry: string) => relative(join(project, 'node_modules/wasmws'), result[entry].file);
    expect(at('wasmws')).toBe('dist/src/index.js');
    expect(at('wasmws/codec')).toBe('dist/src/codec/index.js');
    expect(at('wasmws/kernels')).toBe('dist/src/codec/kernels-entry.js');
    expect(at('wasmws/browser')).toBe('dist/src/browser.js');
    expect(at('wasmws/ws')).toBe('dist/src/ws/index.js');
    expect(result['wasmws'].names).toEqual(
      expect.arrayContaining(['createServer', 'connect', 'handleUpgrade']),
    );
    expect(result['wasmws/codec'].names).toContain('FrameParser');
    expect(result['wasmws/kernels'].names).toContain('createWasmKernels');
    expect(result['wasmws/browser'].names).toEqual(
      expect.arrayContaining(['Protocol', 'createClientSession']),
    );
    expect(result['wasmws/ws'].names).toEqual(
      expect.arrayContaining(['WebSocket', 'WebSocketServer', 'createWebSocketStream', 'default']),
    );
    expect(result.wasmKernels, 'createWasmKernels() returned null: the inlined wasm did not compile').toBe(
      true,
    );
  });

  it('resolves the bare entry to the browser build under the browser condition', async () => {
    const { stdout } = await node(['--conditions=browser'], 'probe.mjs', ['wasmws']);
    expect(relative(join(project, 'node_modules/wasmws'), JSON.parse(stdout)['wasmws'].file)).toBe(
      'dist/src/browser.js',
    );
  });

  it('echoes a message between its own server and client', async () => {
    const { stdout } = await node([], 'echo.mjs');
    expect(JSON.parse(stdout)).toBe('hello through the tarball');
  });

  it('gives TypeScript the declarations of each entry', async () => {
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const typeRoots = join(ROOT, 'node_modules/@types');
    const flags = ['--noEmit', '--strict', '--skipLibCheck', '--target', 'es2022'];
    const resolution = ['--module', 'nodenext', '--moduleResolution', 'nodenext'];
    const types = ['--typeRoots', typeRoots, '--types', 'node'];
    await expect(node([], tsc, [...flags, ...resolution, ...types, 'consumer.mts'])).resolves.toBeDefined();
  });

  it('links the wasmws bin, and --help prints the usage', async () => {
    const { stdout } = await run(join(project, 'node_modules/.bin/wasmws'), ['--help'], {
      cwd: project,
      env: childEnv,
      timeout: 15_000,
    });
    expect(stdout).toMatch(/^Usage: wasmws <command>/);
  });

  it('runs wasmws bench against what is installed: without ws, it says so and compares with wasmws', async () => {
    const { stdout, stderr } = await run(
      join(project, 'node_modules/.bin/wasmws'),
      ['bench', 'codec', '--quick', '--no-addons-child', '--sections', 'decode', '--json', '-'],
      { cwd: project, env: childEnv, timeout: 30_000 },
    );
    const report = JSON.parse(stdout);
    expect(report.failures, stderr).toEqual([]);
    expect(report.conditions.ws).toBeUndefined();
    expect(report.notes.join(' ')).toMatch(/ws is not installed/);
    const rows = report.rows.map((row: { peer: string; base: string; aa: boolean }) => [
      row.peer,
      row.base,
      row.aa,
    ]);
    expect(rows).toEqual([
      ['wasmws-push', 'wasmws', false],
      ['wasmws-ts', 'wasmws', false],
      ['wasmws#2', 'wasmws', true],
    ]);
  });
});
