import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import fastifyStatic from '@fastify/static';
import { afterAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { installEdge } from './http.ts';

describe('installEdge', () => {
  const root = mkdtempSync(join(tmpdir(), 'vigie-http-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('answers what the static files refuse with a 4xx, never a 500: dotfiles and traversal 404, a Range past the end 400', async () => {
    writeFileSync(join(root, 'page.html'), '<p>ok</p>');
    writeFileSync(join(root, '.env'), 'SECRET=1');
    const app = Fastify();
    const refusals: string[] = [];
    installEdge(app, { logger: pino({ level: 'silent' }), onRefusal: (code) => refusals.push(code) });
    await app.register(fastifyStatic, { root, index: false, wildcard: true, dotfiles: 'deny' });
    try {
      expect((await app.inject({ url: '/page.html' })).statusCode).toBe(200);
      for (const url of ['/.env', '/x%00.html', '/..%2f..%2fetc%2fpasswd']) {
        const res = await app.inject({ url });
        expect([url, res.statusCode, res.json()]).toEqual([
          url,
          404,
          { error: expect.objectContaining({ code: 'not_found' }) },
        ]);
      }
      const range = await app.inject({ url: '/page.html', headers: { range: 'bytes=999999-' } });
      expect([range.statusCode, range.json()]).toEqual([
        400,
        { error: expect.objectContaining({ code: 'invalid_request' }) },
      ]);
      expect(refusals).not.toContain('internal');
    } finally {
      await app.close();
    }
  });
});
