/**
 * permessage-deflate negotiation (RFC 7692 §5, §7.1) for both roles, over the
 * `Sec-WebSocket-Extensions` grammar in `extensions-header.ts`. Pure functions: options in,
 * header values and agreed parameters out. The compression itself is the engine's
 * (`deflate-zlib.ts`); nothing here is specific to HTTP/1, so the same values serve RFC 8441 and
 * RFC 9220 handshakes.
 *
 * Window bits of 8: zlib cannot raw-deflate with a 256-byte window and silently uses 9. So our
 * own compressor is never agreed to 8: a server declines an offer that demands
 * `server_max_window_bits=8`, a client fails a response that sets `client_max_window_bits=8`, and
 * an 8 in the options for our own side counts as 9. Limiting the peer to 8 is allowed; our
 * inflater must then cope with a zlib peer that really uses 9 (see {@link NegotiatedDeflate}).
 */

import { type ExtensionEntry, type ExtensionParam, parseExtensions } from './extensions-header.js';

/** The registered extension token (RFC 7692 §7). */
export const PERMESSAGE_DEFLATE = 'permessage-deflate';

const SERVER_NO_CONTEXT_TAKEOVER = 'server_no_context_takeover';
const CLIENT_NO_CONTEXT_TAKEOVER = 'client_no_context_takeover';
const SERVER_MAX_WINDOW_BITS = 'server_max_window_bits';
const CLIENT_MAX_WINDOW_BITS = 'client_max_window_bits';

/** The largest LZ77 window (32 KiB), and the one used when a side is not limited. */
const MAX_WINDOW_BITS = 15;
/** The smallest window RFC 7692 allows on the wire. */
const MIN_WINDOW_BITS = 8;
/** The smallest window zlib can compress with (it turns a raw-deflate 8 into 9). */
const MIN_COMPRESSOR_WINDOW_BITS = 9;

/**
 * permessage-deflate settings, as a user writes them (`deflate: { ... }`). The same object serves
 * a server and a client; each option says what it means in each role.
 */
export interface DeflateOptions {
  /**
   * The defaults the other options start from. `'lean'` (the default): window bits 13 both ways
   * and memLevel 5, each window limited where RFC 7692 §7.1.2 lets it be (a server states its own
   * window unasked and limits the client's only when the offer carries `client_max_window_bits`;
   * a client asks for the server's in a first offer and falls back to a second without it).
   * `'ws'`: ws's and zlib's, window bits 15 and memLevel 8, as `wasmws/ws` uses.
   */
  preset?: 'lean' | 'ws';
  /**
   * Server: reset the compression context after every message sent (always announced). Client:
   * ask the server to do so. Default false.
   */
  serverNoContextTakeover?: boolean;
  /**
   * Server: tell the client to reset its context after every message (always announced; the
   * server's inflater can then drop its window between messages). Client: reset our own context
   * and say so in the offer. Default false.
   */
  clientNoContextTakeover?: boolean;
  /**
   * The server compressor's LZ77 window, 8..15 (2^n bytes). Server: compress with at most this
   * (8 counts as 9, zlib's smallest). Client: ask the server to stay within it (below 15, a
   * server that does not accept it fails the handshake, unless the window is the lean preset's,
   * which is only a preference). Default 13 (`preset: 'ws'`: 15).
   */
  serverMaxWindowBits?: number;
  /**
   * The client compressor's LZ77 window, 8..15. Server: ask the client to stay within it; when set
   * below 15, an offer that cannot be limited (no `client_max_window_bits`) is declined, as ws
   * does, while the lean preset's 13 then lets the client use 15. Client: compress with at most
   * this (8 counts as 9) and say so in the offer. Default 13 (`preset: 'ws'`: 15).
   */
  clientMaxWindowBits?: number;
  /** Messages smaller than this many bytes are sent uncompressed. Default 1024. */
  threshold?: number;
  /**
   * zlib's memLevel for our compressor, 1..9: memory against speed, while a connection keeps a
   * compressor of its own (it sends often). Default 5 (`preset: 'ws'`: 8).
   */
  memLevel?: number;
  /** How many zlib jobs may run at once in the process. Default 10. */
  concurrency?: number;
}

