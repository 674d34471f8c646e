/**
 * Hostile JSON: a well-formed message taken as a template, then bent (a field of the wrong type, out
 * of range, missing, repeated, a prototype key, deep nesting, huge) and sometimes broken as text
 * (truncated, trailing garbage, invalid UTF-8). Shared by every listener that reads JSON.
 */
import type { Rng } from './random.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A value that breaks expectations: wrong type, limits of numbers and strings, odd characters. */
export function hostileValue(rng: Rng): Json {
  return rng.pick<() => Json>([
    () => null,
    () => true,
    () => false,
    () => 0,
    () => -1,
    () => 2 ** 31,
    () => 2 ** 53 + 1,
    () => -(2 ** 63),
    () => 1e308,
    () => -1e-308,
    () => 0.1 + 0.2,
    () => rng.int(-1e9, 1e9) / 7,
    () => '',
    () => ' ',
    () => 'NaN',
    () => 'Infinity',
    () => '1e999',
    () => '-0',
    () => '\u0000',
    () => '\u202e\u200b\ufeff',
    () => '\ud800',
    () => '🩺'.repeat(rng.int(1, 300)),
    () => 'a'.repeat(rng.pick([99, 100, 101, 199, 200, 201, 2000, 2001, 5000, 20_000])),
    () => '../../../../etc/passwd',
    () => "' OR 1=1; --",
    () => '<script>alert(1)</script>',
    () => '${jndi:ldap://x}',
    () => '%s%n%x',
    () => '__proto__',
    () => 'constructor',
    () => '*',
    () => '#',
    () => '+',
    () => rng.text(rng.size(300)),
    () => [],
    () => {
      const items: Json[] = [];
      const n = rng.size(200);
      for (let i = 0; i < n; i++) items.push(rng.int(0, 1000));
      return items;
    },
    () => ({}),
    () => ({ toString: 1, valueOf: 'x', hasOwnProperty: null }),
  ])();
}

/** A copy of `value` with one to a few hostile changes. */
export function mutate(rng: Rng, value: Json, depth = 0): Json {
  const changes = rng.int(1, 3);
  let v = value;
  for (let i = 0; i < changes; i++) v = mutateOnce(rng, v, depth);
  return v;
}

function mutateOnce(rng: Rng, value: Json, depth: number): Json {
  if (value === null || typeof value !== 'object' || depth > 4) {
    return rng.chance(0.8) ? hostileValue(rng) : value;
  }
  if (Array.isArray(value)) {
    const copy = [...value];
    const op = rng.int(0, 3);
    if (op === 0 && copy.length > 0) copy.splice(rng.int(0, copy.length - 1), 1);
    else if (op === 1) copy.push(hostileValue(rng));
    else if (op === 2 && copy.length > 0) {
      const at = rng.int(0, copy.length - 1);
      copy[at] = mutate(rng, copy[at]!, depth + 1);
    } else return hostileValue(rng);
    return copy;
  }
  const copy: { [key: string]: Json } = { ...value };
  const keys = Object.keys(copy);
  const op = rng.int(0, 5);
  if (op <= 1 && keys.length > 0) {
    const key = rng.pick(keys);
    copy[key] = mutate(rng, copy[key]!, depth + 1);
  } else if (op === 2 && keys.length > 0) {
    delete copy[rng.pick(keys)];
  } else if (op === 3) {
    copy[rng.pick(['extra', 'id', 'role', 'admin', 'isAdmin', 'patientId', 'personId', rng.text(rng.int(1, 40))])] =
      hostileValue(rng);
  } else if (op === 4) {
    return rng.pick<Json>([[copy], 'a string', 42, null]);
  } else {
    return hostileValue(rng);
  }
  return copy;
}

/** Deeply nested arrays or objects (a recursive parser's stack). */
export function nested(rng: Rng): string {
  const depth = rng.pick([64, 1000, 10_000, 100_000]);
  return rng.chance(0.5) ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/**
 * `value` as JSON text, sometimes with a prototype key spliced in (JSON.stringify cannot write an own
 * `__proto__`), and sometimes broken as text.
 */
export function serialize(rng: Rng, value: Json): Buffer {
  let text = JSON.stringify(value);
  if (text.startsWith('{') && rng.chance(0.08)) {
    const key = rng.pick(['__proto__', 'constructor']);
    const inner = key === 'constructor' ? '{"prototype":{"polluted":true}}' : '{"polluted":true,"role":"admin"}';
    text = `{"${key}":${inner}${text === '{}' ? '' : ','}${text.slice(1)}`;
  }
  if (text.startsWith('{') && text.length > 2 && rng.chance(0.05)) {
    // A key given twice: which one wins?
    const first = /^\{("[^"]*":)/.exec(text)?.[1];
    if (first) text = `{${first}${JSON.stringify(hostileValue(rng))},${text.slice(1)}`;
  }
  const broken = rng.weighted<() => Buffer>([
    [20, () => Buffer.from(text)],
    [1, () => Buffer.from(text.slice(0, rng.int(0, Math.max(0, text.length - 1))))],
    [1, () => Buffer.from(`${text}${rng.pick(['}', ']', ',', '\u0000', ' garbage', '{}'])}`)],
    [
      1,
      () =>
        Buffer.concat([
          Buffer.from(text.slice(0, 1)),
          Buffer.from([0xc3, 0x28, 0xff, 0xfe]),
          Buffer.from(text.slice(1)),
        ]),
    ],
    [1, () => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)])],
    [1, () => Buffer.from(text.replace(/"/g, "'"))],
  ]);
  return broken();
}
