// What the echo benchmark's messages carry, and where each carries its sequence number:
// - `pattern`: one fixed byte pattern (poorly compressible, like the default workloads have
//   always used), the sequence number little-endian in the first 4 bytes;
// - `json`: a pool of distinct JSON documents of exactly `size` bytes, arrays of realistic
//   records (ids, names, e-mails, timestamps, nested objects) from a seeded PRNG, so deflate
//   sees repeated keys and vocabulary but never a whole message it has just seen; message n
//   carries document n % pool. The sequence number is 8 hex digits inside the document, which
//   stays valid JSON and ASCII.
// Both clients send the same bytes; only the load generator builds them.

/** The payload kinds of {@link LoadOptions}. */
export type PayloadKind = 'pattern' | 'json';

/** The messages of one run: which bytes message n carries, how its number is stamped and read. */
export interface PayloadSet {
  readonly kind: PayloadKind;
  readonly size: number;
  /** The bytes of message `seq` before its number is stamped (shared: never written). */
  document(seq: number): Buffer;
  /** Writes `seq` into `message` (a copy of `document(seq)`). */
  stamp(message: Buffer, seq: number): void;
  /** The number `message` carries, or undefined when it has none. */
  read(message: Uint8Array): number | undefined;
  /** Bytes that {@link stamp} writes, at `offset`: excluded from the byte-for-byte comparison. */
  readonly stampOffset: number;
  readonly stampLength: number;
}

/** The smallest message of each kind: room for the number, and for the JSON frame around it. */
export const MIN_SIZE: Record<PayloadKind, number> = { pattern: 8, json: 64 };

/** Distinct JSON documents per run: 64 KiB of 1 KiB ones already spans twice zlib's 32 KiB window. */
const JSON_POOL = 64;
const JSON_HEAD = '{"seq":"';
const SEQ_DIGITS = 8;

function patternSet(size: number): PayloadSet {
  const template = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) template[i] = (i * 31 + 7) & 0xff;
  return {
    kind: 'pattern',
    size,
    document: () => template,
    stamp: (message, seq) => message.writeUInt32LE(seq >>> 0, 0),
    read: (m) => (m[0] | (m[1] << 8) | (m[2] << 16) | (m[3] << 24)) >>> 0,
    stampOffset: 0,
    stampLength: 4,
  };
}

/** mulberry32: small, seeded, good enough to vary records. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = [
  'Alice',
  'Bruno',
  'Chen',
  'Dana',
  'Emeka',
  'Farah',
  'Goran',
  'Hana',
  'Ivan',
  'Jun',
  'Kofi',
  'Lena',
];
const LAST = [
  'Moreno',
  'Okafor',
  'Nakamura',
  'Schmidt',
  'Kowalski',
  'Haddad',
  'Silva',
  'Novak',
  'Dubois',
  'Kim',
];
const CITIES: [string, number, number][] = [
  ['Lyon', 45.76, 4.84],
  ['Osaka', 34.69, 135.5],
  ['Lagos', 6.52, 3.38],
  ['Porto', 41.15, -8.61],
  ['Denver', 39.74, -104.99],
  ['Krakow', 50.06, 19.94],
];
const TAGS = ['admin', 'beta', 'trial', 'vip', 'mobile', 'eu', 'us', 'apac', 'churn-risk', 'new'];
const WORDS = [
  'order',
  'shipped',
  'pending',
  'refund',
  'invoice',
  'account',
  'updated',
  'payment',
  'via',
  'card',
];

function record(random: () => number): string {
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)];
  const first = pick(FIRST);
  const last = pick(LAST);
  const [city, lat, lon] = pick(CITIES);
  const tags = Array.from({ length: 1 + Math.floor(random() * 3) }, () => pick(TAGS));
  const day = 1 + Math.floor(random() * 28);
  const seconds = Math.floor(random() * 86_400);
  const time = new Date(Date.UTC(2024, Math.floor(random() * 12), day, 0, 0, seconds)).toISOString();
  return JSON.stringify({
    id: Math.floor(random() * 10_000_000),
    user: `${first.toLowerCase()}.${last.toLowerCase()}${Math.floor(random() * 100)}`,
    name: `${first} ${last}`,
    email: `${first.toLowerCase()}.${last.toLowerCase()}@example.com`,
    active: random() < 0.7,
    balance: Math.round(random() * 1_000_000) / 100,
    tags,
    updated: time,
    location: { city, lat: lat + Math.round(random() * 100) / 1000, lon },
  });
}

/** One document of exactly `size` bytes: records until the next would not fit, then a note of words. */
function jsonDocument(size: number, random: () => number): Buffer {
  let text = `${JSON_HEAD}${'0'.repeat(SEQ_DIGITS)}","records":[`;
  const closing = '],"note":""}';
  for (let first = true; ; first = false) {
    const next = (first ? '' : ',') + record(random);
    if (text.length + next.length + closing.length > size) break;
    text += next;
  }
  let note = '';
  while (text.length + closing.length + note.length < size)
    note += `${WORDS[Math.floor(random() * WORDS.length)]} `;
  note = note.slice(0, size - text.length - closing.length);
  const document = Buffer.from(`${text}],"note":"${note}"}`, 'latin1');
  if (document.length !== size) throw new Error(`JSON document of ${document.length} bytes, not ${size}`);
  return document;
}

function jsonSet(size: number): PayloadSet {
  const random = prng(0x5eed ^ size);
  const pool = Array.from({ length: JSON_POOL }, () => jsonDocument(size, random));
  const offset = JSON_HEAD.length;
  return {
    kind: 'json',
    size,
    document: (seq) => pool[seq % JSON_POOL],
    stamp: (message, seq) => {
      message.write((seq >>> 0).toString(16).padStart(SEQ_DIGITS, '0'), offset, 'latin1');
    },
    read: (m) => {
      if (m.length < offset + SEQ_DIGITS) return undefined;
      const digits = Buffer.from(m.buffer, m.byteOffset + offset, SEQ_DIGITS).toString('latin1');
      return /^[0-9a-f]{8}$/.test(digits) ? Number.parseInt(digits, 16) : undefined;
    },
    stampOffset: offset,
    stampLength: SEQ_DIGITS,
  };
}

/** The messages of `kind` and `size` (at least {@link MIN_SIZE}). */
export function payloadSet(kind: PayloadKind, size: number): PayloadSet {
  if (!Number.isSafeInteger(size) || size < MIN_SIZE[kind]) {
    throw new RangeError(`${kind} payloads are at least ${MIN_SIZE[kind]} bytes, got ${size}`);
  }
  return kind === 'json' ? jsonSet(size) : patternSet(size);
}
