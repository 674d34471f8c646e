/**
 * A QR code as one SVG path of its dark modules (qrcode computes the matrix), so that the page draws
 * it with ordinary markup: no HTML string, crisp at any size, nothing to load.
 */
import QRCode from 'qrcode';

export interface QrPath {
  /** Modules per side, without the quiet zone. */
  readonly size: number;
  /** `d` of a path in a viewBox of `size` units, one unit per module. */
  readonly d: string;
}

export function qrPath(text: string): QrPath {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const parts: string[] = [];
  for (let y = 0; y < modules.size; y += 1)
    for (let x = 0; x < modules.size; x += 1) if (modules.get(x, y)) parts.push(`M${x} ${y}h1v1h-1z`);
  return { size: modules.size, d: parts.join('') };
}
