// ws 8's checks of an upgrade request, in its order and with its answers, made before the
// engine's own handshake runs: a request ws refuses is refused the same way (status, body,
// `wsClientError`), and one it accepts reaches the engine. ws answers with a `text/html` body
// that is only the reason, then ends the socket.

import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { parseExtensions } from '../extensions/extensions-header.js';
import {
  acceptDeflateOffer,
  PERMESSAGE_DEFLATE,
  type ResolvedDeflateOptions,
} from '../extensions/permessage-deflate.js';
import { isToken } from '../handshake/http-token.js';

/** A refusal: status, reason (the body) and extra headers; `quiet` ones skip `wsClientError`. */
export interface WsRefusal {
  status: number;
  reason: string;
  headers?: Record<string, string>;
  quiet?: boolean;
}

// RFC 6455 §4.1 item 7: the key is 16 bytes in base64.
const KEY = /^[+/0-9A-Za-z]{22}==$/;

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/** ws's subprotocol list rule: comma-separated tokens, none repeated. */
function validProtocolList(header: string): boolean {
  const seen = new Set<string>();
  for (const part of header.split(',')) {
    const name = part.trim();
    if (!isToken(name) || seen.has(name)) return false;
    seen.add(name);
  }
  return true;
}

/**
 * What ws would answer to `req` before `verifyClient`, or null when it goes on. `pathMatches`
 * is the server's `shouldHandle`; `deflate` its permessage-deflate settings (null when off).
 */
export function checkUpgradeRequest(
  req: IncomingMessage,
  pathMatches: boolean,
  deflate: ResolvedDeflateOptions | null,
): WsRefusal | null {
  if (req.method !== 'GET') return { status: 405, reason: 'Invalid HTTP method' };
  const upgrade = headerValue(req.headers.upgrade);
  if (upgrade === undefined || upgrade.toLowerCase() !== 'websocket') {
    return { status: 400, reason: 'Invalid Upgrade header' };
  }
  const key = headerValue(req.headers['sec-websocket-key']);
  if (key === undefined || !KEY.test(key)) {
    return { status: 400, reason: 'Missing or invalid Sec-WebSocket-Key header' };
  }
  const version = Number(headerValue(req.headers['sec-websocket-version']));
  if (version !== 13 && version !== 8) {
    return {
      status: 400,
      reason: 'Missing or invalid Sec-WebSocket-Version header',
      headers: { 'Sec-WebSocket-Version': '13, 8' },
    };
  }
  if (!pathMatches) return { status: 400, reason: STATUS_CODES[400]!, quiet: true };
  const protocols = headerValue(req.headers['sec-websocket-protocol']);
  if (protocols !== undefined && !validProtocolList(protocols)) {
    return { status: 400, reason: 'Invalid Sec-WebSocket-Protocol header' };
  }
  const extensions = req.headers['sec-websocket-extensions'];
  if (deflate !== null && extensions !== undefined && !deflateOfferAcceptable(extensions, deflate)) {
    return { status: 400, reason: 'Invalid or unacceptable Sec-WebSocket-Extensions header' };
  }
  return null;
}

/** ws refuses a malformed header, and permessage-deflate offers none of which it can accept. */
function deflateOfferAcceptable(header: string | string[], deflate: ResolvedDeflateOptions): boolean {
  const answer = acceptDeflateOffer(header, deflate);
  if (!answer.ok) return false;
  if (answer.response !== null) return true;
  const parsed = parseExtensions(header);
  return parsed.ok && !parsed.extensions.some(({ name }) => name === PERMESSAGE_DEFLATE);
}

/** Writes ws's answer to a refused upgrade and closes the socket once it is written. */
export function refuseAsWs(socket: Duplex, refusal: WsRefusal): void {
  const lines = [
    `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status] ?? ''}`,
    'Connection: close',
    'Content-Type: text/html',
    `Content-Length: ${Buffer.byteLength(refusal.reason)}`,
  ];
  for (const [name, value] of Object.entries(refusal.headers ?? {})) lines.push(`${name}: ${value}`);
  socket.on('error', () => socket.destroy());
  socket.once('finish', () => socket.destroy());
  socket.end(`${lines.join('\r\n')}\r\n\r\n${refusal.reason}`);
}
