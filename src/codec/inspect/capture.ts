// Captures in the forms people have them: raw bytes, hex dumps, base64, pcap and pcapng of a
// TCP conversation. decodeCapture() finds the WebSocket byte streams in one and who sent
// each; inspectCapture() inspects every stream with the right role and the permessage-deflate
// settings the 101 response agreed on.
import { type InspectDeflateOptions, type InspectResult, inspect } from './inspect.js';
import { pcapFormat, readTcpSegments } from './pcap.js';
import { type HttpHead, readHttpHead, tcpConversations } from './tcp.js';
import { looksLikeText, parseBase64, parseHexDump } from './text-dump.js';

/** One direction of WebSocket bytes found in a capture. */
export interface CaptureStream {
  /** The side that sent these bytes, or `null` when the capture does not say. */
  from: 'client' | 'server' | null;
  /** The WebSocket bytes, after any HTTP head. */
  bytes: Uint8Array;
  /** The `Sec-WebSocket-Extensions` the server's 101 answered, or `''`. */
  extensions: string;
  /** Where the stream came from, for people: addresses, what was guessed. */
  label: string;
}

/** What {@link decodeCapture} found: the input's format and its streams. */
export interface DecodedCapture {
  format: 'raw' | 'hex' | 'base64' | 'pcap' | 'pcapng';
  streams: CaptureStream[];
}

/**
 * Recognises a capture's format and returns its WebSocket streams. pcap/pcapng: each TCP
 * connection whose client sent an HTTP/1.1 upgrade gives two streams (client then server),
 * with the 101's extensions; when no connection has an upgrade, every direction is returned
 * with `from: null`. Text (hex dump, base64) and raw bytes give one stream (two for a
 * Wireshark "Follow TCP Stream" hex dump); a stream that starts with an HTTP head is cut after
 * it and its side taken from it. Never throws.
 */
export function decodeCapture(input: Uint8Array): DecodedCapture {
  const container = pcapFormat(input);
  if (container !== null) return { format: container, streams: packetStreams(input) };
  if (looksLikeText(input)) {
    const text = new TextDecoder().decode(input);
    const hex = parseHexDump(text);
    if (hex !== null) return { format: 'hex', streams: byteStreams(hex, 'hex dump') };
    const base64 = parseBase64(text);
    if (base64 !== null) return { format: 'base64', streams: byteStreams([base64], 'base64') };
  }
  return { format: 'raw', streams: byteStreams([input], 'raw bytes') };
}

/** Streams of bytes without addresses: an HTTP head, when there is one, says the side. */
function byteStreams(parts: readonly Uint8Array[], what: string): CaptureStream[] {
  const heads = parts.map((bytes) => readHttpHead(bytes));
  const response = heads.find((head) => head?.startLine.startsWith('HTTP/'));
  const extensions = response?.headers.get('sec-websocket-extensions') ?? '';
  return parts.map((bytes, i) => {
    const head = heads[i];
    const label = parts.length > 1 ? `${what}, direction ${i + 1}` : what;
    if (head === null) return { from: null, bytes, extensions, label };
    const from = head.startLine.startsWith('HTTP/') ? 'server' : 'client';
    return {
      from,
      bytes: bytes.subarray(head.length),
      extensions,
      label: `${label}: ${from} (after "${head.startLine}")`,
    };
  });
}

function isUpgradeRequest(head: HttpHead | null): boolean {
  return head?.startLine.startsWith('GET ') === true && /websocket/i.test(head.headers.get('upgrade') ?? '');
}

