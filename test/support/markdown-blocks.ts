// Reads the fenced code blocks of a Markdown file and what they document, for
// test/readme.test.ts: the info string (language and markers such as `sh run`), the output
// promised by `prints:` comments, and the commands of a shell block.

/** A fenced code block: ```` ```lang tag… ````, its body, and where it starts. */
export interface FencedBlock {
  /** 1-based line of the opening fence. */
  line: number;
  /** The info string's first word (`ts`, `sh`), empty if none. */
  lang: string;
  /** The info string's other words, e.g. `['run']` for ```` ```sh run ````. */
  tags: string[];
  /** The lines between the fences, joined with `\n`. */
  code: string;
}

/** Every fenced block of `markdown`, in order (backtick or tilde fences, CommonMark style). */
export function fencedBlocks(markdown: string): FencedBlock[] {
  const blocks: FencedBlock[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^ {0,3}(`{3,}|~{3,})\s*(.*)$/.exec(lines[i]!);
    if (open === null) continue;
    const fence = open[1]!;
    const [lang = '', ...tags] = open[2]!.trim().split(/\s+/).filter(Boolean);
    const body: string[] = [];
    let j = i + 1;
    // A closing fence is at least as long as the opening one, of the same character, alone.
    while (j < lines.length && !new RegExp(`^ {0,3}${fence[0]}{${fence.length},}\\s*$`).test(lines[j]!)) {
      body.push(lines[j]!);
      j++;
    }
    blocks.push({ line: i + 1, lang, tags, code: body.join('\n') });
    i = j;
  }
  return blocks;
}

/**
 * The output a block documents, in order: the text after each `prints:` in a comment
 * (`// prints: hello` in TypeScript, `# prints: hello` in shell), one line each.
 */
export function documentedOutput(code: string, comment: '//' | '#'): string[] {
  const marker = new RegExp(`${comment}\\s*prints:\\s?(.*)$`);
  return code.split('\n').flatMap((line) => {
    const found = marker.exec(line);
    return found === null ? [] : [found[1]!.trimEnd()];
  });
}

/** A simple command of a shell block: its words, without comments or prompt. */
export interface ShellCommand {
  /** 1-based line within the block. */
  line: number;
  words: string[];
  /** The command as written, for messages. */
  text: string;
}

/**
 * The simple commands of a shell block: `\`-continued lines joined, `# comments` and a `$ `
 * prompt dropped, lists split at `&&`, `||` and `;`. Quoting is not interpreted (README
 * commands do not need it); a synopsis like `[--port P]` stays one command.
 */
export function shellCommands(code: string): ShellCommand[] {
  const commands: ShellCommand[] = [];
  const lines = code.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let text = lines[i]!;
    while (text.endsWith('\\') && i + 1 < lines.length) text = text.slice(0, -1) + lines[++i]!;
    text = text.replace(/(^|\s)#.*$/, '').replace(/^\s*\$\s/, '');
    for (const part of text.split(/&&|\|\||;/)) {
      const words = part.trim().split(/\s+/).filter(Boolean);
      if (words.length > 0) commands.push({ line: start + 1, words, text: part.trim() });
    }
  }
  return commands;
}

/** The first of `expected` missing from `lines` when they are matched in order, or `undefined`. */
export function missingInOrder(lines: readonly string[], expected: readonly string[]): string | undefined {
  let at = 0;
  for (const wanted of expected) {
    while (at < lines.length && lines[at] !== wanted) at++;
    if (at === lines.length) return wanted;
    at++;
  }
  return undefined;
}
