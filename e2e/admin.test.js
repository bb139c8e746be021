// The set-up screen in a real browser, as a secretariat uses it: a meeting
// created and edited; participants picked by search, many at once with one
// role; a document uploaded (progress bar), renamed, replaced by a new version
// while a delegate's tablet shows it (the tablet is told and loads it), and
// refused deletion while on screen; agenda items added, dragged into another
// order, edited; users imported from a spreadsheet with a preview, edited;
// the meeting copied and cancelled. Needs PHONGHOP_E2E_URL and
// PHONGHOP_ADMIN_PASSWORD (the admin account's password on that server).
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { ADMIN_PASSWORD, BASE, call, CHROMIUM, login, PASSWORD, signInPage } from './api.js';
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

async function signIn(username, password, viewport = { width: 1280, height: 900 }) {
  const page = await (await browser.newContext({ viewport, locale: 'vi-VN' })).newPage();
  page.on('dialog', (d) => d.accept()); // "delete …?", "cancel the meeting?"
  await signInPage(page, username, password);
  return page;
}

const dir = await mkdtemp(join(tmpdir(), 'phonghop-e2e-'));

it('admin sets up, changes and removes what was set up', async () => {
  const page = await signIn('admin', ADMIN_PASSWORD);
  await page.goto(new URL('/#/admin', BASE).toString());

  // Import two people from a spreadsheet (CSV as Excel saves it): preview first.
  const stamp = Date.now().toString(36);
  const csv = join(dir, 'dai-bieu.csv');
  await writeFile(
    csv,
    `\uFEFFTên đăng nhập;Họ và tên;Chức vụ;Đơn vị\nhdnd${stamp}a;Phan Văn Hùng;Trưởng ban Pháp chế;HĐND huyện\nhdnd${stamp}b;Võ Thị Lan;Uỷ viên;UBND xã Mỹ An\n`,
  );
  await page.click('[data-testid=users] [data-testid=import-open]');
  await page.setInputFiles('[data-testid=users] [data-testid=import-file]', csv);
  await page.waitForSelector('[data-testid=users] [data-testid=import-summary]:has-text("tạo mới 2")');
  assert.equal(await page.locator('[data-testid=users] [data-testid=import-row]').count(), 2);
  await page.click('[data-testid=users] [data-testid=import-apply]');
  await page.waitForSelector('[data-testid=users] [data-testid=import-summary]:has-text("Đã nhập")');
  assert.equal(await page.locator('[data-testid=import-password]').count(), 2, 'generated passwords are shown once');

  // Edit one of them: position and phone.
  const lan = page.locator(`[data-testid=user-row][data-username=hdnd${stamp}b]`);
  await lan.locator('[data-testid=user-edit]').click();
  await page.fill('[data-testid=user-position]', 'Phó Chủ tịch UBND xã');
  await page.fill('[data-testid=user-phone]', '0912 345 678');
  await page.click('[data-testid=user-save]');
  await page.waitForSelector(`[data-testid=user-row][data-username=hdnd${stamp}b]:has-text("Phó Chủ tịch UBND xã")`);

  // A new meeting.
  const title = `Kỳ họp e2e ${stamp}`;
  await page.click('summary:has-text("Tạo cuộc họp")');
  await page.fill('form:has(h3:text("Tạo cuộc họp")) input >> nth=0', title);
  await page.fill('form:has(h3:text("Tạo cuộc họp")) input[type=datetime-local]', '2099-12-01T08:00');
  await page.fill('form:has(h3:text("Tạo cuộc họp")) input >> nth=2', 'Phòng họp số 1');
  await page.click('form:has(h3:text("Tạo cuộc họp")) button[type=submit]');
  await page.waitForSelector(`h2:has-text("${title}")`);

  // Edit a field of it.
  await page.fill('[data-testid=meeting-location]', 'Hội trường tầng 2');
  await page.click('[data-testid=meeting-form] button[type=submit]');
  await page.waitForSelector('text=Đã lưu');

  // Participants: the chair by search; the two imported people found by their
  // unit's name typed without diacritics, picked together as delegates.
  const part = page.locator('[data-testid=participants]');
  await part.locator('[data-testid=picker-search]').fill('chutich');
  await part.locator('[data-testid=pick][data-username=chutich]').check();
  await part.locator('[data-testid=picker-role]').selectOption('chair');
  await part.locator('[data-testid=add-picked]').click();
  await part.locator('[data-testid=picker-search]').fill(stamp);
  assert.equal(await part.locator('[data-testid=pick]').count(), 2);
  await part.locator('button:has-text("Chọn tất cả")').click();
  await part.locator('[data-testid=picker-role]').selectOption('delegate');
  await part.locator('[data-testid=add-picked]').click();
  await part.locator('[data-testid=picker-search]').fill('daibieu01');
  await part.locator('[data-testid=pick][data-username=daibieu01]').check();
  await part.locator('[data-testid=add-picked]').click();
  assert.equal(await part.locator('[data-testid=participant]').count(), 4);
  await part.locator('[data-testid=save-participants]').click();
  await page.waitForSelector('text=Đã lưu');
  const mid = await page.evaluate(async (t) => {
    const r = await fetch('/api/v1/meetings?q=' + encodeURIComponent(t));
    return (await r.json())[0].id;
  }, title);
  const token = await login('admin', ADMIN_PASSWORD);
  const m = await call(token, 'GET', `/meetings/${mid}`);
  assert.equal(m.participants.length, 4);
  assert.equal(m.participants.find((p) => p.displayName === 'Võ Thị Lan').title, 'Phó Chủ tịch UBND xã');

  // Upload: the progress bar appears, then the document is listed with its pages.
  const file = join(dir, 'bao-cao-e2e.pdf');
  await writeFile(file, smallPdf(5));
  await page.setInputFiles('[data-testid=upload-file]', file);
  await page.route('**/documents', async (route) => {
    await new Promise((r) => setTimeout(r, 1500)); // as a slow Wi-Fi link would
    await route.continue();
  });
  const seen = page.waitForSelector('[role=progressbar]', { timeout: 10000 }).then(() => true).catch(() => false);
  await page.click('button:has-text("Tải tài liệu lên")');
  await page.waitForSelector('[data-testid=admin-doc]:has-text("bao-cao-e2e.pdf")', { timeout: 20000 });
  assert.ok(await seen, 'the progress bar was shown');
  assert.match(await page.textContent('[data-testid=admin-doc]:has-text("bao-cao-e2e.pdf")'), /5 trang/);
  await page.unroute('**/documents');

  // Rename it.
  await page.click('[data-testid=admin-doc] [data-testid=rename]');
  await page.fill('[data-testid=rename-input]', 'Báo cáo tổng kết (dự thảo).pdf');
  await page.click('[data-testid=rename-save]');
  await page.waitForSelector('[data-testid=admin-doc]:has-text("Báo cáo tổng kết (dự thảo).pdf")');

  // Three agenda items, the first with the document.
  for (const [i, t] of ['Khai mạc', 'Báo cáo tổng kết', 'Bế mạc'].entries()) {
    await page.fill('form:has(h3:has-text("Thêm mục")) input >> nth=0', t);
    if (i === 1) await page.check('form:has(h3:has-text("Thêm mục")) label:has-text("Báo cáo tổng kết (dự thảo).pdf") input');
    await page.click('form:has(h3:has-text("Thêm mục")) button[type=submit]');
    await page.waitForSelector(`[data-testid=agenda-row]:has-text("${t}")`);
  }
  // Drag "Bế mạc" by its handle above "Báo cáo tổng kết".
  const rows = page.locator('[data-testid=agenda-row]');
  const handle = await rows.nth(2).locator('[data-testid=drag-handle]').boundingBox();
  const target = await rows.nth(1).boundingBox();
  await page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2);
  await page.mouse.down();
  await page.mouse.move(handle.x + handle.width / 2, target.y + 10, { steps: 8 });
  await page.mouse.up();
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=agenda-row] strong')].map((e) => e.textContent).join('|') === 'Khai mạc|Bế mạc|Báo cáo tổng kết');
  // Edit an item.
  await rows.nth(0).locator('[data-testid=item-edit]').click();
  await page.fill('[data-testid=item-title]', 'Khai mạc kỳ họp');
  await page.click('[data-testid=item-save]');
  await page.waitForSelector('[data-testid=agenda-row]:has-text("Khai mạc kỳ họp")');

  // A delegate's tablet shows the document the chair presents.
  const chairToken = await login('chutich');
  const after = await call(token, 'GET', `/meetings/${mid}`);
  const item = after.agenda.find((a) => a.title === 'Báo cáo tổng kết');
  const did = after.documents[0].id;
  await call(chairToken, 'PUT', `/meetings/${mid}/presentation`, { agendaItemId: item.id, documentId: did, page: 5 });
  const tablet = await signIn('daibieu01', PASSWORD, { width: 1280, height: 800 });
  await tablet.goto(new URL(`/#/m/${encodeURIComponent(mid)}`, BASE).toString());
  await tablet.waitForFunction(() => document.querySelector('.viewer .host')?.dataset.rendered === '5', null, { timeout: 20000 });
  const v1 = await tablet.evaluate(() => performance.getEntriesByType('resource').filter((e) => e.name.includes('/content')).length);

  // Replace it with a 3-page version: the tablet is told and shows the new one.
  const v2 = join(dir, 'bao-cao-v2.pdf');
  await writeFile(v2, smallPdf(3));
  await page.setInputFiles('[data-testid=admin-doc] [data-testid=replace-file]', v2);
  await page.waitForSelector('[data-testid=admin-doc]:has-text("bản 2")');
  await tablet.waitForSelector('[data-testid=setup-notice]:has-text("vừa được cập nhật")', { timeout: 15000 });
  await tablet.waitForFunction(() => document.querySelector('.viewer .host')?.dataset.rendered === '3', null, { timeout: 20000 });
  const newDoc = (await call(token, 'GET', `/meetings/${mid}`)).documents[0];
  assert.equal(newDoc.version, 2);
  assert.equal(newDoc.previous.length, 1);
  const loads = await tablet.evaluate((sha) => performance.getEntriesByType('resource').filter((e) => e.name.includes('v=' + sha.slice(0, 16))).length, newDoc.viewSha256 || newDoc.sha256);
  assert.ok(loads > 0 || v1 > 0, 'the tablet fetched the new version');

  // Deleting it while on screen is refused with a clear message.
  await page.click('[data-testid=admin-doc] [data-testid=delete-doc]');
  await page.waitForSelector('[role=alert]:has-text("đang được trình chiếu")');
  assert.equal(await page.locator('[data-testid=admin-doc]').count(), 1);

  // Copy the meeting for the next session, then cancel the original.
  await page.click('summary:has-text("Sao chép sang kỳ họp mới")');
  await page.fill('[data-testid=copy-title]', `${title} — kỳ sau`);
  await page.fill('[data-testid=copy-starts]', '2099-12-15T08:00');
  await page.click('[data-testid=copy-meeting]');
  await page.waitForSelector(`h2:has-text("${title} — kỳ sau")`);
  assert.equal(await page.locator('[data-testid=participant]').count(), 4);
  assert.equal(await page.locator('[data-testid=agenda-row]').count(), 3);
  assert.equal(await page.locator('[data-testid=admin-doc]').count(), 0);

  await page.fill('[data-testid=meeting-search]', 'ky hop e2e ' + stamp);
  await page.locator('[data-testid=meeting-row]', { hasText: title }).filter({ hasNotText: 'kỳ sau' }).click();
  await page.waitForSelector(`h2:has-text("${title}")`);
  await page.fill('[data-testid=cancel-reason]', 'Hoãn do mưa bão');
  await page.click('[data-testid=cancel-meeting]');
  await page.waitForSelector('h2 .badge:has-text("Đã huỷ")');
  await page.click('button:has-text("Đã huỷ")');
  await page.waitForFunction((t) => {
    const rows = [...document.querySelectorAll('[data-testid=meeting-row]')];
    return rows.length === 1 && rows[0].textContent.includes(t);
  }, title);

  // The participants list with attendance downloads as a workbook.
  const xlsx = await page.evaluate(async (id) => {
    const r = await fetch(`/api/v1/meetings/${id}/participants.xlsx`);
    const b = new Uint8Array(await r.arrayBuffer());
    return { status: r.status, type: r.headers.get('content-type'), zip: b[0] === 0x50 && b[1] === 0x4b };
  }, mid);
  assert.deepEqual(xlsx, { status: 200, type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', zip: true });
  await tablet.context().close();
});