/** {@link DeflateOptions} with every default applied, as {@link resolveDeflateOptions} returns them. */
export interface ResolvedDeflateOptions {
  readonly preset: 'lean' | 'ws';
  readonly serverNoContextTakeover: boolean;
  readonly clientNoContextTakeover: boolean;
  readonly serverMaxWindowBits: number;
  readonly clientMaxWindowBits: number;
  readonly threshold: number;
  readonly memLevel: number;
  readonly concurrency: number;
  /**
   * The window bits are preferences, not demands (the lean preset's, not set by the user): a
   * server accepts an offer without `client_max_window_bits` (the client then uses 15); a client
   * also offers without `server_max_window_bits` and accepts an answer without it.
   */
  readonly preferredServerWindow: boolean;
  readonly preferredClientWindow: boolean;
}

// The lean preset, measured (README, permessage-deflate): with window bits 13 an idle connection
// holds about a quarter of what ws's 15 costs, for output 10-15 % larger than ws's on JSON
// (12 bits: 30 % larger). memLevel only matters while a connection keeps its own compressor.
const LEAN: ResolvedDeflateOptions = {
  preset: 'lean',
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 13,
  clientMaxWindowBits: 13,
  threshold: 1024,
  memLevel: 5,
  concurrency: 10,
  preferredServerWindow: true,
  preferredClientWindow: true,
};

// ws's defaults, which are zlib's own: a 15-bit window and memLevel 8.
const WS: ResolvedDeflateOptions = {
  ...LEAN,
  preset: 'ws',
  serverMaxWindowBits: MAX_WINDOW_BITS,
  clientMaxWindowBits: MAX_WINDOW_BITS,
  memLevel: 8,
  preferredServerWindow: false,
  preferredClientWindow: false,
};

/**
 * The parameters agreed for one connection (RFC 7692 §7.1), the same whichever role computed them.
 *
 * The window bits are what each side's compressor must stay within, 8..15, 15 when not limited.
 * Our own compressor's value is never 8. The peer's may be 8: an inflater should then use at least
 * 9, because a zlib-based peer that agreed to 8 compresses with 9.
 */
export interface NegotiatedDeflate {
  /** The server resets its compression context after every message. */
  serverNoContextTakeover: boolean;
  /** The client resets its compression context after every message. */
  clientNoContextTakeover: boolean;
  /** The server compressor's window bits. */
  serverMaxWindowBits: number;
  /** The client compressor's window bits. */
  clientMaxWindowBits: number;
}

/** The server's answer: an extension value to send with its agreed parameters, or none. */
export type DeflateOfferResult =
  | { ok: true; response: string; negotiated: NegotiatedDeflate }
  /** No acceptable offer (or none at all): answer without permessage-deflate. */
  | { ok: true; response: null; declined: readonly string[] }
  /** The header is not valid `Sec-WebSocket-Extensions` grammar: answer 400. */
  | { ok: false; reason: string };

/** The client's reading of the server's answer. */
export type DeflateResponseResult =
  /** `negotiated` is null when the server did not accept permessage-deflate. */
  | { ok: true; negotiated: NegotiatedDeflate | null }
  /** The handshake must fail (RFC 7692 §5). */
  | { ok: false; reason: string };

/**
 * Validates user options and applies the defaults.
 *
 * @param value - `true` for the defaults, or the options to check.
 * @returns every option with a value.
 * @throws TypeError for an unknown option or a value of the wrong type; RangeError for a number out
 *   of range. The message names the option.
 */
