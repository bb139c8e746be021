// pdf.js loading: the library is imported on first use (keeps the sign-in
// screen light), the worker is a separate file, and documents load by range.

import type { PDFDocumentProxy, PDFPageProxy } from 'pdfjs-dist';
import workerUrl from 'pdfjs-dist/build/pdf.worker.min.mjs?url';

type Pdfjs = typeof import('pdfjs-dist');
let lib: Promise<Pdfjs> | null = null;

export function pdfjs(): Promise<Pdfjs> {
  if (!lib) {
    lib = import('pdfjs-dist').then((m) => {
      m.GlobalWorkerOptions.workerSrc = workerUrl;
      return m;
    });
  }
  return lib;
}

const docs = new Map<string, Promise<PDFDocumentProxy>>();
const MAX_OPEN = 6;

/** Opens (or reuses) the document at url. Range loading: 64 KiB chunks, no
 * background fetch of the whole file by pdf.js (the service worker does that). */
export function openDocument(url: string): Promise<PDFDocumentProxy> {
  let p = docs.get(url);
  if (p) {
    docs.delete(url);
    docs.set(url, p); // most recently used last
    return p;
  }
  p = pdfjs().then(
    (m) =>
      m.getDocument({
        url,
        withCredentials: true,
        rangeChunkSize: 65536,
        disableAutoFetch: true,
        // Streaming would read the whole body; ranges only fetch what a page needs.
        disableStream: true,
        standardFontDataUrl: '/pdfjs/standard_fonts/',
        wasmUrl: '/pdfjs/wasm/',
        iccUrl: '/pdfjs/iccs/',
        isEvalSupported: false,
      }).promise,
  );
  p.catch(() => docs.delete(url));
  docs.set(url, p);
  while (docs.size > MAX_OPEN) {
    const [oldUrl, old] = docs.entries().next().value as [string, Promise<PDFDocumentProxy>];
    docs.delete(oldUrl);
    old.then((d) => d.destroy()).catch(() => {});
  }
  return p;
}

export function closeAll() {
  for (const p of docs.values()) p.then((d) => d.destroy()).catch(() => {});
  docs.clear();
}

/** Scale that fits the page inside box (CSS pixels). */
export function fitScale(page: PDFPageProxy, boxW: number, boxH: number): number {
  const vp = page.getViewport({ scale: 1 });
  return Math.max(0.1, Math.min(boxW / vp.width, boxH / vp.height));
}
