import { describe, expect, it } from 'vitest';
import { parseExtensions } from '../../src/extensions/extensions-header.js';
import {
  acceptDeflateOffer,
  acceptDeflateResponse,
  buildDeflateOffer,
  type DeflateOptions,
  type NegotiatedDeflate,
  resolveDeflateOptions,
} from '../../src/extensions/permessage-deflate.js';

const DEFAULT_AGREEMENT: NegotiatedDeflate = {
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
};

function agreed(changes: Partial<NegotiatedDeflate> = {}): NegotiatedDeflate {
  return { ...DEFAULT_AGREEMENT, ...changes };
}

// The negotiation rules are tested from ws's defaults (preset 'ws'); the lean preset has its own block.
function wsOptions(options: DeflateOptions = {}) {
  return resolveDeflateOptions({ preset: 'ws', ...options });
}

function serverAnswer(header: string | string[], options: DeflateOptions = {}) {
  return acceptDeflateOffer(header, wsOptions(options));
}

function clientReading(header: string | string[], options: DeflateOptions = {}) {
  return acceptDeflateResponse(header, wsOptions(options));
}

describe('resolveDeflateOptions', () => {
  it("applies the lean defaults for true and for an empty object, ws's with preset ws", () => {
    const lean = {
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
    expect(resolveDeflateOptions(true)).toEqual(lean);
    expect(resolveDeflateOptions({})).toEqual(lean);
    expect(resolveDeflateOptions({ preset: 'ws' })).toEqual({
      ...lean,
      preset: 'ws',
      serverMaxWindowBits: 15,
      clientMaxWindowBits: 15,
      memLevel: 8,
      preferredServerWindow: false,
      preferredClientWindow: false,
    });
  });

  it('keeps what is given', () => {
    expect(
      resolveDeflateOptions({
        serverNoContextTakeover: true,
        clientNoContextTakeover: true,
        serverMaxWindowBits: 8,
        clientMaxWindowBits: 12,
        threshold: 0,
        memLevel: 1,
        concurrency: 1,
      }),
    ).toEqual({
      preset: 'lean',
      serverNoContextTakeover: true,
      clientNoContextTakeover: true,
      serverMaxWindowBits: 8,
      clientMaxWindowBits: 12,
      threshold: 0,
      memLevel: 1,
      concurrency: 1,
      // Set by the user: demands, not preferences.
      preferredServerWindow: false,
      preferredClientWindow: false,
    });
  });

  it.each<[string, unknown, ErrorConstructor, RegExp]>([
    ['false', false, TypeError, /deflate must be true or an options object/],
    ['null', null, TypeError, /deflate must be true or an options object/],
    ['a number', 15, TypeError, /deflate must be true or an options object/],
    ['an unknown option', { windowBits: 15 }, TypeError, /Unknown deflate option "windowBits"/],
    ['a non-boolean flag', { serverNoContextTakeover: 1 }, TypeError, /deflate\.serverNoContextTakeover/],
    [
      'a string window',
      { clientMaxWindowBits: '10' },
      TypeError,
      /deflate\.clientMaxWindowBits must be an integer/,
    ],
    ['a fractional window', { serverMaxWindowBits: 9.5 }, TypeError, /deflate\.serverMaxWindowBits/],
    [
      'a window of 7',
      { serverMaxWindowBits: 7 },
      RangeError,
      /deflate\.serverMaxWindowBits must be between 8 and 15/,
    ],
    [
      'a window of 16',
      { clientMaxWindowBits: 16 },
      RangeError,
      /deflate\.clientMaxWindowBits must be between 8 and 15/,
    ],
    ['a negative threshold', { threshold: -1 }, RangeError, /deflate\.threshold must be at least 0/],
    ['a NaN threshold', { threshold: Number.NaN }, TypeError, /deflate\.threshold must be an integer/],
    ['memLevel 0', { memLevel: 0 }, RangeError, /deflate\.memLevel must be between 1 and 9/],
    ['memLevel 10', { memLevel: 10 }, RangeError, /deflate\.memLevel must be between 1 and 9/],
    ['concurrency 0', { concurrency: 0 }, RangeError, /deflate\.concurrency must be at least 1/],
    ['an unknown preset', { preset: 'zlib' }, TypeError, /deflate\.preset must be 'lean' or 'ws'/],
  ])('rejects %s', (_name, value, kind, message) => {
    expect(() => resolveDeflateOptions(value as DeflateOptions)).toThrow(kind);
    expect(() => resolveDeflateOptions(value as DeflateOptions)).toThrow(message);
  });
});

describe('acceptDeflateOffer (server)', () => {
  it.each<[string, string, DeflateOptions, string, NegotiatedDeflate]>([
    ['a bare offer', 'permessage-deflate', {}, 'permessage-deflate', agreed()],
    // What every browser sends.
    [
      'a bare client_max_window_bits',
      'permessage-deflate; client_max_window_bits',
      {},
      'permessage-deflate',
      agreed(),
    ],
    [
      'client_max_window_bits with a value, echoed (as ws does)',
      'permessage-deflate; client_max_window_bits=10',
      {},
      'permessage-deflate; client_max_window_bits=10',
      agreed({ clientMaxWindowBits: 10 }),
    ],
    [
      'a quoted value, unquoted before validation',
      'permessage-deflate; client_max_window_bits="10"; server_max_window_bits="12"',
      {},
      'permessage-deflate; server_max_window_bits=12; client_max_window_bits=10',
      agreed({ serverMaxWindowBits: 12, clientMaxWindowBits: 10 }),
    ],
    [
      'server_no_context_takeover honoured',
      'permessage-deflate; server_no_context_takeover',
      {},
      'permessage-deflate; server_no_context_takeover',
      agreed({ serverNoContextTakeover: true }),
    ],
    [
      'client_no_context_takeover echoed',
      'permessage-deflate; client_no_context_takeover',
      {},
      'permessage-deflate; client_no_context_takeover',
      agreed({ clientNoContextTakeover: true }),
    ],
    [
      'server_max_window_bits answered with the same value',
      'permessage-deflate; server_max_window_bits=10',
      {},
      'permessage-deflate; server_max_window_bits=10',
      agreed({ serverMaxWindowBits: 10 }),
    ],
    [
      'server_max_window_bits=15 answered although it limits nothing',
      'permessage-deflate; server_max_window_bits=15',
      {},
      'permessage-deflate; server_max_window_bits=15',
      agreed(),
    ],
    [
      'server_max_window_bits answered with our smaller window',
      'permessage-deflate; server_max_window_bits=12',
      { serverMaxWindowBits: 10 },
      'permessage-deflate; server_max_window_bits=10',
      agreed({ serverMaxWindowBits: 10 }),
    ],
    [
      'server_max_window_bits within our larger window',
      'permessage-deflate; server_max_window_bits=10',
      { serverMaxWindowBits: 12 },
      'permessage-deflate; server_max_window_bits=10',
      agreed({ serverMaxWindowBits: 10 }),
    ],
    [
      'our window announced unasked',
      'permessage-deflate',
      { serverMaxWindowBits: 11 },
      'permessage-deflate; server_max_window_bits=11',
      agreed({ serverMaxWindowBits: 11 }),
    ],
    [
      'our window option 8 compresses with 9',
      'permessage-deflate',
      { serverMaxWindowBits: 8 },
      'permessage-deflate; server_max_window_bits=9',
      agreed({ serverMaxWindowBits: 9 }),
    ],
    [
      'a client limit through a bare client_max_window_bits',
      'permessage-deflate; client_max_window_bits',
      { clientMaxWindowBits: 10 },
      'permessage-deflate; client_max_window_bits=10',
      agreed({ clientMaxWindowBits: 10 }),
    ],
    [
      'a client limit of 8 (the client compresses, our inflater copes)',
      'permessage-deflate; client_max_window_bits',
      { clientMaxWindowBits: 8 },
      'permessage-deflate; client_max_window_bits=8',
      agreed({ clientMaxWindowBits: 8 }),
    ],
    [
      'the client’s own smaller limit kept under ours',
      'permessage-deflate; client_max_window_bits=9',
      { clientMaxWindowBits: 12 },
      'permessage-deflate; client_max_window_bits=9',
      agreed({ clientMaxWindowBits: 9 }),
    ],
    [
      'our limit under the client’s larger one',
      'permessage-deflate; client_max_window_bits=14',
      { clientMaxWindowBits: 12 },
      'permessage-deflate; client_max_window_bits=12',
      agreed({ clientMaxWindowBits: 12 }),
    ],
    [
      'our no-context-takeover flags added unasked',
      'permessage-deflate',
      { serverNoContextTakeover: true, clientNoContextTakeover: true },
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover',
      agreed({ serverNoContextTakeover: true, clientNoContextTakeover: true }),
    ],
    [
      'every parameter, in a fixed order',
      'permessage-deflate; client_max_window_bits=11; server_max_window_bits=10; client_no_context_takeover; server_no_context_takeover',
      {},
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=11',
      {
        serverNoContextTakeover: true,
        clientNoContextTakeover: true,
        serverMaxWindowBits: 10,
        clientMaxWindowBits: 11,
      },
    ],
    // RFC 7692 §5.1/§7.1.3 examples: alternatives in order of preference.
    [
      'the first of two alternatives',
      'permessage-deflate; client_max_window_bits; server_max_window_bits=10, permessage-deflate; client_max_window_bits',
      {},
      'permessage-deflate; server_max_window_bits=10',
      agreed({ serverMaxWindowBits: 10 }),
    ],
    [
      'the fallback after an offer that demands 8',
      'permessage-deflate; server_max_window_bits=8, permessage-deflate; server_max_window_bits=10, permessage-deflate',
      {},
      'permessage-deflate; server_max_window_bits=10',
      agreed({ serverMaxWindowBits: 10 }),
    ],
    [
      'the fallback after an invalid offer',
      'permessage-deflate; server_max_window_bits=16, permessage-deflate; client_max_window_bits',
      {},
      'permessage-deflate',
      agreed(),
    ],
    [
      'permessage-deflate after other extensions, which are ignored',
      'x-webkit-deflate-frame, permessage-foo; x="10", permessage-deflate; client_no_context_takeover',
      {},
      'permessage-deflate; client_no_context_takeover',
      agreed({ clientNoContextTakeover: true }),
    ],
    [
      'server_max_window_bits=9, the smallest we compress with',
      'x-foo, permessage-deflate; server_max_window_bits=9',
      {},
      'permessage-deflate; server_max_window_bits=9',
      agreed({ serverMaxWindowBits: 9 }),
    ],
  ])('accepts %s', (_name, header, options, response, negotiated) => {
    expect(serverAnswer(header, options)).toEqual({ ok: true, response, negotiated });
  });

  it('reads repeated header lines as one list', () => {
    expect(serverAnswer(['x-foo', 'permessage-deflate; server_no_context_takeover'])).toEqual({
      ok: true,
      response: 'permessage-deflate; server_no_context_takeover',
      negotiated: agreed({ serverNoContextTakeover: true }),
    });
  });

  it('answers with a value our own parser and client accept', () => {
    const result = serverAnswer('permessage-deflate; client_max_window_bits; server_max_window_bits=10', {
      clientMaxWindowBits: 11,
      serverNoContextTakeover: true,
    });
    if (!result.ok || result.response === null) throw new Error('expected an answer');
    expect(parseExtensions(result.response).ok).toBe(true);
    expect(
      acceptDeflateResponse(
        result.response,
        resolveDeflateOptions({ serverMaxWindowBits: 10, clientMaxWindowBits: 15 }),
      ),
    ).toEqual({ ok: true, negotiated: result.negotiated });
  });

  it.each<[string, string, DeflateOptions, RegExp]>([
    ['an unknown parameter', 'permessage-deflate; x=1', {}, /unknown parameter x/],
    [
      'a parameter in another case',
      'permessage-deflate; Server_No_Context_Takeover',
      {},
      /unknown parameter/,
    ],
    [
      'a duplicate flag',
      'permessage-deflate; server_no_context_takeover; server_no_context_takeover',
      {},
      /duplicate parameter server_no_context_takeover/,
    ],
    [
      'a duplicate window',
      'permessage-deflate; client_max_window_bits; client_max_window_bits=10',
      {},
      /duplicate parameter client_max_window_bits/,
    ],
    [
      'a value on server_no_context_takeover',
      'permessage-deflate; server_no_context_takeover=1',
      {},
      /server_no_context_takeover must not have a value/,
    ],
    [
      'a value on client_no_context_takeover',
      'permessage-deflate; client_no_context_takeover="x"',
      {},
      /client_no_context_takeover must not have a value/,
    ],
    [
      'server_max_window_bits without a value',
      'permessage-deflate; server_max_window_bits',
      {},
      /server_max_window_bits must be 8\.\.15, got no value/,
    ],
    ['server_max_window_bits=7', 'permessage-deflate; server_max_window_bits=7', {}, /got "7"/],
    ['server_max_window_bits=16', 'permessage-deflate; server_max_window_bits=16', {}, /got "16"/],
    ['client_max_window_bits=0', 'permessage-deflate; client_max_window_bits=0', {}, /got "0"/],
    ['client_max_window_bits=16', 'permessage-deflate; client_max_window_bits=16', {}, /got "16"/],
    ['a leading zero', 'permessage-deflate; client_max_window_bits=09', {}, /got "09"/],
    ['a quoted leading zero', 'permessage-deflate; server_max_window_bits="010"', {}, /got "010"/],
    ['a sign', 'permessage-deflate; server_max_window_bits=+9', {}, /got "\+9"/],
    ['a non-number', 'permessage-deflate; server_max_window_bits=ten', {}, /got "ten"/],
    [
      'server_max_window_bits=8 (zlib cannot compress with 8)',
      'permessage-deflate; server_max_window_bits=8',
      {},
      /server_max_window_bits=8 cannot be honoured/,
    ],
    [
      'server_max_window_bits=8 under our own limit of 8',
      'permessage-deflate; server_max_window_bits=8',
      { serverMaxWindowBits: 8 },
      /server_max_window_bits=8 cannot be honoured/,
    ],
    [
      'an offer we cannot limit when clientMaxWindowBits is set (as ws does)',
      'permessage-deflate',
      { clientMaxWindowBits: 10 },
      /no client_max_window_bits to limit the client to 10/,
    ],
  ])('declines %s', (_name, header, options, reason) => {
    const result = serverAnswer(header, options);
    expect(result).toMatchObject({ ok: true, response: null });
    if (result.ok && result.response === null) {
      expect(result.declined).toHaveLength(1);
      expect(result.declined[0]).toMatch(/^offer 1: /);
      expect(result.declined[0]).toMatch(reason);
    }
  });

  it('says why each offer was declined, numbered as in the header', () => {
    expect(
      serverAnswer('x-foo, permessage-deflate; server_max_window_bits=8, permessage-deflate; a', {}),
    ).toEqual({
      ok: true,
      response: null,
      declined: [
        'offer 2: server_max_window_bits=8 cannot be honoured (zlib compresses with 9)',
        'offer 3: unknown parameter a',
      ],
    });
  });

  it.each([
    ['no header', ''],
    ['other extensions only', 'x-webkit-deflate-frame, permessage-foo'],
    ['another case of the name (names are exact, as in ws)', 'PerMessage-Deflate'],
  ])('answers without the extension for %s', (_name, header) => {
    expect(serverAnswer(header)).toEqual({ ok: true, response: null, declined: [] });
  });

  it.each([
    ['a broken element', 'permessage-deflate; client_max_window_bits=10 x'],
    ['an unterminated quote', 'permessage-deflate; client_max_window_bits="10'],
    ['a broken element after a good offer', 'permessage-deflate, foo bar'],
    ['a non-token quoted value', 'permessage-deflate; client_max_window_bits="1 0"'],
  ])('fails for malformed grammar: %s (the caller answers 400)', (_name, header) => {
    const result = serverAnswer(header);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/^Invalid Sec-WebSocket-Extensions/);
  });
});

