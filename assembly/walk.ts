// The frame walk: one call takes every complete header and every available payload
// byte in [start, end), checks each RFC 6455 §5 rule, unmasks in place, validates text
// and close reasons, and writes a descriptor per payload piece. The state of the
// stream (a frame or message cut by the window's end) lives at STATE between calls.
// src/codec/fallback/walk.ts is the same algorithm in TypeScript; keep them in step.
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
} from './layout';
import { maskInPlace } from './mask';
import { validateUtf8 } from './utf8';

// RFC 6455 §7.4: only defined, registered or private codes appear on the wire
@inline
function closeCodeValidOnWire(code: i32): bool {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

export function walk(start: usize, end: usize): i32 {
  const role = load<i32>(STATE + S_ROLE);
  const allowedRsv = load<i32>(STATE + S_ALLOWED_RSV);
  const maxFrame = load<f64>(STATE + S_MAX_FRAME);
  const maxMessage = load<f64>(STATE + S_MAX_MESSAGE);
  const streamBase = load<f64>(STATE + S_STREAM_BASE);
  const deferredUtf8Min = load<i32>(STATE + S_DEFERRED_UTF8_MIN);
  let inPayload = load<i32>(STATE + S_IN_PAYLOAD);
  let byte0 = load<i32>(STATE + S_FRAME_BYTE0);
  let masked = load<i32>(STATE + S_FRAME_MASKED);
  let maskKey = load<u32>(STATE + S_MASK_KEY);
  let messageOpen = load<i32>(STATE + S_MESSAGE_OPEN);
  let messageOpcode = load<i32>(STATE + S_MESSAGE_OPCODE);
  let compressed = load<i32>(STATE + S_MESSAGE_COMPRESSED);
  let utf8State = load<i32>(STATE + S_UTF8_STATE);
  let frameLength = load<f64>(STATE + S_FRAME_LENGTH);
  let remaining = load<f64>(STATE + S_FRAME_REMAINING);
  let frameOffset = load<f64>(STATE + S_FRAME_OFFSET);
  let messageLength = load<f64>(STATE + S_MESSAGE_LENGTH);
  let headerLength: i32 = load<i32>(STATE + S_HEADER_LENGTH);
  let error: i32 = 0;
  let pos = start;
  let count: i32 = 0;

  while (count < DESCRIPTOR_CAPACITY) {
    if (inPayload == 0) {
      const available = <i32>(end - pos);
      if (available < 2) break;
      const b0 = <i32>load<u8>(pos);
      const b1 = <i32>load<u8>(pos, 1);
      const opcode = b0 & 0x0f;
      const isControl = opcode >= 8;
      const frameMasked = b1 & 0x80;
      const length7 = b1 & 0x7f;
      frameOffset = streamBase + <f64>(pos - WINDOW);
      // RFC 6455 §5.2: opcodes 3-7 and 0xB-0xF are reserved
      if ((opcode > 2 && opcode < 8) || opcode > 10) {
        error = ERR_INVALID_OPCODE;
        break;
      }
      // RFC 6455 §5.2: RSV bits MUST be 0 unless an extension defines them;
      // RFC 7692 §6.1: never on control frames or continuations
      const allowed = isControl || opcode == 0 ? 0 : allowedRsv;
      if ((b0 & 0x70 & ~allowed) != 0) {
        error = ERR_RSV;
        break;
      }
      // RFC 6455 §5.1: a server MUST close on an unmasked frame, a client on a masked one
      if (frameMasked == 0 && role == ROLE_SERVER) {
        error = ERR_EXPECTED_MASK;
        break;
      }
      if (frameMasked != 0 && role != ROLE_SERVER) {
        error = ERR_UNEXPECTED_MASK;
        break;
      }
      if (isControl) {
        // RFC 6455 §5.5: control frames MUST NOT be fragmented and carry at most 125 bytes
        if ((b0 & 0x80) == 0) {
          error = ERR_CONTROL_FRAGMENTED;
          break;
        }
        if (length7 > 125) {
          error = ERR_CONTROL_TOO_LONG;
          break;
        }
        // RFC 6455 §5.5.1: a close body is empty or starts with a 2-byte code
        if (opcode == 8 && length7 == 1) {
          error = ERR_CLOSE_PAYLOAD_LENGTH;
          break;
        }
      } else if (opcode == 0) {
        // RFC 6455 §5.4: a continuation belongs to an open fragmented message
        if (messageOpen == 0) {
          error = ERR_UNEXPECTED_CONTINUATION;
          break;
        }
      } else if (messageOpen != 0) {
        // RFC 6455 §5.4: fragments of one message are not interleaved with another
        error = ERR_EXPECTED_CONTINUATION;
        break;
      }
      headerLength = 2 + (length7 == 126 ? 2 : length7 == 127 ? 8 : 0) + (frameMasked != 0 ? 4 : 0);
      if (available < headerLength) break;
      let length: f64 = <f64>length7;
      if (length7 == 126) {
        const length16 = (<i32>load<u8>(pos, 2) << 8) | <i32>load<u8>(pos, 3);
        // RFC 6455 §5.2: the minimal number of bytes MUST be used to encode the length
        if (length16 < 126) {
          error = ERR_NON_MINIMAL_LENGTH;
          break;
        }
        length = <f64>length16;
      } else if (length7 == 127) {
        const length64 = bswap<u64>(load<u64>(pos, 2));
        // RFC 6455 §5.2: the most significant bit of a 64-bit length MUST be 0
        if ((length64 >> 63) != 0) {
          error = ERR_LENGTH_TOP_BIT;
          break;
        }
        if (length64 < 65536) {
          error = ERR_NON_MINIMAL_LENGTH;
          break;
        }
        length = <f64>length64;
      }
      if (length > maxFrame) {
        error = ERR_FRAME_TOO_LARGE;
        break;
      }
      // A control frame is handled whole, so wait for all of it.
      if (isControl && <f64>available < <f64>headerLength + length) break;
      if (!isControl) {
        if (opcode != 0) {
          messageOpcode = opcode;
          compressed = (b0 & 0x40) != 0 ? 1 : 0;
          messageLength = 0;
          utf8State = UTF8_ACCEPT;
        }
        // Compressed messages are measured after inflation, by the layer that inflates.
        if (compressed == 0 && messageLength + length > maxMessage) {
          error = ERR_MESSAGE_TOO_LARGE;
          break;
        }
        messageLength += length;
        messageOpen = (b0 & 0x80) == 0 ? 1 : 0;
      }
      maskKey = frameMasked != 0 ? load<u32>(pos + <usize>headerLength - 4) : 0;
      masked = frameMasked != 0 ? 1 : 0;
      byte0 = b0;
      frameLength = length;
      remaining = length;
      inPayload = 1;
      pos += <usize>headerLength;
    }

    const available = <f64>(end - pos);
    const take = <i32>(remaining < available ? remaining : available);
    if (take == 0 && remaining > 0) break;
    const done = frameLength - remaining;
    const opcode = byte0 & 0x0f;
    if (masked != 0) maskInPlace(pos, take, maskKey, <i32>(<u64>done & 3));
    const last = <f64>take == remaining;
    let deferUtf8 = false;
    if (opcode == 8) {
      if (take >= 2) {
        const code = (<i32>load<u8>(pos) << 8) | <i32>load<u8>(pos, 1);
        if (!closeCodeValidOnWire(code)) {
          error = ERR_INVALID_CLOSE_CODE;
          break;
        }
        // RFC 6455 §5.5.1: the reason is UTF-8
        if (validateUtf8(pos + 2, take - 2, UTF8_ACCEPT) != UTF8_ACCEPT) {
          error = ERR_INVALID_UTF8;
          break;
        }
      }
    } else if (
      opcode == 1 &&
      compressed == 0 &&
      deferredUtf8Min > 0 &&
      take >= deferredUtf8Min &&
      done == 0 &&
      last &&
      (byte0 & 0x80) != 0
    ) {
      // A whole message in one piece: the caller's validator (simdutf in Node) is faster here.
      deferUtf8 = true;
    } else if (opcode < 8 && messageOpcode == 1 && compressed == 0) {
      // RFC 6455 §8.1: text MUST be valid UTF-8, checked as it arrives
      utf8State = validateUtf8(pos, take, utf8State);
      if (utf8State == UTF8_REJECT || (last && (byte0 & 0x80) != 0 && utf8State != UTF8_ACCEPT)) {
        error = ERR_INVALID_UTF8;
        break;
      }
    }
    const entry: usize = <usize>DESCRIPTORS + <usize>count * <usize>DESCRIPTOR_BYTES;
    store<u8>(entry + D_BYTE0, <u8>byte0);
    store<u8>(
      entry + D_FLAGS,
      <u8>(
        (masked != 0 ? F_MASKED : 0) |
        (done == 0 ? F_FIRST_PIECE : 0) |
        (last ? F_LAST_PIECE : 0) |
        (done == 0 ? headerLength << F_HEADER_LENGTH_SHIFT : 0) |
        (deferUtf8 ? F_UTF8_DEFERRED : 0)
      ),
    );
    store<u32>(entry + D_MASK_KEY, maskKey);
    store<i32>(entry + D_PAYLOAD_PTR, <i32>pos);
    store<i32>(entry + D_PAYLOAD_LENGTH, take);
    store<f64>(entry + D_FRAME_OFFSET, frameOffset);
    store<f64>(entry + D_FRAME_LENGTH, frameLength);
    count++;
    pos += <usize>take;
    remaining -= <f64>take;
    if (!last) break;
    inPayload = 0;
  }

  store<i32>(STATE + S_IN_PAYLOAD, inPayload);
  store<i32>(STATE + S_FRAME_BYTE0, byte0);
  store<i32>(STATE + S_FRAME_MASKED, masked);
  store<u32>(STATE + S_MASK_KEY, maskKey);
  store<i32>(STATE + S_MESSAGE_OPEN, messageOpen);
  store<i32>(STATE + S_MESSAGE_OPCODE, messageOpcode);
  store<i32>(STATE + S_MESSAGE_COMPRESSED, compressed);
  store<i32>(STATE + S_UTF8_STATE, utf8State);
  store<f64>(STATE + S_FRAME_LENGTH, frameLength);
  store<f64>(STATE + S_FRAME_REMAINING, remaining);
  store<f64>(STATE + S_FRAME_OFFSET, frameOffset);
  store<f64>(STATE + S_MESSAGE_LENGTH, messageLength);
  store<i32>(STATE + S_HEADER_LENGTH, headerLength);
  store<i32>(STATE + S_ERROR, error);
  if (error != 0) store<f64>(STATE + S_ERROR_OFFSET, frameOffset);
  store<i32>(STATE + S_CONSUMED, <i32>pos);
  store<i32>(STATE + S_DESCRIPTOR_COUNT, count);
  return count;
}
