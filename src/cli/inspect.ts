// `wasmws inspect`: decodes captured WebSocket bytes (raw, hex dump, base64, pcap, pcapng)
// with the codec's inspectCapture() and prints a table of frames, the messages and the first
// violation, or JSON for scripts; `--web` serves the inspector page instead.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  type CaptureStream,
  decodeCapture,
  type InspectResult,
  inspectCapture,
} from '../codec/inspect/index.js';
import { type Command, type CommandIO, EXIT_FAILURE, EXIT_USAGE, UsageError } from './command.js';

const USAGE = `Usage: wasmws inspect [FILE|-] [options]
       wasmws inspect --web [--port P]

Decodes captured WebSocket bytes from FILE (or stdin when FILE is "-" or missing): raw
bytes, a hex dump (xxd, hexdump -C, Wireshark's hex dump or hex stream, plain hex),
base64, or a pcap/pcapng file of a TCP conversation (both directions reassembled; the
HTTP/1.1 upgrade says who is the client and whether permessage-deflate is on). Prints
every frame (offset, FIN, RSV bits, opcode, mask key, length, payload preview), the
messages they make (inflated when compressed) and the first violation with the close
code it implies and its offset.

Options:
  --from client|server  the side that sent the bytes, for input that does not say (raw,
                        hex, base64); client frames are masked. Default: guessed from the
                        first frame's MASK bit (the output says so)
  --deflate             the bytes use permessage-deflate with context takeover, for input
                        without the 101 answer (a pcap's answer decides by itself)
  --preview N           payload bytes shown per frame and message (default 32)
  --json                print JSON: the result object of inspect() for a single stream,
                        {"frames": [...], "messages": [...], "error": null | {...}}; for
                        pcap/pcapng (or a dump with two directions) an array of
                        {"stream": {"from", "extensions", "label", "length"}, "result"}
  --web                 serve the inspector page on 127.0.0.1 instead (drop or paste a
                        capture there); runs until SIGINT or SIGTERM
  --port P              port of --web; 0 picks a free one (default 0)
  -h, --help            show this help

Exit status: 0 decoded with no violation, 1 a violation found (or no WebSocket stream in
the capture, or --web could not listen), 2 bad usage (a bad flag, an unreadable FILE).
`;

const USAGE_HINT = 'Run "wasmws inspect --help" for the options.\n';

/** `wasmws inspect`. */
export const inspectCommand: Command = {
  summary: 'decode captured WebSocket frames (raw, hex, base64, pcap) or serve the inspector page',
  usage: USAGE,
  run: runInspect,
};

