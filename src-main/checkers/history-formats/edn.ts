// A reader for the subset of EDN (https://github.com/edn-format/edn) that Jepsen and Knossos
// histories use: maps, vectors, lists, keywords, strings, integers, floats, nil, true and
// false. Commas are whitespace; `;` starts a comment. Anything else is an error with the
// column where it starts, never an exception escaping to the caller.

/** A keyword such as `:invoke`, kept distinct from the string "invoke". */
export class EdnKeyword {
  constructor(readonly name: string) {}
  toString(): string {
    return `:${this.name}`;
  }
}

export type EdnValue = null | boolean | number | string | EdnKeyword | EdnValue[] | EdnMap;
/** Keys are rendered as text (`:type`, `"x"`, `1`), which is all a history needs. */
export type EdnMap = Map<string, EdnValue>;

export type EdnResult = { ok: true; value: EdnValue } | { ok: false; message: string; column: number };

/** Nesting deeper than this is refused rather than risking the stack on hostile input. */
export const MAX_EDN_DEPTH = 64;

class EdnError extends Error {
  constructor(message: string, readonly column: number) {
    super(message);
  }
}

const DELIMITERS = new Set(['{', '}', '[', ']', '(', ')', '"', ';']);
const INTEGER = /^[+-]?\d+N?$/;
const FLOAT = /^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?M?$/;
const SYMBOL_CHARS = /^[A-Za-z0-9*+!\-_?<>=./&#:']+$/;

class Reader {
  position = 0;
  constructor(private readonly text: string) {}

  fail(message: string, at = this.position): never {
    throw new EdnError(message, at + 1);
  }

  skipSpace(): void {
    const text = this.text;
    while (this.position < text.length) {
      const char = text[this.position]!;
      if (char === ';') {
        while (this.position < text.length && text[this.position] !== '\n') this.position += 1;
      } else if (char === ',' || /\s/.test(char)) {
        this.position += 1;
      } else {
        return;
      }
    }
  }

  atEnd(): boolean {
    this.skipSpace();
    return this.position >= this.text.length;
  }

  value(depth: number): EdnValue {
    if (depth > MAX_EDN_DEPTH) this.fail(`nested deeper than ${MAX_EDN_DEPTH}`);
    this.skipSpace();
    const char = this.text[this.position];
    switch (char) {
      case undefined: return this.fail('unexpected end of input');
      case '{': return this.map(depth);
      case '[': return this.sequence(']', depth);
      case '(': return this.sequence(')', depth);
      case '"': return this.string();
      case '}': case ']': case ')': return this.fail(`unexpected '${char}'`);
      case '#': return this.fail('tagged values and sets (#…) are not supported');
      default: return this.atom();
    }
  }

  private map(depth: number): EdnMap {
    const start = this.position;
    this.position += 1;
    const map: EdnMap = new Map();
    for (;;) {
      this.skipSpace();
      if (this.position >= this.text.length) this.fail('unclosed map', start);
      if (this.text[this.position] === '}') {
        this.position += 1;
        return map;
      }
      const keyAt = this.position;
      const key = this.value(depth + 1);
      this.skipSpace();
      if (this.position >= this.text.length || this.text[this.position] === '}') this.fail('a map key without a value', keyAt);
      const keyText = renderKey(key);
      if (map.has(keyText)) this.fail(`duplicate key ${keyText}`, keyAt);
      map.set(keyText, this.value(depth + 1));
    }
  }

  private sequence(close: string, depth: number): EdnValue[] {
    const start = this.position;
    this.position += 1;
    const items: EdnValue[] = [];
    for (;;) {
      this.skipSpace();
      if (this.position >= this.text.length) this.fail(`unclosed ${close === ']' ? 'vector' : 'list'}`, start);
      if (this.text[this.position] === close) {
        this.position += 1;
        return items;
      }
      items.push(this.value(depth + 1));
    }
  }

  private string(): string {
    const start = this.position;
    this.position += 1;
    let result = '';
    const text = this.text;
    for (;;) {
      if (this.position >= text.length) this.fail('unclosed string', start);
      const char = text[this.position]!;
      this.position += 1;
      if (char === '"') return result;
      if (char !== '\\') {
        result += char;
        continue;
      }
      result += this.escape();
    }
  }

  private escape(): string {
    const char = this.text[this.position];
    this.position += 1;
    switch (char) {
      case 'n': return '\n';
      case 't': return '\t';
      case 'r': return '\r';
      case '"': return '"';
      case '\\': return '\\';
      case 'u': {
        const hex = this.text.slice(this.position, this.position + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('bad \\u escape', this.position - 2);
        this.position += 4;
        return String.fromCharCode(parseInt(hex, 16));
      }
      default: return this.fail(`unknown escape \\${char ?? ''}`, this.position - 2);
    }
  }

  private atom(): EdnValue {
    const start = this.position;
    const text = this.text;
    while (this.position < text.length) {
      const char = text[this.position]!;
      if (char === ',' || /\s/.test(char) || DELIMITERS.has(char)) break;
      this.position += 1;
    }
    const token = text.slice(start, this.position);
    if (token.startsWith(':')) {
      if (token.length === 1 || !SYMBOL_CHARS.test(token.slice(1))) this.fail(`bad keyword '${token}'`, start);
      return new EdnKeyword(token.slice(1));
    }
    if (token === 'nil') return null;
    if (token === 'true') return true;
    if (token === 'false') return false;
    if (INTEGER.test(token)) return integer(token.replace(/N$/, ''), start, this);
    if (FLOAT.test(token)) return Number(token.replace(/M$/, ''));
    return this.fail(`unexpected '${token}'`, start);
  }
}

function integer(token: string, at: number, reader: Reader): number {
  const value = Number(token);
  if (!Number.isSafeInteger(value)) reader.fail(`integer ${token} is too large`, at);
  return value;
}

function renderKey(key: EdnValue): string {
  if (key instanceof EdnKeyword) return key.toString();
  if (typeof key === 'string') return JSON.stringify(key);
  if (key === null || typeof key === 'number' || typeof key === 'boolean') return String(key);
  return JSON.stringify(toPlain(key));
}

/** EDN to plain JSON-like data: keywords become their names, maps become objects. */
export function toPlain(value: EdnValue): unknown {
  if (value instanceof EdnKeyword) return value.name;
  if (Array.isArray(value)) return value.map(toPlain);
  if (value instanceof Map) {
    const record: Record<string, unknown> = {};
    for (const [key, item] of value) record[key.replace(/^:/, '')] = toPlain(item);
    return record;
  }
  return value;
}

/** Reads exactly one EDN value from `text` (whitespace and comments around it allowed). */
export function readEdn(text: string): EdnResult {
  const reader = new Reader(text);
  try {
    const value = reader.value(0);
    if (!reader.atEnd()) reader.fail('unexpected text after the value');
    return { ok: true, value };
  } catch (error) {
    if (error instanceof EdnError) return { ok: false, message: error.message, column: error.column };
    throw error;
  }
}
