// The program's version, read from the package.json of the package this file belongs to. The
// file sits at a different depth in src/ (tests), dist/src/ (the build) and an installed
// tarball, so it walks up from its own directory to the first package.json named wasmws.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'wasmws';

/**
 * The `version` field of wasmws's package.json.
 *
 * @throws Error when no package.json named wasmws is found above this module.
 */
export function programVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = readManifest(join(dir, 'package.json'));
    if (manifest?.name === PACKAGE_NAME && typeof manifest.version === 'string') return manifest.version;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json named ${PACKAGE_NAME} above ${import.meta.url}`);
    dir = parent;
  }
}

function readManifest(path: string): { name?: unknown; version?: unknown } | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}
