/**
 * `node --import tsx scripts/bench/long-tasks.ts <file.cpuprofile> [minMs] [top]`: the long tasks of a
 * CPU profile (as written under BENCH_PROFILE_DIR): runs of busy samples with no idle one between
 * them, which hold the event loop (an alarm that comes then waits for the end of the task). Prints
 * each task over `minMs` (default 100) with its start in seconds into the profile, then where the time
 * of all of them went: self time by function, and the functions of our own code on the stack
 * (inclusive time), each with its share.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const Profile = z.object({
  nodes: z.array(
    z.object({
      id: z.number(),
      callFrame: z.object({ functionName: z.string(), url: z.string(), lineNumber: z.number() }),
      children: z.array(z.number()).optional(),
    }),
  ),
  samples: z.array(z.number()),
  timeDeltas: z.array(z.number()),
});

const [file, minArg, topArg] = process.argv.slice(2);
if (!file) throw new TypeError('usage: long-tasks.ts <file.cpuprofile> [minMs] [top]');
const minMs = Number(minArg ?? 100);
const top = Number(topArg ?? 25);
const profile = Profile.parse(JSON.parse(readFileSync(file, 'utf8')));

const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const frame = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
const shorten = (url: string) =>
  url
    .replace(/^file:\/\//, '')
    .replace(/^.*\/node_modules\//, '~/')
    .replace(/^.*?\/(broker|ingest|web|common|devices|simulators|scripts)\//, '$1/');
const label = (id: number) => {
  const f = frame.get(id)!;
  return `${f.functionName || '(anonymous)'} ${shorten(f.url)}:${f.lineNumber + 1}`;
};
const ours = (id: number) => {
  const url = frame.get(id)!.url;
  return url !== '' && !url.includes('/node_modules/') && !url.startsWith('node:');
};
const idle = (id: number) => frame.get(id)!.functionName === '(idle)';

interface Task {
  readonly startMs: number;
  durationMs: number;
  readonly samples: number[];
}
const tasks: Task[] = [];
let at = 0;
let current: Task | undefined;
profile.samples.forEach((id, i) => {
  const delta = (profile.timeDeltas[i] ?? 0) / 1000;
  at += delta;
  if (idle(id)) {
    current = undefined;
    return;
  }
  if (!current) {
    current = { startMs: at, durationMs: 0, samples: [] };
    tasks.push(current);
  }
  current.durationMs += profile.timeDeltas[i + 1] !== undefined ? (profile.timeDeltas[i + 1] ?? 0) / 1000 : 0;
  current.samples.push(id);
});

const long = tasks.filter((t) => t.durationMs >= minMs);
const busy = tasks.reduce((a, t) => a + t.durationMs, 0);
process.stdout.write(
  `${tasks.length} tasks, ${Math.round(busy)} ms busy over ${Math.round(at / 1000)} s; ${long.length} of ${minMs} ms or more (${Math.round(long.reduce((a, t) => a + t.durationMs, 0))} ms):\n`,
);
process.stdout.write(
  long.map((t) => `  at ${(t.startMs / 1000).toFixed(1)} s: ${Math.round(t.durationMs)} ms`).join('\n') + '\n',
);

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
let n = 0;
for (const t of long)
  for (const id of t.samples) {
    n += 1;
    self.set(label(id), (self.get(label(id)) ?? 0) + 1);
    const seen = new Set<string>();
    for (let node: number | undefined = id; node !== undefined; node = parent.get(node))
      if (ours(node)) seen.add(label(node));
    for (const l of seen) inclusive.set(l, (inclusive.get(l) ?? 0) + 1);
  }
const show = (title: string, m: Map<string, number>) => {
  process.stdout.write(`\n${title}\n`);
  for (const [l, c] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top))
    process.stdout.write(`  ${((100 * c) / Math.max(1, n)).toFixed(1).padStart(5)} %  ${l}\n`);
};
show('self time in the long tasks', self);
show('our functions on the stack in the long tasks (inclusive)', inclusive);
