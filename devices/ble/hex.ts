/** Hex strings for golden vectors and logs: pairs of hex digits, optionally separated by whitespace. */

/** Throws TypeError on anything but pairs of hex digits (golden vectors are our own constants). */
export function fromHex(hex: string): Uint8Array {
  const digits = hex.replace(/\s+/g, '');
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(digits)) throw new TypeError(`not a hex byte string: ${JSON.stringify(hex)}`);
  const bytes = new Uint8Array(digits.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

/** Upper-case hex, one space between bytes: "16 48 54 01". */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0').toUpperCase()).join(' ');
}
