// Writes the inspector page as a self-contained static folder (default dist/inspector/, or --out DIR): the
// page (src/inspect/web/) plus exactly the built codec modules its script imports, in the layout
// src/inspect/web-server.ts serves (./wasmws/src/codec/…, ./wasmws/assembly/…), so any static server can
// host it. Then prints the size of that codec module graph, raw and gzip, and the inlined WebAssembly's
// share of it. Needs `npm run build` first. `--json` prints the figures as JSON instead of a table.
//   node scripts/build-inspector.mjs [--out DIR] [--json]
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

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

function sizes(files) {
  const rows = files.map((file) => {
    const bytes = readFileSync(file);
    return { file: relative(DIST, file), raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  });
  const raw = rows.reduce((sum, row) => sum + row.raw, 0);
  const gzip = rows.reduce((sum, row) => sum + row.gzip, 0);
  // What one bundle of the same modules would compress to: an upper bound on what a bundler can win.
  const gzipJoined = gzipSync(Buffer.concat(files.map((file) => readFileSync(file))), { level: 9 }).length;
  const wasmRow = rows.find((row) => join(DIST, row.file) === WASM_MODULE);
  const base64 = /'([A-Za-z0-9+/=]+)'/.exec(readFileSync(WASM_MODULE, 'utf8'))?.[1] ?? '';
  const wasm = {
    module: relative(DIST, WASM_MODULE),
    wasmBytes: Buffer.from(base64, 'base64').length,
    raw: wasmRow?.raw ?? 0,
    gzip: wasmRow?.gzip ?? 0,
  };
  return { modules: rows, total: { files: rows.length, raw, gzip, gzipJoined }, wasm };
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
  for (const file of graph) {
    const target = join(args.out, 'wasmws', relative(DIST, file));
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(file, target);
  }

  const report = { out: args.out, page, ...sizes(graph) };
  if (args.json) {
    console.log(JSON.stringify(report, null, 2));
    return;
  }
  const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
  const pct = (part, whole) => `${((100 * part) / whole).toFixed(0)} %`;
  const { total, wasm } = report;
  console.log(
    `wrote ${relative(process.cwd(), args.out) || '.'}/: ${page.join(', ')} + ${total.files} codec modules`,
  );
  console.log(
    `codec bundle the page loads: ${total.files} JS files, ${kb(total.raw)} raw, ${kb(total.gzip)} gzip ` +
      `(file by file; ${kb(total.gzipJoined)} as one gzip stream)`,
  );
  console.log(
    `  WebAssembly: ${wasm.wasmBytes} bytes, inlined as base64 in ${wasm.module} ` +
      `(${kb(wasm.raw)} raw = ${pct(wasm.raw, total.raw)}, ${kb(wasm.gzip)} gzip = ${pct(wasm.gzip, total.gzip)})`,
  );
  for (const row of [...report.modules].sort((a, b) => b.raw - a.raw)) {
    console.log(`  ${String(row.raw).padStart(7)} ${String(row.gzip).padStart(6)}  ${row.file}`);
  }
}

main();
