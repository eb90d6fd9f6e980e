// An example `--peer` adapter for `wasmws bench`: a tiny WebSocket codec and echo server in
// plain JavaScript (server role, unfragmented messages only), to show the adapter shape. Run:
//   wasmws bench codec --peer bench/example-adapter.mjs
//   wasmws bench echo --peer bench/example-adapter.mjs
// The default export names the peer and gives a `codec`, an `echoServer`, or both.
import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';

/** Masked client frames in, whole messages out: `message(payload, isBinary)` per frame with FIN. */
function decoder(message) {
  let pending = Buffer.alloc(0);
  return {
    push(chunk) {
      let bytes = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      for (;;) {
        if (bytes.length < 2) break;
        const code = bytes[1] & 0x7f;
        const header = 2 + (code === 126 ? 2 : code === 127 ? 8 : 0) + 4;
        if (bytes.length < header) break;
        const length =
          code < 126 ? code : code === 126 ? bytes.readUInt16BE(2) : Number(bytes.readBigUInt64BE(2));
        if (bytes.length < header + length) break;
        const mask = bytes.subarray(header - 4, header);
        const payload = Buffer.from(bytes.subarray(header, header + length));
        for (let i = 0; i < length; i++) payload[i] ^= mask[i & 3];
        const opcode = bytes[0] & 0x0f;
        if (opcode === 1 && !isUtf8(payload)) throw new Error('invalid UTF-8');
        message(payload, opcode === 2, opcode);
        bytes = bytes.subarray(header + length);
      }
      pending = Buffer.from(bytes);
    },
  };
}

/** One unmasked server frame (FIN set). */
function encode(payload, mask, opcode = 2) {
  const length = payload.length;
  const extra = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const key = mask ? Buffer.from([0x12, 0x34, 0x56, 0x78]) : undefined;
  const frame = Buffer.alloc(2 + extra + (mask ? 4 : 0) + length);
  frame[0] = 0x80 | opcode;
  frame[1] = (mask ? 0x80 : 0) | (extra === 0 ? length : extra === 2 ? 126 : 127);
  if (extra === 2) frame.writeUInt16BE(length, 2);
  if (extra === 8) frame.writeBigUInt64BE(BigInt(length), 2);
  let at = 2 + extra;
  if (key !== undefined) {
    key.copy(frame, at);
    at += 4;
  }
  for (let i = 0; i < length; i++) frame[at + i] = key === undefined ? payload[i] : payload[i] ^ key[i & 3];
  return frame;
}

export default {
  name: 'example',
  codec: { decoder, encode },
  echoServer: {
    /** Starts an echo server on host:port (0: a free one) and reports its URL; never negotiates deflate. */
    async start({ host, port }) {
      let messages = 0;
      const sockets = new Set();
      const server = createServer((_request, response) => response.writeHead(426).end());
      server.on('upgrade', (request, socket) => {
        const accept = createHash('sha1')
          .update(`${request.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
          .digest('base64');
        socket.write(
          `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
        );
        socket.setNoDelay(true);
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => socket.destroy());
        const frames = decoder((payload, isBinary, opcode) => {
          if (opcode === 8) return socket.end(encode(payload.subarray(0, 2), false, 8));
          messages++;
          socket.write(encode(payload, false, isBinary ? 2 : 1));
        });
        socket.on('data', (chunk) => {
          try {
            frames.push(chunk);
          } catch {
            socket.destroy();
          }
        });
      });
      await new Promise((resolve) => server.listen(port, host, resolve));
      return {
        url: `ws://${host}:${server.address().port}/`,
        messages: () => messages,
        connections: () => sockets.size,
        close: () => {
          for (const socket of sockets) socket.destroy();
          return new Promise((resolve) => server.close(resolve));
        },
      };
    },
  },
};
