// `wasmws inspect`: the table, --json's shapes, --from, exit codes (0 clean, 1 a violation,
// 2 bad usage), stdin, and --web serving the inspector page until stopped.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildFrame, closeBody, concat, text, toHex } from '../support/frames.js';
import { writePcap } from '../support/pcap-writer.js';
import { run, runInProcess } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'wasmws-inspect-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, bytes: Uint8Array | string) => {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
};

const MASK = 0x04030201;
const good = concat([
  buildFrame({ opcode: 1, payload: text('hello'), maskKey: MASK }),
  buildFrame({ opcode: 8, payload: closeBody(1000, 'bye'), maskKey: MASK }),
]);
const broken = concat([good.subarray(0, 11), buildFrame({ opcode: 3, payload: text('x'), maskKey: MASK })]);

describe('wasmws inspect', () => {
  it('prints the frame table, the messages and no violation; exit 0', async () => {
    const r = await runInProcess(['inspect', file('good.hex', toHex(good))]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("hex: hex dump (sender guessed from the first frame's MASK bit: client)");
    expect(r.out).toMatch(/offset\s+FIN\s+RSV\s+opcode\s+mask\s+length\s+payload/);
    expect(r.out).toMatch(/\n\s+0\s+1\s+000\s+1 text\s+01020304\s+5\s+"hello"\n/);
    expect(r.out).toMatch(/\n\s+11\s+1\s+000\s+8 close\s+01020304\s+5\s+code 1000 "bye"\n/);
    expect(r.out).toContain('#0 text, 5 B, frames 0: "hello"');
    expect(r.out).toContain('violation: none');
  });

  it('reports the first violation with its close code and offset; exit 1', async () => {
    const r = await runInProcess(['inspect', file('broken.bin', broken)]);
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      'violation at offset 11: WS_ERR_INVALID_OPCODE (close code 1002): reserved opcode',
    );
  });

  it('--json prints the InspectResult, and --from decides the role', async () => {
    const r = await runInProcess([
      'inspect',
      '--json',
      '--from',
      'client',
      file('good.b64', btoa(String.fromCharCode(...good))),
    ]);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.out);
    expect(Object.keys(result)).toEqual(['frames', 'messages', 'error']);
    expect(result.frames.map((f: { offset: number }) => f.offset)).toEqual([0, 11]);
    const asServer = await runInProcess(['inspect', '--json', '--from', 'server', file('good2.bin', good)]);
    expect(asServer.code).toBe(1);
    expect(JSON.parse(asServer.out).error).toMatchObject({ code: 'WS_ERR_UNEXPECTED_MASK', offset: 0 });
  });

  it('--json prints an array of { stream, result } for a pcap', async () => {
    const request = text('GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n');
    const response = text('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n');
    const pcap = writePcap([
      { from: 'client', payload: concat([request, good]) },
      { from: 'server', payload: concat([response, buildFrame({ opcode: 8, payload: closeBody(1000) })]) },
    ]);
    const r = await runInProcess(['inspect', '--json', file('talk.pcap', pcap)]);
    expect(r.code).toBe(0);
    const found = JSON.parse(r.out);
    expect(found.map((f: { stream: object }) => Object.keys(f.stream))).toEqual([
      ['from', 'extensions', 'label', 'length'],
      ['from', 'extensions', 'label', 'length'],
    ]);
    expect(found.map((f: { stream: { from: string } }) => f.stream.from)).toEqual(['client', 'server']);
    expect(found[1].result.frames[0].opcode).toBe(8);
  });

  it('reads stdin with - and without FILE (the built program)', async () => {
    for (const args of [['inspect', '-'], ['inspect']]) {
      const program = run(args);
      program.child.stdin.end(Buffer.from(broken));
      expect(await program.exited).toBe(1);
      expect(program.stdout()).toContain('WS_ERR_INVALID_OPCODE');
    }
  });

  it('exits 2 for bad usage', async () => {
    for (const args of [
      ['inspect', '--from', 'peer', 'x'],
      ['inspect', '--bogus'],
      ['inspect', join(dir, 'missing.bin')],
      ['inspect', 'a', 'b'],
      ['inspect', '--port', '1', 'x'],
      ['inspect', '--web', 'x'],
      ['inspect', '--preview', '-3', 'x'],
    ]) {
      const r = await runInProcess(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toContain('Run "wasmws inspect --help"');
    }
  });

  it('--web serves the inspector page on 127.0.0.1 until SIGTERM', async () => {
    const program = run(['inspect', '--web', '--port', '0']);
    const banner = await program.waitFor(/wasmws inspector on (http:\/\/127\.0\.0\.1:\d+\/)\n/);
    const url = /on (\S+)\n/.exec(banner)![1]!;
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    program.child.kill('SIGTERM');
    expect(await program.exited).toBe(0);
  });

  it('is listed in the program usage', async () => {
    const r = await runInProcess(['--help']);
    expect(r.out).toMatch(/^\s+inspect\s+decode captured WebSocket frames/m);
  });
});
