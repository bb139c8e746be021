// The review's finding on the document toolbar: at 1280 px with the agenda open
// its labels were cut to "Đa…" and "🎤 …". From 1024 to 1280 px, in both
// orientations, for a delegate (checked in, someone else speaking, following the
// presenter) and the chair (presenting), no item of the toolbar may be cut, every
// button stays a touch target (≥ 48 px), and each keeps a name and a tooltip.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { BASE, call, CHROMIUM, login, request, signInPage } from './api.js';

const TITLE = 'Hội nghị tổng kết công tác cải cách hành chính năm 2023';

let browser, meetingId, chairToken, asker, item;

before(async () => {
  chairToken = await login('chutich');
  const m = (await call(chairToken, 'GET', '/meetings')).find((x) => x.title === TITLE);
  assert.ok(m, 'demo meeting present (run `phonghop demo`)');
  meetingId = m.id;
  item = (await call(chairToken, 'GET', `/meetings/${meetingId}`)).agenda.find((a) => a.documentIds.length > 0);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
  // The longest toolbar: a speaker with a long name on the floor, the delegate
  // checked in and following a presented page.
  const speaker = (await call(await login('daibieu02'), 'GET', '/me')).id; // Phạm Thị Hồng Nhung
  asker = await login('daibieu08');
  await request(chairToken, 'POST', `/meetings/${meetingId}/attendance`);
  await request(asker, 'POST', `/meetings/${meetingId}/attendance`);
  await call(chairToken, 'PUT', `/meetings/${meetingId}/presentation`, { agendaItemId: item.id, documentId: item.documentIds[0], page: 1 });
  await call(chairToken, 'POST', `/meetings/${meetingId}/speakers`, { action: 'floor', userId: speaker });
});

after(async () => {
  await request(chairToken, 'POST', `/meetings/${meetingId}/speakers`, { action: 'end' });
  await request(asker, 'DELETE', `/meetings/${meetingId}/attendance`);
  await request(chairToken, 'DELETE', `/meetings/${meetingId}/attendance`);
  await browser?.close();
});

/** Every item of the toolbar (and the items grouped in it): cut or not, its size, name and tooltip. */
const measure = (page) =>
  page.evaluate(() => {
    const bar = document.querySelector('.toolbar');
    const b = bar.getBoundingClientRect();
    const items = [...bar.querySelectorAll('button, .btn, .badge, .pageno, .quorum')].filter((e) => e.getBoundingClientRect().width > 0);
    return {
      bar: { left: b.left, right: b.right },
      items: items.map((e) => {
        const r = e.getBoundingClientRect();
        return {
          what: (e.getAttribute('aria-label') || e.textContent).trim().slice(0, 30),
          shown: e.innerText.trim().slice(0, 30),
          button: e.matches('button, .btn'),
          cut: e.scrollWidth > e.clientWidth,
          sw: e.scrollWidth,
          cw: e.clientWidth,
          w: r.width,
          h: r.height,
          left: r.left,
          right: r.right,
          mid: r.top + r.height / 2,
          named: !!(e.getAttribute('aria-label') || e.textContent.trim()),
          // Shown as an icon: named by aria-label or by a label hidden from sight.
          icon: !!e.getAttribute('aria-label') || [...e.querySelectorAll('.lbl, .lbl2, .lbl4')].some((l) => getComputedStyle(l).opacity === '0'),
          tip: !!(e.getAttribute('title') || e.closest('[title]')),
        };
      }),
    };
  });

describe('the document toolbar is never cut', () => {
  for (const [who, viewport] of [
    ['daibieu08', { width: 1024, height: 768 }],
    ['daibieu08', { width: 1280, height: 800 }],
    ['daibieu08', { width: 800, height: 1280 }],
    ['chutich', { width: 1024, height: 768 }],
    ['chutich', { width: 1280, height: 800 }],
    ['chutich', { width: 800, height: 1280 }],
  ]) {
    it(`${who} at ${viewport.width}×${viewport.height}`, async () => {
      const ctx = await browser.newContext({ viewport, locale: 'vi-VN' });
      try {
        const page = await ctx.newPage();
        await signInPage(page, who);
        await page.goto(new URL(`/#/m/${encodeURIComponent(meetingId)}`, BASE).toString());
        await page.waitForSelector('[data-testid=speaking]');
        await page.waitForSelector(who === 'chutich' ? '[data-testid=presenting]' : '[data-testid=following]');
        await page.waitForSelector('[data-testid=checkin].ok');
        // The agenda open where it sits beside the page (landscape), as the finding had it.
        if (viewport.width > viewport.height) assert.ok(await page.isVisible('.agenda-pane'), 'agenda panel open');
        const { bar, items } = await measure(page);
        const report = items.map((i) => `${i.what} [${i.shown}]: ${Math.round(i.w)}×${Math.round(i.h)}`).join(' | ');
        console.log(`${who} ${viewport.width}×${viewport.height}: ${report}`);
        for (const i of items) {
          assert.ok(!i.cut, `"${i.what}" cut (${i.sw} > ${i.cw}): ${report}`);
          assert.ok(i.left >= bar.left - 1 && i.right <= bar.right + 1, `"${i.what}" pushed out of the toolbar: ${report}`);
          assert.ok(i.named, `an item without a name: ${report}`);
          if (i.button) assert.ok(i.w >= 48 && i.h >= 48, `"${i.what}" ${Math.round(i.w)}×${Math.round(i.h)} px, under a touch target`);
          if (i.icon) assert.ok(i.tip, `"${i.what}" shown as an icon without a tooltip`);
        }
        // One row in portrait too (800 px wide): it took two once the delegate checked in.
        const mids = items.map((i) => i.mid);
        assert.ok(Math.max(...mids) - Math.min(...mids) < 4, `one row: ${report}`);
      } finally {
        await ctx.close();
      }
    });
  }
});
