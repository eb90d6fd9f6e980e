/**
 * The WebSocket opening handshake over HTTP/2 (RFC 8441): the server validates an extended CONNECT
 * request and builds its 200 answer; the client builds the request and checks the answer; both read
 * the SETTINGS_ENABLE_CONNECT_PROTOCOL rule. No `Sec-WebSocket-Key`/`Accept` pair: RFC 8441 §5 lets
 * the `:protocol` pseudo-header do that job.
 *
 * Header maps come in (lower-case names, like node's `http2` headers objects; a repeated field may
 * be an array); header lists go out, pseudo-headers first, all names lower-case (RFC 9113 §8.2.1).
 * Nothing a peer sends throws: it becomes `{ ok: false, ... }`. Bad arguments from our caller throw
 * `TypeError`. HTTP/3 (RFC 9220) uses the same rules through `h3.ts`.
 */

import { parseExtensions } from '../extensions/extensions-header.js';
import { computeAccept, isWellFormedKey, WEBSOCKET_VERSION } from './accept.js';
import {
  checkedExtraHeaders,
  type HeaderList,
  type HeaderMap,
  joinedHeader,
  parseTokenList,
  singleHeader,
  validateHeaderValue,
} from './headers.js';
import { isToken } from './http-token.js';
import type { HandshakeErrorCode } from './http1-client.js';

/**
 * The identifier of SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441 §3), 0x08. A server sends it with
 * value 1 to let clients use extended CONNECT; node's `http2` sends it for `enableConnectProtocol`.
 */
export const SETTINGS_ENABLE_CONNECT_PROTOCOL = 0x08;

/**
 * Tells whether a peer's SETTINGS allow this client to open a WebSocket with extended CONNECT.
 *
 * RFC 8441 §3: a client MUST NOT send a `:protocol` pseudo-header before it has received
 * SETTINGS_ENABLE_CONNECT_PROTOCOL with value 1, so `false` until then (absent included). Once a
 * peer sent 1 it may not send 0 again, so the answer does not flip back on a conforming peer.
 *
 * @param settings - the peer's settings as received, e.g. node's `session.remoteSettings`.
 */
export function peerAllowsExtendedConnect(settings: {
  enableConnectProtocol?: boolean | undefined;
}): boolean {
  return settings.enableConnectProtocol === true;
}

/** The result of {@link checkEnableConnectProtocolSetting}. */
export type EnableConnectProtocolSettingResult =
  | { ok: true; enabled: boolean }
  | { ok: false; reason: string };

/**
 * Checks one received SETTINGS_ENABLE_CONNECT_PROTOCOL value, for stacks that parse SETTINGS
 * themselves (node's `http2` does this for HTTP/2; an HTTP/3 stack may not). A failure is a
 * connection error: PROTOCOL_ERROR in HTTP/2, H3_SETTINGS_ERROR in HTTP/3.
 *
 * @param value - the value received.
 * @param previous - the value the peer sent before on this connection, if any.
 */
export function checkEnableConnectProtocolSetting(
  value: number | bigint,
  previous?: number | bigint | undefined,
): EnableConnectProtocolSettingResult {
  // RFC 8441 §3: only 0 and 1 are defined; anything else is a PROTOCOL_ERROR.
  if (value !== 0 && value !== 1 && value !== 0n && value !== 1n) {
    return { ok: false, reason: `SETTINGS_ENABLE_CONNECT_PROTOCOL must be 0 or 1, got ${value}` };
  }
  const enabled = value === 1 || value === 1n;
  // RFC 8441 §3: a sender MUST NOT send 0 after previously sending 1.
  if (!enabled && (previous === 1 || previous === 1n)) {
    return { ok: false, reason: 'SETTINGS_ENABLE_CONNECT_PROTOCOL went from 1 back to 0' };
  }
  return { ok: true, enabled };
}