export function resolveDeflateOptions(value: true | DeflateOptions): ResolvedDeflateOptions {
  if (value === true) return LEAN;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError('deflate must be true or an options object');
  }
  for (const key of Object.keys(value)) {
    if (!(key in LEAN)) throw new TypeError(`Unknown deflate option ${JSON.stringify(key)}`);
  }
  if (value.preset !== undefined && value.preset !== 'lean' && value.preset !== 'ws') {
    throw new TypeError("deflate.preset must be 'lean' or 'ws'");
  }
  const base = value.preset === 'ws' ? WS : LEAN;
  return {
    preset: base.preset,
    serverNoContextTakeover: booleanOption(base, value, 'serverNoContextTakeover'),
    clientNoContextTakeover: booleanOption(base, value, 'clientNoContextTakeover'),
    serverMaxWindowBits: integerOption(base, value, 'serverMaxWindowBits', MIN_WINDOW_BITS, MAX_WINDOW_BITS),
    clientMaxWindowBits: integerOption(base, value, 'clientMaxWindowBits', MIN_WINDOW_BITS, MAX_WINDOW_BITS),
    threshold: integerOption(base, value, 'threshold', 0, Number.MAX_SAFE_INTEGER),
    memLevel: integerOption(base, value, 'memLevel', 1, 9),
    concurrency: integerOption(base, value, 'concurrency', 1, Number.MAX_SAFE_INTEGER),
    preferredServerWindow: base.preferredServerWindow && value.serverMaxWindowBits === undefined,
    preferredClientWindow: base.preferredClientWindow && value.clientMaxWindowBits === undefined,
  };
}

function booleanOption(
  base: ResolvedDeflateOptions,
  options: DeflateOptions,
  name: 'serverNoContextTakeover' | 'clientNoContextTakeover',
) {
  const value = options[name];
  if (value === undefined) return base[name];
  if (typeof value !== 'boolean') throw new TypeError(`deflate.${name} must be a boolean`);
  return value;
}

function integerOption(
  base: ResolvedDeflateOptions,
  options: DeflateOptions,
  name: 'serverMaxWindowBits' | 'clientMaxWindowBits' | 'threshold' | 'memLevel' | 'concurrency',
  min: number,
  max: number,
): number {
  const value = options[name];
  if (value === undefined) return base[name];
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new TypeError(`deflate.${name} must be an integer`);
  }
  if (value < min || value > max) {
    throw new RangeError(
      max === Number.MAX_SAFE_INTEGER
        ? `deflate.${name} must be at least ${min}`
        : `deflate.${name} must be between ${min} and ${max}`,
    );
  }
  return value;
}

/** One permessage-deflate element's parameters, checked (RFC 7692 §5: unknown, duplicate, bad value). */
interface DeflateParams {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  /** Absent, or the value. */
  serverMaxWindowBits: number | undefined;
  /** Absent, present without a value (`true`, legal in an offer only), or the value. */
  clientMaxWindowBits: number | true | undefined;
}

// RFC 7692 §7.1.2.1/§7.1.2.2: 1*DIGIT in 8..15, no leading zeros. Quoted values arrive unquoted.
const WINDOW_BITS_VALUE = /^(?:[89]|1[0-5])$/;

function readParams(
  params: readonly ExtensionParam[],
  role: 'offer' | 'response',
): { ok: true; params: DeflateParams } | { ok: false; reason: string } {
  const result: DeflateParams = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: undefined,
    clientMaxWindowBits: undefined,
  };
  const seen = new Set<string>();
  for (const [name, value] of params) {
    // RFC 7692 §5: a parameter listed twice makes the element invalid.
    if (seen.has(name)) return { ok: false, reason: `duplicate parameter ${name}` };
    seen.add(name);
    switch (name) {
      case SERVER_NO_CONTEXT_TAKEOVER:
      case CLIENT_NO_CONTEXT_TAKEOVER:
        // RFC 7692 §7.1.1: these parameters have no value.
        if (value !== true) return { ok: false, reason: `${name} must not have a value` };
        if (name === SERVER_NO_CONTEXT_TAKEOVER) result.serverNoContextTakeover = true;
        else result.clientNoContextTakeover = true;
        break;
      case SERVER_MAX_WINDOW_BITS: {
        // RFC 7692 §7.1.2.1: always with a value.
        const bits = windowBits(value);
        if (bits === null) return { ok: false, reason: `${name} must be 8..15, got ${describe(value)}` };
        result.serverMaxWindowBits = bits;
        break;
      }
      case CLIENT_MAX_WINDOW_BITS: {
        // RFC 7692 §7.1.2.2: an offer may omit the value (the client supports the parameter);
        // a response must give one.
        if (value === true && role === 'offer') {
          result.clientMaxWindowBits = true;
          break;
        }
        const bits = windowBits(value);
        if (bits === null) return { ok: false, reason: `${name} must be 8..15, got ${describe(value)}` };
        result.clientMaxWindowBits = bits;
        break;
      }
      default:
        return { ok: false, reason: `unknown parameter ${name}` };
    }
  }
  return { ok: true, params: result };
}

