// The audit trail in a real browser: a delegate opens the meeting's document
// on their tablet; the admin finds that opening in the audit screen (the
// meeting's log, filtered by who and action), verifies the chain and
// downloads the CSV, which holds it. Needs PHONGHOP_E2E_URL and
// PHONGHOP_ADMIN_PASSWORD (the admin account's password on that server).
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { chromium } from 'playwright-core';
import { ADMIN_PASSWORD, BASE, call, CHROMIUM, login, PASSWORD, signInPage } from './api.js';

if (!ADMIN_PASSWORD) throw new Error('PHONGHOP_ADMIN_PASSWORD is not set (the admin password of the server under test)');

const TITLE = 'Hội nghị tổng kết công tác cải cách hành chính năm 2023';
const DELEGATE = 'daibieu08';

let browser;
let meetingId;
const contexts = [];

before(async () => {
  const list = await call(await login('chutich'), 'GET', '/meetings');
  const m = list.find((x) => x.title === TITLE);
  assert.ok(m, 'demo meeting present (run `phonghop demo`)');
  meetingId = m.id;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
});

async function signIn(username, password, viewport) {
  const ctx = await browser.newContext({ viewport, locale: 'vi-VN', acceptDownloads: true });
  contexts.push(ctx);
  const page = await ctx.newPage();
  await signInPage(page, username, password);
  return page;
}

it('a document opened on a tablet is in the admin audit screen and its CSV', async () => {
  // The delegate's tablet opens the room and the agenda's first document.
  const tablet = await signIn(DELEGATE, PASSWORD, { width: 1280, height: 800 });
  await tablet.goto(new URL(`/#/m/${encodeURIComponent(meetingId)}`, BASE).toString());
  await tablet.click('[data-testid=agenda-doc] >> nth=0');
  await tablet.waitForFunction(() => Number(document.querySelector('.viewer .host')?.dataset.rendered) > 0, null, { timeout: 30000 });

  // The admin, on a tablet held upright, picks the meeting's log and filters.
  const admin = await signIn('admin', ADMIN_PASSWORD, { width: 800, height: 1280 });
  await admin.goto(new URL('/#/admin', BASE).toString());
  const audit = admin.locator('[data-testid=audit]');
  await audit.waitFor();
  await audit.locator('[data-testid=audit-log]').selectOption(`meetings/${meetingId}`);
  await audit.locator('[data-testid=audit-action]').selectOption('document');
  await audit.locator('[data-testid=audit-who]').fill(DELEGATE);
  const row = audit.locator(`[data-testid=audit-row][data-action="document.opened"]:has-text("${DELEGATE}")`).first();
  await row.waitFor({ timeout: 20000 });
  assert.match(await row.innerText(), /Tài liệu/, 'the action is named in Vietnamese');
  assert.equal(
    await audit.locator('[data-testid=audit-row]').evaluateAll((rs) => rs.filter((r) => !r.textContent.includes('daibieu08')).length),
    0,
    'only the delegate is shown',
  );
  const box = await audit.locator('[data-testid=audit-csv]').boundingBox();
  assert.ok(box && box.height >= 40, `the export button is a touch target (${box?.height}px high)`);

  // The chain verifies.
  await audit.locator('[data-testid=audit-verify]').click();
  await audit.locator('[data-testid=audit-report]:has-text("Nguyên vẹn")').waitFor();

  // The CSV with the same filter holds the opening.
  const [download] = await Promise.all([admin.waitForEvent('download'), audit.locator('[data-testid=audit-csv]').click()]);
  assert.match(download.suggestedFilename(), /^nhat-ky-meetings-.*\.csv$/);
  const csv = (await readFile(await download.path(), 'utf8')).replace(/^\uFEFF/, '');
  const lines = csv.trim().split(/\r?\n/);
  assert.match(lines[0], /^STT,Thời gian,Thao tác,Tên đăng nhập/);
  assert.ok(lines.length >= 2, csv);
  assert.ok(
    lines.slice(1).every((l) => l.includes(',document.') && l.includes(`,${DELEGATE},`)),
    `every row is the delegate's document action:\n${csv}`,
  );
  assert.ok(lines.some((l) => l.includes(',document.opened,')), csv);

  // An error from the API is shown translated, where the admin is looking. The
  // store is made to fail the export (a fault induced on its way: ending the
  // session instead raced the app, which goes to the sign-in screen on its own).
  await admin.context().route('**/api/v1/audit.xlsx*', (route) =>
    route.fulfill({
      status: 503,
      contentType: 'application/json',
      body: JSON.stringify({ error: { code: 'unavailable', reason: 'storage_unavailable', message: 'storage is unavailable' } }),
    }),
  );
  await audit.locator('[data-testid=audit-xlsx]').click();
  const alert = admin.locator('[role=alert]').first();
  await alert.waitFor({ timeout: 10000 });
  const text = await alert.innerText();
  assert.doesNotMatch(text, /storage_unavailable|storage is unavailable/, `translated: ${text}`);
  assert.ok(text.trim().length > 0, 'the alert says something');
});
