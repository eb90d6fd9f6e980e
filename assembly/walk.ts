/// <reference path="./portable.d.ts" />
// The frame walk, the one source of every receive rule: one call takes every complete header
// and every available payload byte in [start, end), checks each RFC 6455 §5 rule, unmasks in
// place, validates text and close reasons, and writes a descriptor per payload piece. The
// stream's state (a frame or message cut by the window's end) lives at STATE between calls.
//
// Portable AssemblyScript: asc builds it into the kernel; scripts/portable-walk.mjs makes
// src/codec/fallback/walk.generated.ts, the `{ wasm: false }` path, from it by rewriting
// import paths and writing numeric constants in as literals. So: no decorators, no builtins
// (arena-access.ts supplies the arena, loads, stores, unmask and UTF-8), no 64-bit integers,
// and every cast one that means the same in TypeScript.
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
} from './layout';
import {
  CLOSE_CODE_BYTES,
  closeCodeValidOnWire,
  FIN_BIT,
  LENGTH_7_BITS,
  LENGTH_16_MARKER,
  LENGTH_64_MARKER,
  MASK_BIT,
  MASK_KEY_BYTES,
  MAX_7_BIT_LENGTH,
  MAX_16_BIT_LENGTH,
  MAX_CONTROL_PAYLOAD_BYTES,
  MIN_HEADER_BYTES,
  OPCODE_BINARY,
  OPCODE_BITS,
  OPCODE_CLOSE,
  OPCODE_CONTINUATION,
  OPCODE_PONG,
  OPCODE_TEXT,
  RSV_BITS,
  RSV1_BIT,
} from './rfc6455';
import { Violation } from './violations';
import {
  boundArena,
  loadF64,
  loadI32,
  loadU8,
  loadU32,
  loadU32BigEndian,
  storeF64,
  storeI32,
  storeU8,
  storeU32,
  unmask,
  validateUtf8,
} from './arena-access';

const TWO_POW_32: f64 = 4294967296;
/** Text is unmasked and checked in strides of this many bytes, each still in L1 for the check. */
const UTF8_STRIDE_BYTES: i32 = 8192;

/**
 * Walks the frames in `[start, end)` with the parser state at STATE; returns the number of
 * descriptors written. Stops when the table is full, the bytes run out, or a rule fails
 * (S_ERROR then holds a {@link Violation}); S_CONSUMED receives the pointer where it stopped.
 */
