/**
 * The fleet run as a picture: readings acknowledged and stored per second, where readings wait, CPU
 * and memory of every process over time,
 * drawn with uPlot (the console's charting library) in headless Chromium and saved as a PNG.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

export interface ChartPoint {
  readonly t: number;
  readonly ackedPerSec: number;
  /** null where the figure could not be read (a service that did not answer). */
  readonly storedPerSec: number | null;
  readonly ingestQueue: number | null;
  readonly brokerQueued: number | null;
  readonly usage: Record<string, { cpuPercent: number; rssMiB: number }>;
}

const COLOURS = ['#1f5fa8', '#c0392b', '#1e8449', '#b9770e', '#6c3483', '#d81b60', '#5d6d7e'];

export async function renderChart(path: string, series: readonly ChartPoint[]): Promise<void> {
  const require = createRequire(import.meta.url);
  const uplotJs = readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
  const uplotCss = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
  const names = [...new Set(series.flatMap((s) => Object.keys(s.usage)))];
  const t = series.map((s) => s.t);
  const charts = [
    {
      title: 'Readings acknowledged to the watches, and written to InfluxDB, per second (a batch of ten counts ten)',
      unit: 'readings/s',
      lines: [
        { label: 'acknowledged', values: series.map((s) => s.ackedPerSec) },
        { label: 'written to InfluxDB', values: series.map((s) => s.storedPerSec) },
      ],
    },
    {
      title: 'Waiting to be stored: points on disk in the ingest, messages in the broker for the services',
      unit: 'waiting',
      lines: [
        { label: "ingest's queue (points)", values: series.map((s) => s.ingestQueue) },
        {
          label: "broker's sessions (messages; an upload of ten readings is one)",
          values: series.map((s) => s.brokerQueued),
        },
      ],
    },
    {
      title: 'CPU (% of one core)',
      unit: '%',
      lines: names.map((n) => ({
        label: n === 'bench' ? 'load generator' : n,
        values: series.map((s) => s.usage[n]?.cpuPercent ?? null),
      })),
    },
    {
      title: 'Resident memory (MiB)',
      unit: 'MiB',
      lines: names.map((n) => ({
        label: n === 'bench' ? 'load generator' : n,
        values: series.map((s) => s.usage[n]?.rssMiB ?? null),
      })),
    },
  ];
  const html = `<!doctype html><html><head><meta charset="utf-8"><style>${uplotCss} body{font-family:sans-serif;margin:16px;background:#fff} h2{font-size:16px;margin:12px 0 4px}</style></head>
<body><div id="root"></div><script>${uplotJs}</script><script>
const t = ${JSON.stringify(t)}; const charts = ${JSON.stringify(charts)}; const colours = ${JSON.stringify(COLOURS)};
for (const c of charts) {
  const h = document.createElement('h2'); h.textContent = c.title; document.getElementById('root').append(h);
  const div = document.createElement('div'); document.getElementById('root').append(div);
  // A picture has no cursor: the legend names the lines (no values, no x series).
  new uPlot({ width: 1100, height: 260, scales: { x: { time: false } }, legend: { live: false },
    axes: [{ label: 'seconds into the run' }, { label: c.unit, size: 70 }],
    series: [{ label: 's' }, ...c.lines.map((l, i) => ({ label: l.label, stroke: colours[i % colours.length], width: 2 }))] },
    [t, ...c.lines.map((l) => l.values)], div);
}
document.body.dataset.ready = '1';
</script></body></html>`;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1140, height: 1300 } });
    await page.setContent(html);
    await page.waitForSelector('body[data-ready="1"]');
    await page.screenshot({ path, fullPage: true });
  } finally {
    await browser.close();
  }
}
