// Helpers of the CLI tests: the built program run as a child process (with waits on its
// output), a command line run in-process with its output captured, and a directory of PEM
// files (good, wrong and damaged) for the TLS flags.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import type { CommandIO } from '../../src/cli/command.js';
import { runConnect } from '../../src/cli/connect.js';
import { runProgram } from '../../src/cli/program.js';
import { selfSignedCertificate, within } from '../client/helpers.js';

/** The built program (`npm run build:ts` makes it). */
export const MAIN = resolve(import.meta.dirname, '../../dist/src/cli/main.js');

/** A spawned program whose output is collected so tests can wait for a line. */
export interface Running {
  child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout (or stderr) matches. */
  waitFor(pattern: RegExp, stream?: 'stdout' | 'stderr'): Promise<string>;
  /** Resolves with the exit status. */
  exited: Promise<number | null>;
}

/** Starts the built program with `args`. */
export function run(args: string[]): Running {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: 'pipe' });
  const text = { stdout: '', stderr: '' };
  const waiters: Array<{ pattern: RegExp; stream: 'stdout' | 'stderr'; resolve: (text: string) => void }> =
    [];
  const check = () => {
    for (const waiter of [...waiters]) {
      if (!waiter.pattern.test(text[waiter.stream])) continue;
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(text[waiter.stream]);
    }
  };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    text.stdout += chunk;
    check();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    text.stderr += chunk;
    check();
  });
  const exited = new Promise<number | null>((done) => child.once('close', (code) => done(code)));
  return {
    child,
    stdout: () => text.stdout,
    stderr: () => text.stderr,
    waitFor: (pattern, stream = 'stdout') =>
      within(
        new Promise<string>((found) => {
          waiters.push({ pattern, stream, resolve: found });
          check();
        }),
        5000,
        `${pattern} on ${stream} (stdout: ${JSON.stringify(text.stdout)}, stderr: ${JSON.stringify(text.stderr)})`,
      ),
    exited: within(exited, 10_000, 'the program to exit'),
  };
}

/** Starts `wasmws serve --port 0 …extra` and resolves with it and its URL. */
export async function startServe(extra: string[] = []): Promise<{ server: Running; url: string }> {
  const server = run(['serve', '--port', '0', ...extra]);
  const banner = await server.waitFor(/wasmws listening on (\S+)\n/);
  return { server, url: /wasmws listening on (\S+)\n/.exec(banner)![1]! };
}

/** What an in-process run printed: stdout, stderr, and both interleaved in order. */
export interface Captured {
  code: number;
  out: string;
  err: string;
  /** Every write in order, stderr lines prefixed with `2>`. */
  transcript: string;
}

function capture(): { io: CommandIO; result: () => Omit<Captured, 'code'> } {
  const text = { out: '', err: '', transcript: '' };
  const io: CommandIO = {
    out: (chunk) => {
      text.out += chunk;
      text.transcript += chunk;
    },
    err: (chunk) => {
      text.err += chunk;
      text.transcript += chunk.replace(/^(?=.)/gm, '2>');
    },
    onStop: () => {},
  };
  return { io, result: () => ({ ...text }) };
}

/** Runs a `wasmws` command line in-process (its stdin, for connect, is process.stdin). */
export async function runInProcess(args: string[]): Promise<Captured> {
  const { io, result } = capture();
  const code = await runProgram(args, io);
  return { code, ...result() };
}

/**
 * Runs `wasmws connect ARGS` in-process with `lines` on its stdin; stdin stays open until
 * `endInput` resolves (default: at once after the lines), so the server or a /close ends it.
 */
export async function connectInProcess(
  args: string[],
  lines: string[] = [],
  endInput: Promise<unknown> = Promise.resolve(),
): Promise<Captured> {
  const { io, result } = capture();
  const stdin = new PassThrough();
  for (const line of lines) stdin.write(`${line}\n`);
  void endInput.then(() => stdin.end());
  const code = await within(runConnect(args, io, stdin), 8000, `wasmws connect ${args.join(' ')}`);
  return { code, ...result() };
}

/** PEM files in a temporary directory, for the TLS flags. */
export interface PemFiles {
  dir: string;
  /** A self-signed certificate for 127.0.0.1/localhost and its key. */
  cert: string;
  key: string;
  /** A second pair (the client's, in client-certificate tests); its key is encrypted with `passphrase`. */
  clientCert: string;
  clientKeyEncrypted: string;
  passphrase: string;
  /** Plain text that is neither a certificate nor a key. */
  notPem: string;
  /** A certificate block whose body is not X.509. */
  damagedCert: string;
  /** The PEM text of each pair, for in-process servers. */
  pem: { cert: string; key: string; clientCert: string; clientKey: string };
  remove(): void;
}

export function pemFiles(): PemFiles {
  const dir = mkdtempSync(join(tmpdir(), 'wasmws-cli-pem-'));
  const server = selfSignedCertificate();
  const client = selfSignedCertificate();
  const passphrase = 'open sesame';
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  return {
    dir,
    cert: write('cert.pem', server.cert),
    key: write('key.pem', server.key),
    clientCert: write('client-cert.pem', client.cert),
    clientKeyEncrypted: write(
      'client-key.pem',
      createPrivateKey(client.key)
        .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase })
        .toString(),
    ),
    passphrase,
    notPem: write('passwd', 'root:x:0:0:root:/root:/bin/sh\n'),
    damagedCert: write(
      'damaged.pem',
      '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n',
    ),
    pem: { cert: server.cert, key: server.key, clientCert: client.cert, clientKey: client.key },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
