// `wasmws connect URL`: an interactive client in the manner of wscat. Lines on stdin go out as
// text, received messages are printed on stdout ("< " + text, binary as a hex preview), and
// status lines (connected, pings, pongs, close, errors) go to stderr, so stdout stays a clean
// transcript of what the server sent. `--execute` sends fixed messages instead of reading stdin.
import { readFileSync } from 'node:fs';
import * as readline from 'node:readline';
import type { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { connect } from '../client/connect.js';
import { ConnectError } from '../client/connect-error.js';
import type { HeaderList } from '../handshake/http1.js';
import type { Handler, Session } from '../session/types.js';
import { type Command, type CommandIO, EXIT_FAILURE, EXIT_USAGE } from './command.js';

/** Default `--wait`: seconds to wait for replies after `--execute` before closing. */
export const DEFAULT_WAIT_SECONDS = 2;

/** Bytes of a binary message shown in hex; the rest is elided. */
const HEX_PREVIEW_BYTES = 32;

/** Close codes after which the program exits 0 (unless the user asked for another with /close). */
const CLEAN_CODES = [1000, 1001, 1005];

const USAGE = `Usage: wasmws connect URL [options]

Connects to a WebSocket server (ws:// or wss://). Each line read on stdin is sent as a text
message; each message received is printed on stdout as "< TEXT", or "< <binary N bytes> HEX"
for binary ones. Status lines (connected, ping, pong, closed) go to stderr, starting with "* ".
At the end of stdin (Ctrl+D) or on Ctrl+C the connection is closed with 1000.

Commands on stdin:
  /ping [DATA]            send a ping (a pong is shown as "* pong DATA")
  /close [CODE [REASON]]  close with CODE (default 1000) and REASON
  //TEXT                  send "/TEXT" as a text message

Options:
  -p, --protocol P   offer subprotocol P (repeatable, most preferred first)
  -H, --header K:V   add the request header K with value V (repeatable)
  -o, --origin O     send "Origin: O"
  -x, --execute MSG  send MSG instead of reading stdin (repeatable), then wait --wait
                     seconds for replies and close with 1000
  -w, --wait S       seconds to wait for replies after --execute (default ${DEFAULT_WAIT_SECONDS})
  --ca FILE          trust the PEM certificate(s) in FILE for wss://
  --no-check         do not verify the server's TLS certificate
  -h, --help         show this help

Exit status: 0 after a clean close (1000, 1001, no status, or the code given to /close),
1 when the connection fails or ends abnormally, 2 for bad usage.
`;

/** `wasmws connect`. */
export const connectCommand: Command = {
  summary: 'connect to a WebSocket server and relay stdin and stdout',
  usage: USAGE,
  run: (args, io) => runConnect(args, io, process.stdin),
};

/**
 * Runs `wasmws connect` with `input` as its stdin (tests pass a stream of their own).
 *
 * @returns the exit status.
 */
export async function runConnect(args: string[], io: CommandIO, input: Readable): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (error) {
    return usageError(io, (error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  if (positionals.length !== 1) return usageError(io, 'expected one URL');
  const url = positionals[0]!;
  const waitSeconds = values.wait === undefined ? DEFAULT_WAIT_SECONDS : Number(values.wait);
  if (values.wait !== undefined && !(/^\d+(\.\d+)?$/.test(values.wait) && Number.isFinite(waitSeconds))) {
    return usageError(io, `--wait must be a number of seconds, got ${values.wait}`);
  }
  const headers: HeaderList = [];
  for (const header of values.header ?? []) {
    const colon = header.indexOf(':');
    if (colon <= 0) return usageError(io, `--header must be NAME:VALUE, got ${JSON.stringify(header)}`);
    headers.push([header.slice(0, colon).trim(), header.slice(colon + 1).trim()]);
  }
  let ca: string | undefined;
  if (values.ca !== undefined) {
    try {
      ca = readFileSync(values.ca, 'utf8');
    } catch (error) {
      io.err(`wasmws connect: ${(error as Error).message}\n`);
      return EXIT_FAILURE;
    }
  }

  let requestedCode: number | undefined;
  let resolveClosed!: (outcome: { code: number; reason: string }) => void;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    resolveClosed = resolve;
  });
  const handler: Handler = {
    message: (_, data) => io.out(`< ${typeof data === 'string' ? data : binaryPreview(data)}\n`),
    ping: (_, data) => io.err(`* ping ${controlPreview(data)}\n`),
    pong: (_, data) => io.err(`* pong ${controlPreview(data)}\n`),
    error: (_, error) => io.err(`* error: ${error.message}\n`),
    close: (_, code, reason) => resolveClosed({ code, reason }),
  };

  let session: Session;
  try {
    session = await connect(url, handler, {
      protocols: values.protocol ?? [],
      headers,
      origin: values.origin,
      ca,
      rejectUnauthorized: values['no-check'] !== true,
    });
  } catch (error) {
    if (error instanceof ConnectError) {
      io.err(`wasmws connect: ${error.message} (${error.code})\n`);
      if (error.body !== undefined && error.body !== '') io.err(`${error.body.trimEnd()}\n`);
      return EXIT_FAILURE;
    }
    // A malformed header or subprotocol, caught by the handshake builder.
    return usageError(io, (error as Error).message);
  }
  io.err(`* connected to ${url}${session.protocol === '' ? '' : ` (protocol ${session.protocol})`}\n`);

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
  if (values.execute !== undefined) {
    for (const message of values.execute) session.send(message);
    const timer = setTimeout(() => closeWith(1000), waitSeconds * 1000);
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
  if (command === 'ping') {
    try {
      session.ping(rest);
    } catch (error) {
      io.err(`* ${(error as Error).message}\n`);
    }
  } else if (command === 'close') {
    const codeText = words[0];
    if (codeText !== undefined && codeText !== '' && !/^\d+$/.test(codeText)) {
      io.err(`* /close takes a numeric code, got ${codeText}\n`);
      return;
    }
    const code = codeText === undefined || codeText === '' ? 1000 : Number(codeText);
    closeWith(code, words.slice(1).join(' '));
  } else {
    io.err(`* unknown command /${command} (try /ping, /close, or // to send a line starting with /)\n`);
  }
}

function binaryPreview(data: Uint8Array): string {
  const hex = Buffer.from(data.subarray(0, HEX_PREVIEW_BYTES)).toString('hex');
  const more = data.length > HEX_PREVIEW_BYTES ? '…' : '';
  return `<binary ${data.length} bytes>${data.length === 0 ? '' : ` ${hex}${more}`}`;
}

/** Ping and pong payloads: text when they are printable UTF-8, hex otherwise. */
function controlPreview(data: Uint8Array): string {
  const text = Buffer.from(data).toString('utf8');
  return /^[\x20-\x7e\u00a0-\uffff]*$/.test(text) && !text.includes('\ufffd') ? text : binaryPreview(data);
}

function parse(args: string[]) {
  return parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: {
      protocol: { type: 'string', short: 'p', multiple: true },
      header: { type: 'string', short: 'H', multiple: true },
      origin: { type: 'string', short: 'o' },
      execute: { type: 'string', short: 'x', multiple: true },
      wait: { type: 'string', short: 'w' },
      ca: { type: 'string' },
      'no-check': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function usageError(io: CommandIO, message: string): number {
  io.err(`wasmws connect: ${message}\n\n${USAGE}`);
  return EXIT_USAGE;
}
