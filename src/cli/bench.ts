// `wasmws bench`: runs the codec benchmark against ws (bench/codec.ts, built into
// dist/bench/) in a child process, passing its options through. It needs the repository
// checkout with its devDependencies (tinybench, ws, bufferutil), not just the package.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Command, EXIT_FAILURE } from './command.js';

const BENCH_SCRIPT = fileURLToPath(new URL('../../bench/codec.js', import.meta.url));

const USAGE = `Usage: wasmws bench [options]

Runs the codec benchmark (decode, client encode, server encode at 16 B to 1 MiB) against
ws with and without its native add-ons, in one run, and prints the ratios. Options are the
benchmark's own, e.g. --sections=decode --text=mixed --json; it needs the repository
checkout with its devDependencies (npm install). Same as "npm run bench".
`;

/** `wasmws bench`. */
export const benchCommand: Command = {
  summary: 'run the codec benchmark against ws',
  usage: USAGE,
  async run(args, io) {
    if (args.includes('--help') || args.includes('-h')) {
      io.out(USAGE);
      return 0;
    }
    if (!existsSync(BENCH_SCRIPT)) {
      io.err(
        `wasmws bench: ${BENCH_SCRIPT} is missing: run it from a repository checkout after npm install\n`,
      );
      return EXIT_FAILURE;
    }
    return new Promise<number>((resolve) => {
      const child = spawn(process.execPath, [BENCH_SCRIPT, ...args], { stdio: 'inherit' });
      child.once('error', (error) => {
        io.err(`wasmws bench: ${error.message}\n`);
        resolve(EXIT_FAILURE);
      });
      child.once('exit', (code) => resolve(code ?? EXIT_FAILURE));
    });
  },
};
