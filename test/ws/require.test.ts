// `require('wasmws/ws')` from a CommonJS file works as `require('ws')` does (require(esm)).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);

it('loads wasmws/ws with require() from a .cjs file and runs ws code with it', async () => {
  const fixture = join(import.meta.dirname, 'fixtures', 'require-ws.cjs');
  // --no-warnings: Node 20 notes that require(esm) is experimental on stderr.
  const { stdout } = await run(process.execPath, ['--no-warnings', fixture], { timeout: 10_000 });
  expect(stdout.trim()).toBe('function true from cjs');
});