/** A valid extended CONNECT request for a WebSocket, reduced to what the server needs. */
export interface AcceptedConnectRequest {
  ok: true;
  /** `:path`: the WebSocket URI's path and query. */
  path: string;
  /** `:authority`: the WebSocket URI's authority. */
  authority: string;
  /** `:scheme`: `https` for a `wss:` URI, `http` for `ws:`. */
  scheme: string;
  /** The subprotocols the client offers, in its order; empty if none. */
  protocols: string[];
  /** The raw `sec-websocket-extensions` value (repeated fields joined with `, `), or `''`. */
  extensions: string;
  /** The `origin` header, if any (browsers always send it). */
  origin?: string;
  /**
   * A well-formed `sec-websocket-key`, only with `{ tolerateKey: true }`: answer it with
   * `buildConnectResponse({ acceptKey })` for clients (undici 7-8) that check the accept over HTTP/2.
   */
  key?: string;
}

/** How strictly {@link validateConnectRequest} reads the request. */
export interface ConnectRequestRules {
  /**
   * Accept a `sec-websocket-key` instead of answering 400. RFC 8441 §5 says the key and accept are
   * not processed over HTTP/2, and strict validation rejects the key; undici still sends one and
   * fails the WebSocket unless the 200 carries its accept value. Default: false.
   */
  tolerateKey?: boolean | undefined;
}

/** A rejected extended CONNECT request: the status and headers to answer with, and the rule broken. */
export interface RejectedConnectRequest {
  ok: false;
  /**
   * 400 for a malformed request (a missing or repeated pseudo-header, a connection-specific field,
   * a `sec-websocket-key`, a wrong `sec-websocket-version`); 405 for a method other than CONNECT
   * (with `allow: CONNECT`); 501 for a CONNECT that is not for `websocket` (another `:protocol`, or
   * a plain CONNECT tunnel request without one).
   */
  status: 400 | 405 | 501;
  /** Names the rule that failed, e.g. `:path is required`. */
  reason: string;
  /** Headers the answer must carry: `allow` for 405, `sec-websocket-version` for a version mismatch. */
  headers: HeaderList;
}

/** The result of {@link validateConnectRequest}. */
export type ConnectRequestResult = AcceptedConnectRequest | RejectedConnectRequest;

/**
 * Header fields that are malformed in an HTTP/2 (RFC 9113 §8.2.2) or HTTP/3 (RFC 9114 §4.2)
 * message, plus `sec-websocket-key`, whose job `:protocol` took over (RFC 8441 §5). `te` is checked
 * apart: it may be `trailers`.
 */
const CONNECTION_SPECIFIC_FIELDS = [
  'connection',
  'upgrade',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
];
const FORBIDDEN_REQUEST_FIELDS = [...CONNECTION_SPECIFIC_FIELDS, 'sec-websocket-key'];

/**
 * Validates an extended CONNECT request for a WebSocket (RFC 8441 §4-5; RFC 9220 §3 for HTTP/3).
 *
 * Rules, in order, the first failure reported: `:method` CONNECT (405 with `allow: CONNECT`
 * otherwise, 400 if a non-CONNECT carries `:protocol`); `:protocol` present (501: a plain CONNECT
 * asks for a tunnel, which a WebSocket endpoint does not serve) and `websocket` (501, RFC 9220 §3);
 * `:scheme` (`http` or `https`), `:path` (origin-form) and `:authority` (no userinfo) present once
 * each; `host`, if present, equal to `:authority`; no connection-specific field and no
 * `sec-websocket-key`; `sec-websocket-version` exactly `13` (400 with `sec-websocket-version: 13`);
 * `sec-websocket-protocol` a list of tokens. Every other failure is 400. Extensions come back raw
 * for the negotiator.
 *
 * A `:protocol` on a connection where the server did not send SETTINGS_ENABLE_CONNECT_PROTOCOL=1 is
 * a stream error the HTTP/2 stack reports (RFC 8441 §3); this function does not see SETTINGS.
 *
 * @param headers - the request's header map, pseudo-headers included.
 */
