/**
 * `npm run fuzz [-- --seed 1 --inputs 100000 --listeners http,live,relay,signal,mqtt,mqtt-ws]`:
 * starts the whole suite, throws hostile inputs generated from the seed at every listener, checks
 * after every batch that each process still serves legitimate clients, prints the report and writes
 * it to docs/security/fuzz-latest.md. Exits 1 if a process ended or a legitimate check failed.
 *
 * `--first N --inputs M` replays inputs N to N+M-1 of the seed alone (e.g. the input a crash names).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { LISTENERS } from './model.ts';
import { renderReport } from './report.ts';
import { runFuzz } from './run.ts';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    inputs: { type: 'string', default: '100000' },
    first: { type: 'string', default: '0' },
    listeners: { type: 'string', default: LISTENERS.join(',') },
    concurrency: { type: 'string', default: '48' },
    'batch-size': { type: 'string' },
    out: { type: 'string', default: resolve(import.meta.dirname, '../../docs/security/fuzz-latest.md') },
    'keep-data': { type: 'boolean', default: false },
  },
});

const count = (min: number) => z.coerce.number().int().min(min);
const args = z
  .object({
    seed: count(0),
    inputs: count(1),
    first: count(0),
    listeners: z
      .string()
      .transform((s) => s.split(',').filter(Boolean))
      .pipe(z.array(z.enum(LISTENERS)).min(1)),
    concurrency: count(1).max(256),
    'batch-size': count(1).optional(),
    out: z.string(),
    'keep-data': z.boolean(),
  })
  .safeParse(values);
if (!args.success) {
  process.stderr.write(
    `npm run fuzz: ${args.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; ')}\n`,
  );
  process.exit(2);
}
const a = args.data;

// Ctrl-C: exit normally, so that the suite's processes are stopped with this one (suite.ts).
process.once('SIGINT', () => process.exit(130));

const result = await runFuzz({
  seed: a.seed,
  inputs: a.inputs,
  first: a.first,
  listeners: a.listeners,
  concurrency: a.concurrency,
  ...(a['batch-size'] ? { batchSize: a['batch-size'] } : {}),
  keepData: a['keep-data'],
  progress: (line) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`),
});
const options = [
  `--seed ${a.seed}`,
  `--inputs ${a.inputs}`,
  ...(a.first ? [`--first ${a.first}`] : []),
  ...(a.listeners.length < LISTENERS.length ? [`--listeners ${a.listeners.join(',')}`] : []),
  ...(a.concurrency !== 48 ? [`--concurrency ${a.concurrency}`] : []),
];
const md = renderReport(result, `npm run fuzz -- ${options.join(' ')}`);
mkdirSync(dirname(a.out), { recursive: true });
writeFileSync(a.out, `${md}\n`);
process.stdout.write(`\n${md}\nwritten to ${a.out}\n`);
process.exit(result.ok ? 0 : 1);
