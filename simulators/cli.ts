/**
 * `npm run simulate -- --watches 1000 --rate 1 --seed 7 --scenario fall`: runs simulated watches
 * against the broker, with a progress line and a summary at the end.
 */
import { spawnSync } from 'node:child_process';
import { SingleBar, Presets } from 'cli-progress';
import { readCohort } from '../common/cohort.ts';
import { Fleet, type FleetStats } from './fleet.ts';
import { parseOptions, USAGE } from './options.ts';

const parsed = parseOptions(process.argv.slice(2));
if (!parsed.ok) {
  process.stderr.write(`${parsed.problems.join('\n')}\n\n${USAGE}\n`);
  process.exit(2);
}
const o = parsed.options;
if (o.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

let cohort = await readCohort(o.cohort);
if (!cohort || cohort.watches.length < o.watches) {
  const args = ['--import', 'tsx', 'web/provision-cli.ts', 'cohort', '--count', String(o.watches), '--out', o.cohort];
  process.stderr.write(`cohort ${o.cohort} has ${cohort?.watches.length ?? 0} watches; provisioning ${o.watches}\n`);
  const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
  cohort = await readCohort(o.cohort);
  if (r.status !== 0 || !cohort || cohort.watches.length < o.watches) {
    process.stderr.write(
      `could not provision the watches; run: npm run provision -- cohort --count ${o.watches} --out ${o.cohort}\n`,
    );
    process.exit(1);
  }
}

const started = Date.now();
const fleet = new Fleet({
  brokerUrl: o.broker,
  watches: cohort.watches.slice(0, o.watches),
  rate: o.rate,
  qos: o.qos,
  seed: o.seed,
  scenario: o.scenario,
  affected: o.affected,
  atSec: o.at,
  offlineMinutes: o.offlineMinutes,
  connectRate: o.connectRate,
  batchSeconds: o.batchSeconds,
});
process.stderr.write(
  `${o.watches} watches -> ${o.broker}, ${o.rate}/s each, ` +
    (o.batchSeconds > 0 ? `uploaded every ${o.batchSeconds} s` : 'one message per reading') +
    `, seed ${o.seed}, scenario ${o.scenario}` +
    (o.scenario === 'normal' ? '' : ` on ${o.affected} watch(es) at +${o.at} s`) +
    '\n',
);

const rateOf = (() => {
  let last = { at: started, sent: 0 };
  return (s: FleetStats) => {
    const now = Date.now();
    const r = ((s.sent - last.sent) * 1000) / Math.max(1, now - last.at);
    last = { at: now, sent: s.sent };
    return Math.round(r);
  };
})();
const bar = process.stderr.isTTY
  ? new SingleBar(
      {
        format: 'connected {bar} {value}/{total} | sent {sent} | acked {acked} | rejected {rejected} | {rate} msg/s',
        hideCursor: true,
      },
      Presets.shades_classic,
    )
  : undefined;
bar?.start(o.watches, 0, { sent: 0, acked: 0, rejected: 0, rate: 0 });
const progress = setInterval(
  () => {
    const s = fleet.stats();
    const fields = { sent: s.sent, acked: s.acknowledged, rejected: s.rejected, rate: rateOf(s) };
    if (bar) bar.update(s.connected, fields);
    else
      process.stderr.write(
        `connected ${s.connected}/${o.watches} | sent ${s.sent} | acked ${s.acknowledged} | rejected ${s.rejected} | ${fields.rate} msg/s\n`,
      );
  },
  bar ? 500 : 5_000,
);

let finishing = false;
async function finish(): Promise<void> {
  if (finishing) return;
  finishing = true;
  clearInterval(progress);
  bar?.stop();
  const before = fleet.stats();
  await fleet.stop();
  const s = fleet.stats();
  const seconds = (Date.now() - started) / 1000;
  const lines = [
    '',
    'summary',
    `  watches       ${s.watches} (${before.connected} connected at the end)`,
    `  duration      ${seconds.toFixed(1)} s`,
    `  sent          ${s.sent} messages, ${s.readings} readings`,
    `  acknowledged  ${s.acknowledged}${o.qos === 0 ? ' (readings at QoS 0 are not acknowledged; events are)' : ''}`,
    `  rejected      ${s.rejected}${
      Object.keys(s.rejections).length
        ? ` (${Object.entries(s.rejections)
            .map(([k, v]) => `${k}: ${v}`)
            .join(', ')})`
        : ''
    }`,
    `  connection failures ${Object.values(s.connectFailures).reduce((a, b) => a + b, 0)}${
      Object.keys(s.connectFailures).length
        ? ` (${Object.entries(s.connectFailures)
            .map(([k, v]) => `${k}: ${v}`)
            .join(', ')})`
        : ''
    }`,
  ];
  const code = s.sent === 0 && before.connected === 0 ? 1 : 0;
  // Exit once the summary is flushed: stdout is asynchronous when it is a pipe (the demo's log file).
  process.stdout.write(`${lines.join('\n')}\n`, () => process.exit(code));
}
process.once('SIGINT', () => void finish());
process.once('SIGTERM', () => void finish());
if (o.duration !== null) setTimeout(() => void finish(), o.duration * 1000);
