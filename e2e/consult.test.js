// Opinions on drafts (issue #15): the secretary opens a consultation on a
// draft from the secretariat's screen; a delegate in portrait sees it with
// the time left, writes opinions on a page and on the whole document beside
// it, edits one and withdraws the other; another delegate agrees with no
// comment; the secretariat's screen shows each as it arrives, who has and has
// not answered, and downloads the summary as PDF and .docx. Needs
// PHONGHOP_E2E_URL and PHONGHOP_ADMIN_PASSWORD.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { chromium } from 'playwright-core';
import { smallPdf } from './pdfgen.js';
import { ADMIN_PASSWORD, BASE, call, CHROMIUM, login, newMeeting, signInPage } from './api.js';

if (!ADMIN_PASSWORD) throw new Error('PHONGHOP_ADMIN_PASSWORD is not set (the admin password of the server under test)');

let browser, mid, base, ids, names;
const contexts = [];
let sec, d1, d2;
const DRAFT = 'Du-thao-nghi-quyet-dau-tu-cong.pdf';
const TITLE = 'Góp ý dự thảo Nghị quyết về kế hoạch đầu tư công năm 2027';

async function signedIn(username, viewport) {
  const ctx = await browser.newContext({ viewport, locale: 'vi-VN', timezoneId: 'Asia/Ho_Chi_Minh', acceptDownloads: true });
  contexts.push(ctx);
  const page = await ctx.newPage();
  await signInPage(page, username);
  return page;
}
async function openRoom(page) {
  await page.goto(new URL(`/#/m/${encodeURIComponent(mid)}`, BASE).toString());
  await page.waitForSelector('.toolbar');
}
const tab = (page, name) => page.locator('.topbar button', { hasText: name }).click();
const desk = () => sec.locator('[data-testid=consult-desk]');

before(async () => {
  const admin = await login('admin', ADMIN_PASSWORD);
  ({ mid, base, ids, names } = await newMeeting(admin, {
    title: `Kỳ họp kiểm thử góp ý dự thảo ${Date.now()}`,
    location: 'Hội trường HĐND huyện',
    participants: { chutich: 'chair', thuky: 'secretary', daibieu01: 'delegate', daibieu02: 'delegate' },
    pdf: { name: DRAFT, bytes: smallPdf(3) },
    item: { title: 'Thảo luận dự thảo nghị quyết', durationMinutes: 30 },
  }));

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  [sec, d1, d2] = await Promise.all([
    signedIn('thuky', { width: 1280, height: 800 }),
    signedIn('daibieu01', { width: 800, height: 1280 }),
    signedIn('daibieu02', { width: 1024, height: 768 }),
  ]);
  await Promise.all([sec, d1, d2].map(openRoom));
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
});

