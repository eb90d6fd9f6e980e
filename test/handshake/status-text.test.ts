import { STATUS_CODES } from 'node:http';
import { describe, expect, it } from 'vitest';
import { statusText } from '../../src/handshake/status-text.js';

// RFC 9110 §15.5 and §15.6 (418 is reserved there without a meaning), plus RFC 6585's 429 and 431.
const PHRASES: [number, string][] = [
  [400, 'Bad Request'],
  [401, 'Unauthorized'],
  [402, 'Payment Required'],
  [403, 'Forbidden'],
  [404, 'Not Found'],
  [405, 'Method Not Allowed'],
  [406, 'Not Acceptable'],
  [407, 'Proxy Authentication Required'],
  [408, 'Request Timeout'],
  [409, 'Conflict'],
  [410, 'Gone'],
  [411, 'Length Required'],
  [412, 'Precondition Failed'],
  [413, 'Content Too Large'],
  [414, 'URI Too Long'],
  [415, 'Unsupported Media Type'],
  [416, 'Range Not Satisfiable'],
  [417, 'Expectation Failed'],
  [421, 'Misdirected Request'],
  [422, 'Unprocessable Content'],
  [426, 'Upgrade Required'],
  [429, 'Too Many Requests'],
  [431, 'Request Header Fields Too Large'],
  [500, 'Internal Server Error'],
  [501, 'Not Implemented'],
  [502, 'Bad Gateway'],
  [503, 'Service Unavailable'],
  [504, 'Gateway Timeout'],
  [505, 'HTTP Version Not Supported'],
];

// RFC 9110 renamed these; node:http still uses the RFC 7231 names.
const RENAMED_BY_RFC_9110 = new Set([413, 422]);

describe('statusText', () => {
  it.each(PHRASES)('names %i %j', (status, phrase) => {
    expect(statusText(status)).toBe(phrase);
  });

  it('names 101 Switching Protocols', () => {
    expect(statusText(101)).toBe('Switching Protocols');
  });

  it('agrees with node:http on every phrase RFC 9110 did not rename', () => {
    for (const [status] of PHRASES) {
      if (!RENAMED_BY_RFC_9110.has(status))
        expect(statusText(status), String(status)).toBe(STATUS_CODES[status]);
    }
  });

  it.each([418, 499, 599, 200, 0, 400.5])('gives an empty phrase for %s', (status) => {
    expect(statusText(status)).toBe('');
  });

  it('has a phrase for exactly the statuses listed, among all of 400-599', () => {
    const named: number[] = [];
    for (let status = 400; status <= 599; status++) if (statusText(status) !== '') named.push(status);
    expect(named).toEqual(PHRASES.map(([status]) => status));
  });
});