export function validateConnectRequest(
  headers: HeaderMap,
  rules: ConnectRequestRules = {},
): ConnectRequestResult {
  const method = singleHeader(headers, ':method');
  const protocol = singleHeader(headers, ':protocol');

  if (method !== 'CONNECT') {
    // RFC 8441 §4: :protocol belongs to CONNECT only; elsewhere the request is malformed.
    if (protocol !== undefined) return reject(400, ':protocol is only allowed with :method CONNECT');
    return reject(405, ':method must be CONNECT', [['allow', 'CONNECT']]);
  }

  // RFC 8441 §4: without :protocol this is a plain CONNECT (RFC 9113 §8.5), a tunnel to :authority.
  if (protocol === undefined) return reject(501, 'A CONNECT without :protocol is not served here');
  if (protocol === null) return reject(400, ':protocol must appear once');
  // RFC 8441 §5: the value MUST be "websocket". RFC 9220 §3: an unsupported :protocol SHOULD get 501.
  if (protocol !== 'websocket') {
    return reject(501, `:protocol ${JSON.stringify(protocol)} is not supported: use websocket`);
  }

  // RFC 8441 §4: an extended CONNECT MUST carry :scheme and :path (and :authority, RFC 9113 §8.3.1).
  const scheme = singleHeader(headers, ':scheme');
  const path = singleHeader(headers, ':path');
  const authority = singleHeader(headers, ':authority');
  for (const [name, value] of [
    [':scheme', scheme],
    [':path', path],
    [':authority', authority],
  ] as const) {
    if (value === null) return reject(400, `${name} must appear once`);
    if (value === undefined || value === '') return reject(400, `${name} is required`);
  }
  // RFC 8441 §5: :scheme is https for wss URIs and http for ws URIs.
  if (scheme !== 'https' && scheme !== 'http') return reject(400, ':scheme must be https or http');
  // RFC 9113 §8.3.1: an http(s) :path is origin-form, path and query.
  if (!path!.startsWith('/')) return reject(400, ':path must start with /');
  // RFC 9113 §8.3.1: :authority MUST NOT include the deprecated userinfo.
  if (authority!.includes('@')) return reject(400, ':authority must not include userinfo');
  // RFC 9113 §8.3.1: a host that differs from :authority makes the request malformed.
  const host = singleHeader(headers, 'host');
  if (host !== undefined && host !== authority) return reject(400, 'host must match :authority');

  // RFC 9113 §8.2.2, RFC 9114 §4.2: connection-specific fields make a message malformed.
  // RFC 8441 §5: the Sec-WebSocket-Key/Accept processing of RFC 6455 is not done over HTTP/2.
  const forbidden = rules.tolerateKey === true ? CONNECTION_SPECIFIC_FIELDS : FORBIDDEN_REQUEST_FIELDS;
  for (const name of forbidden) {
    if (headers[name] !== undefined) return reject(400, `${name} is not allowed in an extended CONNECT`);
  }
  // RFC 9113 §8.2.2: te may only be "trailers".
  const te = headers['te'];
  if (te !== undefined && singleHeader(headers, 'te')?.toLowerCase() !== 'trailers') {
    return reject(400, 'te may only be trailers');
  }

  // RFC 8441 §5 with RFC 6455 §4.4: a version we do not speak gets 400 naming the one we do.
  if (singleHeader(headers, 'sec-websocket-version') !== WEBSOCKET_VERSION) {
    return reject(400, 'sec-websocket-version must be 13', [['sec-websocket-version', WEBSOCKET_VERSION]]);
  }

  // RFC 6455 §4.1 item 10, used unchanged by RFC 8441 §5: subprotocols are tokens.
  const protocols = parseTokenList(headers['sec-websocket-protocol']);
  if (protocols === null) return reject(400, 'sec-websocket-protocol must be a list of tokens');

  const accepted: AcceptedConnectRequest = {
    ok: true,
    path: path!,
    authority: authority!,
    scheme,
    protocols,
    extensions: joinedHeader(headers['sec-websocket-extensions']),
  };
  const origin = singleHeader(headers, 'origin');
  if (typeof origin === 'string') accepted.origin = origin;
  const key = singleHeader(headers, 'sec-websocket-key');
  // A malformed key is ignored rather than refused: over HTTP/2 it proves nothing either way.
  if (rules.tolerateKey === true && typeof key === 'string' && isWellFormedKey(key)) accepted.key = key;
  return accepted;
}

