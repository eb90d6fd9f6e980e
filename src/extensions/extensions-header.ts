/**
 * The `Sec-WebSocket-Extensions` header grammar (RFC 6455 §9.1):
 *
 *     extension-list  = 1#extension
 *     extension       = extension-token *( ";" extension-param )
 *     extension-param = token [ "=" (token | quoted-string) ]
 *
 * Parsing keeps order and duplicates (an offer may list one extension several times as alternatives,
 * and a repeated parameter is for the negotiator to reject). Names are kept as written.
 */

import { isToken, isTokenChar } from '../handshake/http-token.js';

/** One extension parameter: `[name, value]`, where `true` stands for a parameter without a value. */
export type ExtensionParam = [name: string, value: string | true];

/** One element of an extension list: the extension's name and its parameters in order. */
export interface ExtensionEntry {
  /** The extension token, e.g. `permessage-deflate`. */
  name: string;
  /** Parameters in the order written, duplicates included. */
  params: ExtensionParam[];
}

/** The result of {@link parseExtensions}: the entries, or why the header is malformed. */
export type ExtensionsParseResult =
  | { ok: true; extensions: ExtensionEntry[] }
  | { ok: false; reason: string };

const SPACE = 0x20;
const TAB = 0x09;
const COMMA = 0x2c;
const SEMICOLON = 0x3b;
const EQUALS = 0x3d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Parses one or more `Sec-WebSocket-Extensions` header values.
 *
 * Repeated header lines (an array) are one list, as RFC 9110 §5.3 allows. Empty list elements are
 * skipped (RFC 9110 §5.6.1), so an empty or absent header yields no extensions rather than an error.
 *
 * @param header - the header value, or every value of a repeated header.
 * @returns the entries in order, or `{ ok: false, reason }` naming the broken rule.
 */
export function parseExtensions(header: string | readonly string[]): ExtensionsParseResult {
  const text = typeof header === 'string' ? header : header.join(',');
  const reader = new HeaderReader(text);
  const extensions: ExtensionEntry[] = [];

  while (true) {
    reader.skipWhitespace();
    if (reader.atEnd()) break;
    if (reader.take(COMMA)) continue; // RFC 9110 §5.6.1: empty list elements are ignored

    const name = reader.token();
    if (name === '') return reader.fail('expected an extension name');
    const params: ExtensionParam[] = [];
    reader.skipWhitespace();

    while (reader.take(SEMICOLON)) {
      reader.skipWhitespace();
      const paramName = reader.token();
      if (paramName === '') return reader.fail(`expected a parameter name in extension ${name}`);
      reader.skipWhitespace();
      if (!reader.take(EQUALS)) {
        params.push([paramName, true]);
        continue;
      }
      reader.skipWhitespace();
      const value = reader.peek() === QUOTE ? reader.quotedString() : reader.token();
      if (value === null) return reader.fail(`unterminated quoted-string in parameter ${paramName}`);
      // RFC 6455 §9.1: a quoted-string value MUST conform to the token ABNF once unquoted.
      if (!isToken(value)) return reader.fail(`parameter ${paramName} of ${name} must have a token value`);
      params.push([paramName, value]);
      reader.skipWhitespace();
    }

    extensions.push({ name, params });
    if (reader.atEnd()) break;
    if (!reader.take(COMMA)) return reader.fail(`expected "," or ";" after extension ${name}`);
  }
  return { ok: true, extensions };
}

/**
 * Serializes extension entries as one `Sec-WebSocket-Extensions` value, e.g.
 * `permessage-deflate; client_max_window_bits=10, x-foo`.
 *
 * @param extensions - the entries; names and values must be tokens.
 * @returns the header value (empty for no entries).
 * @throws TypeError if a name or value is not an HTTP token.
 */
export function serializeExtensions(extensions: readonly ExtensionEntry[]): string {
  return extensions
    .map(({ name, params }) => {
      if (!isToken(name)) throw new TypeError(`Extension name ${JSON.stringify(name)} is not a token`);
      let element = name;
      for (const [paramName, value] of params) {
        if (!isToken(paramName)) {
          throw new TypeError(`Parameter name ${JSON.stringify(paramName)} of ${name} is not a token`);
        }
        if (value === true) {
          element += `; ${paramName}`;
          continue;
        }
        // Values are tokens (RFC 6455 §9.1), so they never need quoting.
        if (typeof value !== 'string' || !isToken(value)) {
          throw new TypeError(`Value ${JSON.stringify(value)} of parameter ${paramName} is not a token`);
        }
        element += `; ${paramName}=${value}`;
      }
      return element;
    })
    .join(', ');
}

/** A cursor over one header value. */
class HeaderReader {
  private position = 0;

  constructor(private readonly text: string) {}

  atEnd(): boolean {
    return this.position >= this.text.length;
  }

  peek(): number {
    return this.text.charCodeAt(this.position);
  }

  /** Consumes `code` if it is next. */
  take(code: number): boolean {
    if (this.peek() !== code) return false;
    this.position++;
    return true;
  }

  // OWS = *( SP / HTAB ) (RFC 9110 §5.6.3)
  skipWhitespace(): void {
    while (this.peek() === SPACE || this.peek() === TAB) this.position++;
  }

  /** Consumes the longest run of `tchar`s; empty if none. */
  token(): string {
    const start = this.position;
    while (!this.atEnd() && isTokenChar(this.peek())) this.position++;
    return this.text.slice(start, this.position);
  }

  /** Consumes a quoted-string (RFC 9110 §5.6.4) and returns its unescaped content, or `null` if unterminated. */
  quotedString(): string | null {
    this.position++; // the opening quote
    let content = '';
    while (!this.atEnd()) {
      const code = this.peek();
      this.position++;
      if (code === QUOTE) return content;
      if (code === BACKSLASH) {
        if (this.atEnd()) return null;
        content += this.text[this.position++];
      } else {
        content += String.fromCharCode(code);
      }
    }
    return null;
  }

  fail(rule: string): { ok: false; reason: string } {
    return { ok: false, reason: `Invalid Sec-WebSocket-Extensions at offset ${this.position}: ${rule}` };
  }
}
