// decodeCapture()/inspectCapture(): the text forms people paste (xxd, hexdump -C with its
// `*`, Wireshark's hex dump, hex stream and Follow TCP Stream, plain hex, base64) and pcap/
// pcapng of a TCP conversation (link types, IPv6, wrapped sequence numbers, retransmitted,
// overlapping and reordered segments, a missing range), the upgrade finding roles and deflate.
import { execFileSync } from 'node:child_process';
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeCapture, inspectCapture } from '../../../src/codec/index.js';
import { buildFrame, concat, text, toHex } from '../../support/frames.js';
import { type PcapSegment, writePcap } from '../../support/pcap-writer.js';

const MASK = 0x04030201;
const clientBytes = concat([
  buildFrame({ opcode: 1, payload: text('Hello, inspector! '.repeat(2)), maskKey: MASK }),
  buildFrame({ opcode: 9, payload: new Uint8Array(0), maskKey: MASK }),
]);
const ascii = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');

/** `xxd` output, written here so the test needs no xxd. */
function xxd(bytes: Uint8Array): string {
  let out = '';
  for (let at = 0; at < bytes.length; at += 16) {
    const line = bytes.subarray(at, at + 16);
    const groups = (toHex(line).match(/.{1,4}/g) ?? []).join(' ');
    out += `${at.toString(16).padStart(8, '0')}: ${groups.padEnd(39)}  ${ascii(line)}\n`;
  }
  return out;
}

/** `hexdump -C` output, with `*` for repeated lines. */
function hexdumpC(bytes: Uint8Array): string {
  let out = '';
  let previous = '';
  let starred = false;
  for (let at = 0; at < bytes.length; at += 16) {
    const line = bytes.subarray(at, at + 16);
    const hex = Array.from(line, (b) => b.toString(16).padStart(2, '0'));
    const body = `${hex.slice(0, 8).join(' ')}  ${hex.slice(8).join(' ')}`;
    if (body === previous && line.length === 16) {
      if (!starred) out += '*\n';
      starred = true;
      continue;
    }
    starred = false;
    previous = body;
    out += `${at.toString(16).padStart(8, '0')}  ${body.padEnd(48)}  |${ascii(line)}|\n`;
  }
  return `${out}${bytes.length.toString(16).padStart(8, '0')}\n`;
}

/** Wireshark's "Copy as Hex Dump", or its Follow TCP Stream hex view with `indent`. */
function wiresharkDump(bytes: Uint8Array, indent = ''): string {
  let out = '';
  for (let at = 0; at < bytes.length; at += 16) {
    const line = bytes.subarray(at, at + 16);
    const hex = Array.from(line, (b) => b.toString(16).padStart(2, '0')).join(' ');
    out += `${indent}${at.toString(16).padStart(4, '0')}   ${hex.padEnd(47)}   ${ascii(line)}\n`;
  }
  return out;
}

const utf8 = (s: string) => new TextEncoder().encode(s);