function packetStreams(input: Uint8Array): CaptureStream[] {
  const conversations = tcpConversations(readTcpSegments(input));
  const found: CaptureStream[] = [];
  for (const { streams } of conversations) {
    const heads = streams.map((stream) => readHttpHead(stream.bytes));
    const clientIndex = heads.findIndex(isUpgradeRequest);
    if (clientIndex < 0) continue;
    const client = streams[clientIndex];
    const serverIndex = streams.findIndex((_, i) => i !== clientIndex);
    const server = serverIndex < 0 ? undefined : streams[serverIndex];
    const response = serverIndex < 0 ? null : heads[serverIndex];
    const switched = response !== null && /^HTTP\/1\.1 101\b/.test(response.startLine);
    const extensions = switched ? (response.headers.get('sec-websocket-extensions') ?? '') : '';
    const lost = (missing: number) =>
      missing > 0
        ? `, cut at a range missing from the capture (${missing} bytes from there not decoded)`
        : '';
    found.push({
      from: 'client',
      bytes: client.bytes.subarray(heads[clientIndex]!.length),
      extensions,
      label: `${client.source} → ${client.destination} (client, after "${heads[clientIndex]!.startLine}")${lost(client.missing)}`,
    });
    if (server !== undefined) {
      found.push({
        from: 'server',
        bytes: switched ? server.bytes.subarray(response.length) : new Uint8Array(0),
        extensions,
        label: switched
          ? `${server.source} → ${server.destination} (server, after "${response.startLine}")${lost(server.missing)}`
          : `${server.source} → ${server.destination} (server: no 101 answer, nothing decoded)`,
      });
    }
  }
  if (found.length > 0) return found;
  // No upgrade captured (the capture started later): every direction that carried bytes.
  for (const { streams } of conversations) {
    for (const stream of streams) {
      if (stream.bytes.length === 0) continue;
      found.push({
        from: null,
        bytes: stream.bytes,
        extensions: '',
        label: `${stream.source} → ${stream.destination} (no HTTP upgrade captured)`,
      });
    }
  }
  return found;
}

/**
 * permessage-deflate's settings from a `Sec-WebSocket-Extensions` answer (RFC 7692 §7.1), or
 * `false` when it does not name the extension.
 */
export function deflateFromExtensions(extensions: string): false | InspectDeflateOptions {
  for (const element of extensions.split(',')) {
    const [name = '', ...params] = element.split(';').map((part) => part.trim());
    if (name.toLowerCase() !== 'permessage-deflate') continue;
    const options: InspectDeflateOptions = {};
    for (const param of params) {
      const [key = '', value = ''] = param.split('=').map((part) => part.trim().replace(/^"|"$/g, ''));
      const bits = Number.parseInt(value, 10);
      switch (key.toLowerCase()) {
        case 'server_no_context_takeover':
          options.serverNoContextTakeover = true;
          break;
        case 'client_no_context_takeover':
          options.clientNoContextTakeover = true;
          break;
        case 'server_max_window_bits':
          if (bits >= 8 && bits <= 15) options.serverMaxWindowBits = bits;
          break;
        case 'client_max_window_bits':
          if (bits >= 8 && bits <= 15) options.clientMaxWindowBits = bits;
          break;
      }
    }
    return options;
  }
  return false;
}

/** Options of {@link inspectCapture}. */
export interface InspectCaptureOptions {
  /** The sender of a stream the capture does not name (raw, hex, base64). Default: guessed from the first frame's MASK bit. */
  from?: 'client' | 'server';
  /** permessage-deflate for a stream whose capture has no 101 answer. Default: off. */
  deflate?: boolean | InspectDeflateOptions;
  /** Passed to {@link inspect}. */
  previewBytes?: number;
  /** Passed to {@link inspect}. */
  textBytes?: number;
}

/**
 * Decodes a capture ({@link decodeCapture}) and inspects each of its streams: the side from
 * the capture, else `options.from`, else the first frame's MASK bit (client frames are
 * masked; the label then says it was guessed); permessage-deflate from the 101 answer, else
 * `options.deflate`. Never throws on the input.
 */
export async function inspectCapture(
  input: Uint8Array,
  options: InspectCaptureOptions = {},
): Promise<Array<{ stream: CaptureStream; result: InspectResult }>> {
  const { streams } = decodeCapture(input);
  const out: Array<{ stream: CaptureStream; result: InspectResult }> = [];
  for (const found of streams) {
    const stream = { ...found };
    let from = stream.from ?? options.from;
    if (from === undefined) {
      from = stream.bytes.length > 1 && (stream.bytes[1] & 0x80) !== 0 ? 'client' : 'server';
      stream.label += ` (sender guessed from the first frame's MASK bit: ${from})`;
    }
    const negotiated = stream.extensions === '' ? false : deflateFromExtensions(stream.extensions);
    const deflate = negotiated !== false ? negotiated : stream.extensions === '' ? options.deflate : false;
    const result = await inspect(stream.bytes, {
      from,
      deflate,
      previewBytes: options.previewBytes,
      textBytes: options.textBytes,
    });
    out.push({ stream, result });
  }
  return out;
}
