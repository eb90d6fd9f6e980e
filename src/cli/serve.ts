// `wasmws serve`: an echo server on createServer. Text comes back as text, binary as binary,
// and the session echoes a close; SIGINT/SIGTERM closes every session with 1001 and exits 0.
import { parseArgs } from 'node:util';
import { DEFAULT_MAX_MESSAGE } from '../codec/frame-parser.js';
import { createServer } from '../server/create-server.js';
import type { ServerTlsOptions } from '../server/types.js';
import type { Handler } from '../session/types.js';
import {
  argumentProblem,
  type Command,
  type CommandIO,
  EXIT_FAILURE,
  EXIT_USAGE,
  UsageError,
} from './command.js';
import { checkKeyPair, readCertificates, readPrivateKey } from './tls-files.js';
import { MAX_WORKERS, parseWorkerCount, serveOnWorkers, withWorkersValue } from './workers.js';

const DEFAULT_HOST = '127.0.0.1';
const DEFAULT_PORT = 8080;

/** RFC 7230 §3.2.6 token: what a subprotocol name may be (RFC 6455 §4.1). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

const USAGE = `Usage: wasmws serve [options]

Runs a WebSocket echo server: text comes back as text, binary as binary, and a close is
echoed with its code. The first line on stdout is "wasmws listening on ws://HOST:PORT/"
("wss://" with TLS). SIGINT or SIGTERM closes every session with 1001 and exits 0.

Options:
  --host H             address to listen on (default ${DEFAULT_HOST})
  --port P             port to listen on; 0 picks a free one (default ${DEFAULT_PORT})
  --max-message BYTES  largest message; a larger one closes with 1009 (default ${DEFAULT_MAX_MESSAGE})
  --protocol P         accept subprotocol P (repeatable, most preferred first): the first
                       of these the client offers is chosen. Without it, or when the client
                       offers none of them, the answer names no subprotocol
  --tls-cert FILE      PEM certificate chain: serve wss:// (needs --tls-key)
  --tls-key FILE       PEM private key of --tls-cert
  --no-deflate         do not negotiate permessage-deflate (RFC 7692); by default a
                       client's offer is accepted and messages from 1 KiB up are compressed
  --h2                 also accept WebSockets over HTTP/2 (RFC 8441 extended CONNECT) on
                       the same port as HTTP/1.1 upgrades; needs --tls-cert and --tls-key
                       (ALPN picks the protocol). Other HTTP/2 requests get 405
  --workers [N]        run N worker processes (node:cluster) sharing the port; with no N
                       (or "auto"), one per core. Each worker prints "worker PID listening"
                       on stderr and closes its sessions with 1001 "worker PID shutting
                       down"; a worker that exits is replaced
  -h, --help           show this help

Exit status: 0 after SIGINT or SIGTERM, 1 when it cannot listen (e.g. the port is in use),
2 for bad usage (an unknown or malformed flag, an unreadable or wrong --tls-cert/--tls-key).
`;

const USAGE_HINT = 'Run "wasmws serve --help" for the options.\n';

/**
 * The echo: every message goes back as it came; reading pauses while the peer is slow to take
 * it. Serve it with `textAs: 'bytes'` so text goes back without being decoded and re-encoded.
 */
export const echoHandler: Handler = {
  message(session, data, isBinary) {
    // `send` is false when above the high-water mark (wait for drain) or once closing.
    if (!session.send(data, { binary: isBinary }) && session.state === 'open') session.pause();
  },
  drain(session) {
    session.resume();
  },
};

/** `wasmws serve`. */
export const serveCommand: Command = {
  summary: 'run a WebSocket echo server',
  usage: USAGE,
  run: serve,
};

