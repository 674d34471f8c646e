/**
 * The built pages (web/dist): the landing page, the console, the family page and the call page (for
 * any consultation path), and their assets. Security headers come from web/edge.ts (helmet).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { App } from '../edge.ts';

export const DIST_DIR = join(import.meta.dirname, '..', 'dist');

export async function pageRoutes(app: App, dist = DIST_DIR): Promise<void> {
  if (!existsSync(join(dist, 'call.html')))
    throw new Error(`the pages are not built (${dist}); run: npm run build:web`);
  await app.register(fastifyStatic, { root: dist, index: false, wildcard: true, dotfiles: 'deny' });
  const page = (url: string, file: string) =>
    app.get(url, { config: { access: 'public' } }, (_request, reply) => reply.sendFile(file));
  page('/', 'index.html');
  page('/console', 'console.html');
  page('/family', 'family.html');
  page('/call/:roomId', 'call.html');
}
