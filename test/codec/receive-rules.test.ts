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
import { hex, parseChunks } from '../support/frames.js';

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

describe('64-bit lengths (read as two 32-bit halves in both builds)', () => {
  const cases: Array<[string, string, string | null]> = [
    ['0xFFFF, non-minimal', '827f000000000000ffff', 'WS_ERR_NON_MINIMAL_LENGTH'],
    ['0x10000, the least 64-bit length', '827f0000000000010000', null],
    ['2^32 + 5, over maxFrame', '827f0000000100000005', 'WS_ERR_FRAME_TOO_LARGE'],
    ['2^53 + 1, over maxFrame', '827f0020000000000001', 'WS_ERR_FRAME_TOO_LARGE'],
    ['2^63, top bit set', '827f8000000000000000', 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH'],
  ];
  it.each(cases)('%s: the same result from the kernel and the TS walk', (_name, header, code) => {
    for (const wasm of [true, false]) {
      const result = parseChunks([hex(header)], { role: 'client', wasm, maxFrame: 1 << 20 });
      expect(result.error?.code ?? null, `wasm: ${wasm}`).toBe(code);
      if (code !== null) expect(result.error?.offset).toBe(0);
    }
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
