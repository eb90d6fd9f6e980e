// permessage-deflate for the inspector, browser-safe: each compressed message is inflated by
// a `DecompressionStream('deflate-raw')` (a global in browsers and in Node 20), reading only
// counts, a head and the UTF-8 status, never keeping the whole output.
//
// A DecompressionStream cannot be told "this is where one message's output ends", so one
// stream per direction fed message after message would leave us guessing when to stop
// reading. Instead every message gets a stream of its own that ends by itself, and context
// takeover is carried by the LZ77 window: the stream starts with a stored (uncompressed)
// block holding the last 32 KiB this direction inflated, which is all a back-reference can
// reach (RFC 1951 §3.2.5: distances up to 32768), then the message, the 00 00 ff ff that
// RFC 7692 §7.2.2 says to append, and an empty final stored block so the stream ends. The
// output's first bytes are the window again and are skipped.

/** The largest LZ77 distance (RFC 1951 §3.2.5), so the most history a message can refer to. */
const WINDOW_BYTES = 32 * 1024;
// RFC 7692 §7.2.2: the sync-flush tail the sender removed; then BFINAL=1 empty stored block.
const TAIL = Uint8Array.of(0x00, 0x00, 0xff, 0xff, 0x01, 0x00, 0x00, 0xff, 0xff);

/** What inflating one message found. */
export interface InflateOutcome {
  /** Inflated bytes (counted up to the limit). */
  length: number;
  /** The first `headBytes` inflated bytes. */
  head: Uint8Array;
  /** For text: whether the inflated bytes are UTF-8; `null` for binary. */
  utf8Valid: boolean | null;
  /** The output passed `maxBytes`; inflation stopped there. */
  overLimit: boolean;
  /** The compressed bytes are not valid DEFLATE data. */
  failed: boolean;
}

/** A stored DEFLATE block (BFINAL=0) holding `bytes` (at most 65535). */
function storedBlock(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const block = new Uint8Array(5 + bytes.length);
  block[1] = bytes.length & 0xff;
  block[2] = bytes.length >>> 8;
  block[3] = ~bytes.length & 0xff;
  block[4] = (~bytes.length >>> 8) & 0xff;
  block.set(bytes, 5);
  return block;
}

/** Inflates the messages one direction sent, in order, keeping the window when context takeover is on. */
export class DirectionInflater {
  private window: Uint8Array = new Uint8Array(0);

  /**
   * @param takeover whether the sender keeps its LZ77 window from message to message
   *   (RFC 7692 §7.1.1: off with `*_no_context_takeover`).
   * @param maxBytes inflated bytes past which a message is reported too large.
   * @param headBytes how many inflated bytes to keep from the start of each message.
   */
  constructor(
    private readonly takeover: boolean,
    private readonly maxBytes: number,
    private readonly headBytes: number,
  ) {}

  /** Inflates one message from its compressed payload pieces. Never throws on bad data. */
  async inflate(parts: readonly Uint8Array[], text: boolean): Promise<InflateOutcome> {
    const prefix: Uint8Array = this.takeover ? this.window : new Uint8Array(0);
    const outcome: InflateOutcome = {
      length: 0,
      head: new Uint8Array(0),
      utf8Valid: text ? true : null,
      overLimit: false,
      failed: false,
    };
    const head = new Uint8Array(this.headBytes);
    let headLength = 0;
    const decoder: TextDecoder | null = text ? new TextDecoder('utf-8', { fatal: true }) : null;
    const stream = new DecompressionStream('deflate-raw');
    const writer = stream.writable.getWriter();
    const reader = stream.readable.getReader();
    // Written while reading: awaiting every write first could stall on the readable's backpressure.
    const writing = (async () => {
      if (prefix.length > 0) await writer.write(storedBlock(prefix));
      for (const part of parts) await writer.write(part as Uint8Array<ArrayBuffer>);
      await writer.write(TAIL);
      await writer.close();
    })();
    writing.catch(() => {});
    let skip = prefix.length;
    let window = this.window;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        let chunk = value as Uint8Array;
        if (skip > 0) {
          const dropped = Math.min(skip, chunk.length);
          skip -= dropped;
          chunk = chunk.subarray(dropped);
          if (chunk.length === 0) continue;
        }
        if (outcome.length + chunk.length > this.maxBytes) {
          outcome.overLimit = true;
          outcome.length = this.maxBytes + 1;
          await reader.cancel().catch(() => {});
          break;
        }
        outcome.length += chunk.length;
        if (headLength < head.length) {
          const take = Math.min(head.length - headLength, chunk.length);
          head.set(chunk.subarray(0, take), headLength);
          headLength += take;
        }
        if (decoder !== null && outcome.utf8Valid === true) {
          try {
            decoder.decode(chunk as Uint8Array<ArrayBuffer>, { stream: true });
          } catch {
            outcome.utf8Valid = false;
          }
        }
        if (this.takeover) window = lastBytes(window, chunk);
      }
      if (decoder !== null && outcome.utf8Valid === true && !outcome.overLimit) {
        try {
          decoder.decode();
        } catch {
          // RFC 6455 §8.1: a message that ends inside a UTF-8 sequence is not UTF-8.
          outcome.utf8Valid = false;
        }
      }
    } catch {
      outcome.failed = true;
    }
    outcome.head = head.slice(0, headLength);
    if (this.takeover) this.window = window;
    return outcome;
  }
}

/** The last {@link WINDOW_BYTES} of `window` followed by `chunk`. */
function lastBytes(window: Uint8Array, chunk: Uint8Array): Uint8Array {
  if (chunk.length >= WINDOW_BYTES) return chunk.slice(chunk.length - WINDOW_BYTES);
  const keep = Math.min(window.length, WINDOW_BYTES - chunk.length);
  const next = new Uint8Array(keep + chunk.length);
  next.set(window.subarray(window.length - keep));
  next.set(chunk, keep);
  return next;
}
