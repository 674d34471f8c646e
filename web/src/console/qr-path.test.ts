import { describe, expect, it } from 'vitest';
import QRCode from 'qrcode';
import { qrPath } from './qr-path.ts';

describe('the QR code path', () => {
  it('draws one unit square per dark module of the matrix', () => {
    const text = 'vigie-enrol:v1?broker=mqtt%3A%2F%2F127.0.0.1%3A1883&id=w-0a1b2c&secret=abc';
    const { size, d } = qrPath(text);
    const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' });
    expect(size).toBe(modules.size);
    const dark = [...modules.data].filter((m) => m === 1).length;
    expect(d.match(/M\d+ \d+h1v1h-1z/g)).toHaveLength(dark);
    // The finder pattern's corner is dark, the module inside its ring light.
    expect(d.startsWith('M0 0h1v1h-1z')).toBe(true);
    expect(d).not.toContain('M1 1h1');
  });
});
