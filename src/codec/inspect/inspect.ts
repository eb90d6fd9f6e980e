// inspect(): captured WebSocket bytes from one side of a connection decoded frame by frame,
// for tools and the inspector page. Browser-safe. The FrameParser does the RFC 6455 work;
// this file records what it delivers (headers, offsets, mask keys, previews), reassembles
// messages, inflates compressed ones in order and stops at the first violation.
//
// Memory: payloads are never kept whole. A frame keeps a preview, a message a head of its
// text; only a compressed message's compressed bytes are gathered until it is inflated, so
// memory is bounded by the largest message plus about 200 bytes per frame in the result.
import { WebSocketError, type WebSocketErrorCode } from '../errors.js';
import { FrameParser } from '../frame-parser.js';
import type { FramePiece } from '../frame-piece.js';
import { DirectionInflater } from './inflate.js';

/** One frame as found on the wire. */
export interface InspectFrame {
  /** Byte offset of the frame's first header byte from the start of the input. */
  offset: number;
  fin: boolean;
  rsv1: boolean;
  rsv2: boolean;
  rsv3: boolean;
  /** 0 continuation, 1 text, 2 binary, 8 close, 9 ping, 10 pong. */
  opcode: number;
  masked: boolean;
  /** The mask key as 8 hex digits in wire order, or `null` when unmasked. */
  maskKey: string | null;
  /** Payload length in bytes. */
  length: number;
  /** Byte offset of the payload's first byte (after the header and mask key). */
  payloadOffset: number;
  /** Lowercase hex of the first `previewBytes` payload bytes, unmasked (still compressed when RSV1 is set). */
  preview: string;
}

/** One whole data message, reassembled from its frames (and inflated when compressed). */
export interface InspectMessage {
  type: 'text' | 'binary';
  /** Payload length in bytes, after inflation when compressed. */
  length: number;
  /** Indexes into `frames` of the frames that carried it, control frames excluded. */
  frames: number[];
  /** Text messages: the text, cut to its first `textBytes` bytes (see `textTruncated`). */
  text?: string;
  /** Set when `text` is cut short. */
  textTruncated?: boolean;
  /** Lowercase hex of the first `previewBytes` payload bytes (inflated when compressed). */
  preview: string;
  /** Set (true) on a permessage-deflate message (RSV1 on its first frame). */
  compressed?: boolean;
  /** Compressed messages: their length on the wire. */
  compressedLength?: number;
  /** Text messages: whether the (inflated) payload is UTF-8. */
  utf8?: 'valid' | 'invalid';
}

/** The first violation: its stable code, the close code it implies and where it is. */
export interface InspectError {
  /** A `WS_ERR_*` code (README lists them). */
  code: string;
  closeCode: number;
  /** Byte offset of the frame that broke the rule (for a message-level error, its first frame). */
  offset: number;
  message: string;
}

/** What {@link inspect} found. `frames` and `messages` stop at the first violation. */
export interface InspectResult {
  frames: InspectFrame[];
  messages: InspectMessage[];
  error: InspectError | null;
}

/** Negotiated permessage-deflate parameters (RFC 7692 §7.1), as the 101 response states them. */
export interface InspectDeflateOptions {
  serverNoContextTakeover?: boolean;
  clientNoContextTakeover?: boolean;
  serverMaxWindowBits?: number;
  clientMaxWindowBits?: number;
}

/** Options of {@link inspect}. */
export interface InspectOptions {
  /** The side that sent the bytes: `'client'` frames must be masked, `'server'` frames must not. */
  from: 'client' | 'server';
  /** permessage-deflate was negotiated (`true`: with context takeover both ways). Default false. */
  deflate?: boolean | InspectDeflateOptions;
  /** Payload bytes shown in each frame's and message's `preview`. Default 32. */
  previewBytes?: number;
  /** Bytes of a text message kept as `text`. Default 1024. */
  textBytes?: number;
  /** Largest frame payload before WS_ERR_FRAME_TOO_LARGE (1009). Default: no limit. */
  maxFrame?: number;
  /** Largest message (compressed on the wire, and inflated) before WS_ERR_MESSAGE_TOO_LARGE. Default: no limit. */
  maxMessage?: number;
  /** Use the WebAssembly kernels when available. Default true. */
  wasm?: boolean;
}

const DEFAULT_PREVIEW_BYTES = 32;
const DEFAULT_TEXT_BYTES = 1024;
const NO_LIMIT = Number.MAX_SAFE_INTEGER;
const PUSH_SLICE_BYTES = 1 << 20;

/** A message being reassembled while its frames arrive. */
interface OpenMessage {
  type: 'text' | 'binary';
  offset: number;
  frames: number[];
  length: number;
  /** The first bytes (text head or preview, whichever is longer), uncompressed messages only. */
  head: Uint8Array;
  headLength: number;
  /** Compressed payload pieces, gathered until the message ends. */
  parts: Uint8Array[] | null;
}

