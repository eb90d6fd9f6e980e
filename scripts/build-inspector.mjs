// Writes the inspector page as a self-contained static folder (default dist/inspector/, or --out DIR): the
// page (src/inspect/web/) plus exactly the built codec modules its script imports, in the layout
// src/inspect/web-server.ts serves (./wasmws/src/codec/…, ./wasmws/assembly/…), so any static server can
// host it. The copies lose their comments (TypeScript's own printer re-emits each module, so nothing but
// comments changes), which takes the folder's codec to about two thirds of dist/'s size. Then prints the
// size of that codec module graph, raw and gzip, as dist/ has it (what `wasmws inspect --web` serves) and
// as copied, and the inlined WebAssembly's share. Needs `npm run build` first. `--json`: the figures as JSON.
//   node scripts/build-inspector.mjs [--out DIR] [--json]
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PAGE_DIR = join(ROOT, 'src/inspect/web');
const DIST = join(ROOT, 'dist');
/** Folders the page's modules may come from (the same two the web server serves under /wasmws/). */
const ALLOWED = [join(DIST, 'src/codec'), join(DIST, 'assembly')];
const WASM_MODULE = join(DIST, 'src/codec/wasm-bytes.generated.js');

const IMPORT =
  /(?:import|export)\s+(?:type\s+)?(?:[^'"]*?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function parseArgs(argv) {
  const args = { out: join(DIST, 'inspector'), json: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out' && argv[i + 1]) args.out = resolve(argv[++i]);
    else if (argv[i] === '--json') args.json = true;
    else throw new Error(`build-inspector: unknown argument ${argv[i]} (use --out DIR, --json)`);
  }
  return args;
}

/** The relative specifiers a built module imports (comments stripped first). */
function importsOf(file) {
  const code = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  return [...code.matchAll(IMPORT)].map((m) => m[1] ?? m[2]);
}

/** Every file the page's script reaches, as absolute paths under dist/, in visiting order. */
function moduleGraph(pageScript) {
  const seen = new Set();
  const visit = (file, specifier, from) => {
    if (!specifier.startsWith('.'))
      throw new Error(`${from} imports ${specifier}: the page can load only relative modules`);
    const target = resolve(dirname(file), specifier);
    if (!ALLOWED.some((dir) => target.startsWith(dir + sep)))
      throw new Error(
        `${from} imports ${relative(ROOT, target)}, outside ${ALLOWED.map((d) => relative(ROOT, d))}`,
      );
    if (!existsSync(target)) throw new Error(`${relative(ROOT, target)} is missing: run npm run build first`);
    if (seen.has(target)) return;
    seen.add(target);
    for (const next of importsOf(target)) visit(target, next, relative(ROOT, target));
  };
  // The page's script names its modules by URL (./wasmws/…), which maps onto dist/.
  for (const specifier of importsOf(pageScript)) {
    const mapped = specifier.replace(/^\.\/wasmws\//, '');
    if (mapped === specifier) throw new Error(`app.js imports ${specifier}: expected ./wasmws/…`);
    visit(join(DIST, 'index.js'), `./${mapped}`, 'src/inspect/web/app.js');
  }
  return [...seen];
}

/** A built module without its comments, re-emitted as the same ES2022 module. */
function withoutComments(code, fileName) {
  return ts.transpileModule(code, {
    fileName,
    compilerOptions: {
      allowJs: true,
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      removeComments: true,
      verbatimModuleSyntax: true,
    },
  }).outputText;
}

/** Raw and gzip bytes of each module and in all; `gzipJoined` is what one bundle would compress to. */
function sizes(modules) {
  const rows = modules.map(({ file, code }) => {
    const bytes = Buffer.from(code);
    return { file, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  });
  const raw = rows.reduce((sum, row) => sum + row.raw, 0);
  const gzip = rows.reduce((sum, row) => sum + row.gzip, 0);
  const gzipJoined = gzipSync(modules.map((m) => m.code).join('\n'), { level: 9 }).length;
  const wasm = rows.find((row) => join(DIST, row.file) === WASM_MODULE);
  return {
    modules: rows,
    total: { files: rows.length, raw, gzip, gzipJoined },
    wasm: { raw: wasm?.raw ?? 0, gzip: wasm?.gzip ?? 0 },
  };
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const pageScript = join(PAGE_DIR, 'app.js');
  const graph = moduleGraph(pageScript);
  if (!graph.includes(WASM_MODULE)) throw new Error('the page does not reach the inlined WebAssembly');

  rmSync(args.out, { recursive: true, force: true });
  mkdirSync(args.out, { recursive: true });
  const page = readdirSync(PAGE_DIR).filter((name) => /\.(html|js|css)$/.test(name));
  for (const name of page) copyFileSync(join(PAGE_DIR, name), join(args.out, name));
  const built = graph.map((file) => ({ file: relative(DIST, file), code: readFileSync(file, 'utf8') }));
  const copied = built.map(({ file, code }) => ({ file, code: withoutComments(code, file) }));
  for (const { file, code } of copied) {
    const target = join(args.out, 'wasmws', file);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, code);
  }

  const base64 = /'([A-Za-z0-9+/=]+)'/.exec(readFileSync(WASM_MODULE, 'utf8'))?.[1] ?? '';
  const report = {
    out: args.out,
    page,
    wasm: { module: relative(DIST, WASM_MODULE), bytes: Buffer.from(base64, 'base64').length },
    built: sizes(built),
    copied: sizes(copied),
  };
  if (args.json) {
    console.log(JSON.stringify(report, null, 2));
    return;
  }
  const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
  const pct = (part, whole) => `${((100 * part) / whole).toFixed(0)} %`;
  const line = (what, { total, wasm }) =>
    `${what}: ${kb(total.raw)} raw, ${kb(total.gzip)} gzip file by file (${kb(total.gzipJoined)} as one ` +
    `gzip stream); the WebAssembly's module is ${pct(wasm.raw, total.raw)} of raw, ${pct(wasm.gzip, total.gzip)} of gzip`;
  const near = relative(process.cwd(), args.out);
  const shownOut = near === '' ? '.' : near.startsWith('..') ? args.out : near;
  console.log(`wrote ${shownOut}/: ${page.join(', ')} + ${graph.length} codec modules`);
  console.log(
    `codec bundle the page loads: ${graph.length} JS files; the WebAssembly (${report.wasm.bytes} bytes) ` +
      `is inlined as base64 in ${report.wasm.module}`,
  );
  console.log(`  ${line('as built in dist/ (served by wasmws inspect --web)', report.built)}`);
  console.log(`  ${line(`as copied to ${shownOut}/, comments removed`, report.copied)}`);
  console.log('     raw  gzip  module (as copied)');
  for (const row of [...report.copied.modules].sort((a, b) => b.raw - a.raw)) {
    console.log(`  ${String(row.raw).padStart(6)} ${String(row.gzip).padStart(5)}  ${row.file}`);
  }
}

main();
