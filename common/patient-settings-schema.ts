/**
 * What a clinician may set for one patient's alerts (web/patient-settings.ts stores it). Apart from
 * the store so that the pages can share it without loading SQLite.
 */
import { z } from 'zod';

const sustain = z.union([
  z.strictObject({ seconds: z.number().int().min(1).max(3600) }),
  z.strictObject({ readings: z.number().int().min(1).max(20) }),
]);

export const thresholdOverrideSchema = z.strictObject({
  limit: z.number().finite().optional(),
  hysteresis: z.number().finite().min(0).optional(),
  sustain: sustain.optional(),
  priority: z.enum(['high', 'medium', 'low']).optional(),
  enabled: z.boolean().optional(),
});

export const patientSettingsSchema = z.strictObject({
  thresholds: z.record(z.string().regex(/^[a-z0-9-]{1,40}$/, 'a rule id'), thresholdOverrideSchema).default({}),
  spo2Scale: z.union([z.literal(1), z.literal(2)]).default(1),
  onOxygen: z.boolean().default(false),
  /** Time to say "I'm OK" after a fall: long enough to answer, short enough to matter. */
  fallWindowSeconds: z.number().int().min(15).max(300).optional(),
  staleAfterMinutes: z
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .optional(),
  offlineAfterMinutes: z
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .optional(),
  lowBatteryPercent: z.number().int().min(5).max(50).optional(),
});
export type PatientSettings = z.infer<typeof patientSettingsSchema>;
