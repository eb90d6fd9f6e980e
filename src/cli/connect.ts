// `wasmws connect URL`: an interactive client in the manner of wscat. Lines on stdin go out as
// text, received messages are printed on stdout ("< " + text, binary as a hex preview), and
// status lines (connected, close, errors) go to stderr, so stdout stays a clean transcript of
// what the server sent. `--execute` sends fixed messages instead of reading stdin. The flags
// are read in connect-args.ts; failures are explained by connect-failure.ts.
import * as readline from 'node:readline';
import type { Readable } from 'node:stream';
import { connect } from '../client/connect.js';
import { ConnectError } from '../client/connect-error.js';
import type { Handler, Session } from '../session/types.js';
import { type Command, type CommandIO, EXIT_FAILURE, EXIT_USAGE, UsageError } from './command.js';
import { CONNECT_USAGE, type ConnectPlan, parseConnectArgs } from './connect-args.js';
import { explainConnectFailure } from './connect-failure.js';

export { DEFAULT_WAIT_SECONDS } from './connect-args.js';

/** Bytes of a binary message shown in hex; the rest is elided. */
const HEX_PREVIEW_BYTES = 32;

/** Close codes after which the program exits 0 (unless the user asked for another with /close). */
const CLEAN_CODES = [1000, 1001, 1005];

const USAGE_HINT = 'Run "wasmws connect --help" for the options.\n';

/** `wasmws connect`. */
export const connectCommand: Command = {
  summary: 'connect to a WebSocket server and relay stdin and stdout',
  usage: CONNECT_USAGE,
  run: (args, io) => runConnect(args, io, process.stdin),
};

/**
 * Runs `wasmws connect` with `input` as its stdin (tests pass a stream of their own).
 *
 * @returns the exit status.
 */
export async function runConnect(args: string[], io: CommandIO, input: Readable): Promise<number> {
  let plan: ConnectPlan | 'help';
  try {
    plan = parseConnectArgs(args);
  } catch (error) {
    if (error instanceof UsageError) return usageError(io, error.message);
    throw error;
  }
  if (plan === 'help') {
    io.out(CONNECT_USAGE);
    return 0;
  }
  const { url, showPingPong } = plan;
  // http(s):// is taken as ws(s)://, as WHATWG WebSocket and ws do; say so rather than silently.
  if (/^https?:/i.test(url)) io.err(`* ${url} is taken as ${url.replace(/^http/i, 'ws')}\n`);

  let resolveClosed!: (outcome: { code: number; reason: string }) => void;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    resolveClosed = resolve;
  });
  // What the handler hears before connect() resolves (frames that came with the 101) waits
  // here, so "* connected" is always the first line and everything after keeps its order.
  let early: Array<() => void> | undefined = [];
  const report = (print: () => void): void => {
    if (early === undefined) print();
    else early.push(print);
  };
  const handler: Handler = {
    message: (_, data) =>
      report(() => io.out(`< ${typeof data === 'string' ? data : binaryPreview(data)}\n`)),
    ping: (_, data) => {
      if (showPingPong) report(() => io.out(`< ping${controlPreview(data)}\n`));
    },
    pong: (_, data) => {
      if (showPingPong) report(() => io.out(`< pong${controlPreview(data)}\n`));
    },
    error: (_, error) => report(() => io.err(`* error: ${error.message}\n`)),
    close: (_, code, reason) => resolveClosed({ code, reason }),
  };

  let session: Session;
  try {
    session = await connect(url, handler, plan.options);
  } catch (error) {
    if (error instanceof ConnectError) {
      const [first, ...more] = explainConnectFailure(error, url, plan.options.http2 === true);
      io.err(`wasmws connect: ${first}\n${more.map((line) => `${line}\n`).join('')}`);
      return EXIT_FAILURE;
    }
    // A malformed header or subprotocol, caught by the handshake builder.
    return usageError(io, (error as Error).message);
  }
  const offered = plan.options.protocols as string[];
  if (offered.length > 0 && session.protocol === '') {
    // As ws's client does: a server that takes none of the offered subprotocols fails the connection.
    session.terminate();
    io.err(`wasmws connect: ${url} selected none of the subprotocols offered (${offered.join(', ')})\n`);
    return EXIT_FAILURE;
  }
  const over = plan.options.http2 === true ? 'HTTP/2' : 'HTTP/1.1';
  io.err(
    `* connected to ${url} over ${over}${session.protocol === '' ? '' : ` (protocol ${session.protocol})`}\n`,
  );
  for (const print of early) print();
  early = undefined;

  let requestedCode: number | undefined;
  const closeWith = (code: number, reason = ''): void => {
    try {
      session.close(code, reason);
      requestedCode ??= code;
    } catch (error) {
      io.err(`* ${(error as Error).message}\n`);
    }
  };
  io.onStop(() => closeWith(1000));

  let lines: readline.Interface | undefined;
  if (plan.execute !== undefined) {
    for (const message of plan.execute) session.send(message);
    const timer = setTimeout(() => closeWith(1000), plan.waitSeconds * 1000);
    void closed.then(() => clearTimeout(timer));
  } else {
    lines = readline.createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY, terminal: false });
    lines.on('line', (line) => runLine(line, session, io, closeWith));
    // End of input: close, and exit once the close handshake completes.
    lines.on('close', () => closeWith(1000));
  }

  const { code, reason } = await closed;
  if (lines !== undefined) {
    lines.removeAllListeners('close');
    lines.close();
    // Nothing more will be read; an open stdin would keep the process alive.
    input.destroy();
  }
  io.err(`* closed ${code}${reason === '' ? '' : ` ${reason}`}\n`);
  return CLEAN_CODES.includes(code) || code === requestedCode ? 0 : EXIT_FAILURE;
}

