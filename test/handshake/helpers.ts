// Handshake test helpers: the RFC 6455 example key and accept, and a small HTTP/1.1 head parser
// that presents a head as node would (start line split, lower-case header map, repeats as arrays).
import { expect } from 'vitest';
import type { HeaderMap } from '../../src/handshake/headers.js';

// RFC 6455 §1.3 / §4.2.2 example.
export const RFC_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
export const RFC_ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

/** Test-only HTTP/1.1 head parser: start line plus a lower-case header map, repeats as arrays. */
export function parseHead(head: string): { startLine: string[]; headers: HeaderMap } {
  expect(head.endsWith('\r\n\r\n')).toBe(true);
  const [startLine, ...lines] = head.slice(0, -4).split('\r\n');
  const headers: HeaderMap = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    const existing = headers[name];
    headers[name] = existing === undefined ? value : [existing, value].flat();
  }
  return { startLine: startLine!.split(' '), headers };
}