function windowBits(value: string | true): number | null {
  return value !== true && WINDOW_BITS_VALUE.test(value) ? Number(value) : null;
}

function describe(value: string | true): string {
  return value === true ? 'no value' : JSON.stringify(value);
}

/**
 * Server side: picks the first acceptable permessage-deflate offer of a client's
 * `Sec-WebSocket-Extensions` and builds the answer (RFC 7692 §5, §7.1).
 *
 * Other extensions are ignored. An offer is declined, and the next one tried, when it has an
 * unknown or duplicate parameter or a bad value (RFC 7692 §5 MUST decline), when it demands
 * `server_max_window_bits=8` (zlib cannot compress with 8), or when `clientMaxWindowBits` is below
 * 15 and the offer has no `client_max_window_bits` to carry that limit (as ws does). Otherwise:
 * `server_no_context_takeover` is honoured, `client_no_context_takeover` echoed, our server
 * window is the smaller of the option and the offer's limit, and the client's window is limited
 * only through an offered `client_max_window_bits`. Our options add their own parameters.
 *
 * Unlike ws, which answers 400 when any permessage-deflate offer is invalid or none is
 * acceptable, only broken grammar fails here; a bad offer is declined as RFC 7692 §5 says.
 *
 * @param header - the request's `Sec-WebSocket-Extensions` value(s); empty when absent.
 * @param options - resolved options ({@link resolveDeflateOptions}).
 * @returns the extension value to answer with and the agreed parameters; `response: null` (with
 *   why each offer was declined) to answer without the extension; `ok: false` for a malformed
 *   header.
 */
export function acceptDeflateOffer(
  header: string | readonly string[],
  options: ResolvedDeflateOptions,
): DeflateOfferResult {
  const parsed = parseExtensions(header);
  if (!parsed.ok) return parsed;
  const declined: string[] = [];
  for (const [index, { name, params }] of parsed.extensions.entries()) {
    if (name !== PERMESSAGE_DEFLATE) continue;
    const read = readParams(params, 'offer');
    const answer = read.ok ? answerOffer(read.params, options) : read;
    if (answer.ok) return answer;
    declined.push(`offer ${index + 1}: ${answer.reason}`);
  }
  return { ok: true, response: null, declined };
}

function answerOffer(
  offer: DeflateParams,
  options: ResolvedDeflateOptions,
): { ok: true; response: string; negotiated: NegotiatedDeflate } | { ok: false; reason: string } {
  // Our compressor's window: zlib's 9 at the least, then within the client's limit.
  let serverBits = Math.max(options.serverMaxWindowBits, MIN_COMPRESSOR_WINDOW_BITS);
  if (offer.serverMaxWindowBits !== undefined) {
    if (offer.serverMaxWindowBits < MIN_COMPRESSOR_WINDOW_BITS) {
      return { ok: false, reason: `${SERVER_MAX_WINDOW_BITS}=8 cannot be honoured (zlib compresses with 9)` };
    }
    serverBits = Math.min(serverBits, offer.serverMaxWindowBits);
  }

  // RFC 7692 §7.1.2.2: the response may carry client_max_window_bits only if the offer did.
  let clientBits = MAX_WINDOW_BITS;
  if (offer.clientMaxWindowBits === undefined) {
    // A preferred window (the lean preset's) gives way: the client then uses up to 15.
    if (options.clientMaxWindowBits < MAX_WINDOW_BITS && !options.preferredClientWindow) {
      return {
        ok: false,
        reason: `no ${CLIENT_MAX_WINDOW_BITS} to limit the client to ${options.clientMaxWindowBits}`,
      };
    }
  } else {
    const offered = offer.clientMaxWindowBits === true ? MAX_WINDOW_BITS : offer.clientMaxWindowBits;
    clientBits = Math.min(options.clientMaxWindowBits, offered);
  }

  const negotiated: NegotiatedDeflate = {
    // RFC 7692 §7.1.1.1: an offered server_no_context_takeover must be accepted; a server may add it.
    serverNoContextTakeover: offer.serverNoContextTakeover || options.serverNoContextTakeover,
    // RFC 7692 §7.1.1.2: the offer's is a hint we accept; a server may add it.
    clientNoContextTakeover: offer.clientNoContextTakeover || options.clientNoContextTakeover,
    serverMaxWindowBits: serverBits,
    clientMaxWindowBits: clientBits,
  };
  // RFC 7692 §7.1.2.1: an offered server_max_window_bits is accepted by answering one (same or smaller).
  const answerServerBits = offer.serverMaxWindowBits !== undefined || serverBits < MAX_WINDOW_BITS;
  return {
    ok: true,
    response: formatDeflate(negotiated, answerServerBits, clientBits < MAX_WINDOW_BITS),
    negotiated,
  };
}

