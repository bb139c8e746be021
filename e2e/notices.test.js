// Notices (issue #15): the chair sends a ready phrase to every tablet and the
// wall; each tablet dismisses it for itself (and it stays dismissed after a
// reload); a tablet that opens the room later gets it from the snapshot; the
// chair withdraws it for everyone; a notice too long is refused with a
// translated error. Needs PHONGHOP_E2E_URL and PHONGHOP_ADMIN_PASSWORD.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { smallPdf } from './pdfgen.js';
import { ADMIN_PASSWORD, BASE, call, CHROMIUM, login, newMeeting, signInPage } from './api.js';

if (!ADMIN_PASSWORD) throw new Error('PHONGHOP_ADMIN_PASSWORD is not set (the admin password of the server under test)');

let browser, mid, base, chairToken;
const contexts = [];
let chair, d1, d2, wall;

async function signedIn(username, viewport) {
  const ctx = await browser.newContext({ viewport, locale: 'vi-VN', timezoneId: 'Asia/Ho_Chi_Minh' });
  contexts.push(ctx);
  const page = await ctx.newPage();
  await signInPage(page, username);
  return page;
}

const room = () => new URL(`/#/m/${encodeURIComponent(mid)}`, BASE).toString();
async function openRoom(page) {
  await page.goto(room());
  await page.waitForSelector('.toolbar');
}
const banner = (page) => page.locator('[data-testid=notice-banner]');
const shows = (page, text) => banner(page).filter({ hasText: text }).waitFor({ timeout: 15000 });
const gone = (page) => banner(page).waitFor({ state: 'detached', timeout: 15000 });

before(async () => {
  const admin = await login('admin', ADMIN_PASSWORD);
  ({ mid, base } = await newMeeting(admin, {
    title: `Phiên họp kiểm thử thông báo ${Date.now()}`,
    participants: { chutich: 'chair', thuky: 'secretary', daibieu01: 'delegate', daibieu02: 'delegate' },
    pdf: { name: 'Bao-cao.pdf', bytes: smallPdf(2) },
    item: { title: 'Báo cáo tình hình kinh tế - xã hội' },
  }));
  chairToken = await login('chutich');

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  [chair, d1, wall] = await Promise.all([
    signedIn('chutich', { width: 1280, height: 800 }),
    signedIn('daibieu01', { width: 800, height: 1280 }),
    signedIn('thuky', { width: 1920, height: 1080 }),
  ]);
  await Promise.all([chair, d1].map(openRoom));
  await wall.goto(new URL(`/#/m/${encodeURIComponent(mid)}/display`, BASE).toString());
  await wall.locator('[data-testid=wall-idle]').waitFor({ timeout: 15000 });
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
});

describe('notices to every tablet and the wall', () => {
  it('the chair sends a ready phrase: it shows on the delegate, the chair and the wall, in a live region', async () => {
    await chair.locator('.topbar button', { hasText: 'Điều hành' }).click();
    const sender = chair.locator('[data-testid=notice-sender]');
    await sender.waitFor();
    await sender.locator('[data-testid=notice-phrase]', { hasText: 'Giải lao 15 phút' }).click();
    assert.equal(await sender.locator('[data-testid=notice-input]').inputValue(), 'Giải lao 15 phút');
    await sender.locator('[data-testid=notice-send]').click();
    for (const p of [d1, chair, wall]) await shows(p, 'Giải lao 15 phút');
    // Screen readers: the notice is inside an assertive live region.
    const live = await d1.locator('[aria-live=assertive]').filter({ hasText: 'Giải lao 15 phút' }).count();
    assert.equal(live, 1, 'the notice is in an aria-live region');
    assert.ok((await banner(d1).innerText()).includes('Thông báo của'), 'who sent it, in Vietnamese');
    await sender.locator('[data-testid=notice-current]', { hasText: 'Giải lao 15 phút' }).waitFor();
    // The wall's notice is big enough to read from the back of the hall.
    const size = await wall.locator('[data-testid=notice-text]').evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
    assert.ok(size >= 40, `wall notice font ${size}px`);
    // On the portrait tablet the dismiss button is a touch target.
    const box = await d1.locator('[data-testid=notice-dismiss]').boundingBox();
    assert.ok(box && box.width >= 48 && box.height >= 48, `dismiss button ${JSON.stringify(box)}`);
  });

  it('a delegate dismisses it on their tablet only, and it stays dismissed after a reload', async () => {
    await d1.locator('[data-testid=notice-dismiss]').click();
    await gone(d1);
    await d1.reload();
    await d1.waitForSelector('.toolbar');
    await d1.waitForFunction(() => document.querySelector('[data-testid=pageno]') !== null);
    await d1.waitForTimeout(1500); // the snapshot has come: still nothing shown
    assert.equal(await banner(d1).count(), 0, 'dismissed notice back after a reload');
    assert.equal(await banner(chair).count(), 1, "the chair's still shows it");
    assert.equal(await banner(wall).count(), 1, "the wall's still shows it");
  });

  it('a tablet that opens the room later gets the notice from the room state', async () => {
    d2 = await signedIn('daibieu02', { width: 1024, height: 768 });
    await openRoom(d2);
    await shows(d2, 'Giải lao 15 phút');
  });

  it('a notice too long is refused with a translated error, and nothing is sent', async () => {
    const input = chair.locator('[data-testid=notice-input]');
    // Past the field's own limit (as a script could): the server refuses it.
    await input.evaluate((el) => {
      el.removeAttribute('maxlength');
    });
    await input.fill('Mời các đại biểu '.repeat(15));
    await chair.locator('[data-testid=notice-send]').click();
    await chair.locator('.banner.conflict', { hasText: 'Thông báo dài quá 200 ký tự' }).waitFor({ timeout: 10000 });
    await chair.locator('.banner.conflict button').click();
    assert.equal(await banner(d2).count(), 1);
    assert.ok((await banner(d2).innerText()).includes('Giải lao 15 phút'), 'the notice shown did not change');
  });

  it('the chair withdraws it for everyone; the next notice shows again where the last was dismissed', async () => {
    await chair.locator('[data-testid=notice-withdraw]').click();
    for (const p of [chair, d2, wall]) await gone(p);
    const st = await call(chairToken, 'GET', `${base}/state`);
    assert.equal(st.notice, null);
    // The secretary's notice (over REST, as a script would send it).
    const sec = await login('thuky');
    await call(sec, 'POST', `${base}/notice`, { text: 'Mời các đại biểu về phòng họp' });
    for (const p of [d1, d2, chair, wall]) await shows(p, 'Mời các đại biểu về phòng họp');
  });
});
