// `wasmws bench` runs the built codec benchmark and passes its options through.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

describe('wasmws bench', () => {
  it('runs one tiny section and prints its results as JSON', () => {
    expect(existsSync(MAIN), 'dist/ is missing: npm install (or npm run build) builds it').toBe(true);
    const run = spawnSync(
      process.execPath,
      [MAIN, 'bench', '--sections=serverEncode', '--sizes=16', '--rounds=1', '--time=20', '--json'],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(run.status, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.peer.name).toMatch(/^ws /);
    const [row] = report.sections.serverEncode;
    expect(row.size).toBe(16);
    expect(row.metrics.ours.framesPerSec).toBeGreaterThan(0);
    expect(row.metrics.ws.framesPerSec).toBeGreaterThan(0);
  });
});
