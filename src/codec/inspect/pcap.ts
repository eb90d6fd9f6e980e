// A small reader of pcap and pcapng files down to TCP segments, browser-safe: link types
// Ethernet (with 802.1Q tags), Linux cooked (SLL, SLL2), raw IP, BSD loopback; IPv4 and
// IPv6; TCP only. Malformed records end the reading; a packet it cannot decode is skipped.
// (No npm package fitted: `pcap` binds libpcap natively and `pcap-parser` is Node streams
// only, neither runs in a browser nor decodes TCP.)

/** One TCP segment as captured. */
export interface TcpSegment {
  /** `address:port` of the sender and the receiver. */
  source: string;
  destination: string;
  seq: number;
  syn: boolean;
  ack: boolean;
  fin: boolean;
  rst: boolean;
  payload: Uint8Array;
}

/** The container format of `bytes`, or `null` when it is neither. */
export function pcapFormat(bytes: Uint8Array): 'pcap' | 'pcapng' | null {
  if (bytes.length < 24) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const big = view.getUint32(0, false);
  if (big === 0xa1b2c3d4 || big === 0xd4c3b2a1 || big === 0xa1b23c4d || big === 0x4d3cb2a1) return 'pcap';
  if (big === 0x0a0d0d0a) return 'pcapng';
  return null;
}

/** Every TCP segment in a pcap or pcapng file, in capture order. */
export function readTcpSegments(bytes: Uint8Array): TcpSegment[] {
  const segments: TcpSegment[] = [];
  const onPacket = (linkType: number, data: Uint8Array) => {
    const segment = decodePacket(linkType, data);
    if (segment !== null) segments.push(segment);
  };
  if (pcapFormat(bytes) === 'pcap') readPcap(bytes, onPacket);
  else if (pcapFormat(bytes) === 'pcapng') readPcapng(bytes, onPacket);
  return segments;
}

function readPcap(bytes: Uint8Array, onPacket: (linkType: number, data: Uint8Array) => void): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  const little = magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1;
  // The low 16 bits of the link-type field; the upper ones may carry FCS flags.
  const linkType = view.getUint32(20, little) & 0xffff;
  let at = 24;
  while (at + 16 <= bytes.length) {
    const captured = view.getUint32(at + 8, little);
    if (at + 16 + captured > bytes.length) break;
    onPacket(linkType, bytes.subarray(at + 16, at + 16 + captured));
    at += 16 + captured;
  }
}

function readPcapng(bytes: Uint8Array, onPacket: (linkType: number, data: Uint8Array) => void): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let little = true;
  let interfaces: number[] = [];
  let at = 0;
  while (at + 12 <= bytes.length) {
    const type = view.getUint32(at, little);
    if (type === 0x0a0d0d0a) {
      // Section header: its byte-order magic says how to read this section; interfaces restart.
      little = view.getUint32(at + 8, true) === 0x1a2b3c4d;
      interfaces = [];
    }
    const length = view.getUint32(at + 4, little);
    if (length < 12 || length % 4 !== 0 || at + length > bytes.length) break;
    if (type === 1) {
      interfaces.push(view.getUint16(at + 8, little));
    } else if (type === 6 || type === 2) {
      // Enhanced packet block (6) and the obsolete packet block (2): interface, time, lengths, data.
      const id = type === 6 ? view.getUint32(at + 8, little) : view.getUint16(at + 8, little);
      const captured = view.getUint32(at + 20, little);
      if (28 + captured <= length && interfaces[id] !== undefined) {
        onPacket(interfaces[id], bytes.subarray(at + 28, at + 28 + captured));
      }
    } else if (type === 3 && interfaces[0] !== undefined) {
      // Simple packet block: interface 0, the original length, data up to the block's end.
      const original = view.getUint32(at + 8, little);
      onPacket(interfaces[0], bytes.subarray(at + 12, at + 12 + Math.min(original, length - 16)));
    }
    at += length;
  }
}

