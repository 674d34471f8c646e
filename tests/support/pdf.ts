/**
 * A PDF read as its reader would: MuPDF (the engine of many PDF viewers) opens it, gives the text of
 * each page as laid out, and renders each page to a PNG in tests/artifacts/ so that a person can look
 * at it. A PDF MuPDF cannot open fails the test.
 */
import { writeFile } from 'node:fs/promises';
import * as mupdf from 'mupdf';
import { artifactPath } from './browser.ts';

export interface ReadPdf {
  readonly pages: number;
  /** The text of every page, in reading order, pages separated by a blank line. */
  readonly text: string;
  /** Each page's size in points (A4 is 595 × 842). */
  readonly sizes: ReadonlyArray<{ width: number; height: number }>;
}

/** Opens the PDF; with `screenshot`, writes `<screenshot>-p<N>.png` (150 dpi) for each page. */
export async function readPdf(pdf: Uint8Array, screenshot?: string): Promise<ReadPdf> {
  const doc = mupdf.Document.openDocument(pdf, 'application/pdf');
  const texts: string[] = [];
  const sizes: Array<{ width: number; height: number }> = [];
  for (let i = 0; i < doc.countPages(); i++) {
    const page = doc.loadPage(i);
    const [x0, y0, x1, y1] = page.getBounds();
    sizes.push({ width: Math.round(x1 - x0), height: Math.round(y1 - y0) });
    texts.push(page.toStructuredText('preserve-whitespace').asText());
    if (screenshot !== undefined) {
      const scale = 150 / 72;
      const pixmap = page.toPixmap(mupdf.Matrix.scale(scale, scale), mupdf.ColorSpace.DeviceRGB, false);
      await writeFile(artifactPath(`${screenshot}-p${i + 1}.png`), pixmap.asPNG());
    }
  }
  return { pages: doc.countPages(), text: texts.join('\n\n'), sizes };
}
