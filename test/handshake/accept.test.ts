import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { computeAccept } from '../../src/handshake/accept.js';
import { generateKey } from '../../src/handshake/http1-client.js';
import { RFC_ACCEPT, RFC_KEY } from './helpers.js';

describe('computeAccept', () => {
  it('gives the RFC 6455 §4.2.2 example', () => {
    expect(computeAccept(RFC_KEY)).toBe(RFC_ACCEPT);
  });

  it('matches node:crypto for random keys', () => {
    for (let i = 0; i < 50; i++) {
      const key = generateKey();
      const expected = createHash('sha1')
        .update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
        .digest('base64');
      expect(computeAccept(key)).toBe(expected);
    }
  });
});
