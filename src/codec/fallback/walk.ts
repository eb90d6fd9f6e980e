// The frame walk in pure TypeScript: the reference for assembly/walk.ts and the path
// `{ wasm: false }` takes. It reads and writes the same arena layout, so the parser
// state can move between the two implementations mid-stream.
import {
  D_BYTE0,
  D_FLAGS,
  D_FRAME_LENGTH,
  D_FRAME_OFFSET,
  D_MASK_KEY,
  D_PAYLOAD_LENGTH,
  D_PAYLOAD_PTR,
  DESCRIPTOR_BYTES,
  DESCRIPTOR_CAPACITY,
  DESCRIPTORS,
  ERR_CLOSE_PAYLOAD_LENGTH,
  ERR_CONTROL_FRAGMENTED,
  ERR_CONTROL_TOO_LONG,
  ERR_EXPECTED_CONTINUATION,
  ERR_EXPECTED_MASK,
  ERR_FRAME_TOO_LARGE,
  ERR_INVALID_CLOSE_CODE,
  ERR_INVALID_OPCODE,
  ERR_INVALID_UTF8,
  ERR_LENGTH_TOP_BIT,
  ERR_MESSAGE_TOO_LARGE,
  ERR_NON_MINIMAL_LENGTH,
  ERR_RSV,
  ERR_UNEXPECTED_CONTINUATION,
  ERR_UNEXPECTED_MASK,
  F_FIRST_PIECE,
  F_HEADER_LENGTH_SHIFT,
  F_LAST_PIECE,
  F_MASKED,
  F_UTF8_DEFERRED,
  ROLE_SERVER,
  S_ALLOWED_RSV,
  S_CONSUMED,
  S_DEFERRED_UTF8_MIN,
  S_DESCRIPTOR_COUNT,
  S_ERROR,
  S_ERROR_OFFSET,
  S_FRAME_BYTE0,
  S_FRAME_LENGTH,
  S_FRAME_MASKED,
  S_FRAME_OFFSET,
  S_FRAME_REMAINING,
  S_HEADER_LENGTH,
  S_IN_PAYLOAD,
  S_MASK_KEY,
  S_MAX_FRAME,
  S_MAX_MESSAGE,
  S_MESSAGE_COMPRESSED,
  S_MESSAGE_LENGTH,
  S_MESSAGE_OPCODE,
  S_MESSAGE_OPEN,
  S_ROLE,
  S_STREAM_BASE,
  S_UTF8_STATE,
  STATE,
  UTF8_ACCEPT,
  UTF8_REJECT,
  WINDOW,
} from '../../../assembly/layout.js';
import { closeCodeValidOnWire } from '../close-codes.js';
import { maskBytes } from './mask.js';
import { validateUtf8Bytes } from './utf8.js';

const TWO_POW_32 = 4294967296;

/**
 * Walks every complete frame header and every available payload byte in `[start, end)`,
 * unmasking payloads in place and validating text, and writes one descriptor per
 * payload piece. Stops when the table is full, the bytes run out, or a rule fails
 * (then S_ERROR is set). S_CONSUMED receives the pointer where it stopped.
 */
