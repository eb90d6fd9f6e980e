#!/usr/bin/env node
// The `wasmws` program's entry: runs the dispatcher on this process's arguments, streams and
// signals, and exits with the command's status.
import type { CommandIO } from './command.js';
import { runProgram } from './program.js';

const io: CommandIO = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  onStop(callback) {
    // The first signal stops gracefully; a second finds no listener and kills the default way.
    const stop = (signal: string) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      callback(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  },
};

try {
  process.exitCode = await runProgram(process.argv.slice(2), io);
} catch (error) {
  process.stderr.write(`wasmws: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
