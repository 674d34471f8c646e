/**
 * `node --import tsx scripts/bench/profile-summary.ts <file.cpuprofile> [top]`: where a CPU profile
 * (as written under BENCH_PROFILE_DIR) spends its time, as self time summed by function and by file,
 * with each one's share of the samples.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const Profile = z.object({
  nodes: z.array(
    z.object({
      id: z.number(),
      callFrame: z.object({ functionName: z.string(), url: z.string(), lineNumber: z.number() }),
    }),
  ),
  samples: z.array(z.number()),
});

const [file, topArg] = process.argv.slice(2);
if (!file) throw new TypeError('usage: profile-summary.ts <file.cpuprofile> [top]');
const top = Number(topArg ?? 30);
const profile = Profile.parse(JSON.parse(readFileSync(file, 'utf8')));
const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
const byFunction = new Map<string, number>();
let idle = 0;
const byFile = new Map<string, number>();
const shorten = (url: string) =>
  url
    .replace(/^file:\/\//, '')
    .replace(/^.*\/node_modules\//, '~/')
    .replace(/^\/work\/[^/]+\//, '') || '(native)';
for (const id of profile.samples) {
  const frame = byId.get(id);
  if (!frame) continue;
  if (frame.functionName === '(idle)') {
    idle += 1;
    continue;
  }
  const where = shorten(frame.url);
  const name = `${frame.functionName || '(anonymous)'} ${where}:${frame.lineNumber + 1}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + 1);
  byFile.set(where, (byFile.get(where) ?? 0) + 1);
}
// Shares of the time the process was busy: a bench's broker idles while the others are measured.
const total = profile.samples.length - idle;
const print = (title: string, m: Map<string, number>) => {
  process.stdout.write(`\n${title} (${total} busy samples, ${idle} idle not counted)\n`);
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top))
    process.stdout.write(`${((v / total) * 100).toFixed(1).padStart(5)} %  ${k}\n`);
};
print('self time by file', byFile);
print('self time by function', byFunction);
