/**
 * Go's Regexp.Expand template semantics ($1, ${1}, $name, ${name}, $$) for label_replace.
 */

function isNameChar(c: string): boolean {
  return /[A-Za-z0-9_]/.test(c);
}

/** Go's Regexp.ExpandString: unknown or out-of-range group references expand to "". */
export function expandTemplate(template: string, m: RegExpExecArray): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c !== '$') {
      out += c;
      continue;
    }
    const next = template[i + 1];
    if (next === '$') {
      out += '$';
      i++;
      continue;
    }
    let name = '';
    let end = i + 1;
    if (next === '{') {
      const close = template.indexOf('}', i + 2);
      if (close < 0) {
        out += '$';
        continue;
      }
      name = template.slice(i + 2, close);
      if (name === '' || ![...name].every(isNameChar)) {
        out += '$';
        continue;
      }
      end = close + 1;
    } else {
      while (end < template.length && isNameChar(template[end]!)) end++;
      name = template.slice(i + 1, end);
      if (name === '') {
        out += '$';
        continue;
      }
    }
    if (/^[0-9]+$/.test(name)) {
      const idx = Number(name);
      out += idx < m.length ? (m[idx] ?? '') : '';
    } else {
      out += m.groups?.[name] ?? '';
    }
    i = end - 1;
  }
  return out;
}
