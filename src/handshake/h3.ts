/**
 * The WebSocket opening handshake over HTTP/3 (RFC 9220). RFC 9220 §3 keeps RFC 8441's
 * pseudo-header and setting semantics unchanged, so these are the HTTP/2 helpers of `h2.ts` under
 * HTTP/3 names; only the stack around them differs.
 *
 * ## What an embedder's HTTP/3 stack must do
 * Node has no HTTP/3, so these helpers only read and build header fields; the QUIC/HTTP/3 library
 * you bring must do the rest:
 * 1. **Server: advertise.** Send SETTINGS_ENABLE_CONNECT_PROTOCOL ({@link H3_SETTINGS_ENABLE_CONNECT_PROTOCOL},
 *    0x08) with value 1 on the control stream. Never send 0 after 1.
 * 2. **Client: wait for it.** Do not send an extended CONNECT until the server's SETTINGS arrived
 *    with that setting at 1 ({@link h3PeerAllowsExtendedConnect}); check each received value with
 *    `checkEnableConnectProtocolSetting` (a failure is the connection error H3_SETTINGS_ERROR).
 *    Without the setting, fall back to HTTP/1.1 or HTTP/2.
 * 3. **Server: refuse `:protocol` without the setting.** If the server did not send the setting,
 *    a request carrying `:protocol` is malformed (H3_MESSAGE_ERROR), before these helpers see it.
 * 4. **Handshake on one request stream.** Decode the QPACK header section into a lower-case map,
 *    pass it to {@link validateH3ConnectRequest}, answer with the HEADERS of
 *    {@link buildH3ConnectResponse} (or the rejection's status and headers, then FIN); the client
 *    checks the answer with {@link validateH3ConnectResponse}.
 * 5. **Map the stream to a `Transport`.** After the 2xx, the WebSocket bytes travel as the
 *    payload of HTTP/3 DATA frames on that bidirectional stream, in both directions: strip and add
 *    the DATA framing, hand the payload to the session and write its output as DATA frames. Use the
 *    stream's flow control for backpressure. No HTTP DATAGRAM, capsule or WebTransport is involved.
 * 6. **Close through the stream.** An orderly TCP close of RFC 6455 is the stream's FIN (RFC 9114
 *    §4.4): end the transport with FIN after the close frames, and treat a received FIN as EOF. A TCP
 *    RST is a stream error H3_REQUEST_CANCELLED (0x010c): reset the stream with it to abort, and
 *    treat a received reset as an abrupt close (1006).
 * 7. **Headers.** Lower-case names; no `connection`, `upgrade`, `keep-alive`, `proxy-connection`,
 *    `transfer-encoding` or `sec-websocket-key`/`accept` (RFC 9114 §4.2, RFC 8441 §5).
 */

import {
  buildConnectRequest,
  buildConnectResponse,
  type ConnectRequestOptions,
  type ConnectRequestResult,
  type ConnectRequestRules,
  type ConnectResponseHeaders,
  type ConnectResponseOptions,
  type ConnectResponseResult,
  type OfferedConnect,
  validateConnectRequest,
  validateConnectResponse,
} from './h2.js';
import type { HeaderList, HeaderMap } from './headers.js';

/**
 * The HTTP/3 identifier of SETTINGS_ENABLE_CONNECT_PROTOCOL: 0x08, as in HTTP/2 (RFC 9220 §3,
 * registered separately in the HTTP/3 settings registry as RFC 9114 Appendix A.3 requires).
 */
export const H3_SETTINGS_ENABLE_CONNECT_PROTOCOL = 0x08;

/** The stream error an HTTP/3 endpoint uses where RFC 6455 would reset TCP (RFC 9220 §3). */
export const H3_REQUEST_CANCELLED = 0x010c;

/**
 * Tells whether a peer's HTTP/3 SETTINGS allow this client to open a WebSocket with extended
 * CONNECT: true only once SETTINGS_ENABLE_CONNECT_PROTOCOL was received with value 1 (RFC 9220 §3,
 * RFC 8441 §3). Before the peer's SETTINGS frame arrives, the answer is `false`.
 *
 * @param settings - the peer's settings as a map from identifier to value (how HTTP/3 stacks
 * usually hold the SETTINGS frame), or an object with `enableConnectProtocol`.
 */
export function h3PeerAllowsExtendedConnect(
  settings: ReadonlyMap<number | bigint, number | bigint> | { enableConnectProtocol?: boolean | undefined },
): boolean {
  if (!(settings instanceof Map)) {
    return (settings as { enableConnectProtocol?: boolean }).enableConnectProtocol === true;
  }
  const value =
    settings.get(H3_SETTINGS_ENABLE_CONNECT_PROTOCOL) ??
    settings.get(BigInt(H3_SETTINGS_ENABLE_CONNECT_PROTOCOL));
  return value === 1 || value === 1n;
}

/**
 * Validates an extended CONNECT request for a WebSocket over HTTP/3 (RFC 9220 §3): the rules and
 * statuses of `validateConnectRequest` (400 malformed, 405 not CONNECT, 501 not `websocket` as
 * RFC 9220 §3 asks), with connection-specific fields malformed per RFC 9114 §4.2.
 *
 * @param headers - the decoded header section, pseudo-headers included, lower-case names.
 * @param rules - as `validateConnectRequest`'s.
 */
export function validateH3ConnectRequest(
  headers: HeaderMap,
  rules: ConnectRequestRules = {},
): ConnectRequestResult {
  return validateConnectRequest(headers, rules);
}

/**
 * Builds the HEADERS of the server's answer to an accepted HTTP/3 extended CONNECT: `:status 200`
 * and the selected subprotocol and extensions, as `buildConnectResponse`.
 *
 * @throws TypeError as `buildConnectResponse`.
 */
export function buildH3ConnectResponse(options: ConnectResponseOptions = {}): HeaderList {
  return buildConnectResponse(options);
}

/**
 * Builds the client's HTTP/3 extended CONNECT request (pseudo-headers first), as
 * `buildConnectRequest`. Send it only once {@link h3PeerAllowsExtendedConnect} is true.
 *
 * @throws TypeError as `buildConnectRequest`.
 */
export function buildH3ConnectRequest(options: ConnectRequestOptions): HeaderList {
  return buildConnectRequest(options);
}

/**
 * Checks the server's answer to an HTTP/3 extended CONNECT: any 2xx succeeds, and the subprotocol
 * and extension rules of `validateConnectResponse` apply.
 *
 * @param headers - the decoded response header section, `:status` included.
 * @param offered - what the client sent.
 */
export function validateH3ConnectResponse(
  headers: ConnectResponseHeaders,
  offered: OfferedConnect,
): ConnectResponseResult {
  return validateConnectResponse(headers, offered);
}
