// Exit status 2 and the message of every usage error (flags, URLs, TLS files), --version, and
// the help's account of the exit codes. Most run in-process (runProgram returns the status
// main.ts exits with); one of each kind runs the built program to pin the real exit code.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PemFiles, pemFiles, run, runInProcess } from './helpers.js';

const VERSION = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')).version;

let pem: PemFiles;
beforeAll(() => {
  pem = pemFiles();
});
afterAll(() => pem.remove());

const WSS = 'wss://127.0.0.1:1/';

describe('wasmws --version', () => {
  it.each([['--version'], ['-V']])(
    '%s prints "wasmws VERSION" from package.json (the built program)',
    async (flag) => {
      const program = run([flag]);
      expect(await program.exited).toBe(0);
      expect(program.stdout()).toBe(`wasmws ${VERSION}\n`);
      expect(program.stderr()).toBe('');
    },
  );

  it('the usage says what each exit status means', async () => {
    const { code, out } = await runInProcess(['--help']);
    expect(code).toBe(0);
    expect(out).toMatch(/wasmws --version/);
    expect(out).toMatch(/Exit status:\n {2}0 .*\n {2}1 .*connection refused[\s\S]*\n {2}2 {2}bad usage/);
    for (const command of ['connect', 'serve']) {
      expect((await runInProcess([command, '--help'])).out).toMatch(
        /Exit status: 0 [\s\S]*1 [\s\S]*2 for bad usage/,
      );
    }
  });
});