/** What the server puts into its 200 answer. */
export interface ConnectResponseOptions {
  /** The selected subprotocol (see `selectSubprotocol`); omitted or `undefined` for none. */
  protocol?: string | undefined;
  /** The negotiated `sec-websocket-extensions` value; omitted or `''` for none. */
  extensions?: string | undefined;
  /** A tolerated request's `key`: adds its `sec-websocket-accept` (not used by RFC 8441, see `tolerateKey`). */
  acceptKey?: string | undefined;
  /** Extra headers, appended after the handshake's own; lower-case names, no connection-specific field. */
  headers?: HeaderList | undefined;
}

const HANDSHAKE_RESPONSE_FIELDS = [
  'sec-websocket-protocol',
  'sec-websocket-extensions',
  'sec-websocket-accept',
  ...FORBIDDEN_REQUEST_FIELDS,
  'te',
];

/**
 * Builds the server's answer to an accepted extended CONNECT (RFC 8441 §5): `:status 200`, then
 * `sec-websocket-protocol` and `sec-websocket-extensions` if set, then the extra headers. There is
 * no `sec-websocket-accept` unless `acceptKey` asks for one. With node's `http2`: `stream.respond(Object.fromEntries(list))`.
 *
 * @throws TypeError if the protocol is not a token, or an extra header is invalid, not lower-case,
 * connection-specific, or one of the handshake's own.
 */
export function buildConnectResponse(options: ConnectResponseOptions = {}): HeaderList {
  const { protocol, extensions, acceptKey, headers = [] } = options;
  const list: HeaderList = [[':status', '200']];
  if (acceptKey !== undefined) {
    if (!isWellFormedKey(acceptKey)) throw new TypeError('acceptKey is not a well-formed sec-websocket-key');
    list.push(['sec-websocket-accept', computeAccept(acceptKey)]);
  }
  if (protocol !== undefined) {
    if (!isToken(protocol)) throw new TypeError(`Subprotocol ${JSON.stringify(protocol)} is not a token`);
    list.push(['sec-websocket-protocol', protocol]);
  }
  if (extensions !== undefined && extensions !== '') {
    validateHeaderValue('sec-websocket-extensions', extensions);
    list.push(['sec-websocket-extensions', extensions]);
  }
  return list.concat(checkedH2Headers(headers, HANDSHAKE_RESPONSE_FIELDS));
}

/** What the client puts into its extended CONNECT request. */
export interface ConnectRequestOptions {
  /** `:authority`: host, with `:port` unless it is the scheme's default; no userinfo. */
  authority: string;
  /** `:path`: path and query, starting with `/`. */
  path: string;
  /** `:scheme`: `https` for `wss:`, `http` for `ws:` (RFC 8441 §5). */
  scheme: 'https' | 'http';
  /** Subprotocols to offer, in order of preference; tokens without duplicates. Default: none. */
  protocols?: readonly string[] | undefined;
  /** The `sec-websocket-extensions` offer (see `serializeExtensions`). Default: none. */
  extensions?: string | undefined;
  /** The `origin` header; browsers send it, other clients may not. Default: none. */
  origin?: string | undefined;
  /** Extra headers, appended after the handshake's own; lower-case names, no connection-specific field. */
  headers?: HeaderList | undefined;
}

const HANDSHAKE_REQUEST_FIELDS = [
  'host',
  'sec-websocket-version',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
  'origin',
  ...FORBIDDEN_REQUEST_FIELDS,
  'te',
];

// :path in origin-form: no whitespace or control characters.
const INVALID_PATH_CHAR = /[^\x21-\x7e\x80-\xff]/;

