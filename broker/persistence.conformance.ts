/**
 * aedes-persistence's own conformance suite (abstract.js, node:test) run against DurablePersistence,
 * each instance on a fresh SQLite file. Run by persistence.test.ts (`node --test`).
 */
import { test } from 'node:test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import abstractPersistence from 'aedes-persistence/abstract.js';
import { DurablePersistence } from './persistence.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigie-persistence-'));
let n = 0;
abstractPersistence({ test, persistence: () => new DurablePersistence(join(dir, `${(n += 1)}.db`)), testAsync: true });