async function serve(args: string[], io: CommandIO): Promise<number> {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(args).values;
  } catch (error) {
    return usageError(io, argumentProblem(error));
  }
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  const workers = values.workers === undefined ? undefined : parseWorkerCount(values.workers);
  if (workers === null) {
    return usageError(
      io,
      `--workers must be an integer from 1 to ${MAX_WORKERS} (or no value: one per core), got ${values.workers}`,
    );
  }

  const host = values.host ?? DEFAULT_HOST;
  if (host === '') return usageError(io, '--host must not be empty');
  const port = values.port === undefined ? DEFAULT_PORT : parseInteger(values.port);
  if (port === null || port > 65535)
    return usageError(io, `--port must be an integer from 0 to 65535, got ${values.port}`);
  const maxMessage = values['max-message'] === undefined ? undefined : parseInteger(values['max-message']);
  if (maxMessage === null || maxMessage === 0) {
    return usageError(io, `--max-message must be a positive integer, got ${values['max-message']}`);
  }
  const protocols = values.protocol ?? [];
  for (const protocol of protocols) {
    if (!TOKEN.test(protocol)) {
      return usageError(
        io,
        `--protocol ${JSON.stringify(protocol)} is not a subprotocol name (an HTTP token: letters, digits and !#$%&'*+-.^_\`|~)`,
      );
    }
  }
  if (new Set(protocols).size !== protocols.length) return usageError(io, '--protocol lists a name twice');
  let tls: ServerTlsOptions | undefined;
  try {
    tls = readTls(values['tls-cert'], values['tls-key']);
  } catch (error) {
    if (error instanceof UsageError) return usageError(io, error.message);
    throw error;
  }
  // Browsers and undici speak HTTP/2 only over TLS, and cleartext h2 would need prior knowledge.
  if (values.h2 === true && tls === undefined) return usageError(io, '--h2 needs --tls-cert and --tls-key');

  let server: ReturnType<typeof createServer>;
  try {
    server = createServer({
      host,
      port,
      tls,
      http2: values.h2 === true,
      handler: echoHandler,
      textAs: 'bytes',
      maxMessage,
      protocols,
      deflate: values['no-deflate'] !== true,
      onError: (error) => io.err(`wasmws serve: ${error.message}\n`),
    });
  } catch (error) {
    // Options the checks above let through; every one comes from the command line.
    return usageError(io, (error as Error).message);
  }
  if (workers !== undefined) return serveOnWorkers({ server, count: workers, args, io });
  const stopped = new Promise<void>((resolve) => io.onStop(() => resolve()));
  let url: string;
  try {
    url = (await server.listen()).url;
  } catch (error) {
    io.err(`wasmws serve: cannot listen on ${host}:${port}: ${(error as Error).message}\n`);
    return EXIT_FAILURE;
  }
  io.out(`wasmws listening on ${url}\n`);
  await stopped;
  // RFC 6455 §7.4.1: 1001, the endpoint is going away.
  await server.close(1001);
  return 0;
}

function parse(args: string[]) {
  return parseArgs({
    args: withWorkersValue(args),
    strict: true,
    allowPositionals: false,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'max-message': { type: 'string' },
      protocol: { type: 'string', multiple: true },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'no-deflate': { type: 'boolean' },
      h2: { type: 'boolean' },
      workers: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

/** The certificate chain and key of --tls-cert/--tls-key, checked to parse and to match. */
function readTls(certFile: string | undefined, keyFile: string | undefined): ServerTlsOptions | undefined {
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined)
    throw new UsageError('--tls-cert and --tls-key go together');
  const cert = readCertificates('--tls-cert', certFile);
  const key = readPrivateKey('--tls-key', keyFile);
  checkKeyPair(
    { flag: '--tls-cert', file: certFile, value: cert },
    { flag: '--tls-key', file: keyFile, value: key },
  );
  return { cert: cert.pem, key: key.pem };
}

/** A decimal integer within the safe range, or `null`. */
function parseInteger(text: string): number | null {
  if (!/^[0-9]+$/.test(text)) return null;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : null;
}

function usageError(io: CommandIO, message: string): number {
  io.err(`wasmws serve: ${message}\n${USAGE.slice(0, USAGE.indexOf('\n') + 1)}${USAGE_HINT}`);
  return EXIT_USAGE;
}
