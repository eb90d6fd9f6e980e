// The peer: ws's own Receiver and Sender (not exported by @types/ws, so typed here) and a
// report of which native add-ons it loaded. ws decides on bufferutil when it is first
// imported, from WS_NO_BUFFER_UTIL, so a run without add-ons needs a process of its own.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as wsModule from 'ws';

/** Options of ws's `Receiver` that the benchmark sets. */
export interface WsReceiverOptions {
  isServer: boolean;
  /** 0: no limit. */
  maxPayload: number;
  skipUTF8Validation: boolean;
}

/** ws's push parser, a `Writable` that emits `'message'` with a view of the written chunk. */
export interface WsReceiver {
  write(chunk: Buffer): boolean;
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
}

/** Options of ws's static `Sender.frame`. */
export interface WsFrameOptions {
  fin: boolean;
  mask: boolean;
  opcode: number;
  readOnly: boolean;
  rsv1: boolean;
}

interface WsInternals {
  Receiver: new (options: WsReceiverOptions) => WsReceiver;
  Sender: { frame(data: Buffer, options: WsFrameOptions): Buffer[] };
}

const internals = wsModule as unknown as WsInternals;

/** `ws/lib/receiver.js`. */
export const Receiver = internals.Receiver;
/** `ws/lib/sender.js`. */
export const Sender = internals.Sender;

/** Which ws this process runs, and with which add-ons. */
export interface PeerInfo {
  /** e.g. `ws 8.23.0`. */
  name: string;
  version: string;
  /** bufferutil's native addon is loaded (ws masks and unmasks with it above 48/32 bytes). */
  bufferutil: boolean;
  /** utf-8-validate is loaded (ws 8.23 uses `buffer.isUtf8` instead on Node ≥ 18.14). */
  utf8Validate: boolean;
  /** `WS_NO_BUFFER_UTIL` as this process saw it. */
  noBufferUtilEnv: boolean;
}

const require = createRequire(import.meta.url);

function loaded(packageName: string, nativeOnly: boolean): boolean {
  const marker = `/node_modules/${packageName}/`;
  return Object.keys(require.cache).some(
    (path) => path.replaceAll('\\', '/').includes(marker) && (!nativeOnly || path.endsWith('.node')),
  );
}

/** Describes the ws this process imported (call after the import above has run). */
export function peerInfo(): PeerInfo {
  const manifest = JSON.parse(readFileSync(require.resolve('ws/package.json'), 'utf8')) as {
    version: string;
  };
  return {
    name: `ws ${manifest.version}`,
    version: manifest.version,
    bufferutil: loaded('bufferutil', true),
    utf8Validate: loaded('utf-8-validate', false),
    noBufferUtilEnv: Boolean(process.env.WS_NO_BUFFER_UTIL),
  };
}