/** The IP packet inside a link-layer frame, with its version, or `null`. */
function ipPacket(linkType: number, data: Uint8Array): Uint8Array | null {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let at: number;
  let etherType: number;
  switch (linkType) {
    case 1: // Ethernet
      if (data.length < 14) return null;
      at = 14;
      etherType = view.getUint16(12);
      while ((etherType === 0x8100 || etherType === 0x88a8) && data.length >= at + 4) {
        etherType = view.getUint16(at + 2);
        at += 4;
      }
      break;
    case 113: // Linux cooked capture (SLL)
      if (data.length < 16) return null;
      at = 16;
      etherType = view.getUint16(14);
      break;
    case 276: // Linux cooked capture v2 (SLL2)
      if (data.length < 20) return null;
      at = 20;
      etherType = view.getUint16(0);
      break;
    case 0: // BSD loopback: a 4-byte address family in the capturing host's byte order
    case 108:
      return data.length > 4 ? data.subarray(4) : null;
    case 101: // raw IP (LINKTYPE_RAW) and its older DLT numbers, IPv4 and IPv6 only
    case 12:
    case 14:
    case 228:
    case 229:
      return data;
    default:
      return null;
  }
  if (etherType !== 0x0800 && etherType !== 0x86dd) return null;
  return data.subarray(at);
}

function ipv4Address(bytes: Uint8Array, at: number): string {
  return `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`;
}

function ipv6Address(bytes: Uint8Array, at: number): string {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const groups: string[] = [];
  for (let i = 0; i < 8; i++) groups.push(view.getUint16(at + i * 2).toString(16));
  return `[${groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::')}]`;
}

/** The TCP segment in a captured packet, or `null` (not IP, not TCP, a later fragment, cut short). */
export function decodePacket(linkType: number, data: Uint8Array): TcpSegment | null {
  const ip = ipPacket(linkType, data);
  if (ip === null || ip.length < 20) return null;
  const view = new DataView(ip.buffer, ip.byteOffset, ip.byteLength);
  let tcpAt: number;
  let tcpEnd: number;
  let source: string;
  let destination: string;
  const version = ip[0] >> 4;
  if (version === 4) {
    const headerLength = (ip[0] & 0x0f) * 4;
    if (ip[9] !== 6 || headerLength < 20) return null;
    // A later fragment carries no TCP header; reassembling IP fragments is out of scope.
    if ((view.getUint16(6) & 0x1fff) !== 0) return null;
    tcpAt = headerLength;
    // The total length, not the frame's: Ethernet pads short frames.
    tcpEnd = Math.min(ip.length, view.getUint16(2) || ip.length);
    source = ipv4Address(ip, 12);
    destination = ipv4Address(ip, 16);
  } else if (version === 6) {
    if (ip.length < 40) return null;
    let next = ip[6];
    tcpAt = 40;
    tcpEnd = Math.min(ip.length, 40 + view.getUint16(4));
    // Hop-by-hop, routing and destination options headers may stand before TCP.
    while ((next === 0 || next === 43 || next === 60) && tcpAt + 8 <= tcpEnd) {
      next = ip[tcpAt];
      tcpAt += (ip[tcpAt + 1] + 1) * 8;
    }
    if (next !== 6) return null;
    source = ipv6Address(ip, 8);
    destination = ipv6Address(ip, 24);
  } else {
    return null;
  }
  if (tcpAt + 20 > tcpEnd) return null;
  const dataAt = tcpAt + (ip[tcpAt + 12] >> 4) * 4;
  if (dataAt > tcpEnd) return null;
  const flags = ip[tcpAt + 13];
  return {
    source: `${source}:${view.getUint16(tcpAt)}`,
    destination: `${destination}:${view.getUint16(tcpAt + 2)}`,
    seq: view.getUint32(tcpAt + 4),
    fin: (flags & 0x01) !== 0,
    syn: (flags & 0x02) !== 0,
    rst: (flags & 0x04) !== 0,
    ack: (flags & 0x10) !== 0,
    payload: ip.subarray(dataAt, tcpEnd),
  };
}