export function walkBytes(bytes: Uint8Array, start: number, end: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const role = view.getInt32(STATE + S_ROLE, true);
  const allowedRsv = view.getInt32(STATE + S_ALLOWED_RSV, true);
  const maxFrame = view.getFloat64(STATE + S_MAX_FRAME, true);
  const maxMessage = view.getFloat64(STATE + S_MAX_MESSAGE, true);
  const streamBase = view.getFloat64(STATE + S_STREAM_BASE, true);
  const deferredUtf8Min = view.getInt32(STATE + S_DEFERRED_UTF8_MIN, true);
  let inPayload = view.getInt32(STATE + S_IN_PAYLOAD, true);
  let byte0 = view.getInt32(STATE + S_FRAME_BYTE0, true);
  let masked = view.getInt32(STATE + S_FRAME_MASKED, true);
  let maskKey = view.getUint32(STATE + S_MASK_KEY, true);
  let messageOpen = view.getInt32(STATE + S_MESSAGE_OPEN, true);
  let messageOpcode = view.getInt32(STATE + S_MESSAGE_OPCODE, true);
  let compressed = view.getInt32(STATE + S_MESSAGE_COMPRESSED, true);
  let utf8State = view.getInt32(STATE + S_UTF8_STATE, true);
  let frameLength = view.getFloat64(STATE + S_FRAME_LENGTH, true);
  let remaining = view.getFloat64(STATE + S_FRAME_REMAINING, true);
  let frameOffset = view.getFloat64(STATE + S_FRAME_OFFSET, true);
  let messageLength = view.getFloat64(STATE + S_MESSAGE_LENGTH, true);
  let headerLength = view.getInt32(STATE + S_HEADER_LENGTH, true);
  let error = 0;
  let pos = start;
  let count = 0;

  while (count < DESCRIPTOR_CAPACITY) {
    if (inPayload === 0) {
      const available = end - pos;
      if (available < 2) break;
      const b0 = bytes[pos];
      const b1 = bytes[pos + 1];
      const opcode = b0 & 0x0f;
      const isControl = opcode >= 8;
      const frameMasked = b1 & 0x80;
      const length7 = b1 & 0x7f;
      frameOffset = streamBase + (pos - WINDOW);
      // RFC 6455 §5.2: opcodes 3-7 and 0xB-0xF are reserved
      if ((opcode > 2 && opcode < 8) || opcode > 10) {
        error = ERR_INVALID_OPCODE;
        break;
      }
      // RFC 6455 §5.2: RSV bits MUST be 0 unless an extension defines them;
      // RFC 7692 §6.1: never on control frames or continuations
      const allowed = isControl || opcode === 0 ? 0 : allowedRsv;
      if ((b0 & 0x70 & ~allowed) !== 0) {
        error = ERR_RSV;
        break;
      }
      // RFC 6455 §5.1: a server MUST close on an unmasked frame, a client on a masked one
      if (frameMasked === 0 && role === ROLE_SERVER) {
        error = ERR_EXPECTED_MASK;
        break;
      }
      if (frameMasked !== 0 && role !== ROLE_SERVER) {
        error = ERR_UNEXPECTED_MASK;
        break;
      }
      if (isControl) {
        // RFC 6455 §5.5: control frames MUST NOT be fragmented and carry at most 125 bytes
        if ((b0 & 0x80) === 0) {
          error = ERR_CONTROL_FRAGMENTED;
          break;
        }
        if (length7 > 125) {
          error = ERR_CONTROL_TOO_LONG;
          break;
        }
        // RFC 6455 §5.5.1: a close body is empty or starts with a 2-byte code
        if (opcode === 8 && length7 === 1) {
          error = ERR_CLOSE_PAYLOAD_LENGTH;
          break;
        }
      } else if (opcode === 0) {
        // RFC 6455 §5.4: a continuation belongs to an open fragmented message
        if (messageOpen === 0) {
          error = ERR_UNEXPECTED_CONTINUATION;
          break;
        }
      } else if (messageOpen !== 0) {
        // RFC 6455 §5.4: fragments of one message are not interleaved with another
        error = ERR_EXPECTED_CONTINUATION;
        break;
      }
      headerLength = 2 + (length7 === 126 ? 2 : length7 === 127 ? 8 : 0) + (frameMasked !== 0 ? 4 : 0);
      if (available < headerLength) break;
      let length = length7;
      if (length7 === 126) {
        length = (bytes[pos + 2] << 8) | bytes[pos + 3];
        // RFC 6455 §5.2: the minimal number of bytes MUST be used to encode the length
        if (length < 126) {
          error = ERR_NON_MINIMAL_LENGTH;
          break;
        }
      } else if (length7 === 127) {
        const high = view.getUint32(pos + 2, false);
        // RFC 6455 §5.2: the most significant bit of a 64-bit length MUST be 0
        if (high >= 0x80000000) {
          error = ERR_LENGTH_TOP_BIT;
          break;
        }
        length = high * TWO_POW_32 + view.getUint32(pos + 6, false);
        if (length < 65536) {
          error = ERR_NON_MINIMAL_LENGTH;
          break;
        }
      }
      if (length > maxFrame) {
        error = ERR_FRAME_TOO_LARGE;
        break;
      }
      // A control frame is handled whole, so wait for all of it.
      if (isControl && available < headerLength + length) break;
      if (!isControl) {
        if (opcode !== 0) {
          messageOpcode = opcode;
          compressed = (b0 & 0x40) !== 0 ? 1 : 0;
          messageLength = 0;
          utf8State = UTF8_ACCEPT;
        }
        // Compressed messages are measured after inflation, by the layer that inflates.
        if (compressed === 0 && messageLength + length > maxMessage) {
          error = ERR_MESSAGE_TOO_LARGE;
          break;
        }
        messageLength += length;
        messageOpen = (b0 & 0x80) === 0 ? 1 : 0;
      }
      maskKey = frameMasked !== 0 ? view.getUint32(pos + headerLength - 4, true) : 0;
      masked = frameMasked !== 0 ? 1 : 0;
      byte0 = b0;
      frameLength = length;
      remaining = length;
      inPayload = 1;
      pos += headerLength;
    }

    const available = end - pos;
    const take = Math.min(remaining, available);
    if (take === 0 && remaining > 0) break;
    const done = frameLength - remaining;
    const opcode = byte0 & 0x0f;
    if (masked !== 0) maskBytes(bytes, pos, take, maskKey, done % 4);
    const last = take === remaining;
    let deferUtf8 = false;
    if (opcode === 8) {
      if (take >= 2) {
        // RFC 6455 §7.4: only defined, registered or private codes appear on the wire
        if (!closeCodeValidOnWire((bytes[pos] << 8) | bytes[pos + 1])) {
          error = ERR_INVALID_CLOSE_CODE;
          break;
        }
        // RFC 6455 §5.5.1: the reason is UTF-8
        if (validateUtf8Bytes(bytes, pos + 2, take - 2, UTF8_ACCEPT) !== UTF8_ACCEPT) {
          error = ERR_INVALID_UTF8;
          break;
        }
      }
    } else if (
      opcode === 1 &&
      compressed === 0 &&
      deferredUtf8Min > 0 &&
      take >= deferredUtf8Min &&
      done === 0 &&
      last &&
      (byte0 & 0x80) !== 0
    ) {
      // A whole message in one piece: the caller's validator (simdutf in Node) is faster here.
      deferUtf8 = true;
    } else if (opcode < 8 && messageOpcode === 1 && compressed === 0) {
      // RFC 6455 §8.1: text MUST be valid UTF-8, checked as it arrives
      utf8State = validateUtf8Bytes(bytes, pos, take, utf8State);
      if (utf8State === UTF8_REJECT || (last && (byte0 & 0x80) !== 0 && utf8State !== UTF8_ACCEPT)) {
        error = ERR_INVALID_UTF8;
        break;
      }
    }
    const entry = DESCRIPTORS + count * DESCRIPTOR_BYTES;
    bytes[entry + D_BYTE0] = byte0;
    bytes[entry + D_FLAGS] =
      (masked !== 0 ? F_MASKED : 0) |
      (done === 0 ? F_FIRST_PIECE : 0) |
      (last ? F_LAST_PIECE : 0) |
      (done === 0 ? headerLength << F_HEADER_LENGTH_SHIFT : 0) |
      (deferUtf8 ? F_UTF8_DEFERRED : 0);
    view.setUint32(entry + D_MASK_KEY, maskKey, true);
    view.setInt32(entry + D_PAYLOAD_PTR, pos, true);
    view.setInt32(entry + D_PAYLOAD_LENGTH, take, true);
    view.setFloat64(entry + D_FRAME_OFFSET, frameOffset, true);
    view.setFloat64(entry + D_FRAME_LENGTH, frameLength, true);
    count++;
    pos += take;
    remaining -= take;
    if (!last) break;
    inPayload = 0;
  }

  view.setInt32(STATE + S_IN_PAYLOAD, inPayload, true);
  view.setInt32(STATE + S_FRAME_BYTE0, byte0, true);
  view.setInt32(STATE + S_FRAME_MASKED, masked, true);
  view.setUint32(STATE + S_MASK_KEY, maskKey, true);
  view.setInt32(STATE + S_MESSAGE_OPEN, messageOpen, true);
  view.setInt32(STATE + S_MESSAGE_OPCODE, messageOpcode, true);
  view.setInt32(STATE + S_MESSAGE_COMPRESSED, compressed, true);
  view.setInt32(STATE + S_UTF8_STATE, utf8State, true);
  view.setFloat64(STATE + S_FRAME_LENGTH, frameLength, true);
  view.setFloat64(STATE + S_FRAME_REMAINING, remaining, true);
  view.setFloat64(STATE + S_FRAME_OFFSET, frameOffset, true);
  view.setFloat64(STATE + S_MESSAGE_LENGTH, messageLength, true);
  view.setInt32(STATE + S_HEADER_LENGTH, headerLength, true);
  view.setInt32(STATE + S_ERROR, error, true);
  if (error !== 0) view.setFloat64(STATE + S_ERROR_OFFSET, frameOffset, true);
  view.setInt32(STATE + S_CONSUMED, pos, true);
  view.setInt32(STATE + S_DESCRIPTOR_COUNT, count, true);
  return count;
}
