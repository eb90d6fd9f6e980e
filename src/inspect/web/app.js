// The inspector page's script: reads a dropped or chosen file or pasted hex/base64, decodes it with the
// wasmws codec's inspectCapture() (the same WebAssembly as `wasmws inspect`, imported as ES modules) and
// renders, per stream: the frame table, the first violation as the table's last row with its close code,
// the messages, and a frame's bytes when its row is clicked. Plain DOM, no build step; text from the
// capture only ever reaches the page through textContent. <body data-state> is loading | ready |
// decoding | done | failed, so a test (or a user's script) can wait for a result; <body data-codec> is
// wasm, or ts where the WebAssembly does not load (no SIMD, or a policy without 'wasm-unsafe-eval').
import { inspectCapture } from './wasmws/src/codec/index.js';
import { wasmAvailable } from './wasmws/src/codec/kernels-entry.js';

const OPCODE_NAMES = { 0: 'continuation', 1: 'text', 2: 'binary', 8: 'close', 9: 'ping', 10: 'pong' };
/** Bytes shown in the frame bytes panel before it says how many more there are. */
const SHOWN_BYTES = 64 * 1024;

const $ = (id) => document.getElementById(id);
const form = $('capture');
const fileInput = $('file');
const textInput = $('text');
const fromSelect = $('from');
const drop = $('drop');
const status = $('status');
const results = $('results');
const bytesPanel = $('bytes');

/** The last input decoded, so changing `from` decodes it again: { bytes, name }. */
let lastInput = null;
/** Counts decodes, so a slow one that finishes after a newer one started is not shown. */
let generation = 0;

/** Creates an element with a class list and children (strings become text nodes). */
function el(tag, className, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const child of children) node.append(child);
  return node;
}

function setStatus(state, text) {
  document.body.dataset.state = state;
  status.textContent = text;
  status.classList.toggle('failed', state === 'failed');
}

function hexByte(byte) {
  return byte.toString(16).padStart(2, '0');
}

