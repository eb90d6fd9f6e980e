// `wasmws connect`'s command line: its help, and the flags (ours and wscat's spellings) read
// with util.parseArgs and checked into a ConnectPlan. Every check that fails throws a
// UsageError naming the flag, so the command exits 2 before opening any socket.
import { Buffer } from 'node:buffer';
import { parseArgs } from 'node:util';
import type { ConnectOptions } from '../client/connect.js';
import { ConnectError } from '../client/connect-error.js';
import { parseWebSocketUrl } from '../client/websocket-url.js';
import type { HeaderList } from '../handshake/http1.js';
import { argumentProblem, UsageError } from './command.js';
import { checkKeyPair, readCertificates, readPrivateKey } from './tls-files.js';

/** Default `--wait`: seconds to wait for replies after `--execute` before closing. */
export const DEFAULT_WAIT_SECONDS = 2;

/** The only WebSocket protocol version (RFC 6455 §4.1: `Sec-WebSocket-Version: 13`). */
const PROTOCOL_VERSION = '13';

/** `wasmws connect --help`. */
export const CONNECT_USAGE = `Usage: wasmws connect URL [options]
       wasmws connect -c URL [options]

Connects to a WebSocket server (ws:// or wss://; a URL without a scheme gets ws://, as in
wscat). Each line read on stdin is sent as a text message; each message received is
printed on stdout as "< TEXT", or "< <binary N bytes> HEX" for binary ones. Status lines
(connected, closed, errors) go to stderr, starting with "* ". At the end of stdin (Ctrl+D)
or on Ctrl+C the connection is closed with 1000.

Commands on stdin:
  /binary HEX             send the bytes HEX (e.g. "/binary 01 02 ff") as a binary message
  /ping [DATA]            send a ping with DATA (text)
  /pong [DATA]            send an unsolicited pong with DATA (text)
  /close [CODE [REASON]]  close with CODE (default 1000) and REASON
  //TEXT                  send "/TEXT" as a text message

Options (wscat's spellings are the same unless noted):
  -c, --connect URL        the URL, as in wscat (or give it as the argument, as in websocat)
  -s, --subprotocol P      offer subprotocol P (repeatable, most preferred first)
  -H, --header K:V         add the request header K with value V (repeatable)
  -o, --origin O           send "Origin: O"
  --auth USER:PASS         send "Authorization: Basic" with USER:PASS
  -x, --execute MSG        send MSG instead of reading stdin (repeatable), then wait
                           --wait seconds for replies and close with 1000
  -w, --wait S             seconds to wait for replies after --execute (default ${DEFAULT_WAIT_SECONDS})
  -P, --show-ping-pong     print pings and pongs received, as "< ping DATA" and "< pong DATA"
                           on stdout (the pong to a ping is always sent, shown or not)
  --max-message BYTES      largest message accepted; a larger one closes with 1009
                           (default 64 MiB)
  --no-deflate             do not offer permessage-deflate (RFC 7692; offered by default)
  --h2                     open the WebSocket as an HTTP/2 stream (RFC 8441 extended CONNECT);
                           fails if the server's SETTINGS do not allow it
  --ca FILE                trust the PEM certificate(s) in FILE for wss://
  --cert FILE              send the PEM client certificate in FILE (needs --key)
  --key FILE               the PEM private key of --cert
  --passphrase PASS        decrypt --key with PASS
  -n, --no-check           do not verify the server's TLS certificate
  -p, --protocol-version V the WebSocket version; only 13 exists (RFC 6455). wscat's
                           -p/--protocol (also accepted) mean this too: to offer a
                           subprotocol, use -s
  --slash, --no-color      accepted for wscat: slash commands are always on, output has
                           no colors
  -h, --help               show this help

Exit status: 0 after a clean close (1000, 1001, no status, or the code given to /close);
1 when the connection fails (refused, DNS, TLS verification, handshake refused) or ends
abnormally; 2 for bad usage (an unknown or malformed flag, a bad URL or scheme, an
unreadable or wrong --ca, --cert or --key file).
`;

/** What `wasmws connect` will do, once its command line has been checked. */
export interface ConnectPlan {
  url: string;
  /** The options for `connect()`. */
  options: ConnectOptions;
  /** Messages to send instead of reading stdin (`--execute`), or `undefined`. */
  execute: string[] | undefined;
  /** Seconds to wait after `--execute` before closing. */
  waitSeconds: number;
  /** `--show-ping-pong`. */
  showPingPong: boolean;
}

/**
 * Reads `wasmws connect`'s arguments.
 *
 * @returns `'help'` for `--help`, or the checked plan.
 * @throws UsageError for anything that cannot be run as written.
 */
