/**
 * Reason phrases for the status lines the server writes: 101 and every 4xx and 5xx status RFC 9110
 * §15 defines, plus 429 and 431 (RFC 6585 §4, §5). The phrase is informative only (RFC 9112 §4), but
 * an empty one reads as a broken server in logs and browser consoles.
 */

// RFC 9110 §15.5.19 reserves 418 without a meaning, so it has no phrase here.
const REASON_PHRASES: ReadonlyMap<number, string> = new Map([
  [101, 'Switching Protocols'],
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
]);

/**
 * The reason phrase for a status, as RFC 9110 names it, e.g. `Request Timeout` for 408.
 *
 * @param status - the status code.
 * @returns the phrase, or `''` for a status without one here (e.g. 418, 499), which a status line allows.
 */
export function statusText(status: number): string {
  return REASON_PHRASES.get(status) ?? '';
}
