import { describe, expect, it } from 'vitest';
import { request } from 'node:https';
import { Agent } from 'node:https';
import { isPublicAddress, publicOnlyLookup, whyNotPublicUrl } from './public-address.ts';

describe('isPublicAddress', () => {
  it.each([
    ['8.8.8.8', true],
    ['142.250.74.42', true],
    ['2a00:1450:4007:80f::200a', true],
    ['127.0.0.1', false],
    ['10.1.2.3', false],
    ['172.20.0.1', false],
    ['192.168.1.10', false],
    ['169.254.169.254', false],
    ['100.64.0.1', false],
    ['0.0.0.0', false],
    ['::1', false],
    ['fe80::1', false],
    ['fd12:3456::1', false],
    ['::ffff:127.0.0.1', false],
    ['::ffff:8.8.8.8', true],
    ['not an address', false],
  ])('%s -> %s', (address, expected) => {
    expect(isPublicAddress(address)).toBe(expected);
  });
});

describe('whyNotPublicUrl', () => {
  it.each([
    ['https://fcm.googleapis.com/fcm/send/abc', undefined],
    ['https://updates.push.services.mozilla.com/wpush/v2/x', undefined],
    ['http://fcm.googleapis.com/fcm/send/abc', 'not https'],
    ['https://127.0.0.1:8443/push', 'a private or reserved address'],
    ['https://[::1]/push', 'a private or reserved address'],
    ['https://169.254.169.254/latest/meta-data', 'a private or reserved address'],
    ['https://localhost/push', 'a single-label host name'],
    ['https://push.localhost/x', 'a local or reserved host name'],
    ['https://printer.local/x', 'a local or reserved host name'],
    ['https://metadata/computeMetadata', 'a single-label host name'],
    ['https://user:pw@fcm.googleapis.com/x', 'credentials in the URL'],
    ['not a url', 'not a URL'],
  ])('%s', (url, why) => {
    expect(whyNotPublicUrl(url)).toBe(why);
  });
});

describe('publicOnlyLookup', () => {
  it('refuses to connect to a name that resolves to loopback', async () => {
    const agent = new Agent({ lookup: publicOnlyLookup });
    const error = await new Promise<NodeJS.ErrnoException>((resolve) => {
      const req = request('https://localhost:9/', { agent }, () => resolve(new Error('connected')));
      req.on('error', resolve);
      req.end();
    });
    expect(error.code).toBe('ENOTPUBLIC');
  });
});
