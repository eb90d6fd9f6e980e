// FrameOutput: the frames one Protocol has queued to send, as output items. Frames up to
// 16 KiB are written straight into shared 64 KiB slabs of outgoing memory, header and
// payload together: text is encoded there once, client payloads are masked there, and
// consecutive frames of one protocol become one buffer, so a burst of small sends costs no
// allocation per frame and one iovec (with Node's allocator, a Buffer, which a socket takes
// without converting). Slab bytes are never rewritten, so a view stays valid until the
// transport has written it, however long that takes.
import {
  encodeFrame,
  encodeTextFrameInto,
  headerLength,
  type MaskInto,
  type MaskKeySource,
  nextMaskKey,
  writeHeader,
  writeMaskedFrameAt,
} from '../codec/encoder.js';
import { Opcode } from '../codec/opcodes.js';
import { SlabAllocator } from '../codec/slab.js';
import type { TextCodec } from '../codec/text-codec.js';
import { END_OF_STREAM, type OutputItem } from './types.js';

/**
 * Unsent pongs take at most this many bytes (plus one pong) in the output; pings beyond it
 * are answered by rewriting the last pong (RFC 6455 §5.5.3).
 */
export const PONG_BUDGET_BYTES = 4096;

const frameSlabs = new SlabAllocator(64 * 1024, 16 * 1024 + 14);
/** The largest payload written into a slab with its header (14 bytes at most). */
const SLAB_PAYLOAD_MAX = frameSlabs.maxRequest - 14;
/**
 * A server's binary payload up to this size is copied in after its header (one iovec);
 * above it the payload goes out by reference beside it: at 1 KiB the copy starts to cost
 * more than the second iovec (the socket transport's measurement too).
 */
const COPY_PAYLOAD_MAX = 1024;
/** Payloads this short are copied byte by byte: no view needed. */
const BYTEWISE_COPY_MAX = 32;
const EMPTY = new Uint8Array(0);

/** Copies `source[start, end)` to `target[at..]`; short runs byte by byte, sparing a view. */
export function copyBytes(
  source: Uint8Array,
  start: number,
  end: number,
  target: Uint8Array,
  at: number,
): void {
  if (end - start <= BYTEWISE_COPY_MAX) {
    for (let i = start; i < end; i++) target[at++] = source[i];
  } else {
    target.set(start === 0 && end === source.length ? source : source.subarray(start, end), at);
  }
}

/** One protocol's queued output: frames as items of buffers to write in order, and END_OF_STREAM. */
export class FrameOutput {
  /** Made on the first frame queued: an idle connection holds no array. */
  private items: OutputItem[] | null = null;
  /** Bytes of frames queued and not yet taken. */
  private bytes = 0;
  /** The pong to the latest ping, while it is still queued (RFC 6455 §5.5.3). */
  private queuedPong: Uint8Array[] | null = null;
  /** Bytes of the queued pongs. */
  private queuedPongBytes = 0;
  /** The item whose single buffer grows as frames are written into a slab, or null. */
  private batchItem: Uint8Array[] | null = null;
  /** Where {@link batchItem}'s bytes start and end, in the slab they were written into. */
  private batchStart = 0;
  private batchEnd = 0;
  private batchSlab: Uint8Array | null = null;

  /** `mask`: mask every frame (a client's); the rest as in ProtocolOptions. */
  constructor(
    private readonly mask: boolean,
    private readonly maskKeys: MaskKeySource | undefined,
    private readonly allocate: ((size: number) => Uint8Array) | undefined,
    private readonly maskInto: MaskInto | undefined,
    private readonly textCodec: TextCodec,
    private readonly wasm: boolean,
  ) {}

  /** Bytes of frames queued and not yet taken. */
  get bufferedAmount(): number {
    return this.bytes;
  }

  /** Takes everything queued, in order. */
  take(): OutputItem[] {
    this.closeBatch();
    const items = this.items;
    this.items = null;
    this.bytes = 0;
    this.queuedPong = null;
    this.queuedPongBytes = 0;
    return items ?? [];
  }

  /** Queues the end of the stream after what is queued. */
  end(): void {
    this.closeBatch();
    this.push(END_OF_STREAM);
  }

