/** A tiny HTTP server for /healthz and Prometheus /metrics (with the process's own runtime figures). */
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import type { Registry } from 'prom-client';
import { collectRuntimeMetrics } from './runtime-metrics.ts';

export async function serveMetrics(
  registry: Registry,
  host: string,
  port: number,
  healthy: () => boolean,
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    if (req.url === '/healthz')
      return void res.writeHead(healthy() ? 200 : 503).end(healthy() ? 'ok\n' : 'unhealthy\n');
    if (req.url !== '/metrics') return void res.writeHead(404).end();
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      () => res.writeHead(500).end(),
    );
  });
  const stopRuntime = collectRuntimeMetrics(registry);
  server.once('close', stopRuntime);
  server.listen(port, host);
  await once(server, 'listening');
  const address = server.address();
  return { server, port: address && typeof address !== 'string' ? address.port : port };
}