describe('buildDeflateOffer (client)', () => {
  it.each<[string, DeflateOptions, string]>([
    ['the defaults (a bare client_max_window_bits)', {}, 'permessage-deflate; client_max_window_bits'],
    ['our window', { clientMaxWindowBits: 10 }, 'permessage-deflate; client_max_window_bits=10'],
    ['our window option 8 as 9', { clientMaxWindowBits: 8 }, 'permessage-deflate; client_max_window_bits=9'],
    [
      'a server window of 8 (our inflater copes)',
      { serverMaxWindowBits: 8 },
      'permessage-deflate; server_max_window_bits=8; client_max_window_bits',
    ],
    ['no server window at 15', { serverMaxWindowBits: 15 }, 'permessage-deflate; client_max_window_bits'],
    [
      'every parameter',
      {
        serverNoContextTakeover: true,
        clientNoContextTakeover: true,
        serverMaxWindowBits: 10,
        clientMaxWindowBits: 12,
      },
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=12',
    ],
  ])('offers %s', (_name, options, offer) => {
    expect(buildDeflateOffer(wsOptions(options))).toBe(offer);
  });

  it('makes an offer our own server accepts as offered', () => {
    const options = wsOptions({
      serverNoContextTakeover: true,
      clientNoContextTakeover: true,
      serverMaxWindowBits: 10,
      clientMaxWindowBits: 12,
    });
    const answer = acceptDeflateOffer(buildDeflateOffer(options), wsOptions());
    const negotiated = {
      serverNoContextTakeover: true,
      clientNoContextTakeover: true,
      serverMaxWindowBits: 10,
      clientMaxWindowBits: 12,
    };
    expect(answer).toEqual({
      ok: true,
      response:
        'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=12',
      negotiated,
    });
    if (answer.ok && answer.response !== null) {
      expect(acceptDeflateResponse(answer.response, options)).toEqual({ ok: true, negotiated });
    }
  });
});

