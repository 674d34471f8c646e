/**
 * Status bit fields (measurement status, sensor annunciations): the raw value, the names of the bits
 * that are set, and the reserved bits a device set anyway (reported, never a failure).
 */

export interface BitField<Name extends string> {
  readonly raw: number;
  /** The defined bits that are set, in bit order. */
  readonly set: readonly Name[];
  /** Bits the specification reserves that are set anyway (0 normally). */
  readonly reserved: number;
}

/** Bit names by bit position (index 0 = least significant bit); null for a reserved bit. */
export type BitNames = readonly (string | null)[];
export type BitName<T extends BitNames> = NonNullable<T[number]>;

/**
 * Reads `raw` (at most 24 bits) against `names`. `otherDefined` masks bits the caller decodes
 * itself (a multi-bit enumeration), which are therefore not reserved.
 */
export function bitField<T extends BitNames>(names: T, raw: number, otherDefined = 0): BitField<BitName<T>> {
  let defined = otherDefined;
  const set: BitName<T>[] = [];
  names.forEach((name, bit) => {
    if (name === null) return;
    defined |= 1 << bit;
    if ((raw >>> bit) & 1) set.push(name);
  });
  return { raw, set, reserved: raw & ~defined };
}
