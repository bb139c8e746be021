// The review's finding on the set-up screen: a document's access (confidential:
// only the readers named, issue #13) could be set at upload but not changed
// afterwards. The secretariat restricts a document already uploaded from its row
// on the set-up screen; a delegate not named no longer sees it listed (on the
// tablet, reloaded, and through the API) while the one named still does; and
// lifting the restriction gives it back. Needs PHONGHOP_ADMIN_PASSWORD.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { ADMIN_PASSWORD, BASE, call, CHROMIUM, login, signInPage, upload } from './api.js';
import { smallPdf } from './pdfgen.js';

if (!ADMIN_PASSWORD) throw new Error('PHONGHOP_ADMIN_PASSWORD is not set (the admin password of the server under test)');

const NAME = 'Phuong-an-nhan-su-du-kien.pdf';
let browser, admin, mid, title, ids;

before(async () => {
  admin = await login('admin', ADMIN_PASSWORD);
  const users = await call(admin, 'GET', '/users');
  ids = Object.fromEntries(['chutich', 'thuky', 'daibieu01', 'daibieu02'].map((u) => [u, users.find((v) => v.username === u).id]));
  title = `Họp kiểm thử quyền xem tài liệu ${Date.now()}`;
  const m = await call(admin, 'POST', '/meetings', { title, startsAt: new Date().toISOString(), location: 'Phòng họp số 2', language: 'vi' });
  mid = m.id;
  await call(admin, 'PUT', `/meetings/${mid}/participants`, [
    { userId: ids.chutich, role: 'chair' },
    { userId: ids.thuky, role: 'secretary' },
    { userId: ids.daibieu01, role: 'delegate' },
    { userId: ids.daibieu02, role: 'delegate' },
  ]);
  const doc = await upload(admin, mid, NAME, smallPdf(2));
  assert.ok(!doc.confidential, 'uploaded open to everyone');
  await call(admin, 'POST', `/meetings/${mid}/agenda`, { title: 'Công tác cán bộ', presenter: '', durationMinutes: 10, documentIds: [doc.id] });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
});

after(async () => browser?.close());

async function signedIn(username, viewport = { width: 1280, height: 800 }) {
  const page = await (await browser.newContext({ viewport, locale: 'vi-VN' })).newPage();
  await signInPage(page, username);
  return page;
}

/** The documents the delegate's tablet lists in the agenda, read afresh. */
async function listed(page) {
  await page.goto(new URL(`/#/m/${encodeURIComponent(mid)}`, BASE).toString());
  await page.reload();
  await page.locator('.agenda-pane').getByText('Công tác cán bộ').waitFor({ timeout: 20000 });
  return page.locator('.agenda-pane').innerText();
}
const apiLists = async (username) => (await call(await login(username), 'GET', `/meetings/${mid}`)).documents.some((d) => d.name === NAME);

it('the secretariat restricts an uploaded document from the set-up screen; a delegate not named no longer sees it', async () => {
  const named = await signedIn('daibieu01');
  const other = await signedIn('daibieu02');
  assert.ok((await listed(other)).includes(NAME), 'listed for every delegate before');

  // The secretary, on the set-up screen: the document's row, "Quyền xem".
  const sec = await signedIn('thuky');
  await sec.goto(new URL('/#/admin', BASE).toString());
  await sec.locator('[data-testid=meeting-row]', { hasText: title }).click();
  const row = sec.locator('[data-testid=admin-doc]', { hasText: NAME });
  await row.waitFor({ timeout: 20000 });
  const open = row.locator('[data-testid=access-open]');
  const box = await open.boundingBox();
  assert.ok(box.width >= 48 && box.height >= 48, `the button is a touch target (${box.width}×${box.height})`);
  assert.match(await open.innerText(), /Quyền xem/);
  await open.click();
  const edit = row.locator('[data-testid=access-edit]');
  await edit.locator('[data-testid=doc-confidential]').check();
  await edit.locator(`[data-testid=doc-reader][data-user="${ids.daibieu01}"]`).check();
  await edit.locator('[data-testid=access-save]').click();
  await sec.locator('text=Đã lưu').waitFor({ timeout: 10000 });
  await row.locator('text=🔒').first().waitFor();

  const doc = (await call(admin, 'GET', `/meetings/${mid}`)).documents.find((d) => d.name === NAME);
  assert.equal(doc.confidential, true);
  assert.deepEqual(doc.readers, [ids.daibieu01]);
  assert.equal(await apiLists('daibieu02'), false, 'the API no longer lists it to the delegate not named');
  assert.equal(await apiLists('daibieu01'), true, 'the reader named still has it');
  assert.ok(!(await listed(other)).includes(NAME), "no longer on the tablet of the delegate not named");
  assert.ok((await listed(named)).includes(NAME), 'still on the tablet of the reader named');

  // The editor opens on the access as saved; lifting the restriction gives it back.
  await row.locator('[data-testid=access-open]').click();
  assert.equal(await edit.locator('[data-testid=doc-confidential]').isChecked(), true);
  assert.equal(await edit.locator(`[data-testid=doc-reader][data-user="${ids.daibieu01}"]`).isChecked(), true);
  await edit.locator('[data-testid=doc-confidential]').uncheck();
  await edit.locator('[data-testid=access-save]').click();
  await edit.waitFor({ state: 'detached', timeout: 10000 });
  assert.equal(await apiLists('daibieu02'), true, 'open to everyone again');
  assert.ok((await listed(other)).includes(NAME), 'back on the tablet');
});
