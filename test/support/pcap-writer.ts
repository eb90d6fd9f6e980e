// Test helper: writes a TCP conversation as a pcap or pcapng file, independently of the
// reader under test, so captures the suite records can be decoded back. IPv4 or IPv6 over
// Ethernet, Linux cooked (SLL) or raw IP; segments may be split, resent or reordered.

export interface PcapSegment {
  /** Who sent it: the client (the side that opened the connection) or the server. */
  from: 'client' | 'server';
  payload: Uint8Array;
  flags?: { syn?: boolean; ack?: boolean; fin?: boolean };
  /** Sequence number offset from the first data byte of the sender (default: in order). */
  at?: number;
}

export interface PcapOptions {
  format?: 'pcap' | 'pcapng';
  link?: 'ethernet' | 'sll' | 'raw';
  ipv6?: boolean;
  clientPort?: number;
  serverPort?: number;
  /** Initial sequence numbers (default near 2^32, so they wrap). */
  clientIsn?: number;
  serverIsn?: number;
}

const LINK_TYPES = { ethernet: 1, sll: 113, raw: 101 } as const;

function u16(n: number): number[] {
  return [(n >>> 8) & 0xff, n & 0xff];
}
function u32(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}
function le32(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
}
function le16(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff];
}

function packet(options: PcapOptions, segment: PcapSegment, seq: number): Uint8Array {
  const client = options.ipv6 ? [0xfd, ...new Array(14).fill(0), 1] : [10, 0, 0, 1];
  const server = options.ipv6 ? [0xfd, ...new Array(14).fill(0), 2] : [10, 0, 0, 2];
  const clientPort = options.clientPort ?? 50000;
  const serverPort = options.serverPort ?? 8080;
  const [src, dst, sport, dport] =
    segment.from === 'client'
      ? [client, server, clientPort, serverPort]
      : [server, client, serverPort, clientPort];
  const flags = segment.flags ?? {};
  const flagByte = (flags.fin ? 1 : 0) | (flags.syn ? 2 : 0) | 0x08 | (flags.ack === false ? 0 : 0x10);
  const tcp = [
    ...u16(sport),
    ...u16(dport),
    ...u32(seq),
    ...u32(0),
    0x50,
    flagByte,
    ...u16(65535),
    0,
    0,
    0,
    0,
  ];
  const tcpBytes = [...tcp, ...segment.payload];
  let ip: number[];
  if (options.ipv6) {
    ip = [0x60, 0, 0, 0, ...u16(tcpBytes.length), 6, 64, ...src, ...dst];
  } else {
    ip = [0x45, 0, ...u16(20 + tcpBytes.length), 0, 0, 0x40, 0, 64, 6, 0, 0, ...src, ...dst];
  }
  const etherType = options.ipv6 ? 0x86dd : 0x0800;
  const link = options.link ?? 'ethernet';
  const linkHeader =
    link === 'ethernet'
      ? [...new Array(12).fill(0), ...u16(etherType)]
      : link === 'sll'
        ? [0, 0, 0, 1, 0, 6, ...new Array(8).fill(0), ...u16(etherType)]
        : [];
  return Uint8Array.from([...linkHeader, ...ip, ...tcpBytes]);
}

/** The file bytes of `segments` in the given order, each sender's sequence numbers following its bytes. */
export function writePcap(segments: readonly PcapSegment[], options: PcapOptions = {}): Uint8Array {
  const isn = { client: options.clientIsn ?? 0xfffffff0, server: options.serverIsn ?? 0x7ffffff0 };
  const next = { client: 0, server: 0 };
  const packets: Uint8Array[] = [];
  for (const segment of segments) {
    const syn = segment.flags?.syn === true;
    const at = segment.at ?? next[segment.from];
    // The SYN takes the ISN; data byte n of the sender has sequence number ISN + 1 + n.
    const seq = syn ? isn[segment.from] : (isn[segment.from] + 1 + at) >>> 0;
    if (!syn) next[segment.from] = Math.max(next[segment.from], at + segment.payload.length);
    packets.push(packet(options, segment, seq));
  }
  const linkType = LINK_TYPES[options.link ?? 'ethernet'];
  const out: number[] = [];
  if ((options.format ?? 'pcap') === 'pcap') {
    out.push(
      ...le32(0xa1b2c3d4),
      ...le16(2),
      ...le16(4),
      ...le32(0),
      ...le32(0),
      ...le32(262144),
      ...le32(linkType),
    );
    packets.forEach((data, i) => {
      out.push(...le32(i), ...le32(0), ...le32(data.length), ...le32(data.length));
      for (const b of data) out.push(b);
    });
  } else {
    const block = (type: number, body: number[]) => {
      while (body.length % 4 !== 0) body.push(0);
      const length = body.length + 12;
      out.push(...le32(type), ...le32(length), ...body, ...le32(length));
    };
    block(0x0a0d0d0a, [
      ...le32(0x1a2b3c4d),
      ...le16(1),
      ...le16(0),
      ...le32(0xffffffff),
      ...le32(0xffffffff),
    ]);
    block(1, [...le16(linkType), 0, 0, ...le32(262144)]);
    packets.forEach((data, i) => {
      block(6, [...le32(0), ...le32(0), ...le32(i), ...le32(data.length), ...le32(data.length), ...data]);
    });
  }
  return Uint8Array.from(out);
}
