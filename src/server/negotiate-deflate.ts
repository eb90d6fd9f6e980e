// The server's permessage-deflate answer (RFC 7692 §5), shared by the HTTP/1.1 upgrade and the
// HTTP/2 extended CONNECT: both read the same `sec-websocket-extensions` offer and answer alike.
import { createZlibCompressor } from '../extensions/deflate-zlib.js';
import { acceptDeflateOffer } from '../extensions/permessage-deflate.js';
import type { SessionCompression } from '../session/compression.js';
import { deflateSettingsOf } from './options.js';
import type { UpgradeOptions } from './types.js';

/** The answer to a client's extension offer: what to put in the response and the session's engine. */
export type DeflateAnswer =
  | { ok: true; extensions: string | null; compression: SessionCompression | undefined }
  | { ok: false; reason: string };

/**
 * Accepts the first acceptable permessage-deflate offer in `offer` (the raw header value), if
 * `options.deflate` allows compression at all; a malformed offer fails (answer 400).
 */
export function negotiateDeflate(
  options: UpgradeOptions<unknown>,
  offer: string | readonly string[],
): DeflateAnswer {
  const deflate = deflateSettingsOf(options);
  if (deflate === null) return { ok: true, extensions: null, compression: undefined };
  const answer = acceptDeflateOffer(offer, deflate);
  if (!answer.ok) return { ok: false, reason: `Invalid Sec-WebSocket-Extensions: ${answer.reason}` };
  if (answer.response === null) return { ok: true, extensions: null, compression: undefined };
  return {
    ok: true,
    extensions: answer.response,
    compression: {
      compressor: createZlibCompressor({ role: 'server', ...answer.negotiated, memLevel: deflate.memLevel }),
      threshold: deflate.threshold,
    },
  };
}
