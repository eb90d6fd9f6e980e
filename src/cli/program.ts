// The `wasmws` program's dispatcher: a table of subcommands, each in its own file and loaded
// only when run, and the top-level usage. `main.ts` runs it on the real process.
import { type Command, type CommandIO, EXIT_USAGE } from './command.js';
import { programVersion } from './version.js';

/** The subcommands, in the order the usage lists them. Add one line per new command. */
const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  serve: {
    summary: 'run a WebSocket echo server',
    load: async () => (await import('./serve.js')).serveCommand,
  },
  connect: {
    summary: 'connect to a WebSocket server and relay stdin and stdout',
    load: async () => (await import('./connect.js')).connectCommand,
  },
  inspect: {
    summary: 'decode captured WebSocket frames (raw, hex, base64, pcap) or serve the inspector page',
    load: async () => (await import('./inspect.js')).inspectCommand,
  },
  bench: {
    summary: 'measure wasmws against ws or your own peer: codec, echo, deflate, h2',
    load: async () => (await import('./bench.js')).benchCommand,
  },
};

/** The program's usage: its subcommands and how to get their help. */
export function programUsage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, { summary }]) => `  ${name.padEnd(width)}  ${summary}`);
  return [
    'Usage: wasmws <command> [options]',
    '       wasmws --version',
    '',
    'Commands:',
    ...lines,
    '',
    'Run "wasmws <command> --help" for a command\'s options.',
    '',
    'Exit status:',
    '  0  done (connect: the connection closed cleanly; inspect: no violation found)',
    '  1  failed while running: connection refused, DNS, TLS verification, handshake',
    '     refused, an abnormal close, a port in use; inspect: a violation found',
    '  2  bad usage: an unknown or malformed flag, a bad URL or scheme, an unreadable or',
    "     wrong file (--ca, --cert, --key, --tls-cert, --tls-key, inspect's FILE)",
    '',
  ].join('\n');
}

/**
 * Runs a `wasmws` command line (the arguments after the program name).
 *
 * `--help`/`-h`/`help` print the usage on stdout (`help NAME`: that command's);
 * `--version`/`-V` print `wasmws VERSION`; no command or an unknown one prints the usage on
 * stderr and returns 2.
 *
 * @returns the exit status.
 */
export async function runProgram(args: string[], io: CommandIO): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined) {
    io.err(programUsage());
    return EXIT_USAGE;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    const topic = rest[0];
    if (topic !== undefined && Object.hasOwn(COMMANDS, topic)) io.out((await COMMANDS[topic]!.load()).usage);
    else io.out(programUsage());
    return 0;
  }
  if (name === '--version' || name === '-V') {
    io.out(`wasmws ${programVersion()}\n`);
    return 0;
  }
  if (!Object.hasOwn(COMMANDS, name)) {
    io.err(`wasmws: unknown command ${JSON.stringify(name)}\n\n${programUsage()}`);
    return EXIT_USAGE;
  }
  const command = await COMMANDS[name]!.load();
  return command.run(rest, io);
}
