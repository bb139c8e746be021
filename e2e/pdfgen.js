// Hand-built PDFs for the browser tests: no fixture files, and a 50 MB one
// generated in a fraction of a second.
import { randomBytes } from 'node:crypto';

// 256 × 342 × 3 = 262 656 bytes of image samples per page.
const IMG_W = 256;
const IMG_H = 342;

// A "scanned" PDF built by hand: every page draws its own raw RGB image of
// random (incompressible) samples, so the file is ~50 MB and page 1 needs only
// its own ~260 KB. Flat /Kids array and a classic xref table at the end, as
// many producers write them. layout 'scattered': each page dictionary sits
// right before its image (one page object every ~260 KB); 'grouped': all page
// dictionaries and content streams first, the images after them.
export function bigPdf(pages, layout) {
  const parts = [];
  let len = 0;
  const offsets = [];
  const put = (b) => {
    parts.push(b);
    len += b.length;
  };
  const obj = (n, dict, stream) => {
    offsets[n] = len;
    put(Buffer.from(`${n} 0 obj\n${dict}\n`, 'latin1'));
    if (stream) {
      put(Buffer.from('stream\n', 'latin1'));
      put(stream);
      put(Buffer.from('\nendstream\n', 'latin1'));
    }
    put(Buffer.from('endobj\n', 'latin1'));
  };
  put(Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1'));
  const pageObj = (i) => 4 + 3 * i;
  obj(1, '<< /Type /Catalog /Pages 2 0 R >>');
  obj(2, `<< /Type /Pages /Kids [${Array.from({ length: pages }, (_, i) => `${pageObj(i)} 0 R`).join(' ')}] /Count ${pages} >>`);
  obj(3, '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>');
  const size = IMG_W * IMG_H * 3;
  const samples = randomBytes(size * pages);
  const page = (i) => {
    const n = pageObj(i);
    const text = Buffer.from(`q 451 0 0 602 72 120 cm /Im1 Do Q\nBT /F1 28 Tf 72 760 Td (E2E 50 MB - page ${i + 1} / ${pages}) Tj ET\n`, 'latin1');
    obj(n, `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents ${n + 1} 0 R /Resources << /Font << /F1 3 0 R >> /XObject << /Im1 ${n + 2} 0 R >> >> >>`);
    obj(n + 1, `<< /Length ${text.length} >>`, text);
  };
  const image = (i) =>
    obj(
      pageObj(i) + 2,
      `<< /Type /XObject /Subtype /Image /Width ${IMG_W} /Height ${IMG_H} /ColorSpace /DeviceRGB /BitsPerComponent 8 /Length ${size} >>`,
      samples.subarray(i * size, (i + 1) * size),
    );
  if (layout === 'grouped') {
    for (let i = 0; i < pages; i++) page(i);
    for (let i = 0; i < pages; i++) image(i);
  } else {
    for (let i = 0; i < pages; i++) {
      page(i);
      image(i);
    }
  }
  const count = 3 + 3 * pages;
  const xref = len;
  let tail = `xref\n0 ${count + 1}\n0000000000 65535 f \n`;
  for (let n = 1; n <= count; n++) tail += `${String(offsets[n]).padStart(10, '0')} 00000 n \n`;
  tail += `trailer\n<< /Size ${count + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  put(Buffer.from(tail, 'latin1'));
  return Buffer.concat(parts, len);
}

// A small PDF of n text pages (the document shown before the big one).
export function smallPdf(n) {
  const objs = ['<< /Type /Catalog /Pages 2 0 R >>'];
  objs.push(`<< /Type /Pages /Kids [${Array.from({ length: n }, (_, i) => `${3 + 2 * i} 0 R`).join(' ')}] /Count ${n} >>`);
  for (let i = 0; i < n; i++) {
    const text = `BT /F1 36 Tf 72 700 Td (Small page ${i + 1}) Tj ET`;
    objs.push(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents ${4 + 2 * i} 0 R /Resources << /Font << /F1 ${3 + 2 * n} 0 R >> >> >>`);
    objs.push(`<< /Length ${text.length} >>\nstream\n${text}\nendstream`);
  }
  objs.push('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>');
  let out = '%PDF-1.4\n';
  const offsets = [];
  objs.forEach((o, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n`;
  for (const off of offsets) out += `${String(off).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}