function formatDeflate(agreed: NegotiatedDeflate, serverBits: boolean, clientBits: boolean): string {
  let value = PERMESSAGE_DEFLATE;
  if (agreed.serverNoContextTakeover) value += `; ${SERVER_NO_CONTEXT_TAKEOVER}`;
  if (agreed.clientNoContextTakeover) value += `; ${CLIENT_NO_CONTEXT_TAKEOVER}`;
  if (serverBits) value += `; ${SERVER_MAX_WINDOW_BITS}=${agreed.serverMaxWindowBits}`;
  if (clientBits) value += `; ${CLIENT_MAX_WINDOW_BITS}=${agreed.clientMaxWindowBits}`;
  return value;
}

/** The window our client compresses with and announces: zlib's 9 at the least. */
function ownClientBits(options: ResolvedDeflateOptions): number {
  return Math.max(options.clientMaxWindowBits, MIN_COMPRESSOR_WINDOW_BITS);
}

/**
 * Client side: the permessage-deflate offer for `Sec-WebSocket-Extensions` (RFC 7692 §5, §7.1).
 *
 * Always carries `client_max_window_bits` (bare, or with our window when below 15) so the server
 * may limit us; `server_max_window_bits` when `serverMaxWindowBits` is below 15 (8 is fine: our
 * inflater copes with any window); the no-context-takeover flags that are set. When the server's
 * window is only a preference (the lean preset), a second offer without `server_max_window_bits`
 * follows the first.
 *
 * @param options - resolved options ({@link resolveDeflateOptions}).
 * @returns one or two extension elements, e.g.
 *   `permessage-deflate; server_max_window_bits=13; client_max_window_bits=13, permessage-deflate; client_max_window_bits=13`.
 */
export function buildDeflateOffer(options: ResolvedDeflateOptions): string {
  let common = PERMESSAGE_DEFLATE;
  if (options.serverNoContextTakeover) common += `; ${SERVER_NO_CONTEXT_TAKEOVER}`;
  if (options.clientNoContextTakeover) common += `; ${CLIENT_NO_CONTEXT_TAKEOVER}`;
  const clientBits = ownClientBits(options);
  const clientParam =
    clientBits < MAX_WINDOW_BITS
      ? `; ${CLIENT_MAX_WINDOW_BITS}=${clientBits}`
      : `; ${CLIENT_MAX_WINDOW_BITS}`;
  if (options.serverMaxWindowBits >= MAX_WINDOW_BITS) return common + clientParam;
  const limited = `${common}; ${SERVER_MAX_WINDOW_BITS}=${options.serverMaxWindowBits}${clientParam}`;
  // RFC 7692 §5: offers in order of preference; a server that cannot limit its window takes the second.
  return options.preferredServerWindow ? `${limited}, ${common}${clientParam}` : limited;
}

