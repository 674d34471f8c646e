/**
 * The cohort file: provisioned watches with their secrets, for demos, tests and load runs (written by
 * `npm run provision -- cohort`, mode 0600; never for real patients' devices).
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';

export const cohortSchema = z.object({
  version: z.literal(1),
  watches: z.array(z.object({ deviceId: z.string(), patientId: z.string(), secret: z.string() })),
});
export type Cohort = z.infer<typeof cohortSchema>;
export type CohortWatch = Cohort['watches'][number];

/** Reads a cohort file; null if it does not exist; throws with the reason if it is not one. */
export async function readCohort(path: string): Promise<Cohort | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return null;
    throw error;
  }
  const r = cohortSchema.safeParse(JSON.parse(text));
  if (!r.success) throw new Error(`${path} is not a cohort file: ${r.error.issues[0]?.message ?? 'invalid'}`);
  return r.data;
}