/**
 * Builds the client's extended CONNECT request (RFC 8441 §4-5): `:method CONNECT`,
 * `:protocol websocket`, `:scheme`, `:path`, `:authority`, then `sec-websocket-version: 13`,
 * `sec-websocket-protocol`, `sec-websocket-extensions`, `origin` as set, then the extra headers.
 * Send it only once {@link peerAllowsExtendedConnect} is true. With node's `http2`:
 * `session.request(Object.fromEntries(list))`.
 *
 * @throws TypeError if the scheme, authority or path is malformed, a protocol is not a token or is
 * repeated, or a header is invalid, not lower-case, connection-specific, or one of the handshake's own.
 */
export function buildConnectRequest(options: ConnectRequestOptions): HeaderList {
  const { authority, path, scheme, protocols = [], extensions, origin, headers = [] } = options;
  if (scheme !== 'https' && scheme !== 'http') {
    throw new TypeError(`Scheme must be https or http, got ${JSON.stringify(scheme)}`);
  }
  if (typeof authority !== 'string' || authority === '' || /[\s/@]/.test(authority)) {
    throw new TypeError(`Invalid authority ${JSON.stringify(authority)}`);
  }
  validateHeaderValue(':authority', authority);
  if (typeof path !== 'string' || !path.startsWith('/') || INVALID_PATH_CHAR.test(path)) {
    throw new TypeError(`Invalid path ${JSON.stringify(path)}`);
  }

  const list: HeaderList = [
    [':method', 'CONNECT'],
    [':protocol', 'websocket'],
    [':scheme', scheme],
    [':path', path],
    [':authority', authority],
    ['sec-websocket-version', WEBSOCKET_VERSION],
  ];
  if (protocols.length > 0) {
    // RFC 6455 §4.1 item 10: unique tokens.
    for (const protocol of protocols) {
      if (!isToken(protocol)) throw new TypeError(`Subprotocol ${JSON.stringify(protocol)} is not a token`);
    }
    if (new Set(protocols).size !== protocols.length) throw new TypeError('Subprotocols must be unique');
    list.push(['sec-websocket-protocol', protocols.join(', ')]);
  }
  if (extensions !== undefined && extensions !== '') {
    validateHeaderValue('sec-websocket-extensions', extensions);
    list.push(['sec-websocket-extensions', extensions]);
  }
  if (origin !== undefined) {
    validateHeaderValue('origin', origin);
    list.push(['origin', origin]);
  }
  return list.concat(checkedH2Headers(headers, HANDSHAKE_REQUEST_FIELDS));
}

/**
 * A response header map as an HTTP/2 or HTTP/3 stack hands it over; node's `http2` gives `:status`
 * as a number.
 */
export type ConnectResponseHeaders = Record<string, string | string[] | number | undefined>;

/** What the client offered, to check the server's answer against. */
export interface OfferedConnect {
  /** The subprotocols offered; empty if none. */
  protocols: readonly string[];
  /** The names of the extensions offered; empty if none. */
  extensionsOffered: readonly string[];
}

/** The result of {@link validateConnectResponse}. */
export type ConnectResponseResult =
  | {
      ok: true;
      /** The subprotocol the server selected, `''` if none. */
      protocol: string;
      /** The raw `sec-websocket-extensions` value the server accepted, `''` if none. */
      extensions: string;
    }
  | {
      ok: false;
      code: HandshakeErrorCode;
      reason: string;
      /** The `:status` received, for `WS_ERR_HANDSHAKE_STATUS` when there was a readable one. */
      status?: number;
    };

