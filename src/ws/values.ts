// The values ws hands out and takes, converted: what `send` accepts turned into bytes, ws's
// URL and close-code rules, and stand-ins for node's request and response objects.
import { IncomingMessage } from 'node:http';

/** What `send` takes, as in ws. */
export type Data =
  | string
  | Buffer
  | ArrayBuffer
  | ArrayBufferView
  | Blob
  | readonly number[]
  | readonly Uint8Array[]
  | number;

export const EMPTY = Buffer.alloc(0);

/** ws's rule for close codes an application may send. */
export function isValidStatusCode(code: number): boolean {
  return (
    (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) ||
    (code >= 3000 && code <= 4999)
  );
}

export function toBytes(data: Exclude<Data, string | number | Blob> | null | undefined): Buffer {
  if (data === undefined || data === null) return EMPTY;
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  // A `fragments` message sent on as it came: its pieces joined.
  if (Array.isArray(data) && data.length > 0 && data[0] instanceof Uint8Array) {
    return Buffer.concat(data as readonly Uint8Array[]);
  }
  return Buffer.from(data as readonly number[]);
}

/** A socket error the session reports (ECONNRESET, EPIPE): ws does not emit those. */
export function isSocketError(error: Error): boolean {
  const code = (error as { code?: unknown }).code;
  return 'syscall' in error || (typeof code === 'string' && /^(E[A-Z]+|ERR_STREAM_\w+)$/.test(code));
}

/** A stand-in for node's ClientRequest in `upgrade`/`unexpected-response`/`redirect`: nothing to abort. */
export const REQUEST_STANDIN = Object.freeze({ abort() {}, destroy() {} });

/** The 101 or a refusal as an IncomingMessage: statusCode, statusMessage, headers, the body read. */
export function responseOf(
  status: number,
  statusText: string,
  headers: Record<string, string | string[]>,
  body = '',
) {
  // node's own class, so `instanceof IncomingMessage` holds; it reads from no socket.
  const response = new IncomingMessage(null as never);
  response._read = () => {};
  response.statusCode = status;
  response.statusMessage = statusText;
  response.headers = asNodeHeaders(headers);
  response.httpVersion = '1.1';
  if (body !== '') response.push(Buffer.from(body));
  response.push(null);
  return response;
}

/** Headers as node's IncomingMessage holds them: `set-cookie` always a list, other repeats joined. */
function asNodeHeaders(headers: Record<string, string | string[]>): Record<string, string | string[]> {
  const result: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name === 'set-cookie') result[name] = Array.isArray(value) ? value : [value];
    else result[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return result;
}

/** ws's URL rules: http(s) taken as ws(s), `ws+unix:` kept, no fragment; SyntaxError otherwise. */
export function clientUrl(address: string | URL): string {
  let url: URL;
  if (address instanceof URL) url = new URL(address.href);
  else {
    try {
      url = new URL(address);
    } catch {
      throw new SyntaxError(`Invalid URL: ${address}`);
    }
  }
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.protocol === 'ws+unix:' && url.pathname === '')
    throw new SyntaxError("The URL's pathname is empty");
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:' && url.protocol !== 'ws+unix:') {
    throw new SyntaxError(
      'The URL\'s protocol must be one of "ws:", "wss:", "http:", "https:", or "ws+unix:"',
    );
  }
  if (url.hash !== '') throw new SyntaxError('The URL contains a fragment identifier');
  return url.href;
}