type Event =
  | { kind: 'frame'; frame: InspectFrame }
  | { kind: 'message'; message: OpenMessage }
  | { kind: 'error'; error: InspectError };

function toHex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
  return out;
}

/** The FramePiece's little-endian key as its 4 wire bytes in hex. */
function maskKeyHex(key: number): string {
  return toHex(Uint8Array.of(key & 0xff, (key >>> 8) & 0xff, (key >>> 16) & 0xff, key >>> 24));
}

/** `bytes` cut back to a whole number of UTF-8 sequences, so a cut text does not end in U+FFFD. */
function wholeSequences(bytes: Uint8Array): Uint8Array {
  let end = bytes.length;
  let back = 0;
  while (back < 3 && end - back > 0 && (bytes[end - back - 1] & 0xc0) === 0x80) back++;
  if (end - back === 0) return bytes;
  const lead = bytes[end - back - 1];
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  if (need > back + 1) end -= back + 1;
  return bytes.subarray(0, end);
}

function inspectError(code: WebSocketErrorCode, offset: number, detail?: string): InspectError {
  const error = new WebSocketError(code, offset, detail);
  return { code: error.code, closeCode: error.closeCode, offset, message: error.message };
}

function checkCount(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 0))
    throw new RangeError(`${name} must be a non-negative number, got ${value}`);
  return Math.min(value, NO_LIMIT);
}

/** Decodes one side's frames; see {@link inspect}. */
class Inspector {
  readonly result: InspectResult = { frames: [], messages: [], error: null };
  private readonly parser: FrameParser;
  private readonly previewBytes: number;
  private readonly textBytes: number;
  private readonly inflater: DirectionInflater | null;
  private events: Event[] = [];
  private frameCount = 0;
  /** End offset of the last whole frame: where an unfinished one starts. */
  private frameEnd = 0;
  private frame: InspectFrame | null = null;
  private preview = new Uint8Array(0);
  private previewLength = 0;
  private message: OpenMessage | null = null;

  constructor(options: InspectOptions) {
    if (
      options === null ||
      typeof options !== 'object' ||
      (options.from !== 'client' && options.from !== 'server')
    ) {
      throw new TypeError(`inspect: options.from must be 'client' or 'server', got ${String(options?.from)}`);
    }
    this.previewBytes = Math.min(
      checkCount('previewBytes', options.previewBytes, DEFAULT_PREVIEW_BYTES),
      1 << 20,
    );
    this.textBytes = Math.min(checkCount('textBytes', options.textBytes, DEFAULT_TEXT_BYTES), 1 << 30);
    this.preview = new Uint8Array(this.previewBytes);
    const maxMessage = checkCount('maxMessage', options.maxMessage, NO_LIMIT);
    const deflate = options.deflate;
    if (deflate !== undefined && deflate !== false) {
      const settings = deflate === true ? {} : deflate;
      // RFC 7692 §7.1.1: each side's no_context_takeover names what that side sends.
      const noTakeover =
        options.from === 'server' ? settings.serverNoContextTakeover : settings.clientNoContextTakeover;
      this.inflater = new DirectionInflater(
        noTakeover !== true,
        maxMessage,
        Math.max(this.textBytes, this.previewBytes),
      );
    } else {
      this.inflater = null;
    }
    // The parser's role is the receiver's: frames a client sent are parsed as a server would.
    this.parser = new FrameParser(
      { frame: (piece) => this.onPiece(piece), error: (error) => this.onError(error) },
      {
        role: options.from === 'client' ? 'server' : 'client',
        allowRsv1: this.inflater !== null,
        maxFrame: checkCount('maxFrame', options.maxFrame, NO_LIMIT),
        maxMessage,
        wasm: options.wasm,
      },
    );
  }

  get done(): boolean {
    return this.result.error !== null;
  }

  /** Parses one chunk and records what it completed. */
  async push(chunk: Uint8Array): Promise<void> {
    // In slices, so the compressed bytes gathered before a drain stay near one message's worth.
    for (let at = 0; at < chunk.length && !this.done; at += PUSH_SLICE_BYTES) {
      this.parser.push(chunk.subarray(at, at + PUSH_SLICE_BYTES));
      await this.drain();
    }
  }

  /** End of input: an unfinished frame is reported; an unfinished message is left out. */
  end(): void {
    if (this.done || !this.parser.midFrame) return;
    this.result.error = inspectError('WS_ERR_UNEXPECTED_EOF', this.frameEnd, 'input ends inside a frame');
  }

  private async drain(): Promise<void> {
    const events = this.events;
    this.events = [];
    for (const event of events) {
      if (this.done) return;
      if (event.kind === 'frame') this.result.frames.push(event.frame);
      else if (event.kind === 'error') this.result.error = event.error;
      else await this.finishMessage(event.message);
    }
  }

