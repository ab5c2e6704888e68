/**
 * PromQL lexer: turns a query string into a token array in one pass.
 * Keywords are NOT classified here (Prometheus treats most keywords as valid metric and
 * label names depending on context), the parser does that by lower-cased text.
 * A colon is part of an identifier outside `[...]` (recording-rule names like
 * `job:rate5m`) and a separator inside (subquery `[5m:1m]`), as in Prometheus.
 */
import { PromQLParseError } from './errors.ts';

export type TokenType =
  | 'IDENT'
  | 'NUMBER'
  | 'DURATION'
  | 'STRING'
  | 'OP'
  | '('
  | ')'
  | '{'
  | '}'
  | '['
  | ']'
  | ','
  | ':'
  | '@'
  | 'EOF';

export interface Token {
  type: TokenType;
  /** Source text (for STRING: the raw quoted text). */
  text: string;
  /** Unquoted value for STRING tokens. */
  value?: string;
  start: number;
  end: number;
}

const DURATION_UNITS = ['y', 'w', 'd', 'h', 'm', 's', 'ms'] as const;
const UNIT_MS: Record<string, number> = { y: 365 * 86400000, w: 7 * 86400000, d: 86400000, h: 3600000, m: 60000, s: 1000, ms: 1 };


function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isAlpha(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}
function isAlnum(c: number): boolean {
  return isAlpha(c) || isDigit(c);
}
function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

/** Parses a Prometheus duration (`1h30m`, units y w d h m s ms in that order, each once) to ms; null if invalid. */
export function parseDurationMs(s: string): number | null {
  if (s === '0') return 0;
  const re = /([0-9]+)(ms|[smhdwy])/y;
  let pos = 0;
  let last = -1;
  let total = 0;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) return null;
    const idx = DURATION_UNITS.indexOf(m[2] as (typeof DURATION_UNITS)[number]);
    if (idx <= last) return null;
    last = idx;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    pos = re.lastIndex;
  }
  return pos === 0 ? null : total;
}

/** Parses a PromQL number literal (decimal, hex, octal, Inf, NaN) like Go's ParseInt(base 0) then ParseFloat. */
export function parseNumberText(s: string): number {
  const l = s.toLowerCase();
  if (l === 'inf' || l === '+inf') return Infinity;
  if (l === '-inf') return -Infinity;
  if (l === 'nan') return NaN;
  if (/^0[xX][0-9a-fA-F]+$/.test(s)) return parseInt(s.slice(2), 16);
  if (/^0[0-7]+$/.test(s)) return parseInt(s.slice(1), 8);
  return Number(s);
}

export class Lexer {
  readonly #input: string;
  readonly tokens: Token[] = [];
  #pos = 0;
  #bracketDepth = 0;
  // Sticky regexes carry lastIndex state, so each lexer owns its own.
  readonly #numberForms: readonly (readonly [RegExp, TokenType])[] = [
    [/0[xX][0-9a-fA-F]+/y, 'NUMBER'],
    [/(?:[0-9]+(?:ms|[smhdwy]))+/y, 'DURATION'],
    [/(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/y, 'NUMBER'],
  ];
  #braceDepth = 0;

  constructor(input: string) {
    this.#input = input;
  }

  #fail(start: number, end: number, msg: string): never {
    throw new PromQLParseError(this.#input, start, end, msg);
  }