describe('decodeCapture: text forms', () => {
  const forms: Array<[string, string]> = [
    ['xxd', xxd(clientBytes)],
    ['hexdump -C', hexdumpC(clientBytes)],
    ['Wireshark hex dump', wiresharkDump(clientBytes)],
    ['Wireshark hex stream', toHex(clientBytes)],
    [
      'plain, spaced, upper case, CRLF',
      `${(toHex(clientBytes).toUpperCase().match(/../g) ?? []).join(' ')}\r\n`,
    ],
    ['0x, commas', Array.from(clientBytes, (b) => `0x${b.toString(16)}`).join(', ')],
    ['\\x escapes', Array.from(clientBytes, (b) => `\\x${b.toString(16).padStart(2, '0')}`).join('')],
  ];
  for (const [name, dump] of forms) {
    it(`reads ${name}`, () => {
      expect(decodeCapture(utf8(dump))).toMatchObject({
        format: 'hex',
        streams: [{ from: null, bytes: clientBytes }],
      });
    });
  }

  it('reads hexdump -C with repeated lines collapsed into *', () => {
    const bytes = concat([buildFrame({ opcode: 2, payload: new Uint8Array(100) }), clientBytes]);
    const dump = hexdumpC(bytes);
    expect(dump).toContain('*\n');
    expect(decodeCapture(utf8(dump)).streams[0].bytes).toEqual(bytes);
  });

  it("does not read a short last line's ASCII column as hex", () => {
    const bytes = concat([clientBytes, text('abcdef')]); // the ASCII column ends in "abcdef"
    for (const dump of [xxd(bytes), wiresharkDump(bytes)])
      expect(decodeCapture(utf8(dump)).streams[0].bytes).toEqual(bytes);
  });

  it('reads real xxd when it is installed', () => {
    let real: string;
    try {
      real = execFileSync('xxd', [], { input: clientBytes, encoding: 'utf8' });
    } catch {
      return; // no xxd here: the hand-written form above stands in
    }
    expect(decodeCapture(utf8(real)).streams[0].bytes).toEqual(clientBytes);
  });

  it('reads base64, standard and URL-safe, wrapped', () => {
    const standard = btoa(String.fromCharCode(...clientBytes));
    const wrapped = standard.replace(/(.{20})/g, '$1\n');
    const urlSafe = standard.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    for (const form of [standard, wrapped, urlSafe])
      expect(decodeCapture(utf8(form))).toMatchObject({
        format: 'base64',
        streams: [{ bytes: clientBytes }],
      });
  });

  it('takes anything else as raw bytes', () => {
    expect(decodeCapture(clientBytes)).toMatchObject({
      format: 'raw',
      streams: [{ from: null, bytes: clientBytes }],
    });
  });

  it('splits a Follow TCP Stream dump into its two directions, and the HTTP heads say who is who', async () => {
    const request = utf8(
      'GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
    );
    const response = utf8(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n',
    );
    const compressed = new Uint8Array(deflateRawSync(text('hi there'), { finishFlush: 2 }));
    const serverBytes = buildFrame({
      opcode: 1,
      rsv: 0x40,
      payload: compressed.subarray(0, compressed.length - 4),
    });
    const dump =
      wiresharkDump(concat([request, clientBytes])) + wiresharkDump(concat([response, serverBytes]), '    ');
    const found = await inspectCapture(utf8(dump));
    expect(found.map(({ stream }) => [stream.from, stream.extensions])).toEqual([
      ['client', 'permessage-deflate'],
      ['server', 'permessage-deflate'],
    ]);
    expect(found[0].result.messages[0].text).toBe('Hello, inspector! '.repeat(2));
    expect(found[1].result.messages[0]).toMatchObject({ text: 'hi there', compressed: true });
  });

  it('guesses the sender from the MASK bit and says so, or takes from', async () => {
    const [guessed] = await inspectCapture(utf8(toHex(clientBytes)));
    expect(guessed.stream.label).toMatch(/guessed .*: client/);
    expect(guessed.result.error).toBeNull();
    const [told] = await inspectCapture(clientBytes, { from: 'server' });
    expect(told.result.error).toMatchObject({ code: 'WS_ERR_UNEXPECTED_MASK', offset: 0 });
  });
});

// A conversation: the upgrade, then frames both ways.
const REQUEST = utf8(
  'GET / HTTP/1.1\r\nHost: 10.0.0.2:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
);
const RESPONSE = utf8(
  'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
);
const serverBytes = concat([
  buildFrame({ opcode: 1, payload: text('Hello, inspector! '.repeat(2)) }),
  buildFrame({ opcode: 10, payload: new Uint8Array(0) }),
]);

function conversation(split: number): PcapSegment[] {
  const pieces = (from: 'client' | 'server', bytes: Uint8Array): PcapSegment[] => {
    const out: PcapSegment[] = [];
    for (let at = 0; at < bytes.length; at += split)
      out.push({ from, payload: bytes.subarray(at, at + split), at });
    return out;
  };
  return [
    { from: 'client', payload: new Uint8Array(0), flags: { syn: true, ack: false } },
    { from: 'server', payload: new Uint8Array(0), flags: { syn: true } },
    ...pieces('client', concat([REQUEST, clientBytes])),
    ...pieces('server', concat([RESPONSE, serverBytes])),
  ];
}

