// Enforces DESIGN.md's layer table: imports only flow downwards, `node:` only in Node glue
// and facades, no timers below the session, and a browser-safe codec (no Buffer).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');

/** The zlib engine's files: Node glue that lives beside the negotiation in src/extensions/. */
const ZLIB_GLUE = [
  'src/extensions/deflate-zlib.ts',
  'src/extensions/deflate-native.ts',
  'src/extensions/zlib-handle.ts',
  'src/extensions/zlib-compressor.ts',
];

/** Layers in DESIGN.md order: a file may import its own layer and those listed before it. */
const LAYERS: Array<{ name: string; match: (path: string) => boolean; node: boolean; timers: boolean }> = [
  { name: 'kernels', match: (p) => p.startsWith('assembly/'), node: false, timers: false },
  { name: 'codec', match: (p) => p.startsWith('src/codec/'), node: false, timers: false },
  {
    name: 'handshake, extensions',
    match: (p) =>
      (p.startsWith('src/handshake/') || p.startsWith('src/extensions/')) && !ZLIB_GLUE.includes(p),
    node: false,
    timers: false,
  },
  { name: 'protocol', match: (p) => p.startsWith('src/protocol/'), node: false, timers: false },
  { name: 'session', match: (p) => p.startsWith('src/session/'), node: false, timers: true },
  {
    name: 'Node glue',
    match: (p) =>
      ['src/transports/', 'src/server/', 'src/client/'].some((d) => p.startsWith(d)) || ZLIB_GLUE.includes(p),
    node: true,
    timers: true,
  },
  {
    name: 'facades, program',
    match: (p) =>
      ['src/api/', 'src/cli/', 'src/inspect/', 'src/ws/', 'src/bench/'].some((d) => p.startsWith(d)) ||
      p === 'src/index.ts' ||
      p === 'src/browser.ts',
    node: true,
    timers: true,
  },
];

function layerOf(path: string): number {
  return LAYERS.findIndex((layer) => layer.match(path));
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)));
}

const IMPORT =
  /(?:import|export)\s+(?:type\s+)?(?:[^'"]*?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(path: string): string[] {
  const source = readFileSync(join(root, path), 'utf8');
  return [...source.matchAll(IMPORT)].map((m) => m[1] ?? m[2]);
}

function resolveImport(from: string, specifier: string): string {
  return relative(root, resolve(root, dirname(from), specifier)).replace(/\.js$/, '.ts');
}

function codeOnly(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
}

/** Each import circle among `sources` once, as the path from its first file back to it (type imports count). */
function importCircles(
  sources: string[],
  targets: (file: string) => string[] = (file) =>
    importsOf(file)
      .filter((specifier) => specifier.startsWith('.'))
      .map((specifier) => resolveImport(file, specifier)),
): string[][] {
  const circles: string[][] = [];
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (file: string) => {
    const at = path.indexOf(file);
    if (at !== -1) {
      circles.push([...path.slice(at), file]);
      return;
    }
    if (done.has(file)) return;
    path.push(file);
    for (const target of targets(file)) visit(target);
    path.pop();
    done.add(file);
  };
  for (const file of sources) visit(file);
  return circles;
}

const files = [...sourceFiles('src'), ...sourceFiles('assembly')];

describe('layer rules (DESIGN.md)', () => {
  it('places every source file in a layer', () => {
    expect(files.filter((f) => layerOf(f) === -1)).toEqual([]);
  });

  it('imports only from the same layer or the layers above it', () => {
    const violations: string[] = [];
    for (const file of files) {
      const own = layerOf(file);
      for (const specifier of importsOf(file)) {
        if (!specifier.startsWith('.')) continue;
        const target = resolveImport(file, specifier);
        if (layerOf(target) > own)
          violations.push(
            `${file} (${LAYERS[own].name}) imports ${target} (${LAYERS[layerOf(target)]?.name})`,
          );
      }
    }
    expect(violations).toEqual([]);
  });

  it('keeps node: modules and bare npm imports out of the browser-safe layers', () => {
    const violations: string[] = [];
    for (const file of files) {
      const layer = LAYERS[layerOf(file)];
      for (const specifier of importsOf(file)) {
        if (specifier.startsWith('.')) continue;
        if (!layer.node) violations.push(`${file} imports ${specifier}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('keeps timers out of the codec, handshake and protocol', () => {
    const offenders = files.filter(
      (file) =>
        !LAYERS[layerOf(file)].timers &&
        /\b(setTimeout|setInterval|setImmediate)\s*\(/.test(codeOnly(readFileSync(join(root, file), 'utf8'))),
    );
    expect(offenders).toEqual([]);
  });

  it('keeps Buffer out of src/codec and src/handshake', () => {
    const offenders = files.filter(
      (file) =>
        (file.startsWith('src/codec/') || file.startsWith('src/handshake/')) &&
        /\bBuffer\b/.test(codeOnly(readFileSync(join(root, file), 'utf8'))),
    );
    expect(offenders).toEqual([]);
  });

  it('reaches no node: module from the browser entries', () => {
    const entries = ['src/codec/index.ts', 'src/codec/kernels-entry.ts', 'src/browser.ts'].filter((entry) =>
      files.includes(entry),
    );
    const seen = new Set<string>();
    const reached: string[] = [];
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const specifier of importsOf(file)) {
        if (specifier.startsWith('.')) visit(resolveImport(file, specifier));
        else reached.push(`${file} imports ${specifier}`);
      }
    };
    for (const entry of entries) visit(entry);
    expect(entries.length).toBeGreaterThan(0);
    expect(reached).toEqual([]);
  });

  it('has no import circle in src/ (what two files share lives below both)', () => {
    const circles = importCircles(files.filter((file) => file.startsWith('src/')));
    expect(circles).toEqual([]);
  });

  it('detects a violation (the checker itself can fail)', () => {
    expect(layerOf('src/codec/x.ts')).toBeLessThan(layerOf('src/session/x.ts'));
    expect(resolveImport('src/codec/a.ts', '../session/b.js')).toBe('src/session/b.ts');
    expect(importsOf('test/layers.test.ts')).toContain('node:fs');
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
    ]);
    expect(importCircles(['a', 'b', 'c'], (file) => graph.get(file) ?? [])).toEqual([['a', 'b', 'c', 'a']]);
  });
});