/** Classic hex dump, 16 bytes a line: absolute offset, the bytes, their printable ASCII. */
function hexDump(bytes, startOffset) {
  const lines = [];
  for (let i = 0; i < bytes.length; i += 16) {
    const row = bytes.subarray(i, i + 16);
    const hex = Array.from(row, hexByte).join(' ');
    const ascii = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${(startOffset + i).toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  |${ascii}|`);
  }
  return lines.join('\n');
}

function opcodeLabel(opcode) {
  return `0x${opcode.toString(16)} ${OPCODE_NAMES[opcode] ?? 'reserved'}`;
}

function rsvLabel(frame) {
  const bits = [frame.rsv1 && 'RSV1', frame.rsv2 && 'RSV2', frame.rsv3 && 'RSV3'].filter(Boolean);
  return bits.length === 0 ? '-' : bits.join(' ');
}

/**
 * A payload preview as the codec gives it (lowercase hex of the first bytes, unmasked), followed by those
 * bytes as printable ASCII, and an ellipsis when the payload is longer than the preview.
 */
function previewLabel(preview, length) {
  const bytes = (preview.match(/../g) ?? []).map((pair) => Number.parseInt(pair, 16));
  const ascii = bytes.map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
  const more = bytes.length < length ? '…' : '';
  return bytes.length === 0 ? '' : `${preview}${more}  |${ascii}${more}|`;
}

function cell(text, className) {
  return el('td', className, String(text));
}

function frameTable(result, streamIndex) {
  const head = el('tr', '');
  for (const [name, numeric] of [
    ['#', true],
    ['offset', true],
    ['FIN', false],
    ['RSV', false],
    ['opcode', false],
    ['mask', false],
    ['length', true],
    ['preview', false],
  ]) {
    head.append(el('th', numeric ? 'num' : '', name));
  }
  const body = el('tbody', '');
  result.frames.forEach((frame, index) => {
    const row = el(
      'tr',
      'frame',
      cell(index, 'num'),
      cell(frame.offset, 'num'),
      cell(frame.fin ? '1' : '0'),
      cell(rsvLabel(frame)),
      cell(opcodeLabel(frame.opcode)),
      cell(frame.masked ? frame.maskKey : '-'),
      cell(frame.length, 'num'),
      cell(previewLabel(frame.preview, frame.length), 'preview'),
    );
    row.tabIndex = 0;
    row.dataset.stream = String(streamIndex);
    row.dataset.frame = String(index);
    body.append(row);
  });
  if (result.error !== null) {
    const { error } = result;
    const detail = el('td', '', `${error.code} · close ${error.closeCode} · ${error.message}`);
    detail.colSpan = 6;
    body.append(el('tr', 'violation', cell('!', 'num'), cell(error.offset, 'num'), detail));
  }
  const table = el('table', 'frames', el('thead', '', head), body);
  table.dataset.stream = String(streamIndex);
  return table;
}

function messageTable(result) {
  const head = el('tr', '');
  for (const [name, numeric] of [
    ['#', true],
    ['type', false],
    ['length', true],
    ['frames', false],
    ['content', false],
  ]) {
    head.append(el('th', numeric ? 'num' : '', name));
  }
  const body = el('tbody', '');
  result.messages.forEach((message, index) => {
    const notes = [
      message.compressed && `compressed, ${message.compressedLength ?? '?'} bytes on the wire`,
      message.textTruncated && 'text cut short',
      message.utf8 === 'invalid' && 'invalid UTF-8',
    ]
      .filter(Boolean)
      .join(', ');
    const content =
      message.type === 'text' && message.text !== undefined
        ? message.text
        : previewLabel(message.preview ?? '', message.length);
    body.append(
      el(
        'tr',
        'message',
        cell(index, 'num'),
        cell(message.type),
        cell(message.length, 'num'),
        cell(message.frames.join(', ')),
        cell(notes ? `${content} (${notes})` : content, 'preview'),
      ),
    );
  });
  return el('table', 'messages', el('thead', '', head), body);
}

function streamSection(stream, result, streamIndex, chosenFrom) {
  const section = el('section', 'stream');
  // A capture that names the sender wins; else the choice made here; else the codec guessed (its label says).
  const sender = stream.from
    ? `sent by the ${stream.from}`
    : chosenFrom
      ? `sent by the ${chosenFrom} (as chosen)`
      : 'sender guessed';
  const meta = [
    sender,
    `${stream.bytes.length} bytes`,
    stream.extensions ? `extensions: ${stream.extensions}` : 'no extensions',
  ].join(' · ');
  section.append(el('h2', '', stream.label || `stream ${streamIndex}`), el('p', 'stream-meta', meta));
  if (result.error !== null) {
    const { error } = result;
    section.append(
      el(
        'p',
        'violation-summary',
        `First violation at byte ${error.offset}: ${error.code}, close code ${error.closeCode}: ${error.message}`,
      ),
    );
  }
  section.append(el('h3', '', `Frames (${result.frames.length})`), frameTable(result, streamIndex));
  section.append(el('h3', '', `Messages (${result.messages.length})`), messageTable(result));
  return section;
}

/** Shows the clicked frame's bytes as captured (header and payload), and the payload unmasked. */
function showFrameBytes(stream, frame, index) {
  const end = Math.min(frame.payloadOffset + frame.length, stream.bytes.length);
  const bytes = stream.bytes.subarray(frame.offset, end);
  const shown = bytes.subarray(0, SHOWN_BYTES);
  const header = frame.payloadOffset - frame.offset;
  let text = hexDump(shown, frame.offset);
  if (shown.length < bytes.length) text += `\n… ${bytes.length - shown.length} more bytes`;
  if (frame.masked && frame.maskKey) {
    const key = frame.maskKey.match(/../g).map((pair) => Number.parseInt(pair, 16));
    const payload = bytes.subarray(header, header + SHOWN_BYTES).map((byte, i) => byte ^ key[i % 4]);
    text += `\n\npayload unmasked (key ${frame.maskKey}):\n${hexDump(payload, frame.payloadOffset)}`;
  }
  $('bytes-title').textContent =
    `Frame ${index} · bytes ${frame.offset}–${end - 1} · header ${header} + payload ${frame.length}`;
  $('bytes-hex').textContent = text;
  bytesPanel.hidden = false;
  for (const row of results.querySelectorAll('tr.selected')) row.classList.remove('selected');
}

async function decode(bytes, name) {
  lastInput = { bytes, name };
  const mine = ++generation;
  const from = fromSelect.value === 'auto' ? undefined : fromSelect.value;
  setStatus('decoding', `Decoding ${name} (${bytes.length} bytes)…`);
  let decoded;
  try {
    decoded = await inspectCapture(bytes, from ? { from } : {});
  } catch (error) {
    if (mine === generation) setStatus('failed', `Could not decode ${name}: ${error?.message ?? error}`);
    return;
  }
  if (mine !== generation) return;
  results.replaceChildren();
  bytesPanel.hidden = true;
  const streams = decoded.map(({ stream, result }, index) => {
    results.append(streamSection(stream, result, index, from));
    return { stream, result };
  });
  results.onclick = results.onkeydown = (event) => {
    if (event.type === 'keydown' && event.key !== 'Enter' && event.key !== ' ') return;
    const row = event.target.closest?.('tr.frame');
    if (!row) return;
    event.preventDefault();
    const { stream, result } = streams[Number(row.dataset.stream)];
    const index = Number(row.dataset.frame);
    showFrameBytes(stream, result.frames[index], index);
    row.classList.add('selected');
  };
  const frames = decoded.reduce((sum, { result }) => sum + result.frames.length, 0);
  const errors = decoded.filter(({ result }) => result.error !== null).length;
  const summary = `${name}: ${decoded.length} stream(s), ${frames} frame(s)`;
  setStatus('done', errors === 0 ? `${summary}, no violation.` : `${summary}, ${errors} with a violation.`);
}

async function decodeFile(file) {
  decode(new Uint8Array(await file.arrayBuffer()), file.name);
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  if (textInput.value.trim() !== '') decode(new TextEncoder().encode(textInput.value), 'pasted text');
  else if (fileInput.files?.length) decodeFile(fileInput.files[0]);
  else setStatus('ready', 'Paste hex or base64, or choose a file, first.');
});
fileInput.addEventListener('change', () => {
  if (fileInput.files?.length) decodeFile(fileInput.files[0]);
});
fromSelect.addEventListener('change', () => {
  if (lastInput) decode(lastInput.bytes, lastInput.name);
});
textInput.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) form.requestSubmit();
});
for (const type of ['dragenter', 'dragover']) {
  drop.addEventListener(type, (event) => {
    event.preventDefault();
    drop.classList.add('over');
  });
}
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (event) => {
  event.preventDefault();
  drop.classList.remove('over');
  const file = event.dataTransfer?.files?.[0];
  if (file) decodeFile(file);
});
// Dropping a file outside the drop zone must not navigate away from the page.
window.addEventListener('dragover', (event) => event.preventDefault());
window.addEventListener('drop', (event) => event.preventDefault());

const codec = wasmAvailable() ? 'wasm' : 'ts';
document.body.dataset.codec = codec;
$('codec').textContent =
  codec === 'wasm' ? 'WebAssembly kernels' : 'pure-TS fallback (WebAssembly did not load)';
setStatus('ready', 'Ready: drop a capture file or paste hex or base64, then Decode.');
