// The review's finding on the minutes editor: a session that expired (401)
// while the secretary typed lost the unsaved text. Now the text stays in the
// tab for that person: the sign-in screen comes, and after signing in again the
// editor is back with the text, which saves. Sign-out removes it, and another
// person signing in on the same tablet finds nothing of it. In a meeting of its
// own. Needs PHONGHOP_ADMIN_PASSWORD.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { ADMIN_PASSWORD, BASE, call, CHROMIUM, login, PASSWORD } from './api.js';

if (!ADMIN_PASSWORD) throw new Error('PHONGHOP_ADMIN_PASSWORD is not set (the admin password of the server under test)');

let browser, mid, secToken;

before(async () => {
  const admin = await login('admin', ADMIN_PASSWORD);
  const users = await call(admin, 'GET', '/users');
  const id = (u) => users.find((v) => v.username === u).id;
  const m = await call(admin, 'POST', '/meetings', { title: `Họp kiểm thử biên bản khi hết phiên ${Date.now()}`, startsAt: new Date().toISOString(), location: 'Phòng họp số 1', language: 'vi' });
  mid = m.id;
  await call(admin, 'PUT', `/meetings/${mid}/participants`, [
    { userId: id('chutich'), role: 'chair' },
    { userId: id('thuky'), role: 'secretary' },
    { userId: id('daibieu01'), role: 'delegate' },
  ]);
  await call(admin, 'POST', `/meetings/${mid}/agenda`, { title: 'Thông qua chương trình', presenter: '', durationMinutes: 10, documentIds: [] });
  secToken = await login('thuky');
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
});

after(async () => browser?.close());

const minutes = async () => call(secToken, 'GET', `/meetings/${mid}/minutes`);
/** What the tab and the tablet keep of people (the language is the tablet's). */
const stored = (page) =>
  page.evaluate(() => {
    const of = (kv) => Object.keys(kv).filter((k) => k.startsWith('phonghop.') && k !== 'phonghop.lang');
    return { local: of(localStorage), session: of(sessionStorage), text: JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage }) };
  });

async function signIn(page, username) {
  await page.waitForSelector('input[name=username]');
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForFunction(() => !location.hash.startsWith('#/login'));
}

async function openMinutes(page) {
  await page.goto(new URL(`/#/m/${encodeURIComponent(mid)}`, BASE).toString());
  await page.click('.topbar button:has-text("Biên bản")');
  await page.waitForSelector('[data-testid=minutes-summary]');
}

describe('the minutes editor when the session ends', () => {
  it('keeps the text typed through an expired session, back in the editor after signing in again, and it saves', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'vi-VN' });
    try {
      const page = await ctx.newPage();
      await page.goto(new URL('/#/login', BASE).toString());
      await signIn(page, 'thuky');
      await openMinutes(page);
      const text = `Kết luận đang gõ khi hết phiên ${Date.now()}`;
      await page.fill('[data-testid=minutes-summary]', text);
      // The session expires under her hands: the cookie is gone, the save answers 401.
      await ctx.clearCookies();
      await page.click('[data-testid=minutes-save]');
      await page.waitForSelector('input[name=username]', { timeout: 15000 });
      assert.notEqual((await minutes()).summary, text, 'nothing saved without a session');
      // Nothing of her stays in the tablet's storage; the text only in this tab's, under her id.
      const kept = await stored(page);
      assert.deepEqual(kept.local, [], 'the tablet keeps nothing of her');
      assert.ok(kept.session.some((k) => k.startsWith('phonghop.minutes.')), `the unsaved text kept in the tab: ${JSON.stringify(kept.session)}`);

      await signIn(page, 'thuky');
      await page.waitForSelector('[data-testid=minutes-summary]', { timeout: 15000 });
      assert.match(page.url(), /\/minutes$/, 'back to the minutes');
      await page.waitForFunction((s) => document.querySelector('[data-testid=minutes-summary]')?.value === s, text, { timeout: 10000 });
      await page.waitForSelector('[data-testid=minutes-notice]');
      await page.click('[data-testid=minutes-save]');
      await page.waitForSelector('text=Đã lưu');
      assert.equal((await minutes()).summary, text, 'the restored text saved');
      assert.deepEqual((await stored(page)).session, [], 'saved: nothing kept');
    } finally {
      await ctx.close();
    }
  });

  it('sign-out removes the unsaved text, and another person signing in after an expired session finds none of it', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'vi-VN' });
    try {
      const page = await ctx.newPage();
      await page.goto(new URL('/#/login', BASE).toString());
      await signIn(page, 'thuky');
      await openMinutes(page);
      const secret = `Nội dung chưa lưu ${Date.now()}`;
      await page.fill('[data-testid=minutes-summary]', secret);
      await page.waitForFunction(() => Object.keys(sessionStorage).some((k) => k.startsWith('phonghop.minutes.')), null, { timeout: 5000 });
      await page.click('.topbar button.signout');
      await page.waitForSelector('input[name=username]');
      await page.waitForTimeout(500); // past the editor's 300 ms write-behind
      let kept = await stored(page);
      assert.deepEqual([...kept.local, ...kept.session], [], `sign-out leaves nothing: ${JSON.stringify(kept)}`);
      assert.ok(!kept.text.includes(secret));

      // Typed again, then the session expires and the chair signs in on the same tablet.
      await signIn(page, 'thuky');
      await openMinutes(page);
      await page.fill('[data-testid=minutes-summary]', secret);
      await ctx.clearCookies();
      await page.click('[data-testid=minutes-save]');
      await page.waitForSelector('input[name=username]', { timeout: 15000 });
      assert.ok((await stored(page)).text.includes(secret), 'kept for her, in the tab');
      await signIn(page, 'chutich');
      kept = await stored(page);
      assert.ok(!kept.text.includes(secret), `the next person finds nothing of hers: ${JSON.stringify(kept)}`);
      assert.ok(!page.url().includes('/minutes'), 'not taken to where she was');
      await openMinutes(page);
      assert.notEqual(await page.inputValue('[data-testid=minutes-summary]'), secret, "not in the chair's editor");
    } finally {
      await ctx.close();
    }
  });
});