describe('opinions on drafts', () => {
  it('the secretary opens a consultation; without a document the error is in Vietnamese', async () => {
    await tab(sec, 'Góp ý dự thảo');
    const form = sec.locator('[data-testid=consult-form]');
    await form.locator('[data-testid=consult-title]').fill(TITLE);
    await form.locator('[data-testid=consult-create]').click();
    await form.locator('[data-testid=consult-error]', { hasText: 'Vui lòng chọn ít nhất một dự thảo' }).waitFor({ timeout: 10000 });
    await form.locator('[data-testid=consult-doc-choice]').check();
    await form.locator('[data-testid=consult-create]').click();
    await desk().filter({ hasText: TITLE }).waitFor({ timeout: 10000 });
    assert.ok((await desk().locator('[data-testid=consult-answered]').innerText()).includes('0/2'));
    const waiting = await desk().locator('[data-testid=not-answered]').innerText();
    assert.ok(waiting.includes(names.daibieu01) && waiting.includes(names.daibieu02), `not answered: ${waiting}`);
  });

  it('a delegate sees it live with the time left and writes an opinion on the page beside the document', async () => {
    await tab(d1, 'Góp ý dự thảo');
    const card = d1.locator('[data-testid=consult-card]').filter({ hasText: TITLE });
    await card.waitFor({ timeout: 15000 });
    const left = await card.locator('[data-testid=time-left]').innerText();
    assert.match(left, /Còn (23 giờ|1 ngày)/, `time left: ${left}`);
    await card.locator('[data-testid=consult-open-doc]').click();
    const pane = d1.locator('[data-testid=opinion-pane]');
    await pane.waitFor();
    // Nothing written: the server's reason, translated.
    await pane.locator('[data-testid=opinion-send]').click();
    await pane.locator('[data-testid=opinion-error]', { hasText: 'Vui lòng nhập ý kiến' }).waitFor({ timeout: 10000 });
    await d1.locator('[aria-label="Trang sau"]').click();
    await pane.locator('label', { hasText: 'Ý kiến về trang 2' }).waitFor();
    await pane.locator('[data-testid=opinion-input]').fill('Đề nghị làm rõ nguồn vốn đối ứng của cấp xã.');
    await pane.locator('[data-testid=opinion-send]').click();
    await pane.locator('[data-testid=opinion]', { hasText: 'Trang 2' }).waitFor({ timeout: 10000 });
    // The send button is a touch target on the portrait tablet.
    const box = await pane.locator('[data-testid=opinion-send]').boundingBox();
    assert.ok(box.height >= 48, `send button ${JSON.stringify(box)}`);
    // One on the whole document.
    await pane.locator('[data-testid=opinion-whole]').check();
    await pane.locator('[data-testid=opinion-input]').fill('Dự thảo cần bổ sung đánh giá tác động.');
    await pane.locator('[data-testid=opinion-send]').click();
    await pane.locator('[data-testid=opinion]', { hasText: 'Cả văn bản' }).waitFor({ timeout: 10000 });
  });

  it("the secretariat's screen shows them as they arrive, by document and page, with the author", async () => {
    const o = desk().locator('[data-testid=opinion]', { hasText: 'nguồn vốn đối ứng' });
    await o.waitFor({ timeout: 10000 });
    assert.ok((await o.innerText()).includes(names.daibieu01));
    await desk().locator('h4', { hasText: 'Trang 2' }).waitFor();
    await desk().locator('h4', { hasText: 'Cả văn bản' }).waitFor();
    await desk().locator('[data-testid=consult-answered]', { hasText: '1/2' }).waitFor({ timeout: 10000 });
    await desk().locator('[data-testid=answered]', { hasText: names.daibieu01 }).waitFor({ timeout: 10000 });
  });

  it('the delegate edits one and withdraws the other; the secretariat sees both', async () => {
    const pane = d1.locator('[data-testid=opinion-pane]');
    await pane.locator('[data-testid=opinion]', { hasText: 'Trang 2' }).locator('[data-testid=opinion-edit]').click();
    await pane.locator('[data-testid=opinion-input]').fill('Đề nghị làm rõ nguồn vốn đối ứng của cấp huyện và cấp xã.');
    await pane.locator('[data-testid=opinion-send]').click();
    await desk().locator('[data-testid=opinion]', { hasText: 'cấp huyện và cấp xã' }).waitFor({ timeout: 10000 });
    await pane.locator('[data-testid=opinion]', { hasText: 'Cả văn bản' }).locator('[data-testid=opinion-withdraw]').click();
    // Its text is deleted: asked first.
    await d1.locator('[data-testid=confirm-dialog]', { hasText: 'Rút ý kiến này?' }).locator('[data-testid=confirm-ok]').click();
    await desk().locator('[data-testid=opinion]', { hasText: 'đánh giá tác động' }).waitFor({ state: 'detached', timeout: 10000 });
  });

  it('another delegate agrees with no comment and sees only their own', async () => {
    await tab(d2, 'Góp ý dự thảo');
    const card = d2.locator('[data-testid=consult-card]').filter({ hasText: TITLE });
    await card.waitFor({ timeout: 15000 });
    assert.equal(await card.locator('[data-testid=opinion]').count(), 0, "another delegate's opinion shown");
    await card.locator('[data-testid=agree]').click();
    await card.locator('[data-testid=agreed]').waitFor({ timeout: 10000 });
    await desk().locator('[data-testid=agreed-count]', { hasText: names.daibieu02 }).waitFor({ timeout: 10000 });
    await desk().locator('[data-testid=consult-answered]', { hasText: '2/2' }).waitFor({ timeout: 10000 });
    const own = await call(await login('daibieu02'), 'GET', `${base}/consultations/${(await call(await login('thuky'), 'GET', `${base}/consultations`)).consultations[0].id}/opinions`);
    assert.deepEqual(own.opinions.map((o) => o.authorId), [ids.daibieu02]);
  });

  it('the secretariat downloads the summary as PDF and .docx', async () => {
    for (const [id, magic] of [['summary-pdf', '%PDF'], ['summary-docx', 'PK']]) {
      const [dl] = await Promise.all([sec.waitForEvent('download'), desk().locator(`[data-testid=${id}]`).click()]);
      const bytes = await readFile(await dl.path());
      assert.equal(bytes.subarray(0, magic.length).toString('latin1'), magic, `${id} starts with ${magic}`);
    }
  });
});
