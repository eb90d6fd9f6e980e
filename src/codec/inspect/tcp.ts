// TCP conversations from captured segments: each direction reassembled by sequence number
// (retransmitted and overlapping bytes counted once, out-of-order segments put in place, a
// missing range ends the stream there), and the HTTP/1.1 upgrade at the start of each.
import type { TcpSegment } from './pcap.js';

/** One direction of a conversation, reassembled. */
export interface TcpStream {
  source: string;
  destination: string;
  /** The bytes in sequence order, up to the first missing range. */
  bytes: Uint8Array;
  /** Bytes captured after a missing range, which cannot be placed after `bytes`, plus the range; 0 when none. */
  missing: number;
  /** This side sent the SYN without ACK (opened the connection). */
  opened: boolean;
}

/** Both directions of one TCP connection, in the order the conversation was first seen. */
export interface TcpConversation {
  streams: TcpStream[];
}

/** Sequence numbers wrap at 2^32: `seq` relative to `base`, as a signed 32-bit distance. */
function relative(seq: number, base: number): number {
  return (seq - base) | 0;
}

function reassemble(segments: readonly TcpSegment[]): { bytes: Uint8Array; missing: number } {
  // The first data byte: after the SYN's sequence number when the SYN was captured, else the lowest seen.
  const syn = segments.find((segment) => segment.syn);
  const base = syn !== undefined ? (syn.seq + 1) >>> 0 : segments[0].seq;
  const pieces = segments
    .filter((segment) => segment.payload.length > 0)
    .map((segment) => ({
      at: relative(segment.syn ? segment.seq + 1 : segment.seq, base),
      payload: segment.payload,
    }));
  if (pieces.length === 0) return { bytes: new Uint8Array(0), missing: 0 };
  const start = syn !== undefined ? 0 : Math.min(...pieces.map((piece) => piece.at));
  pieces.sort((a, b) => a.at - b.at);
  const end = Math.max(...pieces.map((piece) => piece.at + piece.payload.length));
  const out = new Uint8Array(end - start);
  let filled = 0;
  for (const piece of pieces) {
    const at = piece.at - start;
    if (at > filled) break; // a gap: the bytes after it cannot be placed in a stream
    const from = filled - at;
    if (from < piece.payload.length) {
      out.set(piece.payload.subarray(from), filled);
      filled = at + piece.payload.length;
    }
  }
  return { bytes: out.subarray(0, filled), missing: end - start - filled };
}

/** Groups segments into connections (a new SYN on the same ports starts another) and reassembles them. */
export function tcpConversations(segments: readonly TcpSegment[]): TcpConversation[] {
  const open = new Map<string, Map<string, TcpSegment[]>>();
  const done: Array<Map<string, TcpSegment[]>> = [];
  for (const segment of segments) {
    const key = [segment.source, segment.destination].sort().join(' ');
    let conversation = open.get(key);
    const fresh = segment.syn && !segment.ack;
    if (conversation !== undefined && fresh && conversation.get(segment.source)?.some((s) => s.syn)) {
      done.push(conversation);
      conversation = undefined;
    }
    if (conversation === undefined) {
      conversation = new Map();
      open.set(key, conversation);
      done.push(conversation);
    }
    let direction = conversation.get(segment.source);
    if (direction === undefined) {
      direction = [];
      conversation.set(segment.source, direction);
    }
    direction.push(segment);
  }
  const conversations = [...new Set(done)];
  return conversations.map((conversation) => ({
    streams: [...conversation].map(([source, list]) => {
      const { bytes, missing } = reassemble(list);
      return {
        source,
        destination: list[0].destination,
        bytes,
        missing,
        opened: list.some((segment) => segment.syn && !segment.ack),
      };
    }),
  }));
}

/** An HTTP/1.1 message head at the start of a stream. */
export interface HttpHead {
  /** The start line, e.g. `GET /chat HTTP/1.1` or `HTTP/1.1 101 Switching Protocols`. */
  startLine: string;
  /** Header values by lowercase name, repeated headers joined with ", ". */
  headers: Map<string, string>;
  /** Bytes of the head, through its blank line. */
  length: number;
}

const latin1 = (bytes: Uint8Array) => {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += String.fromCharCode(bytes[i]);
  return out;
};

/** The HTTP head `bytes` start with, or `null` (not HTTP, or no blank line within 64 KiB). */
export function readHttpHead(bytes: Uint8Array): HttpHead | null {
  const limit = Math.min(bytes.length, 64 * 1024);
  const text = latin1(bytes.subarray(0, limit));
  if (!/^(GET |HTTP\/1\.[01] )/.test(text)) return null;
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const [startLine = '', ...lines] = text.slice(0, end).split('\r\n');
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
  }
  return { startLine, headers, length: end + 4 };
}
