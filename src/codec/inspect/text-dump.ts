// Captures pasted as text: hex dumps and base64. Recognised hex forms: `xxd`, `hexdump -C`
// (with its `*` for repeated lines), Wireshark's "Copy as Hex Dump" and "Follow TCP Stream"
// hex view (the other direction's lines indented, so two streams), plain hex with or
// without spaces, colons, commas or 0x/\x prefixes (Wireshark's "hex stream" is one line).

/** Whether `bytes` are printable ASCII and line breaks only (so may be a text dump). */
export function looksLikeText(bytes: Uint8Array): boolean {
  if (bytes.length === 0) return false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b !== 0x09 && b !== 0x0a && b !== 0x0d && (b < 0x20 || b > 0x7e)) return false;
  }
  return true;
}

function hexBytes(token: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < token.length; i += 2) out.push(Number.parseInt(token.slice(i, i + 2), 16));
  return out;
}

const HEX_TOKEN = /^[0-9a-fA-F]+$/;

/** Hex without offsets: every character is a hex digit or a separator. */
function parsePlainHex(text: string): Uint8Array | null {
  // C-style lists (`0x1, 0x82`): each number is one byte, with one or two digits.
  if (/^\s*0x/i.test(text)) {
    const words = text.split(/[\s,;]+/).filter((word) => word !== '');
    if (!words.every((word) => /^0x[0-9a-f]{1,2}$/i.test(word))) return null;
    return Uint8Array.from(words, (word) => Number.parseInt(word.slice(2), 16));
  }
  const digits = text.replace(/0x|\\x/gi, '').replace(/[\s,:;]+/g, '');
  if (digits.length === 0 || digits.length % 2 !== 0 || !HEX_TOKEN.test(digits)) return null;
  return Uint8Array.from(hexBytes(digits));
}

interface DumpLine {
  /** The offset at the line's start, or -1 for hexdump's `*` (the line before repeats). */
  offset: number;
  tokens: Array<{ column: number; end: number; bytes: number[] }>;
}

const OFFSET = /^\s*([0-9a-fA-F]{4,16}):?(?=\s|$)/;

function parseDumpLine(line: string): DumpLine | null {
  if (line.trim() === '*') return { offset: -1, tokens: [] };
  const match = OFFSET.exec(line);
  if (match === null) return null;
  const tokens: DumpLine['tokens'] = [];
  for (const token of line.slice(match[0].length).matchAll(/\S+/g)) {
    // The ASCII column: hexdump -C's starts with `|`; others are stopped by a non-hex word
    // or, on a short last line, by the column (see parseOffsetDump).
    if (!HEX_TOKEN.test(token[0]) || token[0].length % 2 !== 0) break;
    const column = match[0].length + token.index;
    tokens.push({ column, end: column + token[0].length, bytes: hexBytes(token[0]) });
  }
  return { offset: Number.parseInt(match[1], 16), tokens };
}

/** A dump whose lines start with offsets; each line's length comes from the next line's offset. */
function parseOffsetDump(rawLines: readonly string[]): Uint8Array | null {
  const lines: DumpLine[] = [];
  for (const raw of rawLines) {
    const line = parseDumpLine(raw);
    if (line === null) return null;
    lines.push(line);
  }
  if (lines.length === 0 || lines[0].offset !== 0) return null;
  // A whole line's width, and the column where its hex ends, from the first line whose
  // length the next offset tells: a short last line must not read its ASCII column as hex.
  let asciiColumn = Number.POSITIVE_INFINITY;
  let width = 0;
  for (let i = 0; i + 1 < lines.length; i++) {
    if (lines[i].offset < 0 || lines[i + 1].offset < 0) continue;
    width = lines[i + 1].offset - lines[i].offset;
    let seen = 0;
    for (const token of lines[i].tokens) {
      seen += token.bytes.length;
      if (seen >= width) {
        asciiColumn = token.end + 1;
        break;
      }
    }
    break;
  }
  const out: number[] = [];
  let previous: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const next = lines[i + 1];
    if (line.offset < 0) {
      // hexdump's `*`: the previous line repeats up to the next offset.
      if (next === undefined || next.offset < 0 || previous.length === 0) return null;
      while (out.length < next.offset) out.push(...previous.slice(0, next.offset - out.length));
      continue;
    }
    if (line.offset !== out.length) return null;
    let count: number | undefined;
    if (next !== undefined) count = next.offset < 0 ? width : next.offset - line.offset;
    const bytes: number[] = [];
    let lastEnd = -1;
    for (const token of line.tokens) {
      if (count === undefined) {
        if (token.column >= asciiColumn) break;
        // A single-line dump: two spaces end the hex (xxd, Wireshark), unless hexdump's middle gap.
        if (asciiColumn === Number.POSITIVE_INFINITY && lastEnd >= 0 && token.column - lastEnd > 2) break;
      }
      bytes.push(...token.bytes);
      lastEnd = token.end;
      if (count !== undefined && bytes.length >= count) break;
    }
    if (count !== undefined) {
      if (bytes.length < count) return null;
      bytes.length = count;
    }
    out.push(...bytes);
    previous = bytes;
  }
  return Uint8Array.from(out);
}

/**
 * The bytes of a hex dump, one array per direction (two for Wireshark's "Follow TCP Stream",
 * whose second direction is indented), or `null` when `text` is not hex.
 */
export function parseHexDump(text: string): Uint8Array[] | null {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  if (lines.length === 0) return null;
  const first = OFFSET.exec(lines[0]);
  const offsets =
    first !== null && Number.parseInt(first[1], 16) === 0 && (lines.length > 1 || /:/.test(first[0]));
  if (!offsets) {
    const plain = parsePlainHex(text);
    return plain === null ? null : [plain];
  }
  const indented = lines.filter((line) => /^\s/.test(line));
  const flush = lines.filter((line) => !/^\s/.test(line));
  if (indented.length > 0 && flush.length > 0) {
    const a = parseOffsetDump(flush);
    const b = parseOffsetDump(indented);
    if (a !== null && b !== null) return [a, b];
  }
  const one = parseOffsetDump(lines);
  return one === null ? null : [one];
}

/** Standard or URL-safe base64 (whitespace ignored), or `null` when `text` is not base64. */
export function parseBase64(text: string): Uint8Array | null {
  let clean = text.replace(/\s+/g, '');
  if (clean.length === 0 || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(clean)) return null;
  clean = clean.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  if (clean.length % 4 === 1) return null;
  clean += '='.repeat((4 - (clean.length % 4)) % 4);
  try {
    const binary = atob(clean);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  } catch {
    return null;
  }
}
