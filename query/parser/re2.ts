/**
 * Translates RE2 regex syntax (what Prometheus label matchers use) into an equivalent
 * JavaScript pattern for the `su` flags. Node 20 lacks inline modifiers, so `(?i)` /
 * `(?i:...)` are expanded into per-letter case classes; also handled: `(?P<name>`, `\z`,
 * `\A`, `\Q...\E`, `\pL`, POSIX classes `[[:alpha:]]`, and literal `{` `}` `]`.
 */

const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

const SPECIAL = new Set(['\\', '^', '$', '.', '|', '?', '*', '+', '(', ')', '[', ']', '{', '}', '/']);

function escapeLiteral(c: string): string {
  return SPECIAL.has(c) ? '\\' + c : c;
}

function isLetter(c: string): boolean {
  return c.toLowerCase() !== c.toUpperCase() && [...c].length === 1;
}

export function translateRe2(p: string): string {
  let out = '';
  let ci = false;
  const stack: boolean[] = [];
  let i = 0;
  const n = p.length;
  while (i < n) {
    const c = p[i]!;
    if (c === '\\') {
      const e = p[i + 1];
      if (e === undefined) throw new SyntaxError('trailing backslash at end of expression');
      if (e === 'Q') {
        const end = p.indexOf('\\E', i + 2);
        const lit = end < 0 ? p.slice(i + 2) : p.slice(i + 2, end);
        for (const ch of lit) out += ci && isLetter(ch) ? `[${ch.toLowerCase()}${ch.toUpperCase()}]` : escapeLiteral(ch);
        i = end < 0 ? n : end + 2;
        continue;
      }
      if (e === 'z') out += '$';
      else if (e === 'A') out += '^';
      else if ((e === 'p' || e === 'P') && p[i + 2] !== '{' && p[i + 2] !== undefined) {
        out += `\\${e}{${p[i + 2]}}`;
        i += 3;
        continue;
      } else if (e === 'x' && p[i + 2] === '{') {
        // RE2 \x{10FFFF} is JS \u{10FFFF}.
        const close = p.indexOf('}', i + 3);
        if (close < 0) throw new SyntaxError('invalid escape sequence: \\x{');
        out += `\\u{${p.slice(i + 3, close)}}`;
        i = close + 1;
        continue;
      } else if (/[a-zA-Z0-9]/.test(e)) out += '\\' + e;
      // RE2 lets any punctuation be escaped; JS's u-mode only the syntax characters.
      else out += escapeLiteral(e);
      i += 2;
      continue;
    }
    if (c === '[') {
      const r = translateClass(p, i, ci);
      out += r.text;
      i = r.end;
      continue;
    }
    if (c === '(') {
      if (p[i + 1] === '?') {
        if (p[i + 2] === 'P' && p[i + 3] === '<') {
          stack.push(ci);
          out += '(?<';
          i += 4;
          continue;
        }
        const m = /^\(\?([imsU]*)(?:-([imsU]*))?(:|\))/.exec(p.slice(i));
        if (m) {
          let newCi: boolean = ci;
          if (m[1]!.includes('i')) newCi = true;
          if (m[2]?.includes('i')) newCi = false;
          if (m[3] === ')') {
            ci = newCi;
          } else {
            stack.push(ci);
            ci = newCi;
            out += '(?:';
          }
          i += m[0].length;
          continue;
        }
      }
      stack.push(ci);
      out += '(';
      i++;
      continue;
    }
    if (c === ')') {
      if (stack.length > 0) ci = stack.pop()!;
      out += ')';
      i++;
      continue;
    }
    if (c === '{') {
      const m = /^\{[0-9]+(?:,[0-9]*)?\}/.exec(p.slice(i));
      if (m) {
        out += m[0];
        i += m[0].length;
      } else {
        out += '\\{';
        i++;
      }
      continue;
    }
    if (c === '}' || c === ']') {
      out += '\\' + c;
      i++;
      continue;
    }
    const cp = p.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    out += ci && isLetter(ch) ? `[${ch.toLowerCase()}${ch.toUpperCase()}]` : ch;
    i += ch.length;
  }
  return out;
}

function translateClass(p: string, start: number, ci: boolean): { text: string; end: number } {
  let i = start + 1;
  let out = '[';
  if (p[i] === '^') {
    out += '^';
    i++;
  }
  let first = true;
  const extra: string[] = [];
  while (i < p.length) {
    const c = p[i]!;
    if (c === ']' && !first) {
      return { text: out + extra.join('') + ']', end: i + 1 };
    }
    first = false;
    if (c === '[' && p[i + 1] === ':') {
      const m = /^\[:(\^?)([a-z]+):\]/.exec(p.slice(i));
      if (m && POSIX[m[2]!]) {
        if (m[1]) throw new SyntaxError('negated POSIX classes are not supported');
        out += POSIX[m[2]!];
        i += m[0].length;
        continue;
      }
    }
    let item: string;
    let lo: string;
    if (c === '\\') {
      const e = p[i + 1] ?? '';
      if ((e === 'p' || e === 'P') && p[i + 2] !== '{') {
        item = `\\${e}{${p[i + 2] ?? ''}}`;
        i += 3;
        out += item;
        continue;
      }
      item = /[a-zA-Z0-9\\\]\[^-]/.test(e) ? '\\' + e : e;
      lo = e;
      i += 2;
      if (/[a-zA-Z0-9]/.test(e)) {
        out += item;
        continue;
      }
    } else {
      const ch = String.fromCodePoint(p.codePointAt(i)!);
      item = ch === '[' || ch === '/' ? '\\' + ch : ch;
      lo = ch;
      i += ch.length;
    }
    // Range a-b?
    if (p[i] === '-' && p[i + 1] !== undefined && p[i + 1] !== ']') {
      let hiItem: string;
      let hi: string;
      if (p[i + 1] === '\\') {
        hi = p[i + 2] ?? '';
        hiItem = '\\' + hi;
        i += 3;
      } else {
        hi = String.fromCodePoint(p.codePointAt(i + 1)!);
        hiItem = hi;
        i += 1 + hi.length;
      }
      out += `${item}-${hiItem}`;
      if (ci) {
        if (/[a-z]/.test(lo) && /[a-z]/.test(hi)) extra.push(`${lo.toUpperCase()}-${hi.toUpperCase()}`);
        else if (/[A-Z]/.test(lo) && /[A-Z]/.test(hi)) extra.push(`${lo.toLowerCase()}-${hi.toLowerCase()}`);
      }
      continue;
    }
    out += item;
    if (ci && isLetter(lo)) {
      const other = lo === lo.toLowerCase() ? lo.toUpperCase() : lo.toLowerCase();
      if (other !== lo) extra.push(other);
    }
  }
  throw new SyntaxError('missing closing ]');
}

/** Compiles an RE2 pattern as a fully anchored JS RegExp (Prometheus anchors matchers: ^(?s:re)$). */
export function compileAnchoredRe2(pattern: string): RegExp {
  return new RegExp(`^(?:${translateRe2(pattern)})$`, 'su');
}
