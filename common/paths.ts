/** Where Vigie keeps its local state (registry, broker persistence, ingest buffer, InfluxDB in demo mode). */
import { join, resolve } from 'node:path';

export function dataDir(env: Record<string, string | undefined> = process.env): string {
  return resolve(env.VIGIE_DATA_DIR ?? '.data');
}

export function registryPath(dir: string): string {
  return join(dir, 'registry.db');
}

/** Where the web service writes FHIR Bulk Data export files (web/fhir/export-jobs.ts). */
export function exportsPath(dir: string): string {
  return join(dir, 'exports');
}