describe('acceptDeflateResponse (client)', () => {
  it.each<[string, string | string[], DeflateOptions, NegotiatedDeflate | null]>([
    ['no header (the server declined)', '', {}, null],
    ['no header although we asked for everything', '', { serverMaxWindowBits: 10 }, null],
    ['a bare acceptance', 'permessage-deflate', {}, agreed()],
    [
      'client_max_window_bits lowering our window',
      'permessage-deflate; client_max_window_bits=10',
      {},
      agreed({ clientMaxWindowBits: 10 }),
    ],
    [
      'client_max_window_bits equal to our offer',
      'permessage-deflate; client_max_window_bits=12',
      { clientMaxWindowBits: 12 },
      agreed({ clientMaxWindowBits: 12 }),
    ],
    [
      'no client_max_window_bits: we keep our own window',
      'permessage-deflate',
      { clientMaxWindowBits: 12 },
      agreed({ clientMaxWindowBits: 12 }),
    ],
    [
      'a quoted value',
      'permessage-deflate; client_max_window_bits="9"',
      {},
      agreed({ clientMaxWindowBits: 9 }),
    ],
    [
      'server_max_window_bits unasked (the server uses a smaller window)',
      'permessage-deflate; server_max_window_bits=11',
      {},
      agreed({ serverMaxWindowBits: 11 }),
    ],
    [
      'server_max_window_bits=8 unasked (our inflater copes)',
      'permessage-deflate; server_max_window_bits=8',
      {},
      agreed({ serverMaxWindowBits: 8 }),
    ],
    [
      'server_max_window_bits equal to our offer',
      'permessage-deflate; server_max_window_bits=10',
      { serverMaxWindowBits: 10 },
      agreed({ serverMaxWindowBits: 10 }),
    ],
    [
      'server_max_window_bits below our offer',
      'permessage-deflate; server_max_window_bits=9',
      { serverMaxWindowBits: 10 },
      agreed({ serverMaxWindowBits: 9 }),
    ],
    [
      'server_no_context_takeover unasked',
      'permessage-deflate; server_no_context_takeover',
      {},
      agreed({ serverNoContextTakeover: true }),
    ],
    [
      'client_no_context_takeover unasked (we must reset)',
      'permessage-deflate; client_no_context_takeover',
      {},
      agreed({ clientNoContextTakeover: true }),
    ],
    [
      'our client_no_context_takeover kept when the server leaves it out',
      'permessage-deflate',
      { clientNoContextTakeover: true },
      agreed({ clientNoContextTakeover: true }),
    ],
    [
      'every parameter',
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=11',
      { serverNoContextTakeover: true, serverMaxWindowBits: 12 },
      {
        serverNoContextTakeover: true,
        clientNoContextTakeover: true,
        serverMaxWindowBits: 10,
        clientMaxWindowBits: 11,
      },
    ],
    ['repeated header lines', ['permessage-deflate', ''], {}, agreed()],
  ])('accepts %s', (_name, header, options, negotiated) => {
    expect(clientReading(header, options)).toEqual({ ok: true, negotiated });
  });

  it.each<[string, string, DeflateOptions, RegExp]>([
    [
      'malformed grammar',
      'permessage-deflate; client_max_window_bits=',
      {},
      /^Invalid Sec-WebSocket-Extensions/,
    ],
    ['an extension we did not offer', 'x-foo', {}, /accepted extension x-foo, which was not offered/],
    [
      'an extension we did not offer beside ours',
      'permessage-deflate, x-foo',
      {},
      /accepted extension x-foo, which was not offered/,
    ],
    [
      'permessage-deflate twice',
      'permessage-deflate, permessage-deflate; client_max_window_bits=10',
      {},
      /permessage-deflate is accepted more than once/,
    ],
    ['an unknown parameter', 'permessage-deflate; foo', {}, /unknown parameter foo/],
    [
      'a duplicate parameter',
      'permessage-deflate; server_max_window_bits=10; server_max_window_bits=10',
      {},
      /duplicate parameter server_max_window_bits/,
    ],
    [
      'a value on a flag',
      'permessage-deflate; client_no_context_takeover=true',
      {},
      /client_no_context_takeover must not have a value/,
    ],
    [
      'client_max_window_bits without a value (legal in an offer only)',
      'permessage-deflate; client_max_window_bits',
      {},
      /client_max_window_bits must be 8\.\.15, got no value/,
    ],
    [
      'server_max_window_bits without a value',
      'permessage-deflate; server_max_window_bits',
      {},
      /server_max_window_bits must be 8\.\.15, got no value/,
    ],
    ['a window of 16', 'permessage-deflate; server_max_window_bits=16', {}, /got "16"/],
    ['a window of 7', 'permessage-deflate; client_max_window_bits=7', {}, /got "7"/],
    [
      'client_max_window_bits=8 (zlib cannot compress with 8)',
      'permessage-deflate; client_max_window_bits=8',
      {},
      /client_max_window_bits=8 cannot be honoured/,
    ],
    [
      'client_max_window_bits above our offer',
      'permessage-deflate; client_max_window_bits=13',
      { clientMaxWindowBits: 12 },
      /client_max_window_bits=13 is above the 12 offered/,
    ],
    [
      'server_max_window_bits above our offer',
      'permessage-deflate; server_max_window_bits=11',
      { serverMaxWindowBits: 10 },
      /server_max_window_bits=11 is above the 10 offered/,
    ],
    [
      'our server_max_window_bits left unanswered',
      'permessage-deflate',
      { serverMaxWindowBits: 10 },
      /server_max_window_bits=10 was offered but not accepted/,
    ],
    [
      'our server_no_context_takeover left unanswered',
      'permessage-deflate; client_no_context_takeover',
      { serverNoContextTakeover: true },
      /server_no_context_takeover was offered but not accepted/,
    ],
  ])('fails the handshake for %s', (_name, header, options, reason) => {
    const result = clientReading(header, options);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });

  it('explains a failure in one sentence', () => {
    expect(clientReading('permessage-deflate; client_max_window_bits=8')).toEqual({
      ok: false,
      reason:
        'Invalid permessage-deflate response: client_max_window_bits=8 cannot be honoured (zlib compresses with 9)',
    });
  });
});