  tokenize(): Token[] {
    const s = this.#input;
    const n = s.length;
    while (true) {
      while (this.#pos < n && isSpace(s.charCodeAt(this.#pos))) this.#pos++;
      if (this.#pos >= n) break;
      const start = this.#pos;
      const c = s.charCodeAt(start);
      const ch = s[start]!;
      if (ch === '#') {
        while (this.#pos < n && s[this.#pos] !== '\n') this.#pos++;
        continue;
      }
      if (isDigit(c) || (ch === '.' && start + 1 < n && isDigit(s.charCodeAt(start + 1)))) {
        this.#lexNumber(start);
        continue;
      }
      if (ch === ':' && this.#braceDepth > 0) this.#fail(start, start + 1, "unexpected character inside braces: ':'");
      if (isAlpha(c) || (ch === ':' && this.#bracketDepth === 0)) {
        let i = start + 1;
        // Label names (inside braces) never contain colons; metric names outside brackets may.
        const colonOk = this.#bracketDepth === 0 && this.#braceDepth === 0;
        while (i < n) {
          const d = s.charCodeAt(i);
          if (isAlnum(d) || (colonOk && d === 58)) i++;
          else break;
        }
        const text = s.slice(start, i);
        this.#pos = i;
        const lower = text.toLowerCase();
        this.#push(lower === 'inf' || lower === 'nan' ? 'NUMBER' : 'IDENT', text, start, i);
        continue;
      }
      if (ch === '"' || ch === "'" || ch === '`') {
        this.#lexString(start, ch);
        continue;
      }
      this.#pos++;
      switch (ch) {
        case '{':
          this.#braceDepth++;
          this.#push(ch, ch, start, this.#pos);
          continue;
        case '}':
          if (this.#braceDepth > 0) this.#braceDepth--;
          this.#push(ch, ch, start, this.#pos);
          continue;
        case '(':
        case ')':
        case ',':
        case ':':
        case '@':
          this.#push(ch, ch, start, this.#pos);
          continue;
        case '[':
          this.#bracketDepth++;
          this.#push('[', ch, start, this.#pos);
          continue;
        case ']':
          if (this.#bracketDepth > 0) this.#bracketDepth--;
          this.#push(']', ch, start, this.#pos);
          continue;
        case '+':
        case '-':
        case '*':
        case '/':
        case '%':
        case '^':
          this.#push('OP', ch, start, this.#pos);
          continue;
        case '=':
          if (s[this.#pos] === '=') {
            this.#pos++;
            this.#push('OP', '==', start, this.#pos);
          } else if (s[this.#pos] === '~') {
            this.#pos++;
            this.#push('OP', '=~', start, this.#pos);
          } else this.#push('OP', '=', start, this.#pos);
          continue;
        case '!':
          if (s[this.#pos] === '=' || s[this.#pos] === '~') {
            const op = '!' + s[this.#pos];
            this.#pos++;
            this.#push('OP', op, start, this.#pos);
            continue;
          }
          this.#fail(start, this.#pos, `unexpected character after '!': ${goQuoteRune(s[this.#pos] ?? '')}`);
        case '<':
        case '>':
          if (s[this.#pos] === '/') {
            // Histogram trim operators `</` (trim upper) and `>/` (trim lower).
            this.#pos++;
            this.#push('OP', ch + '/', start, this.#pos);
          } else if (s[this.#pos] === '=') {
            this.#pos++;
            this.#push('OP', ch + '=', start, this.#pos);
          } else this.#push('OP', ch, start, this.#pos);
          continue;
        default: {
          const cp = s.codePointAt(start)!;
          this.#fail(start, start + 1, `unexpected character: ${goQuoteRune(String.fromCodePoint(cp))}`);
        }
      }
    }
    this.tokens.push({ type: 'EOF', text: '', start: n, end: n });
    return this.tokens;
  }

  #push(type: TokenType, text: string, start: number, end: number, value?: string): void {
    const t: Token = { type, text, start, end };
    if (value !== undefined) t.value = value;
    this.tokens.push(t);
  }

  #lexNumber(start: number): void {
    const s = this.#input;
    let type: TokenType = 'NUMBER';
    let end = -1;
    for (const [re, ty] of this.#numberForms) {
      re.lastIndex = start;
      if (re.exec(s)) {
        end = re.lastIndex;
        type = ty;
        break;
      }
    }
    let bad = end < 0;
    if (!bad && end < s.length) {
      const d = s.charCodeAt(end);
      if (isAlnum(d) || d === 46) bad = true;
    }
    if (bad) {
      let j = Math.max(end, start + 1);
      while (j < s.length && (isAlnum(s.charCodeAt(j)) || s[j] === '.')) j++;
      this.#fail(start, j, `bad number or duration syntax: ${goQuote(s.slice(start, j))}`);
    }
    const text = s.slice(start, end);
    if (type === 'DURATION' && parseDurationMs(text) === null) {
      this.#fail(start, end, `not a valid duration string: ${goQuote(text)}`);
    }
    this.#pos = end;
    this.#push(type, text, start, end);
  }

  #lexString(start: number, quote: string): void {
    const s = this.#input;
    let i = start + 1;
    if (quote === '`') {
      const close = s.indexOf('`', i);
      if (close < 0) this.#fail(start, s.length, 'unterminated raw string');
      this.#pos = close + 1;
      this.#push('STRING', s.slice(start, close + 1), start, close + 1, s.slice(i, close));
      return;
    }
    // Collect bytes so Go-style \x / octal escapes can build UTF-8 sequences.
    const bytes: number[] = [];
    const enc = new TextEncoder();
    while (true) {
      if (i >= s.length || s[i] === '\n') this.#fail(start, i, 'unterminated quoted string');
      const ch = s[i]!;
      if (ch === quote) {
        i++;
        break;
      }
      if (ch !== '\\') {
        const cp = s.codePointAt(i)!;
        const str = String.fromCodePoint(cp);
        for (const b of enc.encode(str)) bytes.push(b);
        i += str.length;
        continue;
      }
      const escStart = i;
      i++;
      const e = s[i];
      if (e === undefined) this.#fail(start, i, 'unterminated quoted string');
      i++;
      switch (e) {
        case 'a':
          bytes.push(7);
          break;
        case 'b':
          bytes.push(8);
          break;
        case 'f':
          bytes.push(12);
          break;
        case 'n':
          bytes.push(10);
          break;
        case 'r':
          bytes.push(13);
          break;
        case 't':
          bytes.push(9);
          break;
        case 'v':
          bytes.push(11);
          break;
        case '\\':
          bytes.push(92);
          break;
        case '"':
        case "'":
          if (e !== quote) this.#fail(escStart, i, 'unknown escape sequence');
          bytes.push(e.charCodeAt(0));
          break;
        case 'x': {
          const hex = s.slice(i, i + 2);
          if (!/^[0-9a-fA-F]{2}$/.test(hex)) this.#fail(escStart, i, 'illegal character in escape sequence');
          bytes.push(parseInt(hex, 16));
          i += 2;
          break;
        }
        case 'u':
        case 'U': {
          const len = e === 'u' ? 4 : 8;
          const hex = s.slice(i, i + len);
          if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) this.#fail(escStart, i, 'illegal character in escape sequence');
          const cp = parseInt(hex, 16);
          if (cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) this.#fail(escStart, i + len, 'escape sequence is invalid Unicode code point');
          for (const b of enc.encode(String.fromCodePoint(cp))) bytes.push(b);
          i += len;
          break;
        }
        default:
          if (e >= '0' && e <= '7') {
            const oct = s.slice(i - 1, i + 2);
            if (!/^[0-7]{3}$/.test(oct)) this.#fail(escStart, i, 'illegal character in escape sequence');
            const v = parseInt(oct, 8);
            if (v > 255) this.#fail(escStart, i + 2, 'octal escape value > 255');
            bytes.push(v);
            i += 2;
            break;
          }
          this.#fail(escStart, i, 'unknown escape sequence');
      }
    }
    this.#pos = i;
    this.#push('STRING', s.slice(start, i), start, i, decodeUtf8Escaped(bytes));
  }
}

/**
 * Decodes UTF-8 bytes; each byte of an invalid sequence becomes a lone surrogate
 * U+DC80+byte ("surrogateescape"), so `"\xff"` stays distinguishable from valid text:
 * `str.isWellFormed()` is false exactly when the Go string would be invalid UTF-8.
 */
export function decodeUtf8Escaped(bytes: number[]): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    let need = 0;
    let cp = 0;
    if (b < 0x80) {
      out += String.fromCharCode(b);
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      cp = b & 0x1f;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      cp = b & 0x0f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      cp = b & 0x07;
    } else {
      out += String.fromCharCode(0xdc00 + b);
      i++;
      continue;
    }
    let ok = true;
    for (let k = 1; ok && k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) ok = false;
      else cp = (cp << 6) | (c & 0x3f);
    }
    if (ok && ((need === 2 && (cp < 0x800 || (cp >= 0xd800 && cp < 0xe000))) || (need === 3 && (cp < 0x10000 || cp > 0x10ffff)))) ok = false;
    if (!ok) {
      out += String.fromCharCode(0xdc00 + b);
      i++;
      continue;
    }
    out += String.fromCodePoint(cp);
    i += need + 1;
  }
  return out;
}

/** Go's strconv.Quote: double-quoted with Go escapes; lone surrogates from decodeUtf8Escaped print as \xHH. */
export function goQuote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    switch (c) {
      case 7:
        out += '\\a';
        continue;
      case 8:
        out += '\\b';
        continue;
      case 12:
        out += '\\f';
        continue;
      case 10:
        out += '\\n';
        continue;
      case 13:
        out += '\\r';
        continue;
      case 9:
        out += '\\t';
        continue;
      case 11:
        out += '\\v';
        continue;
      case 92:
        out += '\\\\';
        continue;
      case 34:
        out += '\\"';
        continue;
    }
    if (c < 0x20 || c === 0x7f) {
      out += '\\x' + c.toString(16).padStart(2, '0');
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff) {
      out += s[i]! + s[i + 1]!;
      i++;
    } else if (c >= 0xdc80 && c <= 0xdcff) {
      out += '\\x' + (c - 0xdc00).toString(16).padStart(2, '0');
    } else if (c >= 0xd800 && c <= 0xdfff) {
      out += '\\ufffd';
    } else {
      out += s[i]!;
    }
  }
  return out + '"';
}

function goQuoteRune(ch: string): string {
  if (ch === "'") return "'\\''";
  if (ch === '') return "'\\x00'";
  const q = goQuote(ch);
  return "'" + q.slice(1, -1).replace(/\\"/g, '"') + "'";
}

/** True when the string has no lone surrogates, i.e. came from valid UTF-8 (see decodeUtf8Escaped). */
export function isWellFormed(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++;
        continue;
      }
    }
    return false;
  }
  return true;
}