/**
 * Checks the server's answer to an extended CONNECT (RFC 8441 §5).
 *
 * Fails with `WS_ERR_HANDSHAKE_STATUS` unless `:status` is 2xx (any 2xx opens the tunnel, RFC 9110
 * §9.3.6; the stream is then the WebSocket); `WS_ERR_HANDSHAKE_PROTOCOL` if the server selected a
 * subprotocol that was not offered (or any, when none was) or repeated the field;
 * `WS_ERR_HANDSHAKE_EXTENSION` if `sec-websocket-extensions` is malformed or names an extension that
 * was not offered. There is no accept value to check. Extension parameters are left to the negotiator.
 *
 * @param headers - the response's header map, `:status` included.
 * @param offered - what the client sent.
 */
export function validateConnectResponse(
  headers: ConnectResponseHeaders,
  offered: OfferedConnect,
): ConnectResponseResult {
  const rawStatus = headers[':status'];
  const status = typeof rawStatus === 'number' ? rawStatus : Number(singleText(rawStatus) ?? Number.NaN);
  if (!Number.isInteger(status) || status < 100 || status > 999) {
    return { ok: false, code: 'WS_ERR_HANDSHAKE_STATUS', reason: ':status is missing or malformed' };
  }
  // RFC 8441 §5: a 2xx answer accepts the WebSocket; anything else refuses it.
  if (status < 200 || status > 299) {
    return {
      ok: false,
      code: 'WS_ERR_HANDSHAKE_STATUS',
      reason: `Expected a 2xx :status, got ${status}`,
      status,
    };
  }

  // RFC 6455 §4.1 client item 6, used by RFC 8441 §5: only an offered subprotocol may be selected.
  const protocolField = headers['sec-websocket-protocol'];
  if (typeof protocolField === 'number') return fail('WS_ERR_HANDSHAKE_PROTOCOL', 'Malformed subprotocol');
  const selected = singleHeader({ p: protocolField }, 'p');
  if (selected === null)
    return fail('WS_ERR_HANDSHAKE_PROTOCOL', 'sec-websocket-protocol must appear at most once');
  const protocol = selected ?? '';
  if (protocol !== '' && !offered.protocols.includes(protocol)) {
    return fail(
      'WS_ERR_HANDSHAKE_PROTOCOL',
      offered.protocols.length === 0
        ? `Server selected subprotocol ${JSON.stringify(protocol)} but none was offered`
        : `Server selected subprotocol ${JSON.stringify(protocol)}, which was not offered`,
    );
  }

  // RFC 6455 §4.1 client item 5: every extension in the answer MUST have been offered.
  const extensionsField = headers['sec-websocket-extensions'];
  const extensions = joinedHeader(
    typeof extensionsField === 'number' ? String(extensionsField) : extensionsField,
  );
  const parsed = parseExtensions(extensions);
  if (!parsed.ok) return fail('WS_ERR_HANDSHAKE_EXTENSION', parsed.reason);
  for (const { name } of parsed.extensions) {
    if (!offered.extensionsOffered.includes(name)) {
      return fail('WS_ERR_HANDSHAKE_EXTENSION', `Server accepted extension ${name}, which was not offered`);
    }
  }

  return { ok: true, protocol, extensions };
}

function fail(code: HandshakeErrorCode, reason: string): ConnectResponseResult {
  return { ok: false, code, reason };
}

function reject(
  status: RejectedConnectRequest['status'],
  reason: string,
  headers: HeaderList = [],
): RejectedConnectRequest {
  return { ok: false, status, reason, headers };
}

/** A field that must appear once, as text; `undefined` if absent or repeated. */
function singleText(value: string | string[] | undefined): string | undefined {
  return singleHeader({ v: value }, 'v') ?? undefined;
}

/**
 * Validates extra HTTP/2 or HTTP/3 headers from our caller: the HTTP/1.1 checks, plus lower-case
 * names (RFC 9113 §8.2.1: upper case is malformed) and no pseudo-header (a name with `:` already
 * fails the token check).
 */
function checkedH2Headers(headers: HeaderList, reserved: readonly string[]): HeaderList {
  checkedExtraHeaders(headers, reserved);
  for (const [name] of headers) {
    if (name !== name.toLowerCase()) throw new TypeError(`Header name ${name} must be lower-case in HTTP/2`);
  }
  return headers;
}
