/**
 * A seeded sample of `npm run fuzz` (scripts/fuzz): the same tool, 3,000 hostile inputs from seed 1
 * over every listener of the suite running as real processes (InfluxDB, broker, ingest, SFU, web),
 * the FHIR API's routes included (each of its answers must be a 4xx OperationOutcome or a read's 2xx).
 * No process may end, and after every batch every legitimate client must be served: the web API and
 * pages, a sign-in, the live channel, a teleconsultation, a watch's fall stored as an alert, a device
 * over the broker's WebSocket and a gateway through the web relay. The full run writes
 * docs/security/fuzz-latest.md.
 */
import { describe, expect, it } from 'vitest';
import { CHECKS } from '../scripts/fuzz/checks.ts';
import { LISTENERS } from '../scripts/fuzz/model.ts';
import { runFuzz } from '../scripts/fuzz/run.ts';

describe('npm run fuzz, seeded sample', () => {
  it('3,000 hostile inputs over every listener: no process ends, every legitimate client is served', async () => {
    const r = await runFuzz({ seed: 1, inputs: 3000, batchSize: 1000 });
    const failures = Object.fromEntries(CHECKS.map((c) => [c, r.checks[c].failures]));
    expect({ exits: r.exits, crash: r.crash, toolErrors: r.toolErrors, violations: r.violations, failures }).toEqual({
      exits: {},
      crash: undefined,
      toolErrors: [],
      violations: { count: 0, first: [] },
      failures: Object.fromEntries(CHECKS.map((c) => [c, []])),
    });
    expect(r.exitCodes).toEqual({ web: 'code 0', sfu: 'code 0', ingest: 'code 0', broker: 'code 0' });
    expect(r.rounds).toBe(4);
    for (const listener of LISTENERS) expect(r.stats[listener].inputs, listener).toBeGreaterThan(200);
    expect(r.sent).toBe(3000);
    // The FHIR API is thrown at too: every answer a 2xx to a read or a 4xx OperationOutcome (r.violations).
    expect(r.stats.http.byCategory.fhir?.inputs).toBeGreaterThan(40);
    // An unexpected error is a bug even when the process survives it.
    expect(r.stats.http.statuses['500'] ?? 0).toBe(0);
  }, 600_000);
});
