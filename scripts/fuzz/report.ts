/** The fuzz run as Markdown (printed, and written to docs/security/fuzz-latest.md by `npm run fuzz`). */
import { availableParallelism, cpus, totalmem } from 'node:os';
import { CHECK_TITLES, CHECKS } from './checks.ts';
import { HTTP_CATEGORIES } from './inputs/http.ts';
import { LIVE_CATEGORIES } from './inputs/live.ts';
import { MQTT_TCP_CATEGORIES, MQTT_WS_CATEGORIES } from './inputs/mqtt.ts';
import { SIGNAL_CATEGORIES } from './inputs/signal.ts';
import { LISTENER_TITLES, type CategoryDescriptions, type Listener } from './model.ts';
import type { FuzzResult, ListenerStats } from './run.ts';
import type { Watched } from './suite.ts';

const CATEGORIES: Readonly<Record<Listener, CategoryDescriptions>> = {
  http: HTTP_CATEGORIES,
  live: LIVE_CATEGORIES,
  relay: MQTT_WS_CATEGORIES,
  signal: SIGNAL_CATEGORIES,
  mqtt: MQTT_TCP_CATEGORIES,
  'mqtt-ws': MQTT_WS_CATEGORIES,
};

const PROCESSES: readonly Watched[] = ['broker', 'ingest', 'sfu', 'mediasoup workers', 'web', 'influxd'];

const counts = (c: Record<string, number>) =>
  Object.entries(c)
    .sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))
    .map(([k, n]) => `${k}: ${n.toLocaleString('en')}`)
    .join(', ') || '—';

const n = (x: number) => x.toLocaleString('en');
const mib = (x: number | undefined) => (x === undefined ? '—' : `${Math.round(x)} MiB`);

function listenerRow(l: Listener, s: ListenerStats): string {
  const answers = l === 'http' ? counts(s.statuses) : `upgrade ${counts(s.statuses)}`;
  const extra = [
    Object.keys(s.closeCodes).length ? `close codes ${counts(s.closeCodes)}` : '',
    Object.keys(s.connacks).length ? `CONNACK ${counts(s.connacks)}` : '',
  ]
    .filter(Boolean)
    .join('; ');
  return `| ${LISTENER_TITLES[l]} | ${n(s.inputs)} | ${n(s.closedByServer)} | ${n(s.cutAtDeadline)} | ${counts(s.connectErrors)} | ${answers}${extra ? `; ${extra}` : ''} |`;
}

export function renderReport(r: FuzzResult, reproduce: string): string {
  const lines: string[] = [];
  const failedChecks = CHECKS.filter((c) => r.checks[c].failed > 0);
  lines.push('# Fuzz run: hostile input against every listener of the running suite', '');
  lines.push(
    `Seed **${r.seed}**, inputs #${n(r.first)} to #${n(r.first + r.requested - 1)} (${n(r.sent)} sent), ${r.startedAt.slice(0, 19).replace('T', ' ')} UTC, ${n(r.durationSeconds)} s, ${r.concurrency} connections at a time, legitimate clients checked every ${n(r.batchSize)} inputs (${r.rounds} rounds). Machine: ${availableParallelism()} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB.`,
    '',
  );
  lines.push(
    `**Result: ${r.ok ? 'every process kept running and every legitimate client was served after every batch.' : 'FAILED (see below).'}**`,
    '',
  );
  lines.push(`Reproduce: \`${reproduce}\``, '');
  lines.push(
    'The suite runs as `npm run demo` starts it (InfluxDB over https with credentials, broker, ingest, SFU, web, each its own process on free loopback ports). Hostile inputs come from loopback addresses 127.66.0.1-4 (a few busy clients, which hit the per-client limits) and 127.77.0.1-127.77.63.64 (4,096 clients); the legitimate clients from 127.0.0.1 only. One input is one connection (one HTTP request, one WebSocket, one MQTT session), always closed by the tool within its bounded waits. Input n of a seed is the same bytes in every run (WebSocket masks, signed tokens and session cookies aside), so `--first n --inputs 1` replays it alone.',
    '',
  );

  lines.push('## Per listener', '');
  lines.push(
    '| listener | inputs | closed by the server | cut by the tool at 15 s | connect errors | answers |',
    '| --- | ---: | ---: | ---: | --- | --- |',
  );
  for (const l of r.listeners) if (r.stats[l]) lines.push(listenerRow(l, r.stats[l]));
  lines.push(
    '',
    '"Closed by the server": the server ended the connection before the tool gave up waiting (an HTTP answer with `Connection: close` counts; a refused upgrade too). For HTTP, the answers are the status codes; for WebSockets, the upgrade statuses (0: no HTTP answer before the connection ended), then the close codes the server sent; for MQTT, the CONNACK return codes.',
    '',
  );

  lines.push('## Processes', '');
  lines.push(
    '| process | ended during the run | how it ended when stopped | memory (RSS) before | after |',
    '| --- | --- | --- | ---: | ---: |',
  );
  for (const p of PROCESSES) {
    const stopped = p === 'mediasoup workers' || p === 'influxd' ? '—' : (r.exitCodes[p] ?? '—');
    lines.push(`| ${p} | ${r.exits[p] ?? 'no'} | ${stopped} | ${mib(r.memoryBefore[p])} | ${mib(r.memoryAfter[p])} |`);
  }
  lines.push('');
  if (r.crash) {
    lines.push(`**${r.crash.process} ended.** Inputs in flight then:`, '');
    for (const i of r.crash.inFlight) lines.push(`- ${i}`);
    lines.push('', 'The last inputs completed before it:', '', ...r.crash.recent.slice(-16).map((i) => `- ${i}`), '');
  }
  const errors = Object.entries(r.errorLogs).filter(([, e]) => e.count > 0);
  if (errors.length) {
    lines.push('Lines logged at level error or fatal (or stack traces) during the run:', '');
    for (const [name, e] of errors)
      lines.push(`- ${name}: ${n(e.count)} (${e.messages.map((m) => `\`${m.replace(/`/g, "'")}\``).join(', ')})`);
    lines.push('');
  }

  lines.push('## Legitimate clients', '');
  lines.push('| check | passed | failed |', '| --- | ---: | ---: |');
  for (const c of CHECKS) lines.push(`| ${CHECK_TITLES[c]} | ${r.checks[c].passed} | ${r.checks[c].failed} |`);
  lines.push('');
  for (const c of failedChecks) {
    lines.push(`Failures of "${c}":`, '', ...r.checks[c].failures.map((f) => `- ${f}`), '');
  }
  if (r.violations.count)
    lines.push(
      `## Answers that broke a promise (${n(r.violations.count)})`,
      '',
      ...r.violations.first.map((v) => `- ${v}`),
      '',
    );
  if (r.toolErrors.length)
    lines.push('## Errors of the tool itself', '', ...r.toolErrors.map((e) => `- ${e.split('\n')[0]}`), '');

  lines.push('## What was thrown', '');
  for (const l of r.listeners) {
    const s = r.stats[l];
    if (!s) continue;
    lines.push(
      `### ${LISTENER_TITLES[l]}`,
      '',
      '| category | inputs | closed by the server | what |',
      '| --- | ---: | ---: | --- |',
    );
    for (const [cat, what] of Object.entries(CATEGORIES[l])) {
      const c = s.byCategory[cat];
      if (c) lines.push(`| ${cat} | ${n(c.inputs)} | ${n(c.closedByServer)} | ${what} |`);
    }
    lines.push('');
  }
  if (r.dataDir) lines.push(`Data and logs kept in \`${r.dataDir}\`.`, '');
  return lines.join('\n');
}
