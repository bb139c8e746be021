// Office documents and confidential papers in a real browser, as a
// secretariat uses them: a Word file uploaded on the set-up screen shows
// "converting" and then its pages (LibreOffice on the server under test); a
// paper uploaded as confidential, for one reader, watermarked; the reader's
// tablet draws their name on its pages, the other delegate's tablet does not
// list it and gets 404 for it; a file that is not what its name says is
// refused with a translated reason shown where the admin is looking. Needs
// PHONGHOP_E2E_URL, PHONGHOP_ADMIN_PASSWORD and LibreOffice on the server.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { ADMIN_PASSWORD, BASE, call, CHROMIUM, login, PASSWORD, signInPage } from './api.js';
import { smallPdf } from './pdfgen.js';

if (!ADMIN_PASSWORD) throw new Error('PHONGHOP_ADMIN_PASSWORD is not set (the admin password of the server under test)');

// A .docx with Vietnamese text and a table (internal/officetest's Vietnamese()).
const DOCX = fileURLToPath(new URL('./fixtures/to-trinh.docx', import.meta.url));

let browser, admin, mid, title;
const ids = {};
const names = {};

before(async () => {
  admin = await login('admin', ADMIN_PASSWORD);
  const users = await call(admin, 'GET', '/users');
  for (const u of ['chutich', 'thuky', 'daibieu01', 'daibieu02']) {
    const x = users.find((v) => v.username === u);
    assert.ok(x, `demo user ${u} present (run \`phonghop demo\`)`);
    ids[u] = x.id;
    names[u] = x.displayName;
  }
  title = `Tài liệu Word và tài liệu mật ${Date.now().toString(36)}`;
  const m = await call(admin, 'POST', '/meetings', { title, startsAt: new Date().toISOString(), location: 'Phòng họp số 2', language: 'vi' });
  mid = m.id;
  await call(admin, 'PUT', `/meetings/${mid}/participants`, [
    { userId: ids.chutich, role: 'chair' },
    { userId: ids.thuky, role: 'secretary' },
    { userId: ids.daibieu01, role: 'delegate' },
    { userId: ids.daibieu02, role: 'delegate' },
  ]);
  await call(admin, 'POST', `/meetings/${mid}/agenda`, { title: 'Nhân sự', presenter: '', durationMinutes: 15, documentIds: [] });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
after(async () => browser?.close());

async function signIn(username, password, viewport = { width: 1280, height: 900 }) {
  const page = await (await browser.newContext({ viewport, locale: 'vi-VN' })).newPage();
  page.on('dialog', (d) => d.accept());
  await signInPage(page, username, password);
  return page;
}

const dir = await mkdtemp(join(tmpdir(), 'phonghop-e2e-office-'));

it('a Word file becomes a PDF; a confidential paper reaches its reader only, watermarked; a wrong file is refused in words', async () => {
  const page = await signIn('admin', ADMIN_PASSWORD);
  await page.goto(new URL('/#/admin', BASE).toString());
  await page.fill('[data-testid=meeting-search]', title);
  await page.locator('[data-testid=meeting-row]', { hasText: title }).click();
  await page.waitForSelector(`h2:has-text("${title}")`);

  // The Word file: listed at once as waiting or converting, then with its pages.
  await page.setInputFiles('[data-testid=upload-file]', DOCX);
  await page.click('button:has-text("Tải tài liệu lên")');
  const word = page.locator('[data-testid=admin-doc]', { hasText: 'to-trinh.docx' });
  await word.locator('[data-testid=doc-status]').waitFor({ timeout: 20000 });
  assert.match(await word.locator('[data-testid=doc-status]').textContent(), /chuyển sang PDF/);
  // LibreOffice on a loaded machine: allow it minutes.
  await page.waitForSelector('[data-testid=admin-doc]:has-text("to-trinh.docx"):has-text("trang")', { timeout: 240000 });
  assert.equal(await word.locator('[data-testid=doc-status]').count(), 0, 'no longer converting');
  assert.equal(await word.locator('a:has-text("Tải bản gốc")').count(), 1, 'the original downloads beside the PDF');
  const m1 = await call(admin, 'GET', `/meetings/${mid}`);
  const wordDoc = m1.documents.find((d) => d.name === 'to-trinh.docx');
  assert.ok(wordDoc.pages >= 1 && !wordDoc.conversion && wordDoc.original, JSON.stringify(wordDoc));

  // A confidential paper for daibieu01 only, watermarked.
  const secret = join(dir, 'de-an-nhan-su.pdf');
  await writeFile(secret, smallPdf(2));
  await page.setInputFiles('[data-testid=upload-file]', secret);
  await page.check('[data-testid=doc-confidential]');
  await page.check(`[data-testid=doc-reader][data-user="${ids.daibieu01}"]`);
  await page.check('[data-testid=doc-watermark]');
  await page.click('button:has-text("Tải tài liệu lên")');
  const paper = page.locator('[data-testid=admin-doc]', { hasText: 'de-an-nhan-su.pdf' });
  await paper.waitFor({ timeout: 20000 });
  assert.match(await paper.textContent(), /🔒/);
  // On the agenda item, beside the Word file.
  await paper.locator('[data-testid=doc-item]').check();
  await word.locator('[data-testid=doc-item]').check();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=doc-item]:checked').length === 2);
  const m2 = await call(admin, 'GET', `/meetings/${mid}`);
  const secretDoc = m2.documents.find((d) => d.name === 'de-an-nhan-su.pdf');
  assert.deepEqual([secretDoc.confidential, secretDoc.watermark, secretDoc.readers], [true, true, [ids.daibieu01]]);

  // The reader opens it on their tablet: the page carries their name.
  const reader = await signIn('daibieu01', PASSWORD, { width: 1280, height: 800 });
  await reader.goto(new URL(`/#/m/${encodeURIComponent(mid)}`, BASE).toString());
  await reader.locator('[data-testid=agenda-doc]', { hasText: 'de-an-nhan-su.pdf' }).click();
  await reader.waitForSelector('.viewer .host canvas[data-watermark]', { timeout: 30000 });
  const mark = await reader.getAttribute('.viewer .host canvas[data-watermark]', 'data-watermark');
  assert.ok(mark.includes(names.daibieu01), `watermark "${mark}" names the reader`);
  // The Word file's PDF is not watermarked.
  await reader.locator('[data-testid=agenda-doc]', { hasText: 'to-trinh.docx' }).click();
  await reader.waitForFunction(() => {
    const c = document.querySelector('.viewer .host canvas');
    return c && !c.dataset.watermark;
  }, null, { timeout: 30000 });

  // The other delegate: the agenda lists the Word file only, and the paper is 404.
  const other = await signIn('daibieu02', PASSWORD, { width: 1280, height: 800 });
  await other.goto(new URL(`/#/m/${encodeURIComponent(mid)}`, BASE).toString());
  await other.waitForSelector('[data-testid=agenda-doc]:has-text("to-trinh.docx")', { timeout: 20000 });
  assert.equal(await other.locator('[data-testid=agenda-doc]').count(), 1);
  assert.equal(await other.locator('text=de-an-nhan-su.pdf').count(), 0);
  const status = await other.evaluate(async ([m, d]) => (await fetch(`/api/v1/meetings/${m}/documents/${d}/content`)).status, [mid, secretDoc.id]);
  assert.equal(status, 404);

  // A text file named .docx: refused, the reason in Vietnamese, on screen
  // while the admin is at the documents (far down the set-up screen).
  const wrong = join(dir, 'bao-cao-sai.docx');
  await writeFile(wrong, 'Đây không phải tệp Word, chỉ là văn bản thường.\n'.repeat(20));
  await page.setInputFiles('[data-testid=upload-file]', wrong);
  const submit = page.locator('button:has-text("Tải tài liệu lên")');
  await submit.scrollIntoViewIfNeeded();
  await submit.click();
  const alert = page.locator('[role=alert]');
  await alert.waitFor({ timeout: 20000 });
  assert.match(await alert.textContent(), /Tệp không phải tài liệu Word hợp lệ \(\.docx\)/);
  const box = await alert.boundingBox();
  const viewport = page.viewportSize();
  assert.ok(box && box.y >= 0 && box.y + box.height <= viewport.height, `the message is on screen: ${JSON.stringify(box)}`);
  assert.equal(await page.locator('[data-testid=admin-doc]', { hasText: 'bao-cao-sai.docx' }).count(), 0);

  await reader.context().close();
  await other.context().close();
  await page.context().close();
});
