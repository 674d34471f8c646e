/**
 * The project-managed InfluxDB answers no web page: influxd 1.x echoes any Origin in
 * Access-Control-Allow-Origin, so a page on another origin (any site a person visits) could otherwise
 * read it. In real headless Chromium, a page served from another loopback port fetches it and gets
 * nothing, and nothing reaches influxd's HTTP handler; Node, trusting its certificate, is served.
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startInfluxd, type Influxd } from '../common/influxd.ts';
import { createInflux } from '../ingest/influx-client.ts';
import { launchBrowser } from './support/browser.ts';

let influxd: Influxd;
let dir: string;
let site: Server;
let siteUrl: string;
let browser: Browser;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vigie-influxd-origin-'));
  influxd = await startInfluxd({ dir });
  // Another origin: a page on its own loopback port, with an endpoint of its own as a control.
  site = createServer((req, res) => {
    if (req.url === '/own') res.writeHead(200, { 'content-type': 'text/plain' }).end('own');
    else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>elsewhere</title>');
  });
  site.listen(0, '127.0.0.1');
  await once(site, 'listening');
  siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  browser = await launchBrowser({ media: 'absent' });
});
afterAll(async () => {
  await browser?.close();
  site?.close();
  await influxd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const httpdStats = z.object({ values: z.object({ pingReq: z.number(), queryReq: z.number(), writeReq: z.number() }) });
/** influxd's own count of the requests its HTTP handler served (expvar). */
async function served(): Promise<{ pingReq: number; queryReq: number; writeReq: number }> {
  const vars = z.record(z.string(), z.unknown()).parse(JSON.parse((await influxd.request('/debug/vars')).body));
  return httpdStats.parse(vars[`httpd:127.0.0.1:${influxd.port}`]).values;
}

describe('the project-managed InfluxDB seen from a web page', () => {
  it('answers no fetch from a page of another origin, and serves Node with its certificate', async () => {
    const page = await browser.newPage();
    const failures: string[] = [];
    page.on('requestfailed', (r) => failures.push(`${r.url()} ${r.failure()?.errorText ?? ''}`));
    await page.goto(siteUrl);
    const before = await served();

    const https = influxd.url;
    const plain = https.replace('https://', 'http://');
    const outcomes = await page.evaluate(
      async (urls) =>
        Promise.all(
          urls.map(([url, init]) =>
            fetch(url, init).then(
              async (res) => `answered ${res.status} ${await res.text()}`,
              (error: unknown) => `failed: ${String(error)}`,
            ),
          ),
        ),
      [
        ['/own', {}],
        [`${https}/ping`, {}],
        [`${https}/query?q=SHOW%20DATABASES`, { headers: { authorization: 'Basic dmlnaWU6Z3Vlc3M=' } }],
        [`${https}/write?db=vigie`, { method: 'POST', mode: 'no-cors', body: 'vitals,device=w hr=1' }],
        [`${plain}/ping`, {}],
      ] satisfies Array<[string, RequestInit]>,
    );
    expect(outcomes[0]).toBe('answered 200 own'); // the page can fetch, its own origin
    for (const outcome of outcomes.slice(1)) expect(outcome).toMatch(/^failed: TypeError: Failed to fetch/);
    // Refused at the TLS handshake: the certificate is no one's a browser trusts.
    expect(failures.filter((f) => f.startsWith(https))).toEqual([
      expect.stringContaining('ERR_CERT_AUTHORITY_INVALID'),
      expect.stringContaining('ERR_CERT_AUTHORITY_INVALID'),
      expect.stringContaining('ERR_CERT_AUTHORITY_INVALID'),
    ]);

    // Node, trusting that certificate, is served; the counters below count it and nothing else.
    expect(await createInflux(https, influxd.access).getDatabaseNames()).toEqual([]);
    const after = await served();
    expect(after.pingReq - before.pingReq).toBe(0);
    expect(after.writeReq - before.writeReq).toBe(0);
    expect(after.queryReq - before.queryReq).toBe(1);
  });
});
