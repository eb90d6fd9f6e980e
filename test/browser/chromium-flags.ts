// How every browser test launches Debian's Chromium: never a downloaded browser, no sandbox in CI,
// and nothing that reaches beyond loopback on its own (the machine has no other network).
export const CHROMIUM_PATH = '/usr/bin/chromium';

export const CHROMIUM_ARGS: string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
