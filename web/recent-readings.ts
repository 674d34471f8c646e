/**
 * One patient's recent readings, as the family page's sparkline reads them (time, pulse, SpO2), kept
 * in time order with no reading twice. The web service holds them for every patient of the node (tens
 * of thousands, hundreds of readings each): as numbers in one ring of a typed array rather
 * than an object per reading, so the garbage collector has nothing to trace in them and dropping the
 * oldest costs nothing.
 */

/** A reading as the family page gets it (a missing value is absent). */
export interface RecentReading {
  readonly ts: number;
  readonly seq: number;
  readonly hr?: number;
  readonly spo2?: number;
}

/** Numbers kept per reading: ts, seq, hr, spo2 (NaN: absent; JSON cannot carry a NaN reading). */
const FIELDS = 4;
/**
 * Readings a patient's ring starts with room for: enough for a patient measured now and then. A
 * watch's readings fill it within seconds, and it then grows once, to `max`: doubling, every patient
 * of a node did it in the same seconds, four times (`scripts/bench/patient-state.ts`).
 */
const FIRST_CAPACITY = 16;

export class RecentReadings {
  readonly #max: number;
  #rows: Float64Array;
  /** Ring position of the oldest reading, and how many there are. */
  #start = 0;
  #count = 0;

  /** Keeps at most `max` readings: the newest. */
  constructor(max: number) {
    if (!Number.isInteger(max) || max < 1) throw new TypeError(`max must be a positive integer, got ${max}`);
    this.#max = max;
    this.#rows = new Float64Array(Math.min(max, FIRST_CAPACITY) * FIELDS);
  }

  get length(): number {
    return this.#count;
  }

  /**
   * Puts a reading in its place (time order; they nearly always come last), unless it is there
   * already (same time and seq); says whether it was new. With `max` readings held, the oldest goes.
   */
  add(reading: { ts: number; seq: number; hr?: number | undefined; spo2?: number | undefined }): boolean {
    let at = this.#count;
    while (at > 0 && this.#ts(at - 1) > reading.ts) at -= 1;
    for (let i = at - 1; i >= 0 && this.#ts(i) === reading.ts; i -= 1) if (this.#seq(i) === reading.seq) return false;
    if (this.#count === this.#max) {
      // The oldest goes, this one included when it would be the oldest.
      if (at === 0) return true;
      this.#dropOldest();
      at -= 1;
    } else if (this.#count * FIELDS === this.#rows.length) {
      this.#grow();
    }
    // Room at the end of the ring; the readings after `at` move one place towards it.
    for (let i = this.#count; i > at; i -= 1)
      this.#rows.copyWithin(this.#at(i), this.#at(i - 1), this.#at(i - 1) + FIELDS);
    const o = this.#at(at);
    this.#rows[o] = reading.ts;
    this.#rows[o + 1] = reading.seq;
    this.#rows[o + 2] = reading.hr ?? NaN;
    this.#rows[o + 3] = reading.spo2 ?? NaN;
    this.#count += 1;
    return true;
  }

  /** Forgets the readings taken before `from`. */
  dropBefore(from: number): void {
    while (this.#count > 0 && this.#ts(0) < from) this.#dropOldest();
  }

  /** The readings, oldest first. */
  list(): RecentReading[] {
    const out: RecentReading[] = [];
    for (let i = 0; i < this.#count; i += 1) {
      const o = this.#at(i);
      const hr = this.#rows[o + 2]!;
      const spo2 = this.#rows[o + 3]!;
      out.push({
        ts: this.#rows[o]!,
        seq: this.#rows[o + 1]!,
        ...(Number.isNaN(hr) ? {} : { hr }),
        ...(Number.isNaN(spo2) ? {} : { spo2 }),
      });
    }
    return out;
  }

  /** Offset in the typed array of the i-th reading (0: the oldest). */
  #at(i: number): number {
    return ((this.#start + i) % (this.#rows.length / FIELDS)) * FIELDS;
  }

  #ts(i: number): number {
    return this.#rows[this.#at(i)]!;
  }

  #seq(i: number): number {
    return this.#rows[this.#at(i) + 1]!;
  }

  #dropOldest(): void {
    this.#start = (this.#start + 1) % (this.#rows.length / FIELDS);
    this.#count -= 1;
  }

  /** Room for `max` readings, the readings laid out from the start. */
  #grow(): void {
    const rows = new Float64Array(this.#max * FIELDS);
    // Full when it grows: from the oldest to the end of the array, then from its start.
    const tail = this.#rows.subarray(this.#start * FIELDS);
    rows.set(tail);
    rows.set(this.#rows.subarray(0, this.#start * FIELDS), tail.length);
    this.#rows = rows;
    this.#start = 0;
  }
}