export function walk(start: usize, end: usize): i32 {
  const arena = boundArena();
  const role = loadI32(arena, STATE + S_ROLE);
  const allowedRsv = loadI32(arena, STATE + S_ALLOWED_RSV);
  const maxFrame = loadF64(arena, STATE + S_MAX_FRAME);
  const maxMessage = loadF64(arena, STATE + S_MAX_MESSAGE);
  const streamBase = loadF64(arena, STATE + S_STREAM_BASE);
  const deferredUtf8Min = loadI32(arena, STATE + S_DEFERRED_UTF8_MIN);
  let inPayload = loadI32(arena, STATE + S_IN_PAYLOAD);
  let byte0 = loadI32(arena, STATE + S_FRAME_BYTE0);
  let masked = loadI32(arena, STATE + S_FRAME_MASKED);
  let maskKey = loadU32(arena, STATE + S_MASK_KEY);
  let messageOpen = loadI32(arena, STATE + S_MESSAGE_OPEN);
  let messageOpcode = loadI32(arena, STATE + S_MESSAGE_OPCODE);
  let compressed = loadI32(arena, STATE + S_MESSAGE_COMPRESSED);
  let utf8State = loadI32(arena, STATE + S_UTF8_STATE);
  let frameLength = loadF64(arena, STATE + S_FRAME_LENGTH);
  let remaining = loadF64(arena, STATE + S_FRAME_REMAINING);
  let frameOffset = loadF64(arena, STATE + S_FRAME_OFFSET);
  let messageLength = loadF64(arena, STATE + S_MESSAGE_LENGTH);
  let headerLength: i32 = loadI32(arena, STATE + S_HEADER_LENGTH);
  let error: i32 = 0;
  let pos = start;
  let count: i32 = 0;

  while (count < DESCRIPTOR_CAPACITY) {
    if (inPayload === 0) {
      const available = <i32>(end - pos);
      if (available < MIN_HEADER_BYTES) break;
      const b0 = loadU8(arena, pos);
      const b1 = loadU8(arena, pos + 1);
      const opcode = b0 & OPCODE_BITS;
      const isControl = opcode >= OPCODE_CLOSE;
      const frameMasked = b1 & MASK_BIT;
      const length7 = b1 & LENGTH_7_BITS;
      frameOffset = streamBase + <f64>(pos - WINDOW);
      // RFC 6455 §5.2: opcodes 3-7 and 0xB-0xF are reserved
      if ((opcode > OPCODE_BINARY && opcode < OPCODE_CLOSE) || opcode > OPCODE_PONG) {
        error = Violation.WS_ERR_INVALID_OPCODE;
        break;
      }
      // RFC 6455 §5.2: RSV bits MUST be 0 unless an extension defines them;
      // RFC 7692 §6.1: never on control frames or continuations
      const allowed = isControl || opcode === OPCODE_CONTINUATION ? 0 : allowedRsv;
      if ((b0 & RSV_BITS & ~allowed) !== 0) {
        error = Violation.WS_ERR_UNEXPECTED_RSV;
        break;
      }
      // RFC 6455 §5.1: a server MUST close on an unmasked frame, a client on a masked one
      if (frameMasked === 0 && role === ROLE_SERVER) {
        error = Violation.WS_ERR_EXPECTED_MASK;
        break;
      }
      if (frameMasked !== 0 && role !== ROLE_SERVER) {
        error = Violation.WS_ERR_UNEXPECTED_MASK;
        break;
      }
      if (isControl) {
        // RFC 6455 §5.5: control frames MUST NOT be fragmented
        if ((b0 & FIN_BIT) === 0) {
          error = Violation.WS_ERR_EXPECTED_FIN;
          break;
        }
        // RFC 6455 §5.5: control frames carry at most 125 bytes
        if (length7 > MAX_CONTROL_PAYLOAD_BYTES) {
          error = Violation.WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH;
          break;
        }
        // RFC 6455 §5.5.1: a close body is empty or starts with a 2-byte code
        if (opcode === OPCODE_CLOSE && length7 === CLOSE_CODE_BYTES - 1) {
          error = Violation.WS_ERR_INVALID_CLOSE_PAYLOAD;
          break;
        }
      } else if (opcode === OPCODE_CONTINUATION) {
        // RFC 6455 §5.4: a continuation belongs to an open fragmented message
        if (messageOpen === 0) {
          error = Violation.WS_ERR_UNEXPECTED_CONTINUATION;
          break;
        }
      } else if (messageOpen !== 0) {
        // RFC 6455 §5.4: fragments of one message are not interleaved with another
        error = Violation.WS_ERR_EXPECTED_CONTINUATION;
        break;
      }
      headerLength =
        MIN_HEADER_BYTES +
        (length7 === LENGTH_16_MARKER ? 2 : length7 === LENGTH_64_MARKER ? 8 : 0) +
        (frameMasked !== 0 ? MASK_KEY_BYTES : 0);
      if (available < headerLength) break;
      let length: f64 = <f64>length7;
      if (length7 === LENGTH_16_MARKER) {
        const length16 = (loadU8(arena, pos + 2) << 8) | loadU8(arena, pos + 3);
        // RFC 6455 §5.2: the minimal number of bytes MUST be used to encode the length
        if (length16 <= MAX_7_BIT_LENGTH) {
          error = Violation.WS_ERR_NON_MINIMAL_LENGTH;
          break;
        }
        length = <f64>length16;
      } else if (length7 === LENGTH_64_MARKER) {
        const high = loadU32BigEndian(arena, pos + 2);
        // RFC 6455 §5.2: the most significant bit of a 64-bit length MUST be 0
        if (high >>> 31 !== 0) {
          error = Violation.WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH;
          break;
        }
        length = <f64>high * TWO_POW_32 + <f64>loadU32BigEndian(arena, pos + 6);
        // RFC 6455 §5.2: the minimal number of bytes MUST be used to encode the length
        if (length <= <f64>MAX_16_BIT_LENGTH) {
          error = Violation.WS_ERR_NON_MINIMAL_LENGTH;
          break;
        }
      }
      if (length > maxFrame) {
        error = Violation.WS_ERR_FRAME_TOO_LARGE;
        break;
      }
      // A control frame is handled whole, so wait for all of it.
      if (isControl && <f64>available < <f64>headerLength + length) break;
      if (!isControl) {
        if (opcode !== OPCODE_CONTINUATION) {
          messageOpcode = opcode;
          compressed = (b0 & RSV1_BIT) !== 0 ? 1 : 0;
          messageLength = 0;
          utf8State = UTF8_ACCEPT;
        }
        // A compressed message is measured here as it arrives (its bytes are gathered before
        // inflation, so they must be bounded too) and again after inflation, by the inflater.
        if (messageLength + length > maxMessage) {
          error = Violation.WS_ERR_MESSAGE_TOO_LARGE;
          break;
        }
        messageLength += length;
        messageOpen = (b0 & FIN_BIT) === 0 ? 1 : 0;
      }
      maskKey = frameMasked !== 0 ? loadU32(arena, pos + <usize>(headerLength - MASK_KEY_BYTES)) : 0;
      masked = frameMasked !== 0 ? 1 : 0;
      byte0 = b0;
      frameLength = length;
      remaining = length;
      inPayload = 1;
      pos += <usize>headerLength;
    }

    const available = <f64>(end - pos);
    // biome-ignore lint/complexity/useMathMinMax: a select in the kernel, no call in either build
    const take = <i32>(remaining < available ? remaining : available);
    if (take === 0 && remaining > 0) break;
    const done = frameLength - remaining;
    const opcode = byte0 & OPCODE_BITS;
    const last = <f64>take === remaining;
    // A long one-frame text message, in one piece or many: the caller's validator (simdutf in
    // Node) is faster here; it carries a code point cut between pieces itself.
    const deferUtf8 =
      opcode === OPCODE_TEXT &&
      compressed === 0 &&
      deferredUtf8Min > 0 &&
      frameLength >= <f64>deferredUtf8Min &&
      (byte0 & FIN_BIT) !== 0;
    if (opcode < OPCODE_CLOSE && messageOpcode === OPCODE_TEXT && compressed === 0 && !deferUtf8) {
      // RFC 6455 §8.1: text MUST be valid UTF-8, checked as it arrives. Unmasked and checked
      // a stride at a time, so the check reads what the unmask just wrote while it is in cache.
      let at: i32 = 0;
      while (at < take && utf8State !== UTF8_REJECT) {
        const stride = take - at < UTF8_STRIDE_BYTES ? take - at : UTF8_STRIDE_BYTES;
        // RFC 6455 §5.3: the key's phase continues from the bytes already unmasked
        if (masked !== 0) unmask(arena, pos + <usize>at, stride, maskKey, <i32>(<u64>(done + <f64>at) & 3));
        utf8State = validateUtf8(arena, pos + <usize>at, stride, utf8State);
        at += stride;
      }
      if (utf8State === UTF8_REJECT || (last && (byte0 & FIN_BIT) !== 0 && utf8State !== UTF8_ACCEPT)) {
        error = Violation.WS_ERR_INVALID_UTF8;
        break;
      }
    } else {
      // RFC 6455 §5.3: the key's phase continues from the bytes already unmasked
      if (masked !== 0) unmask(arena, pos, take, maskKey, <i32>(<u64>done & 3));
      if (opcode === OPCODE_CLOSE) {
        if (take >= CLOSE_CODE_BYTES) {
          // RFC 6455 §7.4: only defined, registered or private codes appear on the wire
          if (!closeCodeValidOnWire((loadU8(arena, pos) << 8) | loadU8(arena, pos + 1))) {
            error = Violation.WS_ERR_INVALID_CLOSE_CODE;
            break;
          }
          // RFC 6455 §5.5.1: the reason is UTF-8
          if (validateUtf8(arena, pos + CLOSE_CODE_BYTES, take - CLOSE_CODE_BYTES, UTF8_ACCEPT) !== UTF8_ACCEPT) {
            error = Violation.WS_ERR_INVALID_UTF8;
            break;
          }
        }
      }
    }
    const entry: usize = <usize>DESCRIPTORS + <usize>count * <usize>DESCRIPTOR_BYTES;
    storeU8(arena, entry + D_BYTE0, byte0);
    storeU8(arena, 
      entry + D_FLAGS,
      (masked !== 0 ? F_MASKED : 0) |
        (done === 0 ? F_FIRST_PIECE : 0) |
        (last ? F_LAST_PIECE : 0) |
        (done === 0 ? headerLength << F_HEADER_LENGTH_SHIFT : 0) |
        (deferUtf8 ? F_UTF8_DEFERRED : 0),
    );
    storeU32(arena, entry + D_MASK_KEY, maskKey);
    storeI32(arena, entry + D_PAYLOAD_PTR, <i32>pos);
    storeI32(arena, entry + D_PAYLOAD_LENGTH, take);
    storeF64(arena, entry + D_FRAME_OFFSET, frameOffset);
    storeF64(arena, entry + D_FRAME_LENGTH, frameLength);
    count++;
    pos += <usize>take;
    remaining -= <f64>take;
    if (!last) break;
    inPayload = 0;
  }

  storeI32(arena, STATE + S_IN_PAYLOAD, inPayload);
  storeI32(arena, STATE + S_FRAME_BYTE0, byte0);
  storeI32(arena, STATE + S_FRAME_MASKED, masked);
  storeU32(arena, STATE + S_MASK_KEY, maskKey);
  storeI32(arena, STATE + S_MESSAGE_OPEN, messageOpen);
  storeI32(arena, STATE + S_MESSAGE_OPCODE, messageOpcode);
  storeI32(arena, STATE + S_MESSAGE_COMPRESSED, compressed);
  storeI32(arena, STATE + S_UTF8_STATE, utf8State);
  storeF64(arena, STATE + S_FRAME_LENGTH, frameLength);
  storeF64(arena, STATE + S_FRAME_REMAINING, remaining);
  storeF64(arena, STATE + S_FRAME_OFFSET, frameOffset);
  storeF64(arena, STATE + S_MESSAGE_LENGTH, messageLength);
  storeI32(arena, STATE + S_HEADER_LENGTH, headerLength);
  storeI32(arena, STATE + S_ERROR, error);
  if (error !== 0) storeF64(arena, STATE + S_ERROR_OFFSET, frameOffset);
  storeI32(arena, STATE + S_CONSUMED, <i32>pos);
  storeI32(arena, STATE + S_DESCRIPTOR_COUNT, count);
  return count;
}
