// The client-library load generators: ws's WebSocket (the client most deployments meet) and
// wasmws's `connect` (over HTTP/1.1 or, for the h2 rows, as streams of one HTTP/2 session).
// Each connection keeps `inFlight` messages out, one send per echo received, messages taken
// in turn from a pool (distinct JSON documents for deflate); every echo's type and length are
// checked and every `fullCheckEvery`-th compared byte for byte with what was sent and digested.
// Each library is imported on first use, so a process loads only the one it drives.
import type { Driven, EchoGroup } from './wire.js';

/** Which client library drives a group. */
export type LinkKind = 'ws' | 'wasmws';

/** How a client connects: deflate offered, over HTTP/2 (wasmws), and the CA of a `wss://` server. */
export interface LinkOptions {
  deflate: boolean;
  http2?: boolean;
  ca?: string;
}

/** ws's and our default threshold: messages from 1 KiB up are compressed. */
const DEFLATE_THRESHOLD = 1024;

interface Link {
  send(message: Buffer | string): void;
  extensions: string;
  close(): void;
}

async function openWs(url: string, options: LinkOptions, events: LinkEvents): Promise<Link> {
  const { WebSocket } = await import('ws');
  const socket = new WebSocket(url, {
    perMessageDeflate: options.deflate ? { threshold: DEFLATE_THRESHOLD } : false,
    ca: options.ca,
  });
  let closing = false;
  await new Promise<void>((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  socket.on('error', (error) => events.failed(`ws client error: ${error.message}`));
  socket.on('close', (code) => {
    if (!closing) events.failed(`closed by the server (${code})`);
  });
  socket.on('message', (data, isBinary) => events.echo(data as Buffer, isBinary));
  return {
    send: (message) => socket.send(message),
    extensions: socket.extensions,
    close() {
      closing = true;
      socket.terminate();
    },
  };
}

async function openWasmws(url: string, options: LinkOptions, events: LinkEvents): Promise<Link> {
  const { connect } = await import('../client/index.js');
  let closing = false;
  const session = await connect(
    url,
    {
      message: (_session, data, isBinary) => events.echo(data, isBinary),
      error: (_session, error) => events.failed(`wasmws client error: ${error.message}`),
      close: (_session, code) => {
        if (!closing) events.failed(`closed by the server (${code})`);
      },
    },
    { deflate: options.deflate, http2: options.http2 ?? false, ca: options.ca },
  );
  return {
    extensions: session.extensions,
    // Above the high-water mark `send` still queues; `inFlight` bounds the queue.
    send: (message) => void session.send(message),
    close() {
      closing = true;
      session.terminate();
    },
  };
}

interface LinkEvents {
  echo(data: Uint8Array | string, isBinary: boolean): void;
  failed(reason: string): void;
}

/** One client-library connection of a group, keeping `group.inFlight` messages out. */
export async function openLink(
  kind: LinkKind,
  url: string,
  options: LinkOptions,
  group: EchoGroup,
  pool: readonly Buffer[],
  binary: boolean,
): Promise<Driven> {
  // What each library sends for text: a string, converted by the library itself.
  const messages: (Buffer | string)[] = pool.map((m) => (binary ? m : m.toString()));
  let sending = false;
  let failed = false;
  let outstanding = 0;
  let nextSeq = 0;
  let expectedSeq = 0;
  let link: Link | undefined;
  const fail = (reason: string) => {
    if (failed) return;
    failed = true;
    sending = false;
    group.outstanding -= outstanding;
    outstanding = 0;
    group.fail(reason);
  };
  const send = () => {
    group.budget--;
    group.sent++;
    group.outstanding++;
    outstanding++;
    link!.send(messages[nextSeq++ % messages.length]);
  };
  const fill = () => {
    while (sending && !failed && outstanding < group.inFlight && group.budget > 0) send();
  };
  const echo = (data: Uint8Array | string, isBinary: boolean) => {
    if (failed) return;
    const sent = pool[expectedSeq % pool.length];
    const bytes =
      typeof data === 'string' ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.length);
    if (isBinary !== binary) return fail(`echo is ${isBinary ? 'binary' : 'text'}`);
    if (bytes.length !== sent.length) return fail(`echo of ${bytes.length} bytes, expected ${sent.length}`);
    if (outstanding === 0) return fail('echo of a message that was not sent');
    if (++expectedSeq % group.fullCheckEvery === 0) {
      if (!bytes.equals(sent)) return fail(`echo #${expectedSeq - 1} differs from what was sent`);
      group.fullChecks++;
      group.received.add(bytes);
      group.expected.add(sent);
    }
    outstanding--;
    group.outstanding--;
    group.echoes++;
    fill();
  };
  link = await (kind === 'ws' ? openWs : openWasmws)(url, options, { echo, failed: fail });
  // RFC 7692 §5: a server may decline; then the row would measure plain frames.
  if (link.extensions.includes('permessage-deflate') !== options.deflate) {
    fail(options.deflate ? 'permessage-deflate not negotiated' : `extensions negotiated: ${link.extensions}`);
  }
  return {
    start() {
      sending = true;
      fill();
    },
    stop() {
      sending = false;
    },
    close() {
      link?.close();
    },
  };
}