/** One line of stdin: a slash command or a text message. */
function runLine(
  line: string,
  session: Session,
  io: CommandIO,
  closeWith: (code: number, reason?: string) => void,
): void {
  if (line.startsWith('//')) {
    session.send(line.slice(1));
    return;
  }
  if (!line.startsWith('/')) {
    session.send(line);
    return;
  }
  const [command = '', ...words] = line.slice(1).split(' ');
  const rest = line.slice(1 + command.length + 1);
  try {
    if (command === 'ping') session.ping(rest);
    else if (command === 'pong') session.pong(rest);
    else if (command === 'binary') {
      const hex = rest.replace(/\s+/g, '');
      if (!/^([0-9a-fA-F]{2})*$/.test(hex)) {
        io.err(`* /binary takes hex bytes (e.g. /binary 01 02 ff), got ${JSON.stringify(rest)}\n`);
        return;
      }
      session.send(Buffer.from(hex, 'hex'), { binary: true });
    } else if (command === 'close') {
      const codeText = words[0];
      if (codeText !== undefined && codeText !== '' && !/^\d+$/.test(codeText)) {
        io.err(`* /close takes a numeric code, got ${codeText}\n`);
        return;
      }
      const code = codeText === undefined || codeText === '' ? 1000 : Number(codeText);
      closeWith(code, words.slice(1).join(' '));
    } else {
      io.err(
        `* unknown command /${command} (try /binary, /ping, /pong, /close, or // to send a line starting with /)\n`,
      );
    }
  } catch (error) {
    // A payload over 125 bytes, a close code that may not be sent.
    io.err(`* ${(error as Error).message}\n`);
  }
}

function binaryPreview(data: Uint8Array): string {
  const hex = Buffer.from(data.subarray(0, HEX_PREVIEW_BYTES)).toString('hex');
  const more = data.length > HEX_PREVIEW_BYTES ? '…' : '';
  return `<binary ${data.length} bytes>${data.length === 0 ? '' : ` ${hex}${more}`}`;
}

/** Ping and pong payloads, after a space: text when printable UTF-8, a hex preview otherwise. */
function controlPreview(data: Uint8Array): string {
  if (data.length === 0) return '';
  const text = Buffer.from(data).toString('utf8');
  return ` ${/^[\x20-\x7e\u00a0-\uffff]*$/.test(text) && !text.includes('\ufffd') ? text : binaryPreview(data)}`;
}

function usageError(io: CommandIO, message: string): number {
  io.err(
    `wasmws connect: ${message}\n${CONNECT_USAGE.slice(0, CONNECT_USAGE.indexOf('\n') + 1)}${USAGE_HINT}`,
  );
  return EXIT_USAGE;
}
