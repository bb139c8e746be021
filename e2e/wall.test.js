// The review's finding on the wall display: at 1280×720 a vote's result card
// covered the date under the clock. Over the idle wall (nothing presented) the
// result must leave the clock and its date in view, on a 1280×720 projector and
// a 1920×1080 screen, in a meeting of its own. Needs PHONGHOP_ADMIN_PASSWORD.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { ADMIN_PASSWORD, BASE, call, CHROMIUM, login, signInPage } from './api.js';

if (!ADMIN_PASSWORD) throw new Error('PHONGHOP_ADMIN_PASSWORD is not set (the admin password of the server under test)');

let browser, base;
const walls = [];

before(async () => {
  const admin = await login('admin', ADMIN_PASSWORD);
  const users = await call(admin, 'GET', '/users');
  const id = (u) => users.find((v) => v.username === u).id;
  const m = await call(admin, 'POST', '/meetings', {
    title: `Kỳ họp kiểm thử màn hình lớn ${Date.now()}`,
    startsAt: new Date().toISOString(),
    location: 'Hội trường UBND huyện',
    language: 'vi',
    parentOrganization: 'Ủy ban nhân dân tỉnh Đồng Tháp',
    organization: 'Ủy ban nhân dân huyện Tháp Mười',
  });
  base = `/meetings/${m.id}`;
  const delegates = ['daibieu01', 'daibieu02', 'daibieu03', 'daibieu04'];
  await call(admin, 'PUT', `${base}/participants`, [
    { userId: id('chutich'), role: 'chair' },
    { userId: id('thuky'), role: 'secretary' },
    ...delegates.map((u) => ({ userId: id(u), role: 'delegate' })),
  ]);
  await call(admin, 'POST', `${base}/agenda`, { title: 'Biểu quyết chương trình công tác năm 2024', presenter: '', durationMinutes: 10, documentIds: [] });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
  for (const viewport of [
    { width: 1280, height: 720 },
    { width: 1920, height: 1080 },
  ]) {
    const ctx = await browser.newContext({ viewport, locale: 'vi-VN' });
    const page = await ctx.newPage();
    await signInPage(page, 'thuky');
    await page.goto(new URL(`/#${base.replace('/meetings', '/m')}/display`, BASE).toString());
    await page.locator('[data-testid=wall-clock]').waitFor({ timeout: 20000 });
    walls.push({ viewport, page });
  }
  // A vote, closed: its result comes up on the idle wall.
  const chair = await login('chutich');
  await call(chair, 'POST', `${base}/session`, { action: 'open' });
  const poll = await call(chair, 'POST', `${base}/polls`, {
    agendaItemId: (await call(admin, 'GET', base)).agenda[0].id,
    title: 'Thông qua Chương trình công tác năm 2024 của Ủy ban nhân dân huyện Tháp Mười',
    secret: false,
  });
  await call(chair, 'POST', `${base}/polls/${poll.id}/open`, { overrideQuorum: true });
  for (const [i, u] of delegates.entries()) await call(await login(u), 'POST', `${base}/polls/${poll.id}/ballots`, { option: i === 3 ? 1 : 0 });
  await call(chair, 'POST', `${base}/polls/${poll.id}/close`, {});
});

after(async () => {
  await browser?.close();
});

const box = async (page, sel) => {
  const b = await page.locator(sel).boundingBox();
  assert.ok(b, `${sel} on the wall`);
  return b;
};
const overlap = (a, b) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

describe('the wall display', () => {
  for (const i of [0, 1]) {
    it(`the result card leaves the clock and the date in view (${['1280×720', '1920×1080'][i]})`, async () => {
      const { page, viewport } = walls[i];
      await page.locator('.display .overlay.result [data-testid=results]').waitFor({ timeout: 20000 });
      await page.waitForTimeout(300); // the card's type fitted to the screen
      const clock = await box(page, '[data-testid=wall-clock]');
      const date = await box(page, '[data-testid=wall-clock] .date');
      const card = await box(page, '.display .overlay.result');
      console.log(`${viewport.width}×${viewport.height}: clock ${JSON.stringify(clock)}, card ${JSON.stringify(card)}`);
      assert.ok(!overlap(clock, card) && !overlap(date, card), `the card (${JSON.stringify(card)}) covers the clock (${JSON.stringify(clock)})`);
      // The card is still whole on the screen and its result readable.
      assert.ok(card.y + card.height <= viewport.height, 'the card fits the screen');
      const fit = await page.locator('.display .overlay.result').evaluate((e) => e.scrollHeight <= e.clientHeight + 1);
      assert.ok(fit, 'nothing of the result cut');
    });
  }
});
