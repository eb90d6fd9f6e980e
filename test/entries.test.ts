// The public surface is deliberate: each entry exports exactly what README.md's entry table
// lists for it, and arena or kernel internals stay out of the codec and Node entries.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as browser from '../src/browser.js';
import * as codec from '../src/codec/index.js';
import * as kernels from '../src/codec/kernels-entry.js';
import * as node from '../src/index.js';
import * as wsFace from '../src/ws/index.js';

const readme = readFileSync(resolve(import.meta.dirname, '../README.md'), 'utf8');

/** The backticked names in the README table row of `entry`. */
function listed(entry: string): string[] {
  const row = readme.split('\n').find((line) => line.startsWith(`| \`${entry}\` |`));
  if (row === undefined) throw new Error(`README has no row for ${entry}`);
  const exportsCell = row.split(' | ').at(-1) ?? '';
  return [...exportsCell.matchAll(/`([A-Za-z_][A-Za-z0-9_]*)`/g)].map((m) => m[1]).sort();
}

const names = (module: object, without: object = {}) =>
  Object.keys(module)
    .filter((name) => !(name in without))
    .sort();

describe('entries (README: "Three ways in, five entries")', () => {
  it('wasmws/codec exports what the README lists', () => {
    expect(names(codec)).toEqual(listed('wasmws/codec'));
  });

  it('wasmws/kernels exports what the README lists', () => {
    expect(names(kernels)).toEqual(listed('wasmws/kernels'));
  });

  it('wasmws/browser is the codec entry plus what the README lists', () => {
    expect(names(browser, codec)).toEqual(listed('wasmws/browser'));
    for (const name of Object.keys(codec)) expect(browser).toHaveProperty(name);
  });

  it('wasmws is the browser entry plus what the README lists', () => {
    expect(names(node, browser)).toEqual(listed('wasmws'));
    for (const name of Object.keys(browser)) expect(node).toHaveProperty(name);
  });

  it('wasmws/ws exports what the README lists', () => {
    // `module.exports` is what require(esm) returns (the WebSocket class), not a named export.
    expect(names(wsFace).filter((name) => name !== 'module.exports')).toEqual(listed('wasmws/ws'));
  });

  it('keeps arena and kernel internals out of the codec and Node entries', () => {
    for (const name of ['acquireKernels', 'maskCopy', 'writeHeader', 'createWasmKernels']) {
      expect(codec).not.toHaveProperty(name);
      expect(node).not.toHaveProperty(name);
      expect(kernels).toHaveProperty(name);
    }
  });
});
