// The re-exporting entry, driven end to end: the client's request through the server's checks and
// back, using only the names `http1.js` exports.
import { describe, expect, it } from 'vitest';
import {
  buildUpgradeRequest,
  buildUpgradeResponse,
  generateKey,
  selectSubprotocol,
  serializeResponseHead,
  validateUpgradeRequest,
  validateUpgradeResponse,
} from '../../src/handshake/http1.js';
import { parseHead } from './helpers.js';

describe('a full handshake', () => {
  function handshake(tamper: (response: string) => string = (response) => response) {
    const key = generateKey();
    const requestHead = buildUpgradeRequest({
      host: 'example.org:8080',
      path: '/feed',
      key,
      protocols: ['v2', 'v1'],
      extensions: 'permessage-deflate; client_max_window_bits',
      origin: 'https://example.org',
    });

    // Server side: parse the head as node would, validate, answer.
    const { startLine, headers } = parseHead(requestHead);
    const [method, , version] = startLine;
    const accepted = validateUpgradeRequest({ method: method!, httpVersion: version!.slice(5), headers });
    if (!accepted.ok) throw new Error(accepted.reason);
    expect(accepted).toMatchObject({
      host: 'example.org:8080',
      origin: 'https://example.org',
      protocols: ['v2', 'v1'],
    });
    const protocol = selectSubprotocol(accepted.protocols, ['v1', 'v2']);
    const responseHead = serializeResponseHead(
      101,
      'Switching Protocols',
      buildUpgradeResponse({ key: accepted.key, protocol, extensions: 'permessage-deflate' }),
    );

    // Client side: parse the answer and check it against what was offered.
    const response = parseHead(tamper(responseHead));
    return validateUpgradeResponse(
      { status: Number(response.startLine[1]), headers: response.headers },
      { key, protocols: ['v2', 'v1'], extensionsOffered: ['permessage-deflate'] },
    );
  }

  it('completes with the protocol the server prefers and the accepted extension', () => {
    expect(handshake()).toEqual({ ok: true, protocol: 'v1', extensions: 'permessage-deflate' });
  });

  it('fails when the accept is tampered with', () => {
    const result = handshake((response) =>
      response.replace(
        /(Sec-WebSocket-Accept: )(.)/,
        (_, prefix: string, first: string) => prefix + (first === 'A' ? 'B' : 'A'),
      ),
    );
    expect(result).toMatchObject({ ok: false, code: 'WS_ERR_HANDSHAKE_ACCEPT' });
  });
});
