// The session's options: one resolver that validates them and applies their defaults, used
// by the session itself and, at construction, by `connect`, `createServer` and `handleUpgrade`,
// so a bad option fails before the first connection with a message that names it.
import { DEFAULT_MAX_FRAME, DEFAULT_MAX_MESSAGE } from '../codec/frame-parser.js';
import type { Clock, SessionOptions } from './types.js';

/** Default `closeTimeout`: 5 s. */
export const DEFAULT_CLOSE_TIMEOUT = 5000;
/** Default `pongTimeout`: 20 s. */
export const DEFAULT_PONG_TIMEOUT = 20_000;
/** Default `highWaterMark`: 1 MiB. */
export const DEFAULT_HIGH_WATER_MARK = 1024 * 1024;

/** The global timers and `Date.now`: the default {@link Clock}. */
export const systemClock: Clock = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as Parameters<typeof clearTimeout>[0]),
  now: () => Date.now(),
};

/** Every {@link SessionOptions} name: what an entry point hands on to the session. */
export const SESSION_OPTION_NAMES = [
  'maxFrame',
  'maxMessage',
  'closeTimeout',
  'idleTimeout',
  'pingInterval',
  'pongTimeout',
  'highWaterMark',
  'wasm',
  'validateUtf8',
  'textAs',
  'clock',
  'autoPong',
] as const satisfies readonly (keyof SessionOptions)[];

/** {@link SessionOptions} with every default applied. */
export type ResolvedSessionOptions = Required<Omit<SessionOptions, 'validateUtf8'>> &
  Pick<SessionOptions, 'validateUtf8'>;

/** The session's share of a larger options object (`connect`'s, `createServer`'s). */
export function pickSessionOptions(options: object): SessionOptions {
  const source = options as Record<string, unknown>;
  const picked: Record<string, unknown> = {};
  for (const name of SESSION_OPTION_NAMES) if (source[name] !== undefined) picked[name] = source[name];
  return picked as SessionOptions;
}

/**
 * Validates the session options and applies the defaults: maxFrame 16 MiB, maxMessage 64 MiB,
 * closeTimeout 5000 ms, idleTimeout and pingInterval 0 (off), pongTimeout 20000 ms,
 * highWaterMark 1 MiB, wasm true, textAs 'string', clock {@link systemClock}, autoPong true.
 *
 * @throws RangeError for a limit, timeout or mark that is negative or not finite (limits must
 *   be safe integers); TypeError for a `wasm`, `validateUtf8`, `textAs` or `clock` of the wrong type.
 */
export function resolveSessionOptions(options: SessionOptions = {}): ResolvedSessionOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  const { wasm = true, validateUtf8, textAs = 'string', clock = systemClock, autoPong = true } = options;
  if (typeof wasm !== 'boolean') throw new TypeError('wasm must be a boolean');
  if (typeof autoPong !== 'boolean') throw new TypeError('autoPong must be a boolean');
  if (textAs !== 'string' && textAs !== 'bytes') {
    throw new TypeError(`textAs must be 'string' or 'bytes', got ${String(textAs)}`);
  }
  if (validateUtf8 !== undefined && typeof validateUtf8 !== 'function') {
    throw new TypeError('validateUtf8 must be a function');
  }
  if (typeof clock?.setTimeout !== 'function' || typeof clock.clearTimeout !== 'function') {
    throw new TypeError('clock must have setTimeout, clearTimeout and now');
  }
  return {
    maxFrame: byteLimit('maxFrame', options.maxFrame, DEFAULT_MAX_FRAME),
    maxMessage: byteLimit('maxMessage', options.maxMessage, DEFAULT_MAX_MESSAGE),
    closeTimeout: duration('closeTimeout', options.closeTimeout, DEFAULT_CLOSE_TIMEOUT),
    idleTimeout: duration('idleTimeout', options.idleTimeout, 0),
    pingInterval: duration('pingInterval', options.pingInterval, 0),
    pongTimeout: duration('pongTimeout', options.pongTimeout, DEFAULT_PONG_TIMEOUT),
    highWaterMark: duration('highWaterMark', options.highWaterMark, DEFAULT_HIGH_WATER_MARK),
    wasm,
    validateUtf8,
    textAs,
    clock,
    autoPong,
  };
}

/** A finite number >= 0 (milliseconds or bytes). */
function duration(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`${name} must be a finite number >= 0, got ${String(value)}`);
  }
  return value;
}

function byteLimit(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative safe integer, got ${String(value)}`);
  }
  return value;
}
