import fc from 'fast-check';

/** Cases per surface: 5,000 by default (issue 10), `FUZZ_RUNS=50000` raises it. */
export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? '') > 0 ? Number(process.env.FUZZ_RUNS) : 5_000;

/** A fixed seed can be replayed with `FUZZ_SEED`; otherwise fast-check picks one and prints it on failure. */
export const FUZZ_SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;

/** A stack trace line as V8 prints it. */
export const STACK_TRACE = /\n\s+at /;

/** Placeholder keys that become dangerous keys in the JSON text (JS object literals cannot own `__proto__` simply). */
export const PROTO_PLACEHOLDERS: Record<string, string> = {
  zzFUZZPROTOzz: '__proto__',
  zzFUZZCTORzz: 'constructor',
  zzFUZZPROTOTYPEzz: 'prototype',
};
export const DANGEROUS_KEYS = ['zzFUZZPROTOzz', 'zzFUZZCTORzz', 'zzFUZZPROTOTYPEzz', 'hasOwnProperty', 'toString', 'valueOf', '__defineGetter__', 'isPrototypeOf'];

/** JSON text of a value, with the placeholder keys turned into `__proto__`/`constructor`/`prototype`. */
export function toJsonText(value: unknown): string {
  let text = JSON.stringify(value) ?? 'null';
  for (const [placeholder, key] of Object.entries(PROTO_PLACEHOLDERS)) text = text.split(`"${placeholder}"`).join(`"${key}"`);
  return text;
}

/**
 * A payload that pollutes `Object.prototype` if anything merges it naively. A fresh copy each time: the mutations
 * write into the values they place, so a shared constant would grow across runs, or point at itself.
 */
export const pollutingValue = fc
  .constantFrom<unknown>({ polluted: 'yes' }, { zzFUZZPROTOTYPEzz: { polluted: 'yes' } }, { zzFUZZPROTOzz: { polluted: 'yes' } }, { isAdmin: true, polluted: 'yes' })
  .map((value) => structuredClone(value));

/** Nested arrays/objects `depth` deep around a leaf. */
export function nest(depth: number, kind: 'array' | 'object', leaf: unknown = 1): unknown {
  let v: unknown = leaf;
  for (let i = 0; i < depth; i += 1) v = kind === 'array' ? [v] : { a: v };
  return v;
}

/** Values that go where they should not: wrong types, huge strings, unicode, out-of-range numbers… */
export const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  { depthSize: 'small' },
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', ' ', '\u0000', '\ud800', '\u202e', 'é', '😀'.repeat(3), 'NaN', 'Infinity', '-Infinity', '1e999', '-0', '0x10', '1_000', 'null', 'undefined', 'true', '[]', '{}', 'Audio ', 'audio', 'VIDEO', 'Web', 'https://', 'javascript:alert(1)', 'http://169.254.169.254/latest/meta-data', '../../etc/passwd', '%00', '<script>'),
  fc.integer({ min: 1, max: 40_000 }).map((n) => 'x'.repeat(n)),
  fc.integer({ min: 1, max: 12_000 }).map((n) => 'é😀'.repeat(n >> 1)),
  fc.constantFrom(0, -0, -1, 1, 0.5, 9, 10, 599, 600, 601, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 1e308, -1e308, 5e-324, Number.MAX_VALUE),
  fc.double(),
  fc.integer(),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map((b) => ({ zzRAWNUMzz: b.toString() })),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 5 }),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 12 }),
  fc.jsonValue({ maxDepth: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 4 }),
  fc.tuple(fc.integer({ min: 1, max: 800 }), fc.constantFrom<'array' | 'object'>('array', 'object')).map(([d, k]) => nest(d, k)),
  pollutingValue,
);

/** Writes `{ zzRAWNUMzz: "123…" }` as a bare number literal (numbers beyond double precision). */
export function withRawNumbers(text: string): string {
  return text.replace(/\{"zzRAWNUMzz":"(-?\d+)"\}/g, '$1');
}

/** `Object.prototype`'s own keys now, to check nothing was added. */
export function prototypeSnapshot(): string[] {
  return Object.getOwnPropertyNames(Object.prototype).sort();
}

/** Throws if `Object.prototype` gained a key (or `{}` inherits a `polluted`/`isAdmin`). */
export function assertPrototypeClean(before: string[]): void {
  const after = prototypeSnapshot();
  const probe = {} as Record<string, unknown>;
  if (after.join(',') !== before.join(',') || probe.polluted !== undefined || probe.isAdmin !== undefined) {
    throw new Error(`Object.prototype polluted: ${after.filter((k) => !before.includes(k)).join(', ')}`);
  }
}