  private onPiece(piece: FramePiece): void {
    if (piece.first) {
      this.frame = {
        offset: piece.offset,
        fin: piece.fin,
        rsv1: piece.rsv1,
        rsv2: piece.rsv2,
        rsv3: piece.rsv3,
        opcode: piece.opcode,
        masked: piece.masked,
        maskKey: piece.masked ? maskKeyHex(piece.maskKey) : null,
        length: piece.length,
        payloadOffset: piece.offset + piece.headerLength,
        preview: '',
      };
      this.previewLength = 0;
      if (piece.opcode === 1 || piece.opcode === 2) {
        const compressed = piece.rsv1 && this.inflater !== null;
        this.message = {
          type: piece.opcode === 1 ? 'text' : 'binary',
          offset: piece.offset,
          frames: [],
          length: 0,
          head: compressed
            ? new Uint8Array(0)
            : new Uint8Array(Math.max(this.previewBytes, piece.opcode === 1 ? this.textBytes : 0)),
          headLength: 0,
          parts: compressed ? [] : null,
        };
      }
    }
    const payload = piece.bytes.subarray(piece.start, piece.end);
    if (this.previewLength < this.previewBytes && payload.length > 0) {
      const take = Math.min(this.previewBytes - this.previewLength, payload.length);
      this.preview.set(payload.subarray(0, take), this.previewLength);
      this.previewLength += take;
    }
    const message = piece.opcode < 8 ? this.message : null;
    if (message !== null && payload.length > 0) {
      message.length += payload.length;
      if (message.parts !== null) message.parts.push(payload.slice());
      else if (message.headLength < message.head.length) {
        const take = Math.min(message.head.length - message.headLength, payload.length);
        message.head.set(payload.subarray(0, take), message.headLength);
        message.headLength += take;
      }
    }
    if (!piece.last) return;
    const frame = this.frame!;
    frame.preview = toHex(this.preview.subarray(0, this.previewLength));
    this.frameEnd = frame.payloadOffset + frame.length;
    this.events.push({ kind: 'frame', frame });
    const index = this.frameCount++;
    if (message !== null) {
      message.frames.push(index);
      if (piece.fin) {
        this.events.push({ kind: 'message', message });
        this.message = null;
      }
    }
  }

  private onError(error: WebSocketError): void {
    this.events.push({
      kind: 'error',
      error: { code: error.code, closeCode: error.closeCode, offset: error.offset, message: error.message },
    });
  }

  private async finishMessage(open: OpenMessage): Promise<void> {
    const message: InspectMessage = {
      type: open.type,
      length: open.length,
      frames: open.frames,
      preview: '',
    };
    let head = open.head.subarray(0, open.headLength);
    if (open.parts !== null) {
      const outcome = await this.inflater!.inflate(open.parts, open.type === 'text');
      open.parts = null;
      if (outcome.failed) {
        this.result.error = inspectError('WS_ERR_INFLATE', open.offset);
        return;
      }
      if (outcome.overLimit) {
        this.result.error = inspectError('WS_ERR_MESSAGE_TOO_LARGE', open.offset, 'inflated');
        return;
      }
      message.compressed = true;
      message.compressedLength = open.length;
      message.length = outcome.length;
      head = outcome.head;
      if (open.type === 'text' && outcome.utf8Valid === false) {
        message.utf8 = 'invalid';
        this.result.error = inspectError('WS_ERR_INVALID_UTF8', open.offset, 'inflated text');
      }
    }
    message.preview = toHex(head.subarray(0, this.previewBytes));
    if (open.type === 'text') {
      const kept = head.subarray(0, this.textBytes);
      message.text = new TextDecoder().decode(wholeSequences(kept));
      if (message.length > kept.length) message.textTruncated = true;
      message.utf8 ??= 'valid';
    }
    this.result.messages.push(message);
  }
}

/**
 * Decodes the WebSocket frames one side of a connection sent (`from`): every frame with its
 * offset, header bits, mask key and a preview of its unmasked payload; the messages they
 * make, inflated when permessage-deflate is on; and the first violation with the close code
 * it implies and the offset of the frame that broke the rule. Bytes are read as they come
 * and not kept, so an async iterable of chunks may be arbitrarily long.
 *
 * Never throws on the bytes it is given; throws `TypeError`/`RangeError` for bad options, and
 * passes on an error the iterable itself throws.
 */
export async function inspect(
  input: Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: InspectOptions,
): Promise<InspectResult> {
  const inspector = new Inspector(options);
  if (input instanceof Uint8Array) {
    await inspector.push(input);
  } else {
    for await (const chunk of input) {
      if (!(chunk instanceof Uint8Array)) throw new TypeError('inspect: every chunk must be a Uint8Array');
      await inspector.push(chunk);
      if (inspector.done) break;
    }
  }
  inspector.end();
  return inspector.result;
}