/**
 * Client side: checks the server's `Sec-WebSocket-Extensions` against the offer
 * {@link buildDeflateOffer} made with the same options (RFC 7692 §5, §7.1).
 *
 * The handshake fails (RFC 7692 §5: the client MUST fail the connection) for broken grammar,
 * an extension other than permessage-deflate (the only one we offer), permessage-deflate twice,
 * an unknown, duplicate or badly valued parameter, a response that does not accept what we asked
 * for (`server_no_context_takeover` or `server_max_window_bits` missing, or a window above ours),
 * `client_max_window_bits` without a value or above our offer, or `client_max_window_bits=8`
 * (zlib cannot compress with 8). A server may add `server_no_context_takeover`,
 * `client_no_context_takeover` and a `server_max_window_bits` we did not ask for.
 *
 * @param header - the response's `Sec-WebSocket-Extensions` value(s); empty when absent.
 * @param options - the options the offer was built with.
 * @returns the agreed parameters, null if the server declined, or why the handshake fails.
 */
export function acceptDeflateResponse(
  header: string | readonly string[],
  options: ResolvedDeflateOptions,
): DeflateResponseResult {
  const parsed = parseExtensions(header);
  if (!parsed.ok) return parsed;
  let accepted: ExtensionEntry | null = null;
  for (const entry of parsed.extensions) {
    // RFC 6455 §9.1: the server may only answer with extensions the client offered.
    if (entry.name !== PERMESSAGE_DEFLATE) {
      return failResponse(`the server accepted extension ${entry.name}, which was not offered`);
    }
    // RFC 7692 §5: the server accepts at most one element for this extension.
    if (accepted !== null) return failResponse(`${PERMESSAGE_DEFLATE} is accepted more than once`);
    accepted = entry;
  }
  if (accepted === null) return { ok: true, negotiated: null };

  const read = readParams(accepted.params, 'response');
  if (!read.ok) return failResponse(read.reason);
  const response = read.params;

  // RFC 7692 §7.1.1.1: a server accepts our server_no_context_takeover by answering it.
  if (options.serverNoContextTakeover && !response.serverNoContextTakeover) {
    return failResponse(`${SERVER_NO_CONTEXT_TAKEOVER} was offered but not accepted`);
  }

  let serverBits = MAX_WINDOW_BITS;
  // With a preferred window the second offer had no server_max_window_bits: any answer is allowed.
  const offeredServerBits = options.serverMaxWindowBits < MAX_WINDOW_BITS && !options.preferredServerWindow;
  if (response.serverMaxWindowBits === undefined) {
    // RFC 7692 §7.1.2.1: accepting our limit means answering it; without it the server uses 15.
    if (offeredServerBits) {
      return failResponse(
        `${SERVER_MAX_WINDOW_BITS}=${options.serverMaxWindowBits} was offered but not accepted`,
      );
    }
  } else {
    // RFC 7692 §7.1.2.1: the same or a smaller value than offered; unasked, any value.
    if (offeredServerBits && response.serverMaxWindowBits > options.serverMaxWindowBits) {
      return failResponse(
        `${SERVER_MAX_WINDOW_BITS}=${response.serverMaxWindowBits} is above the ${options.serverMaxWindowBits} offered`,
      );
    }
    serverBits = response.serverMaxWindowBits;
  }

  const ourBits = ownClientBits(options);
  let clientBits = ourBits;
  const bits = response.clientMaxWindowBits;
  if (typeof bits === 'number') {
    // RFC 7692 §7.1.2.2: the server may lower our window, not raise it past our offer.
    if (bits > ourBits) {
      return failResponse(`${CLIENT_MAX_WINDOW_BITS}=${bits} is above the ${ourBits} offered`);
    }
    if (bits < MIN_COMPRESSOR_WINDOW_BITS) {
      return failResponse(`${CLIENT_MAX_WINDOW_BITS}=8 cannot be honoured (zlib compresses with 9)`);
    }
    clientBits = bits;
  }

  return {
    ok: true,
    negotiated: {
      serverNoContextTakeover: response.serverNoContextTakeover,
      // RFC 7692 §7.1.1.2: a server may ask us to reset; we also keep our own promise.
      clientNoContextTakeover: response.clientNoContextTakeover || options.clientNoContextTakeover,
      serverMaxWindowBits: serverBits,
      clientMaxWindowBits: clientBits,
    },
  };
}

function failResponse(rule: string): { ok: false; reason: string } {
  return { ok: false, reason: `Invalid permessage-deflate response: ${rule}` };
}
