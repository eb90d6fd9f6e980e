/**
 * The HTTP `token` grammar (RFC 9110 §5.6.2, formerly RFC 7230 §3.2.6), shared by the handshake
 * headers, the head readers and the `Sec-WebSocket-Extensions` grammar.
 */

/**
 * One `tchar` as a regular-expression character class, for grammars that embed a token (the
 * request line's method):
 * tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
 */
export const TCHAR_PATTERN = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]";

const TOKEN = new RegExp(`^${TCHAR_PATTERN}+$`);

/**
 * Tells whether `text` is a non-empty HTTP token.
 *
 * @param text - the candidate token.
 */
export function isToken(text: string): boolean {
  return TOKEN.test(text);
}

/**
 * Tells whether one character code is a `tchar`.
 *
 * @param code - a UTF-16 code unit.
 */
export function isTokenChar(code: number): boolean {
  return code < 128 && TOKEN_CHARS[code] === 1;
}

const TOKEN_CHARS = new Uint8Array(128);
for (let code = 0; code < 128; code++) {
  if (TOKEN.test(String.fromCharCode(code))) TOKEN_CHARS[code] = 1;
}
