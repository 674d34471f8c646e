/** The default branch of an exhaustive switch: a type error when a case is missing. */
export function assertNever(value: never): never {
  throw new TypeError(`unexpected value ${String(value)}`);
}
