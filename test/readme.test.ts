// Every fenced block of README.md is run or checked, so an example cannot rot (issue 8). How a
// block is treated is written in its info string, never guessed:
// - ```` ```ts ````: written to a temp project whose `node_modules/wasmws` links to this
//   checkout (so the imports resolve through package.json `exports`, as after
//   `npm install wasmws`) and type-checked against dist/'s declarations. The README promises
//   that each is also plain JavaScript a reader can run with node, so its text is run as it
//   stands, as a `.mjs` file: it must exit 0 within RUN_TIMEOUT, write nothing to stderr, and
//   print exactly the lines of its `// prints:` comments.
// - ```` ```sh run ````: run with `sh -e` in the checkout, `wasmws` on PATH; exit 0, and the
//   lines of its `# prints:` comments appear in its output in order.
// - ```` ```sh check ```` (installs, servers that run until stopped): every npm script it names
//   exists, every `wasmws` subcommand and flag appears in that command's `--help`.
// Any other block fails. This runs against dist/: `npm test` builds first (`pretest`).
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  documentedOutput,
  type FencedBlock,
  fencedBlocks,
  missingInOrder,
  type ShellCommand,
  shellCommands,
} from './support/markdown-blocks.js';

const root = resolve(import.meta.dirname, '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const blocks = fencedBlocks(readme);
const cli = join(root, 'dist/src/cli/main.js');

/** An example runs alone in well under a second; the margin is for a loaded machine. */
const RUN_TIMEOUT = 5_000;
/** tsc over all blocks takes about 2 s. */
const TYPECHECK_TIMEOUT = 20_000;

const isTs = (block: FencedBlock) => block.lang === 'ts' && block.tags.length === 0;
const isShell = (block: FencedBlock, tag: 'run' | 'check') =>
  block.lang === 'sh' && block.tags.length === 1 && block.tags[0] === tag;

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface RunOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Then SIGKILL. Default RUN_TIMEOUT. */
  timeout?: number;
}

/** Runs a program to its end or its timeout, without throwing. */
function run(
  file: string,
  args: string[],
  { timeout = RUN_TIMEOUT, ...options }: RunOptions,
): Promise<Outcome> {
  return new Promise((done) => {
    execFile(file, args, { ...options, timeout, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      const failure = error as (Error & { code?: number | string; signal?: NodeJS.Signals }) | null;
      done({
        code: failure === null ? 0 : typeof failure.code === 'number' ? failure.code : null,
        signal: failure?.signal ?? null,
        stdout,
        stderr:
          failure !== null && typeof failure.code === 'string' ? `${failure.message}\n${stderr}` : stderr,
      });
    });
  });
}

const outputLines = (text: string) => text.replace(/\n$/, '').split('\n');

/** A temp project that depends on this checkout, as a user's would after `npm install wasmws`. */
let project = '';
const scriptOf = (block: FencedBlock) => `readme-line-${block.line}`;

beforeAll(async () => {
  if (!existsSync(cli)) throw new Error('dist/ is missing: run `npm run build` first');
  project = await mkdtemp(join(tmpdir(), 'wasmws-readme-'));
  await mkdir(join(project, 'node_modules/.bin'), { recursive: true });
  await symlink(root, join(project, 'node_modules/wasmws'), 'dir');
  // npm links the bin and makes it executable; dist/'s file is not, so a wrapper stands in.
  const bin = join(project, 'node_modules/.bin/wasmws');
  await writeFile(bin, `#!/bin/sh\nexec "${process.execPath}" "${cli}" "$@"\n`);
  await chmod(bin, 0o755);
  const files: string[] = [];
  for (const block of blocks.filter(isTs)) {
    const name = scriptOf(block);
    files.push(`${name}.mts`);
    // The same text twice: for tsc, and for node as the reader runs it.
    await writeFile(join(project, `${name}.mts`), block.code);
    await writeFile(join(project, `${name}.mjs`), block.code);
  }
  const compilerOptions = {
    strict: true,
    noEmit: true,
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    lib: ['ES2022'],
    types: ['node'],
    typeRoots: [join(root, 'node_modules/@types')],
    skipLibCheck: true,
  };
  await writeFile(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions, files }));
});

afterAll(async () => {
  if (project !== '') await rm(project, { recursive: true, force: true });
});

