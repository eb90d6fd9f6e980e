// `wasmws bench` end to end, as a user runs it: the quick codec and echo runs write JSON in
// which every peer row and the A/A row are present and every side's counts and checksums
// agree; the example adapter runs through --peer; --url drives a ws server started here and
// reports the count that server echoed; the SVG is well-formed and names every row.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { chartName, type Report, type Row } from '../../src/bench/report.js';

const MAIN = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
const ADAPTER = fileURLToPath(new URL('../../bench/example-adapter.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'wasmws-bench-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function bench(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  expect(existsSync(MAIN), 'dist/ is missing: npm install (or npm run build) builds it').toBe(true);
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, 'bench', ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({
        code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1,
        stdout,
        stderr,
      });
    });
  });
}

/** Runs a bench command that writes --json and --svg, and returns both. */
async function benchReport(name: string, args: string[]): Promise<{ report: Report; svg: string }> {
  const json = join(dir, `${name}.json`);
  const svg = join(dir, `${name}.svg`);
  const run = await bench([...args, '--json', json, '--svg', svg]);
  expect(run.code, run.stderr).toBe(0);
  expect(run.stdout).toContain('| peer ÷ base [IQR] |');
  return { report: JSON.parse(readFileSync(json, 'utf8')) as Report, svg: readFileSync(svg, 'utf8') };
}

/** Both sides of every row did the same work: counts and SHA-256 equal what was due, and equal each other. */
function expectSameWork(rows: Row[]): void {
  for (const row of rows) {
    expect(row.checks.agree && row.baseChecks.agree, `${chartName(row)}: ${JSON.stringify(row.checks)}`).toBe(
      true,
    );
    expect(row.checks.messages).toBeGreaterThan(0);
    expect(row.checks.sha256).toBe(row.checks.expected.sha256);
    expect(row.ratios.length).toBeGreaterThan(0);
  }
}

/** XML well-formedness, enough for our SVG: one root, tags nested and closed, attributes quoted, text escaped. */
function expectWellFormed(svg: string): void {
  const body = svg.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  let roots = 0;
  for (const [token, text] of body.matchAll(/<[^>]*>|([^<]+)/g)) {
    if (text !== undefined) {
      expect(text.replace(/&(amp|lt|gt|quot|apos);/g, ''), 'raw & in text').not.toContain('&');
      if (stack.length === 0) expect(text.trim(), 'text outside the root').toBe('');
      continue;
    }
    const tag = /^<(\/?)([A-Za-z][\w-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>$/.exec(token);
    expect(tag, `malformed tag ${token}`).not.toBeNull();
    const [, closing, name, , selfClosing] = tag!;
    if (closing) expect(stack.pop()).toBe(name);
    else if (!selfClosing) {
      if (stack.length === 0) roots++;
      stack.push(name);
    } else if (stack.length === 0) roots++;
  }
  expect(stack).toEqual([]);
  expect(roots).toBe(1);
}

const xmlText = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

describe('wasmws bench codec --quick', () => {
  it('has every peer row and the A/A row, with and without add-ons, each side doing the same work', async () => {
    const { report, svg } = await benchReport('codec', ['codec', '--quick']);
    expect(report.conditions.ws).toMatch(/^ws \d/);
    for (const section of ['decode', 'clientEncode', 'serverEncode']) {
      for (const condition of section === 'serverEncode' ? [undefined] : [undefined, 'no add-ons']) {
        const rows = report.rows.filter((r) => r.section === section && r.condition === condition);
        const peers = rows.map((r) => `${r.peer}${r.aa ? ' A/A' : ''}`).sort();
        const expected =
          section !== 'decode'
            ? ['wasmws', 'ws#2 A/A']
            : condition === undefined
              ? ['wasmws', 'wasmws-push', 'wasmws-ts', 'ws#2 A/A']
              : ['wasmws', 'wasmws-push', 'ws#2 A/A'];
        expect(peers, `${section} ${condition ?? ''}`).toEqual(expected);
        expect(rows.every((r) => r.base === 'ws')).toBe(true);
      }
    }
    expectSameWork(report.rows);
    expect(report.failures).toEqual([]);
    expectWellFormed(svg);
    for (const row of report.rows) expect(svg).toContain(xmlText(chartName(row)));
  });

  it('compares the example adapter through --peer', async () => {
    const { report } = await benchReport('codec-peer', [
      'codec',
      '--quick',
      '--peer',
      ADAPTER,
      '--no-addons-child',
    ]);
    const example = report.rows.filter((r) => r.peer === 'example');
    expect(example.map((r) => r.section)).toEqual(['decode', 'clientEncode', 'serverEncode']);
    expectSameWork(example);
    // Same messages, bytes and digest as ws decoded.
    expect(example[0].checks.sha256).toBe(example[0].baseChecks.sha256);
  });
});

describe('wasmws bench echo', () => {
  it('--quick: every server row and the ws#2 A/A row, the load count equal to what each server echoed', async () => {
    const { report, svg } = await benchReport('echo', ['echo', '--quick', '--peer', ADAPTER]);
    const rows = report.rows.filter((r) => r.section === 'echo, cheap load generator');
    expect(rows.map((r) => `${r.peer}${r.aa ? ' A/A' : ''}`)).toEqual([
      'wasmws',
      'wasmws/ws',
      'example',
      'ws#2 A/A',
    ]);
    expectSameWork(rows);
    for (const row of rows) {
      // Server-side counts: what each server process says it echoed.
      expect(row.checks.messages).toBe(row.checks.expected.messages);
      expect(row.cpuMicros).toBeGreaterThan(0);
    }
    expectWellFormed(svg);
    for (const row of report.rows) expect(svg).toContain(xmlText(chartName(row)));
  });

  it('--url drives a running ws server: the count reported is what that server echoed', async () => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    let echoed = 0;
    server.on('connection', (socket) =>
      socket.on('message', (data, isBinary) => {
        echoed++;
        socket.send(data, { binary: isBinary });
      }),
    );
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const url = `ws://127.0.0.1:${(server.address() as { port: number }).port}/`;
      const run = await bench(['echo', '--url', url, '--count', '3000', '--connections', '2', '--json', '-']);
      expect(run.code, run.stderr).toBe(0);
      const report = JSON.parse(run.stdout) as Report;
      expect(report.url!.messages).toBe(3000);
      expect(report.url!.messages).toBe(echoed);
      expect(report.url!.checks.agree).toBe(true);
      expect(report.url!.p99Micros).toBeGreaterThanOrEqual(report.url!.p50Micros);
      expect(report.url!.messagesPerSec).toBeGreaterThan(0);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('--url fails, within its time limit, against nothing listening', async () => {
    const run = await bench([
      'echo',
      '--url',
      'ws://127.0.0.1:1/',
      '--count',
      '10',
      '--timeout',
      '5',
      '--json',
      '-',
    ]);
    expect(run.code).toBe(1);
    expect((JSON.parse(run.stdout) as Report).failures[0]).toMatch(/^cannot connect/);
  });
});

it('refuses bad usage with exit status 2', async () => {
  for (const args of [[], ['nothing'], ['codec', '--sections', 'nope'], ['deflate', '--loaders', 'raw']]) {
    const run = await bench(args);
    expect(run.code, args.join(' ')).toBe(2);
    expect(run.stderr).toMatch(/^wasmws bench: /);
  }
});