export function parseConnectArgs(args: string[]): ConnectPlan | 'help' {
  let parsed: ReturnType<typeof parseFlags>;
  try {
    parsed = parseFlags(args);
  } catch (error) {
    throw new UsageError(argumentProblem(error));
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';

  const urls = [...(values.connect === undefined ? [] : [values.connect]), ...positionals];
  if (urls.length !== 1) {
    throw new UsageError(urls.length === 0 ? 'expected one URL' : `expected one URL, got ${urls.join(' ')}`);
  }
  const url = withScheme(urls[0]!);
  let secure: boolean;
  try {
    secure = parseWebSocketUrl(url).secure;
  } catch (error) {
    if (error instanceof ConnectError) throw new UsageError(error.message);
    throw error;
  }

  for (const version of [values.protocol, values['protocol-version']]) {
    if (version !== undefined && version !== PROTOCOL_VERSION) {
      throw new UsageError(
        `-p/--protocol-version is the WebSocket protocol version, and only ${PROTOCOL_VERSION} exists (RFC 6455), got ${JSON.stringify(version)}; to offer a subprotocol, use -s/--subprotocol ${version}`,
      );
    }
  }

  const waitText = values.wait;
  if (waitText !== undefined && !/^\d+(\.\d+)?$/.test(waitText)) {
    throw new UsageError(`--wait must be a number of seconds, got ${JSON.stringify(waitText)}`);
  }
  const maxMessageText = values['max-message'];
  const maxMessage = maxMessageText === undefined ? undefined : Number(maxMessageText);
  if (
    maxMessageText !== undefined &&
    !(/^[0-9]+$/.test(maxMessageText) && Number.isSafeInteger(maxMessage) && maxMessage! > 0)
  ) {
    throw new UsageError(`--max-message must be a positive integer, got ${JSON.stringify(maxMessageText)}`);
  }

  const headers: HeaderList = [];
  for (const header of values.header ?? []) {
    const colon = header.indexOf(':');
    if (colon <= 0) throw new UsageError(`--header must be NAME:VALUE, got ${JSON.stringify(header)}`);
    headers.push([header.slice(0, colon).trim(), header.slice(colon + 1).trim()]);
  }
  if (values.auth !== undefined) {
    if (!values.auth.includes(':')) {
      throw new UsageError(`--auth must be USER:PASSWORD, got ${JSON.stringify(values.auth)}`);
    }
    if (headers.some(([name]) => name.toLowerCase() === 'authorization')) {
      throw new UsageError('--auth and --header Authorization both set the Authorization header: give one');
    }
    headers.push(['Authorization', `Basic ${Buffer.from(values.auth, 'utf8').toString('base64')}`]);
  }

  const tlsFlags = (['ca', 'cert', 'key', 'passphrase', 'no-check'] as const).filter(
    (name) => values[name] !== undefined,
  );
  if (!secure && tlsFlags.length > 0) {
    throw new UsageError(
      `${tlsFlags.map((name) => `--${name}`).join(', ')}: TLS options, but ${url} is not a wss:// URL`,
    );
  }
  const options: ConnectOptions = {
    protocols: values.subprotocol ?? [],
    headers,
    origin: values.origin,
    rejectUnauthorized: values['no-check'] !== true,
    maxMessage,
    deflate: values['no-deflate'] !== true,
    http2: values.h2 === true,
    ...clientTls(values.ca, values.cert, values.key, values.passphrase),
  };
  return {
    url,
    options,
    execute: values.execute,
    waitSeconds: waitText === undefined ? DEFAULT_WAIT_SECONDS : Number(waitText),
    showPingPong: values['show-ping-pong'] === true,
  };
}

/** wscat's habit: `localhost:8080/feed` means `ws://localhost:8080/feed`. */
function withScheme(url: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `ws://${url}`;
}

/** The PEM material of --ca, --cert, --key and --passphrase, read and checked. */
function clientTls(
  caFile: string | undefined,
  certFile: string | undefined,
  keyFile: string | undefined,
  passphrase: string | undefined,
): Pick<ConnectOptions, 'ca' | 'cert' | 'key' | 'passphrase'> {
  if ((certFile === undefined) !== (keyFile === undefined))
    throw new UsageError('--cert and --key go together');
  if (passphrase !== undefined && keyFile === undefined) throw new UsageError('--passphrase needs --key');
  const tls: Pick<ConnectOptions, 'ca' | 'cert' | 'key' | 'passphrase'> = {};
  if (caFile !== undefined) tls.ca = readCertificates('--ca', caFile).pem;
  if (certFile !== undefined && keyFile !== undefined) {
    const cert = readCertificates('--cert', certFile);
    const key = readPrivateKey('--key', keyFile, passphrase);
    checkKeyPair(
      { flag: '--cert', file: certFile, value: cert },
      { flag: '--key', file: keyFile, value: key },
    );
    tls.cert = cert.pem;
    tls.key = key.pem;
    if (passphrase !== undefined) tls.passphrase = passphrase;
  }
  return tls;
}

function parseFlags(args: string[]) {
  return parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: {
      connect: { type: 'string', short: 'c' },
      subprotocol: { type: 'string', short: 's', multiple: true },
      header: { type: 'string', short: 'H', multiple: true },
      origin: { type: 'string', short: 'o' },
      auth: { type: 'string' },
      execute: { type: 'string', short: 'x', multiple: true },
      wait: { type: 'string', short: 'w' },
      'show-ping-pong': { type: 'boolean', short: 'P' },
      'max-message': { type: 'string' },
      ca: { type: 'string' },
      cert: { type: 'string' },
      key: { type: 'string' },
      passphrase: { type: 'string' },
      'no-check': { type: 'boolean', short: 'n' },
      'no-deflate': { type: 'boolean' },
      h2: { type: 'boolean' },
      protocol: { type: 'string', short: 'p' },
      'protocol-version': { type: 'string' },
      slash: { type: 'boolean' },
      'no-color': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