describe('README.md', () => {
  it('says of every fenced block whether it is run or checked', () => {
    const unmarked = blocks
      .filter((block) => !isTs(block) && !isShell(block, 'run') && !isShell(block, 'check'))
      .map((block) => `line ${block.line}: \`\`\`${[block.lang, ...block.tags].join(' ')}`);
    expect(unmarked, 'use ```ts, ```sh run or ```sh check').toEqual([]);
    expect(blocks.filter(isTs).length).toBeGreaterThan(0);
  });

  describe.concurrent('ts blocks', () => {
    it(
      'type-check against the package, as a user would compile them',
      async () => {
        const tsc = join(root, 'node_modules/typescript/bin/tsc');
        const checked = await run(
          process.execPath,
          [tsc, '-p', join(project, 'tsconfig.json'), '--pretty', 'false'],
          {
            cwd: project,
            timeout: TYPECHECK_TIMEOUT,
          },
        );
        // tsc reports `readme-line-N.mts(L,C)`: point at the README line instead.
        const report = checked.stdout.replace(
          /readme-line-(\d+)\.mts\((\d+),(\d+)\)/g,
          (_, fence, line, column) => `README.md:${Number(fence) + Number(line)}:${column}`,
        );
        expect(report + checked.stderr).toBe('');
        expect(checked.code).toBe(0);
      },
      TYPECHECK_TIMEOUT + 5_000,
    );

    for (const block of blocks.filter(isTs)) {
      it(
        `line ${block.line}: runs, ends by itself and prints what it says`,
        async () => {
          const expected = documentedOutput(block.code, '//');
          expect(expected.length, 'a ts block documents its output with `// prints: …`').toBeGreaterThan(0);
          const outcome = await run(process.execPath, [`${scriptOf(block)}.mjs`], { cwd: project });
          // A block that does not end is killed (signal SIGKILL); one with TypeScript-only
          // syntax fails with a SyntaxError on stderr.
          expect({ ...outcome, stdout: outputLines(outcome.stdout) }).toEqual({
            code: 0,
            signal: null,
            stdout: expected,
            stderr: '',
          });
        },
        RUN_TIMEOUT + 5_000,
      );
    }
  });

  describe.concurrent('sh run blocks', () => {
    for (const block of blocks.filter((block) => isShell(block, 'run'))) {
      it(
        `line ${block.line}: runs and prints what it says`,
        async () => {
          const env = { ...process.env, PATH: `${join(project, 'node_modules/.bin')}:${process.env.PATH}` };
          const outcome = await run('sh', ['-e', '-c', block.code], { cwd: root, env });
          expect(outcome.stderr).toBe('');
          expect(outcome.code).toBe(0);
          const expected = documentedOutput(block.code, '#');
          expect(expected.length, 'a sh run block documents its output with `# prints: …`').toBeGreaterThan(
            0,
          );
          const lines = outputLines(outcome.stdout).map((line) => line.trimEnd());
          expect(missingInOrder(lines, expected), outcome.stdout).toBeUndefined();
        },
        RUN_TIMEOUT + 5_000,
      );
    }
  });

  describe('sh check blocks', () => {
    const packageJson = () => JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    const helps = new Map<string, Promise<Outcome>>();
    /** `wasmws [SUBCOMMAND] --help`, once per subcommand. */
    const help = (sub: string) => {
      let found = helps.get(sub);
      if (found === undefined) {
        found = run(process.execPath, [cli, ...(sub === '' ? [] : [sub]), '--help'], { cwd: root });
        helps.set(sub, found);
      }
      return found;
    };

    /** What is wrong with one command of a check block, or `undefined`. */
    async function problemWith(command: ShellCommand): Promise<string | undefined> {
      let words = command.words[0] === 'npx' ? command.words.slice(1) : command.words;
      if (words[0] === 'node' && words[1] === 'dist/src/cli/main.js') words = ['wasmws', ...words.slice(2)];
      const [program, ...args] = words;
      if (program === 'npm') {
        const scripts: Record<string, string> = packageJson().scripts ?? {};
        const [npmCommand = '', script = ''] = args;
        if (npmCommand === 'install' || npmCommand === 'ci') return undefined;
        if (npmCommand === 'test' || npmCommand === 'start')
          return scripts[npmCommand] ? undefined : 'no such script';
        if (npmCommand === 'run') return scripts[script] ? undefined : `no npm script "${script}"`;
        return `no check for "npm ${npmCommand}"`;
      }
      if (program === 'node') return existsSync(join(root, args[0] ?? '')) ? undefined : 'no such file';
      if (program !== 'wasmws') return `no check for "${program}"`;
      const sub = args[0] !== undefined && !args[0].startsWith('-') ? args[0] : '';
      if (sub !== '') {
        const commands = (await help('')).stdout;
        if (!new RegExp(`^\\s+${sub}\\s`, 'm').test(commands))
          return `"wasmws --help" lists no command "${sub}"`;
      }
      const { stdout, code } = await help(sub);
      if (code !== 0) return `"wasmws ${sub} --help" exited ${code}`;
      // Flags anywhere in the line, also inside a synopsis' brackets: `[--port P]`, `[-p PROTOCOL]`.
      for (const [, flag] of command.text.matchAll(/(?:^|[\s[|])(--?[A-Za-z][\w-]*)/g)) {
        if (!new RegExp(`(^|[\\s,])${flag}(?=[\\s,=]|$)`, 'm').test(stdout)) {
          return `"wasmws ${sub} --help" does not list ${flag}`;
        }
      }
      return undefined;
    }

    for (const block of blocks.filter((block) => isShell(block, 'check'))) {
      it(`line ${block.line}: names only scripts, commands and flags that exist`, async () => {
        const commands = shellCommands(block.code);
        expect(commands.length).toBeGreaterThan(0);
        const problems: string[] = [];
        for (const command of commands) {
          const problem = await problemWith(command);
          if (problem !== undefined)
            problems.push(`README.md:${block.line + command.line}: ${command.text}: ${problem}`);
        }
        expect(problems).toEqual([]);
      });
    }

    it('prose names only npm scripts and files that exist', async () => {
      const named = [...readme.matchAll(/`((?:npm run|node) [^`]+)`/g)].map(([, text]) => text!);
      expect(named.length).toBeGreaterThan(0);
      const problems: string[] = [];
      for (const text of named) {
        const problem = await problemWith({ line: 0, words: text.split(/\s+/), text });
        if (problem !== undefined) problems.push(`${text}: ${problem}`);
      }
      expect(problems).toEqual([]);
    });
  });
});