  /** Queues one frame. A server's payload over 1 KiB is referenced, not copied, until taken and written. */
  frame(opcode: number, payload: Uint8Array, fin: boolean, rsv1 = false): void {
    const { mask, allocate } = this;
    const length = payload.length;
    if (length <= (mask ? SLAB_PAYLOAD_MAX : COPY_PAYLOAD_MAX)) {
      const start = frameSlabs.reserve(headerLength(length, mask) + length, allocate);
      const slab = frameSlabs.slab;
      let written: number;
      if (mask) {
        // The protocol checked the opcode and a control frame's length already.
        const key = nextMaskKey(this.maskKeys);
        written = writeMaskedFrameAt(slab, start, opcode, payload, fin, rsv1, key, this.wasm, this.maskInto);
      } else {
        const at = writeHeader(slab, opcode, length, fin, rsv1, undefined, start);
        copyBytes(payload, 0, length, slab, at);
        written = at - start + length;
      }
      this.appendToBatch(start, written);
      return;
    }
    if (!mask) {
      // The header joins the batch; the payload goes out by reference right after it, in
      // the same item (no second array per frame). Later frames start a new batch.
      const header = headerLength(length, false);
      const start = frameSlabs.reserve(header, allocate);
      writeHeader(frameSlabs.slab, opcode, length, fin, rsv1, undefined, start);
      this.appendToBatch(start, header);
      const item = this.batchItem!;
      this.closeBatch();
      item.push(payload);
      this.bytes += length;
      return;
    }
    this.closeBatch();
    this.push(
      encodeFrame(opcode, payload, {
        fin,
        rsv1,
        mask: true,
        maskKeys: this.maskKeys,
        wasm: this.wasm,
        allocate,
        maskInto: this.maskInto,
      }),
    );
  }

  /** Queues a text message, encoded once: straight into a slab after its header when it fits there. */
  text(text: string): void {
    if (text.length <= SLAB_PAYLOAD_MAX) {
      const maxPayload = Math.min(text.length * 3, SLAB_PAYLOAD_MAX);
      const start = frameSlabs.reserve(headerLength(maxPayload, this.mask) + maxPayload, this.allocate);
      const written = encodeTextFrameInto(
        frameSlabs.slab,
        start,
        Opcode.Text,
        text,
        maxPayload,
        true,
        this.mask ? nextMaskKey(this.maskKeys) : undefined,
        this.textCodec,
        this.wasm,
        this.maskInto,
      );
      if (written >= 0) {
        this.appendToBatch(start, written);
        return;
      }
    }
    this.frame(Opcode.Text, this.textCodec.encode(text), true);
  }

  /**
   * Answers a ping. RFC 6455 §5.5.3 lets an endpoint answer only the latest of several pings
   * it has not answered yet: once the unsent pongs reach {@link PONG_BUDGET_BYTES}, each new
   * ping rewrites the last queued pong in place, so a flood queues bytes bounded by the
   * budget, while a few pings in one read (Autobahn 2.10) each still get their own pong.
   */
  pong(payload: Uint8Array): void {
    const encoded = encodeFrame(Opcode.Pong, payload.slice(), {
      mask: this.mask,
      maskKeys: this.maskKeys,
      wasm: this.wasm,
    });
    const queued = this.queuedPong;
    if (queued === null || this.queuedPongBytes < PONG_BUDGET_BYTES) {
      this.closeBatch();
      const item = [...encoded];
      this.push(item);
      this.queuedPong = item;
      for (const chunk of item) this.queuedPongBytes += chunk.length;
      return;
    }
    for (const chunk of queued) {
      this.bytes -= chunk.length;
      this.queuedPongBytes -= chunk.length;
    }
    queued.length = 0;
    for (const chunk of encoded) {
      queued.push(chunk);
      this.bytes += chunk.length;
      this.queuedPongBytes += chunk.length;
    }
  }

  private push(item: OutputItem): void {
    if (item !== END_OF_STREAM) for (const chunk of item) this.bytes += chunk.length;
    if (this.items === null) this.items = [item];
    else this.items.push(item);
  }

  /** Commits a frame written at `start` in the current slab, extending the open batch when it continues it. */
  private appendToBatch(start: number, written: number): void {
    const slab = frameSlabs.slab;
    frameSlabs.commit(written);
    this.bytes += written;
    if (this.batchItem !== null && this.batchSlab === slab && this.batchEnd === start) {
      this.batchEnd = start + written;
      return;
    }
    this.closeBatch();
    const item = [EMPTY];
    this.batchItem = item;
    this.batchSlab = slab;
    this.batchStart = start;
    this.batchEnd = start + written;
    if (this.items === null) this.items = [item];
    else this.items.push(item);
  }

  /** Ends the open batch, making its one view: later frames start a new item. */
  private closeBatch(): void {
    const item = this.batchItem;
    if (item === null) return;
    item[0] = this.batchSlab!.subarray(this.batchStart, this.batchEnd);
    this.batchItem = null;
    this.batchSlab = null;
  }
}
