// One source for the receive rules: the TS walk is the kernel's source with only its import
// paths changed, every violation has exactly one row, and the RFC limits keep their values.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAX_DEFERRED_BYTES } from '../../assembly/layout.js';
import {
  MAX_HEADER_BYTES,
  MAX_CLOSE_REASON_BYTES as RFC_MAX_CLOSE_REASON_BYTES,
  MAX_CONTROL_PAYLOAD_BYTES as RFC_MAX_CONTROL_PAYLOAD_BYTES,
} from '../../assembly/rfc6455.js';
import { Violation, violationRows } from '../../assembly/violations.js';
import { generatedWalk, portableWalk } from '../../scripts/portable-walk.mjs';
import { ERROR_CLOSE_CODES, errorFromKernel } from '../../src/codec/errors.js';
import { MAX_CLOSE_REASON_BYTES, MAX_CONTROL_PAYLOAD_BYTES } from '../../src/codec/index.js';

const root = new URL('../../', import.meta.url);

describe('the portable walk', () => {
  it('walk.generated.ts is assembly/walk.ts as scripts/portable-walk.mjs makes it (run npm run build:wasm)', () => {
    const generated = readFileSync(new URL('src/codec/fallback/walk.generated.ts', root), 'utf8');
    expect(generated).toBe(generatedWalk());
  });

  it('rewrites import paths and folds constants, in code only', () => {
    const constants = new Map([['LIMIT', { module: 'layout', literal: '0x7e' }]]);
    const source = [
      "import { a } from './arena-access';",
      "import { LIMIT, other } from './layout';",
      "import { LIMIT } from './layout';",
      'x(LIMIT); // LIMIT stays in comments',
      '',
    ].join('\n');
    const out = portableWalk(source, constants, (name) => name === 'arena-access');
    expect(out.split('\n').slice(1)).toEqual([
      "import { a } from './arena-access.js';",
      "import { other } from '../../../assembly/layout.js';",
      'x(0x7e); // LIMIT stays in comments',
      '',
    ]);
  });
});

describe('the violations table', () => {
  const members = Object.keys(Violation).filter((key) => Number.isNaN(Number(key)));

  it('has one row per violation, in member order, numbered from 1', () => {
    expect(violationRows().map((row) => Violation[row.violation])).toEqual(members);
    expect(members.map((name) => Violation[name as keyof typeof Violation])).toEqual(
      members.map((_, i) => i + 1),
    );
  });

  it('keeps every code and close code as before', () => {
    expect(ERROR_CLOSE_CODES).toEqual({
      WS_ERR_UNEXPECTED_RSV: 1002,
      WS_ERR_INVALID_OPCODE: 1002,
      WS_ERR_EXPECTED_MASK: 1002,
      WS_ERR_UNEXPECTED_MASK: 1002,
      WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH: 1002,
      WS_ERR_EXPECTED_FIN: 1002,
      WS_ERR_NON_MINIMAL_LENGTH: 1002,
      WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH: 1002,
      WS_ERR_UNEXPECTED_CONTINUATION: 1002,
      WS_ERR_EXPECTED_CONTINUATION: 1002,
      WS_ERR_FRAME_TOO_LARGE: 1009,
      WS_ERR_MESSAGE_TOO_LARGE: 1009,
      WS_ERR_INVALID_UTF8: 1007,
      WS_ERR_INVALID_CLOSE_PAYLOAD: 1002,
      WS_ERR_INVALID_CLOSE_CODE: 1002,
      WS_ERR_INFLATE: 1007,
      WS_ERR_UNEXPECTED_EOF: 1006,
    });
  });

  it('maps each kernel number to its code, message and close code', () => {
    for (const row of violationRows()) {
      const error = errorFromKernel(row.violation, 7);
      expect(error).toMatchObject({ code: Violation[row.violation], closeCode: row.closeCode, offset: 7 });
      expect(error.message).toBe(row.message);
    }
  });
});

describe('RFC 6455 limits', () => {
  it('are exported from the codec entry with their RFC values', () => {
    expect(MAX_CONTROL_PAYLOAD_BYTES).toBe(125);
    expect(MAX_CLOSE_REASON_BYTES).toBe(123);
    expect(RFC_MAX_CONTROL_PAYLOAD_BYTES).toBe(125);
    expect(RFC_MAX_CLOSE_REASON_BYTES).toBe(123);
  });

  it('size the deferred bytes: the longest header and the longest control payload', () => {
    expect(MAX_DEFERRED_BYTES).toBe(MAX_HEADER_BYTES + MAX_CONTROL_PAYLOAD_BYTES);
  });
});