describe('decodeCapture: pcap and pcapng', () => {
  const variants = [
    { format: 'pcap', link: 'ethernet' },
    { format: 'pcapng', link: 'ethernet' },
    { format: 'pcap', link: 'sll' },
    { format: 'pcap', link: 'raw' },
    { format: 'pcapng', link: 'sll', ipv6: true },
    { format: 'pcap', link: 'ethernet', ipv6: true },
  ] as const;
  for (const options of variants) {
    it(`${options.format}, ${options.link}, IPv${'ipv6' in options ? 6 : 4}: both directions with their roles`, () => {
      const file = writePcap(conversation(7), options);
      const decoded = decodeCapture(file);
      expect(decoded.format).toBe(options.format);
      expect(decoded.streams.map((s) => [s.from, toHex(s.bytes)])).toEqual([
        ['client', toHex(clientBytes)],
        ['server', toHex(serverBytes)],
      ]);
      expect(decoded.streams[0].label).toMatch(/50000 → .*8080 \(client, after "GET \/ HTTP\/1.1"\)/);
    });
  }

  it('counts retransmitted and overlapping bytes once and puts reordered segments in place', () => {
    const segments = conversation(5);
    const client = segments.filter((s) => s.from === 'client' && s.payload.length > 0);
    // Resend one segment, resend a longer overlapping one, and swap two.
    const shuffled = [...segments];
    shuffled.push({ ...client[3] });
    shuffled.push({
      from: 'client',
      payload: concat([client[4].payload, client[5].payload]).subarray(2),
      at: client[4].at! + 2,
    });
    const a = shuffled.indexOf(client[6]);
    const b = shuffled.indexOf(client[8]);
    [shuffled[a], shuffled[b]] = [shuffled[b], shuffled[a]];
    const decoded = decodeCapture(writePcap(shuffled));
    expect(toHex(decoded.streams[0].bytes)).toBe(toHex(clientBytes));
  });

  it('stops a direction at a missing range and says how much is missing', () => {
    const segments = conversation(6);
    const server = segments.filter((s) => s.from === 'server' && s.payload.length > 0);
    const lost = server.at(-2)!;
    const decoded = decodeCapture(writePcap(segments.filter((s) => s !== lost)));
    const kept = concat([RESPONSE, serverBytes]).subarray(RESPONSE.length, lost.at);
    expect(toHex(decoded.streams[1].bytes)).toBe(toHex(kept));
    expect(decoded.streams[1].label).toMatch(
      new RegExp(`missing from the capture \\(${lost.payload.length + server.at(-1)!.payload.length} bytes`),
    );
  });

  it('learns permessage-deflate and its parameters from the 101 and inflates each side', async () => {
    const response = utf8(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover; server_max_window_bits=10\r\n\r\n',
    );
    const deflated = (s: string) => {
      const all = new Uint8Array(deflateRawSync(text(s), { finishFlush: 2 }));
      return all.subarray(0, all.length - 4);
    };
    const segments: PcapSegment[] = [
      { from: 'client', payload: REQUEST },
      { from: 'server', payload: response },
      {
        from: 'client',
        payload: buildFrame({ opcode: 1, rsv: 0x40, payload: deflated('from the client'), maskKey: MASK }),
      },
      {
        from: 'server',
        payload: buildFrame({ opcode: 2, rsv: 0x40, payload: deflated('\u0001from the server') }),
      },
    ];
    const found = await inspectCapture(writePcap(segments, { clientIsn: 5, serverIsn: 0xffffffff }));
    expect(found.map(({ stream }) => stream.extensions)).toEqual([
      'permessage-deflate; client_no_context_takeover; server_max_window_bits=10',
      'permessage-deflate; client_no_context_takeover; server_max_window_bits=10',
    ]);
    expect(found[0].result.messages).toMatchObject([
      { type: 'text', text: 'from the client', compressed: true },
    ]);
    expect(found[1].result.messages).toMatchObject([
      { type: 'binary', preview: toHex(text('\u0001from the server')) },
    ]);
  });

  it('decodes nothing as the server when the answer is not 101, and finds no stream in a capture without TCP', () => {
    const refused = [
      { from: 'client', payload: REQUEST },
      { from: 'server', payload: utf8('HTTP/1.1 400 Bad Request\r\n\r\n') },
    ] satisfies PcapSegment[];
    const decoded = decodeCapture(writePcap(refused));
    expect(decoded.streams.map((s) => [s.from, s.bytes.length])).toEqual([
      ['client', 0],
      ['server', 0],
    ]);
    expect(decoded.streams[1].label).toMatch(/no 101/);
    expect(decodeCapture(writePcap([]))).toEqual({ format: 'pcap', streams: [] });
  });

  it('returns every direction with from null when the upgrade was not captured', async () => {
    const segments: PcapSegment[] = [
      { from: 'client', payload: clientBytes },
      { from: 'server', payload: serverBytes },
    ];
    const found = await inspectCapture(writePcap(segments));
    expect(found.map(({ stream, result }) => [stream.from, result.error, result.messages.length])).toEqual([
      [null, null, 1],
      [null, null, 1],
    ]);
    expect(found[1].stream.label).toMatch(/no HTTP upgrade captured.*guessed.*server/);
  });

  it('never throws on truncated or corrupt files', async () => {
    const file = writePcap(conversation(9), { format: 'pcapng' });
    for (let cut = 0; cut < file.length; cut += 13) {
      const damaged = file.slice(0, cut);
      if (cut > 40) damaged[cut - 20] ^= 0xff;
      await inspectCapture(damaged);
    }
  });
});
