// Admin set-up in a real browser: a meeting, its participants, a document
// uploaded with the progress bar, an agenda item. Needs PHONGHOP_E2E_URL and
// PHONGHOP_ADMIN_PASSWORD (the admin account's password on that server).
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { ADMIN_PASSWORD, BASE, CHROMIUM } from './api.js';
import { smallPdf } from './pdfgen.js';

if (!ADMIN_PASSWORD) throw new Error('PHONGHOP_ADMIN_PASSWORD is not set (the admin password of the server under test)');


let browser;
before(async () => {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
after(async () => browser?.close());

it('admin sets up a meeting: participants, a document with upload progress, an agenda item', async () => {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  await page.goto(new URL('/#/login', BASE).toString());
  await page.fill('input[name=username]', 'admin');
  await page.fill('input[name=password]', ADMIN_PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForFunction(() => !location.hash.startsWith('#/login'));
  await page.goto(new URL('/#/admin', BASE).toString());

  const title = `Họp giao ban e2e ${Date.now()}`;
  await page.fill('form:has(h3:text("Tạo cuộc họp")) input >> nth=0', title);
  await page.fill('input[type=datetime-local]', '2026-12-01T08:00');
  await page.fill('form:has(h3:text("Tạo cuộc họp")) input >> nth=2', 'Phòng họp số 1');
  await page.click('form:has(h3:text("Tạo cuộc họp")) button[type=submit]');
  await page.waitForSelector(`h2:has-text("${title}")`);

  // Make chutich the chair and daibieu01 a delegate.
  const row = (u) => page.locator('tr', { hasText: `(${u})` }).locator('select');
  await row('chutich').selectOption('chair');
  await row('daibieu01').selectOption('delegate');
  await page.click('section:has(h2:has-text("Thành phần tham dự")) button:has-text("Lưu")');
  await page.waitForSelector('text=Đã lưu');

  // Upload: the progress bar appears, then the document is listed with its pages.
  const dir = await mkdtemp(join(tmpdir(), 'phonghop-e2e-'));
  const file = join(dir, 'bao-cao-e2e.pdf');
  await writeFile(file, smallPdf(5));
  await page.setInputFiles('input[type=file]', file);
  // On a quiet machine a local upload ends before the bar can be seen: hold the
  // request for a moment, as a slow Wi-Fi link would.
  await page.route('**/documents', async (route) => {
    await new Promise((r) => setTimeout(r, 1500));
    await route.continue();
  });
  const seen = page.waitForSelector('[role=progressbar]', { timeout: 10000 }).then(() => true).catch(() => false);
  await page.click('button:has-text("Tải tài liệu lên")');
  await page.waitForSelector('li:has-text("bao-cao-e2e.pdf")', { timeout: 20000 });
  assert.ok(await seen, 'the progress bar was shown');
  assert.match(await page.textContent('li:has-text("bao-cao-e2e.pdf")'), /5 trang/);

  // An agenda item with the document.
  await page.fill('form:has(h3:has-text("Thêm mục")) input >> nth=0', 'Thông qua báo cáo e2e');
  await page.check('form:has(h3:has-text("Thêm mục")) label:has-text("bao-cao-e2e.pdf") input');
  await page.click('form:has(h3:has-text("Thêm mục")) button[type=submit]');
  await page.waitForSelector('ol li:has-text("Thông qua báo cáo e2e")');
});
