/**
 * For tests: the text of a PDF, page by page, read with PDF.js (pdfjs-dist, a devDependency), the way a
 * viewer would see it. Lines are rebuilt from the text items' positions.
 */
import { createRequire } from 'node:module';
import path from 'node:path';

export async function pdfText(data: Uint8Array): Promise<{ pages: number; text: string; info: Record<string, unknown> }> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const fonts = `${path.join(path.dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json')), 'standard_fonts')}/`;
  const doc = await pdfjs.getDocument({
    data: new Uint8Array(data),
    useSystemFonts: false,
    isEvalSupported: false,
    standardFontDataUrl: fonts,
  }).promise;
  const out: string[] = [];
  for (let n = 1; n <= doc.numPages; n++) {
    const page = await doc.getPage(n);
    const content = await page.getTextContent();
    let line = '';
    let lastY: number | null = null;
    for (const item of content.items) {
      if (!('str' in item)) continue;
      const y = item.transform[5] as number;
      if (lastY !== null && Math.abs(y - lastY) > 2) {
        out.push(line);
        line = '';
      } else if (line && item.str) line += ' ';
      line += item.str;
      lastY = y;
    }
    if (line) out.push(line);
  }
  const meta = await doc.getMetadata();
  await doc.destroy();
  return { pages: doc.numPages, text: out.join('\n'), info: (meta.info ?? {}) as Record<string, unknown> };
}