describe('the lean preset (the default)', () => {
  const lean = resolveDeflateOptions(true);

  it.each<[string, string, string, NegotiatedDeflate]>([
    // What every browser sends: both windows limited to 13.
    [
      'a bare client_max_window_bits',
      'permessage-deflate; client_max_window_bits',
      'permessage-deflate; server_max_window_bits=13; client_max_window_bits=13',
      agreed({ serverMaxWindowBits: 13, clientMaxWindowBits: 13 }),
    ],
    // RFC 7692 §7.1.2.2: without the parameter the client may use 15; we still state our own.
    [
      'an offer that cannot limit the client',
      'permessage-deflate',
      'permessage-deflate; server_max_window_bits=13',
      agreed({ serverMaxWindowBits: 13 }),
    ],
    [
      'smaller windows offered, kept',
      'permessage-deflate; server_max_window_bits=10; client_max_window_bits=9',
      'permessage-deflate; server_max_window_bits=10; client_max_window_bits=9',
      agreed({ serverMaxWindowBits: 10, clientMaxWindowBits: 9 }),
    ],
  ])('a server answers %s', (_name, offer, response, negotiated) => {
    expect(acceptDeflateOffer(offer, lean)).toEqual({ ok: true, response, negotiated });
  });

  it('a server with clientMaxWindowBits set declines an offer that cannot limit the client (as ws does)', () => {
    const answer = acceptDeflateOffer(
      'permessage-deflate',
      resolveDeflateOptions({ clientMaxWindowBits: 13 }),
    );
    expect(answer).toMatchObject({ ok: true, response: null });
  });

  it('a client offers the limited windows first and the unlimited server window second', () => {
    expect(buildDeflateOffer(lean)).toBe(
      'permessage-deflate; server_max_window_bits=13; client_max_window_bits=13, permessage-deflate; client_max_window_bits=13',
    );
  });

  it.each<[string, string, NegotiatedDeflate]>([
    [
      'the first offer accepted',
      'permessage-deflate; server_max_window_bits=13; client_max_window_bits=13',
      agreed({ serverMaxWindowBits: 13, clientMaxWindowBits: 13 }),
    ],
    ['the second offer accepted', 'permessage-deflate', agreed({ clientMaxWindowBits: 13 })],
    [
      'the second offer, with a server window stated unasked',
      'permessage-deflate; server_max_window_bits=14',
      agreed({ serverMaxWindowBits: 14, clientMaxWindowBits: 13 }),
    ],
  ])('a client reads %s', (_name, response, negotiated) => {
    expect(acceptDeflateResponse(response, lean)).toEqual({ ok: true, negotiated });
  });

  it('a client that set serverMaxWindowBits itself still fails an answer without it', () => {
    const strict = resolveDeflateOptions({ serverMaxWindowBits: 13 });
    expect(buildDeflateOffer(strict)).toBe(
      'permessage-deflate; server_max_window_bits=13; client_max_window_bits=13',
    );
    expect(acceptDeflateResponse('permessage-deflate', strict)).toMatchObject({ ok: false });
  });

  it('our lean client and our lean server agree on 13 both ways', () => {
    const answer = acceptDeflateOffer(buildDeflateOffer(lean), lean);
    expect(answer).toMatchObject({ ok: true });
    if (!answer.ok || answer.response === null) throw new Error('declined');
    expect(acceptDeflateResponse(answer.response, lean)).toEqual({
      ok: true,
      negotiated: agreed({ serverMaxWindowBits: 13, clientMaxWindowBits: 13 }),
    });
  });
});