describe('wasmws connect: usage errors exit 2 with a message naming the problem', () => {
  const cases: Array<[string, () => string[], RegExp]> = [
    ['no URL', () => [], /expected one URL/],
    ['two URLs', () => ['ws://a/', '-c', 'ws://b/'], /expected one URL, got ws:\/\/b\/ ws:\/\/a\//],
    ['an unparsable URL', () => ['ws://[nope/'], /Invalid URL "ws:\/\/\[nope\/"/],
    ['another scheme', () => ['ftp://example.org/'], /URL scheme must be ws: or wss:, got ftp:/],
    ['a fragment', () => ['ws://example.org/#top'], /may not have a fragment/],
    [
      'an unknown flag, with the usage line',
      () => ['ws://a/', '--bogus'],
      /^wasmws connect: unknown option --bogus\nUsage: wasmws connect URL \[options\]\n/,
    ],
    ['a flag without its value', () => ['ws://a/', '-w'], /Option '-w, --wait <value>' argument missing/],
    [
      'a --wait that is not seconds',
      () => ['ws://a/', '-w', 'soon'],
      /--wait must be a number of seconds, got "soon"/,
    ],
    [
      'a --header without a colon',
      () => ['ws://a/', '-H', 'no-colon'],
      /--header must be NAME:VALUE, got "no-colon"/,
    ],
    ['an --auth without a colon', () => ['ws://a/', '--auth', 'alice'], /--auth must be USER:PASSWORD/],
    [
      '--auth with -H Authorization',
      () => ['ws://a/', '--auth', 'a:b', '-H', 'Authorization: x'],
      /give one/,
    ],
    [
      'a --max-message of 0',
      () => ['ws://a/', '--max-message', '0'],
      /--max-message must be a positive integer, got "0"/,
    ],
    ['a subprotocol that is not a token', () => ['ws://127.0.0.1:1/', '-s', 'a b'], /token/i],
    [
      "-p with a subprotocol (wscat's -p is the version)",
      () => ['ws://a/', '-p', 'v1'],
      /-p\/--protocol-version is the WebSocket protocol version, and only 13 exists .*use -s\/--subprotocol v1/,
    ],
    ['--protocol-version 8', () => ['ws://a/', '--protocol-version', '8'], /only 13 exists/],
    [
      'a TLS flag on ws://',
      () => ['ws://a/', '-n'],
      /--no-check: TLS options, but ws:\/\/a\/ is not a wss:\/\/ URL/,
    ],
    [
      'a --ca that does not exist',
      () => [WSS, '--ca', join(pem.dir, 'missing.pem')],
      /--ca \S+missing\.pem: cannot read it: no such file/,
    ],
    ['a --ca that is a directory', () => [WSS, '--ca', pem.dir], /--ca \S+: cannot read it: is a directory/],
    [
      'a --ca that is not PEM',
      () => [WSS, '--ca', pem.notPem],
      /--ca \S+passwd: not a PEM certificate \(expected -----BEGIN CERTIFICATE-----\)/,
    ],
    [
      'a --ca whose certificate is damaged',
      () => [WSS, '--ca', pem.damagedCert],
      /--ca \S+damaged\.pem: the certificate is damaged/,
    ],
    ['--cert without --key', () => [WSS, '--cert', pem.cert], /--cert and --key go together/],
    ['--passphrase without --key', () => [WSS, '--passphrase', 'x'], /--passphrase needs --key/],
    [
      'a --key that is a certificate',
      () => [WSS, '--cert', pem.cert, '--key', pem.cert],
      /--key \S+cert\.pem: not a PEM private key: it holds a certificate \(expected -----BEGIN PRIVATE KEY-----\)/,
    ],
    [
      'a --cert that is not PEM',
      () => [WSS, '--cert', pem.notPem, '--key', pem.key],
      /--cert \S+passwd: not a PEM certificate/,
    ],
    [
      'a --key that is not the key of --cert',
      () => [WSS, '--cert', pem.cert, '--key', pem.clientKeyEncrypted, '--passphrase', pem.passphrase],
      /--key \S+client-key\.pem is not the private key of --cert \S+cert\.pem/,
    ],
    [
      'an encrypted --key without --passphrase',
      () => [WSS, '--cert', pem.clientCert, '--key', pem.clientKeyEncrypted],
      /--key \S+client-key\.pem: the key is encrypted and no passphrase was given/,
    ],
    [
      'a wrong --passphrase',
      () => [WSS, '--cert', pem.clientCert, '--key', pem.clientKeyEncrypted, '--passphrase', 'wrong'],
      /--key \S+client-key\.pem: the passphrase does not decrypt this key/,
    ],
  ];
  it.each(cases)('%s', async (_, args, message) => {
    const { code, out, err } = await runInProcess(['connect', ...args()]);
    expect(err).toMatch(message);
    expect(err).toMatch(
      /^wasmws connect: .*\nUsage: wasmws connect URL \[options\]\nRun "wasmws connect --help" for the options\.\n$/,
    );
    expect([code, out]).toEqual([2, '']);
  });

  it('the built program exits 2 for a bad scheme and for --ca /etc/passwd-like files', async () => {
    const scheme = run(['connect', 'http2://example.org/']);
    const ca = run(['connect', '-c', WSS, '--ca', pem.notPem]);
    expect(await scheme.exited).toBe(2);
    expect(scheme.stderr()).toMatch(/^wasmws connect: URL scheme must be ws: or wss:, got http2:/);
    expect(await ca.exited).toBe(2);
    expect(ca.stderr()).toMatch(/^wasmws connect: --ca \S+: not a PEM certificate/);
  });
});

describe('wasmws serve: usage errors with TLS files and --protocol exit 2', () => {
  const cases: Array<[string, () => string[], RegExp]> = [
    [
      'an unreadable --tls-cert',
      () => ['--tls-cert', '/nonexistent/cert.pem', '--tls-key', pem.key],
      /--tls-cert \/nonexistent\/cert\.pem: cannot read it: no such file/,
    ],
    [
      'a --tls-cert that is not PEM',
      () => ['--tls-cert', pem.notPem, '--tls-key', pem.key],
      /--tls-cert \S+passwd: not a PEM certificate \(expected -----BEGIN CERTIFICATE-----\)/,
    ],
    [
      'a --tls-key that is a certificate',
      () => ['--tls-cert', pem.cert, '--tls-key', pem.cert],
      /--tls-key \S+cert\.pem: not a PEM private key: it holds a certificate/,
    ],
    [
      'an encrypted --tls-key',
      () => ['--tls-cert', pem.clientCert, '--tls-key', pem.clientKeyEncrypted],
      /--tls-key \S+: the key is encrypted/,
    ],
    [
      'a --tls-key of another certificate',
      () => ['--tls-cert', pem.clientCert, '--tls-key', pem.key],
      /--tls-key \S+key\.pem is not the private key of --tls-cert \S+client-cert\.pem/,
    ],
    [
      'a --protocol that is not a token',
      () => ['--protocol', 'a b'],
      /--protocol "a b" is not a subprotocol name/,
    ],
    [
      'a --protocol given twice',
      () => ['--protocol', 'v1', '--protocol', 'v1'],
      /--protocol lists a name twice/,
    ],
  ];
  it.each(cases)('%s', async (_, args, message) => {
    const { code, out, err } = await runInProcess(['serve', '--port', '0', ...args()]);
    expect(err).toMatch(message);
    expect([code, out]).toEqual([2, '']);
  });

  it('the built program exits 2 for a --tls-cert that is not PEM', async () => {
    const serve = run(['serve', '--port', '0', '--tls-cert', pem.notPem, '--tls-key', pem.key]);
    expect(await serve.exited).toBe(2);
    expect(serve.stderr()).toMatch(/^wasmws serve: --tls-cert \S+passwd: not a PEM certificate/);
  });
});
