// Reads the PEM files the TLS flags name (--ca, --cert/--key, --tls-cert/--tls-key) and checks
// them before any socket is opened, so a wrong file is a usage error that names the flag, the
// file and what was expected, instead of an OpenSSL string at handshake time.
import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { UsageError } from './command.js';

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** Certificates read from one file: the PEM text to hand to TLS and the first, parsed. */
export interface CertificateFile {
  pem: string;
  first: X509Certificate;
}

/** A private key read from one file: the PEM text to hand to TLS and the parsed key. */
export interface PrivateKeyFile {
  pem: string;
  key: KeyObject;
}

/**
 * Reads one or more PEM certificates (a chain or a CA bundle) from `file`.
 *
 * @throws UsageError when the file cannot be read, holds no certificate, or one does not parse.
 */
export function readCertificates(flag: string, file: string): CertificateFile {
  const pem = readText(flag, file);
  const blocks = pem.match(CERTIFICATE_BLOCK) ?? [];
  if (blocks.length === 0) {
    throw new UsageError(`${flag} ${file}: not a PEM certificate (expected -----BEGIN CERTIFICATE-----)`);
  }
  const parsed = blocks.map((block, index) => {
    try {
      return new X509Certificate(block);
    } catch {
      const which = blocks.length === 1 ? 'the certificate' : `certificate ${index + 1} of ${blocks.length}`;
      throw new UsageError(`${flag} ${file}: ${which} is damaged (its base64 body does not parse as X.509)`);
    }
  });
  return { pem, first: parsed[0]! };
}

/**
 * Reads a PEM private key from `file`, decrypting it with `passphrase` when it is encrypted.
 *
 * @throws UsageError when the file cannot be read, is not a private key, or cannot be decrypted.
 */
export function readPrivateKey(flag: string, file: string, passphrase?: string): PrivateKeyFile {
  const pem = readText(flag, file);
  const encrypted = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type:\s*4,ENCRYPTED/.test(pem);
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
    const holds = pem.includes('-----BEGIN CERTIFICATE-----') ? ': it holds a certificate' : '';
    throw new UsageError(
      `${flag} ${file}: not a PEM private key${holds} (expected -----BEGIN PRIVATE KEY-----)`,
    );
  }
  if (encrypted && passphrase === undefined) {
    throw new UsageError(`${flag} ${file}: the key is encrypted and no passphrase was given`);
  }
  try {
    return { pem, key: createPrivateKey({ key: pem, passphrase }) };
  } catch {
    throw new UsageError(
      encrypted
        ? `${flag} ${file}: the passphrase does not decrypt this key`
        : `${flag} ${file}: the private key is damaged (it does not parse)`,
    );
  }
}

/**
 * Checks that `key` is the private key of `certificate`'s first certificate.
 *
 * @throws UsageError naming both flags and files when they do not match.
 */
export function checkKeyPair(
  cert: { flag: string; file: string; value: CertificateFile },
  key: { flag: string; file: string; value: PrivateKeyFile },
): void {
  if (!cert.value.first.checkPrivateKey(key.value.key)) {
    throw new UsageError(
      `${key.flag} ${key.file} is not the private key of ${cert.flag} ${cert.file} (${cert.value.first.subject.replaceAll('\n', ', ')})`,
    );
  }
}

function readText(flag: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'is a directory, not a file'
            : (error as Error).message;
    throw new UsageError(`${flag} ${file}: cannot read it: ${why}`);
  }
}