function parse(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      from: { type: 'string' },
      deflate: { type: 'boolean' },
      preview: { type: 'string' },
      json: { type: 'boolean' },
      web: { type: 'boolean' },
      port: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function usageError(io: CommandIO, message: string): number {
  io.err(`wasmws inspect: ${message}\n${USAGE_HINT}`);
  return EXIT_USAGE;
}

async function readInput(file: string | undefined): Promise<Uint8Array> {
  if (file !== undefined && file !== '-') {
    try {
      return new Uint8Array(await readFile(file));
    } catch (error) {
      throw new UsageError(
        `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      );
    }
  }
  if (process.stdin.isTTY) throw new UsageError('no input: give a FILE, or pipe the capture to stdin');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}

async function runInspect(args: string[], io: CommandIO): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (error) {
    return usageError(io, (error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  if (values.from !== undefined && values.from !== 'client' && values.from !== 'server')
    return usageError(io, `--from must be client or server, got ${JSON.stringify(values.from)}`);
  if (positionals.length > 1) return usageError(io, `one FILE at most, got ${positionals.length}`);
  const previewBytes = values.preview === undefined ? 32 : Number(values.preview);
  if (!Number.isSafeInteger(previewBytes) || previewBytes < 0 || previewBytes > 1 << 20)
    return usageError(io, `--preview must be a whole number of bytes, got ${JSON.stringify(values.preview)}`);
  if (values.web) {
    if (positionals.length > 0 || values.json || values.from !== undefined || values.deflate)
      return usageError(io, '--web takes no FILE, --from, --deflate or --json: the page reads the capture');
    return serveWeb(values.port, io);
  }
  if (values.port !== undefined) return usageError(io, '--port goes with --web');

  let input: Uint8Array;
  try {
    input = await readInput(positionals[0]);
  } catch (error) {
    if (error instanceof UsageError) return usageError(io, error.message);
    throw error;
  }
  const format = decodeCapture(input).format;
  const found = await inspectCapture(input, {
    from: values.from as 'client' | 'server' | undefined,
    deflate: values.deflate === true,
    previewBytes,
    textBytes: Math.max(previewBytes, 64),
  });
  const violated = found.length === 0 || found.some(({ result }) => result.error !== null);
  if (values.json) {
    const single = found.length === 1 && format !== 'pcap' && format !== 'pcapng';
    const json = single
      ? found[0]!.result
      : found.map(({ stream, result }) => ({ stream: streamSummary(stream), result }));
    io.out(`${JSON.stringify(json, null, 2)}\n`);
  } else if (found.length === 0) {
    io.out(`${format}: no WebSocket stream found\n`);
  } else {
    for (const [i, { stream, result }] of found.entries()) {
      if (i > 0) io.out('\n');
      io.out(
        `${format}: ${stream.label}${stream.extensions === '' ? '' : `; extensions: ${stream.extensions}`}\n`,
      );
      io.out(renderResult(result));
    }
  }
  return violated ? EXIT_FAILURE : 0;
}

function streamSummary(stream: CaptureStream) {
  return {
    from: stream.from,
    extensions: stream.extensions,
    label: stream.label,
    length: stream.bytes.length,
  };
}

const OPCODE_NAMES: Record<number, string> = {
  0: 'cont',
  1: 'text',
  2: 'binary',
  8: 'close',
  9: 'ping',
  10: 'pong',
};

function bytesOf(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

/** A payload preview for people: text quoted, a close's code and reason, else spaced hex. */
function renderPreview(opcode: number, text: boolean, preview: string, length: number): string {
  const bytes = bytesOf(preview);
  const more = length > bytes.length ? '…' : '';
  if (opcode === 8 && bytes.length >= 2) {
    const reason = new TextDecoder().decode(bytes.subarray(2));
    return `code ${(bytes[0] << 8) | bytes[1]}${reason === '' && more === '' ? '' : ` ${JSON.stringify(reason)}${more}`}`;
  }
  if (text || opcode === 9 || opcode === 10) {
    const decoded = new TextDecoder().decode(bytes);
    // Text only when it reads as text; a ping's binary payload stays hex.
    if (!/[\u0000-\u0008\u000e-\u001f\ufffd]/.test(decoded)) return `${JSON.stringify(decoded)}${more}`;
  }
  return `${(preview.match(/../g) ?? []).join(' ')}${more}`;
}

function renderResult(result: InspectResult): string {
  const rows = [['offset', 'FIN', 'RSV', 'opcode', 'mask', 'length', 'payload']];
  let textMessage = false;
  for (const frame of result.frames) {
    if (frame.opcode === 1 || frame.opcode === 2) textMessage = frame.opcode === 1 && !frame.rsv1;
    const rsv = `${frame.rsv1 ? 1 : 0}${frame.rsv2 ? 1 : 0}${frame.rsv3 ? 1 : 0}`;
    const isText = frame.opcode === 1 ? !frame.rsv1 : frame.opcode === 0 && textMessage;
    rows.push([
      String(frame.offset),
      frame.fin ? '1' : '0',
      rsv,
      `${frame.opcode} ${OPCODE_NAMES[frame.opcode] ?? '?'}`,
      frame.maskKey ?? '-',
      String(frame.length),
      renderPreview(frame.opcode, isText, frame.preview, frame.length),
    ]);
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const numeric = new Set([0, 5]);
  let out = '';
  for (const row of rows) {
    const cells = row.map((cell, column) =>
      column === row.length - 1
        ? cell
        : numeric.has(column)
          ? cell.padStart(widths[column]!)
          : cell.padEnd(widths[column]!),
    );
    out += `  ${cells.join('  ')}\n`;
  }
  if (result.frames.length === 0) out += '  (no frames)\n';
  out += result.messages.length === 0 ? 'messages: none\n' : 'messages:\n';
  for (const [i, message] of result.messages.entries()) {
    const compressed = message.compressed ? `, compressed ${message.compressedLength} B` : '';
    const utf8 = message.utf8 === 'invalid' ? ', invalid UTF-8' : '';
    const body =
      message.text !== undefined
        ? `${JSON.stringify(message.text)}${message.textTruncated ? '…' : ''}`
        : renderPreview(2, false, message.preview, message.length);
    out += `  #${i} ${message.type}, ${message.length} B${compressed}${utf8}, frames ${message.frames.join(',')}: ${body}\n`;
  }
  const error = result.error;
  out +=
    error === null
      ? 'violation: none\n'
      : `violation at offset ${error.offset}: ${error.code} (close code ${error.closeCode}): ${error.message}\n`;
  return out;
}

async function serveWeb(portText: string | undefined, io: CommandIO): Promise<number> {
  const port = portText === undefined ? 0 : Number(portText);
  if (!Number.isSafeInteger(port) || port < 0 || port > 65535 || portText === '')
    return usageError(io, `--port must be 0-65535, got ${JSON.stringify(portText)}`);
  // Loaded only here: the page's server is not needed to decode a file.
  const { startInspectorWebServer } = await import('../inspect/web-server.js');
  let server: Awaited<ReturnType<typeof startInspectorWebServer>>;
  try {
    server = await startInspectorWebServer({ host: '127.0.0.1', port });
  } catch (error) {
    io.err(`wasmws inspect: ${(error as Error).message}\n`);
    return EXIT_FAILURE;
  }
  io.out(`wasmws inspector on ${server.url}\n`);
  await new Promise<void>((resolve) => io.onStop(() => resolve()));
  await server.close();
  return 0;
}
