/**
 * Float formatting compatible with Go's strconv.FormatFloat, as Prometheus prints
 * sample values: shortest round-trip digits (JS and Go agree on those), but in
 * plain positional notation for 'f' and Go's exponent rules for %g.
 */

/** Splits a finite non-zero |v| into its shortest decimal digits and decimal-point position. */
function shortestDigits(v: number): { digits: string; dp: number } {
  const s = Math.abs(v).toExponential(); // shortest round-trip, e.g. "1.2345e-7"
  const e = s.indexOf('e');
  const mant = s.slice(0, e).replace('.', '');
  const exp = Number(s.slice(e + 1));
  return { digits: mant, dp: exp + 1 };
}

/** strconv.FormatFloat(v, 'f', -1, 64): "+Inf", "-Inf", "NaN", "1", "0.1", "1e-7" as "0.0000001". */
export function formatFloat(v: number): string {
  if (v !== v) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  // In this range JS prints the same shortest digits positionally (no exponent): Go's 'f', -1.
  const a = v < 0 ? -v : v;
  if (a >= 1e-6 && a < 1e21) return String(v);
  const { digits, dp } = shortestDigits(v);
  const sign = v < 0 ? '-' : '';
  if (dp <= 0) return `${sign}0.${'0'.repeat(-dp)}${digits}`;
  if (dp >= digits.length) return sign + digits + '0'.repeat(dp - digits.length);
  return `${sign}${digits.slice(0, dp)}.${digits.slice(dp)}`;
}

/** Go's fmt %g with shortest precision: exponent form when exp < -4 or exp >= 6 (strconv's shortest 'g'). */
export function formatG(v: number): string {
  if (v !== v) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const { digits, dp } = shortestDigits(v);
  const exp = dp - 1;
  const eprec = 6;
  if (exp < -4 || exp >= eprec) {
    const sign = v < 0 ? '-' : '';
    const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const es = exp < 0 ? '-' : '+';
    const ea = Math.abs(exp);
    return `${sign}${mant}e${es}${ea < 10 ? '0' : ''}${ea}`;
  }
  return formatFloat(v);
}
