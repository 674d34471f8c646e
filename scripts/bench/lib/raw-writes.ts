/**
 * Raw line protocol into an influxd: the limit the ingest benchmarks measure against. The same points
 * as the watches' readings, `batchSize` lines a request, two HTTP writers (one per core) over the same
 * https and credentials as the ingest's writes.
 */
import type { Influxd } from '../../../common/influxd.ts';
import { seriesKey, vitalsLine } from '../../../ingest/line-protocol.ts';
import { UsageSampler } from './processes.ts';

export class RawWrites {
  readonly #influxd: Influxd;
  readonly #keys: string[];
  readonly #batchSize: number;
  /** Distinct seqs across rounds. */
  #seq = 0;

  constructor(influxd: Influxd, watches: ReadonlyArray<{ deviceId: string; patientId: string }>, batchSize: number) {
    this.#influxd = influxd;
    this.#keys = watches.map((w) => seriesKey('vitals', { device: w.deviceId, patient: w.patientId }));
    this.#batchSize = batchSize;
  }

  /** Makes the database `raw`, which the rounds write to. */
  async prepare(): Promise<void> {
    await this.#influxd.request(`/query?q=${encodeURIComponent('CREATE DATABASE raw')}`, { method: 'POST' });
  }

  /** Writes for `seconds`: points/s, and the mean CPU of influxd and of this process (`bench`). */
  async round(seconds: number): Promise<{ pointsPerSec: number; cpu: Record<string, number> }> {
    const sampler = new UsageSampler({ influxd: this.#influxd.pid! }, 1000);
    let points = 0;
    const start = Date.now();
    const writer = async () => {
      while (Date.now() - start < seconds * 1000) {
        const body: string[] = [];
        const now = Date.now();
        while (body.length < this.#batchSize) {
          const seq = (this.#seq += 1);
          const s = {
            ts: now - (seq % 600) * 1000,
            seq,
            hr: 60 + (seq % 30),
            spo2: 94 + (seq % 5),
            temp: 36 + (seq % 10) / 10,
            battery: 80 - (seq % 50),
          };
          body.push(vitalsLine(this.#keys[seq % this.#keys.length]!, s, false));
        }
        const res = await this.#influxd.request('/write?db=raw&precision=n', { method: 'POST', body: body.join('\n') });
        if (res.status !== 204) throw new Error(`raw write refused: ${res.status} ${res.body}`);
        points += body.length;
      }
    };
    await Promise.all([writer(), writer()]);
    const usage = sampler.stop();
    return {
      pointsPerSec: Math.round(points / ((Date.now() - start) / 1000)),
      cpu: Object.fromEntries(Object.entries(usage).map(([k, u]) => [k, u.cpuMeanPercent])),
    };
  }
}
