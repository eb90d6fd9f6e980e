// Why `wasmws connect` could not connect, said for a person: the ConnectError's message with
// OpenSSL's error-queue noise cut down to its reason, and a hint for the usual mistakes (wss://
// to a plain server, ws:// to a TLS one, an untrusted certificate).
import type { ConnectError } from '../client/connect-error.js';

/**
 * OpenSSL's error-queue format, after Node's `write EPROTO ` prefix:
 * `80BC…:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/…:350:`.
 */
const OPENSSL_ERROR = /(?:[a-z]+ )?(?:E[A-Z]+ )?[0-9A-F]+:error:[0-9A-F]+:[^:]*:[^:]*:([^:\n]+):[^\n]*\n?/;

/** What a TLS client hears when the server answered in plain text (an HTTP error or a 400). */
const PLAINTEXT_ANSWER = /wrong version number|packet length too long|http request|unknown protocol/i;

/** Certificate checks that --ca or --no-check would settle. */
const UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_UNTRUSTED',
]);

/**
 * Lines (without `wasmws connect: `) that explain a failed connection to `url` (with `--h2`
 * when `http2`).
 */
export function explainConnectFailure(error: ConnectError, url: string, http2 = false): string[] {
  const cause = error.cause as (Error & { code?: string }) | undefined;
  const message = error.message.replace(OPENSSL_ERROR, '$1').trimEnd();
  const lines = [`${message} (${error.code})`];
  const other = swapScheme(url);
  if (
    http2 &&
    !url.startsWith('wss://') &&
    (error.code === 'WS_ERR_HANDSHAKE_CLOSED' || error.code === 'WS_ERR_HANDSHAKE_MALFORMED')
  ) {
    // h2c with prior knowledge: a server without HTTP/2 on this port hangs up or answers HTTP/1.1.
    lines[0] = `${url} does not speak HTTP/2 on this port, so it takes no WebSocket over HTTP/2 (RFC 8441) (${error.code})`;
    lines.push('hint: leave out --h2 to use HTTP/1.1');
  } else if (error.code === 'WS_ERR_TLS') {
    if (cause !== undefined && PLAINTEXT_ANSWER.test(cause.message)) {
      lines[0] = `${message.replace(/failed: .*$/, 'failed: the answer is not TLS')} (${error.code})`;
      lines.push(`hint: the server answered without TLS; if it is a plain ws:// server, try ${other}`);
    } else if (cause?.code !== undefined && UNTRUSTED.has(cause.code)) {
      lines.push("hint: trust the server's certificate with --ca FILE, or skip the check with -n/--no-check");
    }
  } else if (error.code === 'WS_ERR_H2_NO_CONNECT_PROTOCOL') {
    lines.push('hint: this server does not take WebSockets over HTTP/2; leave out --h2 to use HTTP/1.1');
  } else if (
    url.startsWith('ws://') &&
    (error.code === 'WS_ERR_HANDSHAKE_CLOSED' || error.code === 'WS_ERR_HANDSHAKE_MALFORMED')
  ) {
    lines.push(`hint: if the server speaks TLS (wss://), try ${other}`);
  }
  if (error.body !== undefined && error.body !== '') lines.push(error.body.trimEnd());
  return lines;
}

function swapScheme(url: string): string {
  if (url.startsWith('wss://')) return `ws://${url.slice(6)}`;
  if (url.startsWith('ws://')) return `wss://${url.slice(5)}`;
  return url;
}
