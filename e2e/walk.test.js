// A whole meeting walked through as its users run it (set-up, the room, the
// votes, the wall), and what that walk found, each in the browser: the wall
// showed the top of a portrait page only (fit-width, nobody can scroll a
// wall) under zoom buttons that covered the turnout; a named vote's ballot did
// not say it is named; the receipt stayed open over the result once the vote
// closed (two dialogs, two "Đóng"); "back to the presenter's page" covered the
// zoom buttons when notes narrowed the page; the secretary, whom the API lets
// draft votes, had no form for it; the participants' import showed raw keys
// ("role_Quan sát viên", "delegate"), unlabelled changes, and ignored the
// corrected file chosen again under the same name; the set-up screen's note
// stayed over the headings for good; Chromium warned of an unknown
// Permissions-Policy feature on every page; the chair looked for the minutes'
// approval beside "Xem" (it is in the preview); a delegate saw only a new tab
// appear when opinions on a draft were invited; at 1024×768 the quorum badge
// sent the toolbar's actions to icons; on a phone the top bar took four rows
// and a notice covered the document; the set-up screen's file inputs spoke the
// browser's English; the minutes downloaded under the meeting's id. A meeting
// of its own; needs PHONGHOP_ADMIN_PASSWORD.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { ADMIN_PASSWORD, BASE, call, CHROMIUM, login, newMeeting, signInPage } from './api.js';
import { smallPdf } from './pdfgen.js';

if (!ADMIN_PASSWORD) throw new Error('PHONGHOP_ADMIN_PASSWORD is not set (the admin password of the server under test)');

let browser, admin, chair, mid, base, item, doc, dir, ids;
const contexts = [];
const warnings = [];

async function signedIn(username, viewport, password) {
  const ctx = await browser.newContext({ viewport, locale: 'vi-VN', timezoneId: 'Asia/Ho_Chi_Minh' });
  contexts.push(ctx);
  const page = await ctx.newPage();
  page.on('console', (m) => {
    if (m.type() === 'warning' || m.type() === 'error') warnings.push(`${username}: ${m.text()}`);
  });
  await signInPage(page, username, password);
  return page;
}
const room = (suffix = '') => new URL(`/#/m/${encodeURIComponent(mid)}${suffix}`, BASE).toString();
const rendered = (page, n) =>
  page.waitForFunction((p) => document.querySelector('.viewer .host')?.dataset.rendered === String(p), n, { timeout: 30000 });
const overlap = (a, b) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

before(async () => {
  admin = await login('admin', ADMIN_PASSWORD);
  chair = await login('chutich');
  ({ mid, base, doc, item, ids } = await newMeeting(admin, {
    title: `Kỳ họp kiểm thử đi một vòng ${Date.now()}`,
    participants: { chutich: 'chair', thuky: 'secretary', daibieu01: 'delegate', daibieu02: 'delegate', daibieu03: 'delegate' },
    pdf: { name: 'Bao-cao.pdf', bytes: smallPdf(3) },
    item: { title: 'Báo cáo tổng kết năm' },
  }));
  await call(chair, 'POST', `${base}/session`, { action: 'open' });
  await call(chair, 'PUT', `${base}/presentation`, { agendaItemId: item.id, documentId: doc.id, page: 1 });
  dir = await mkdtemp(join(tmpdir(), 'phonghop-walk-'));
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a meeting walked through', () => {
  it('the wall shows the presented portrait page whole, with no zoom buttons over the turnout', async () => {
    const wall = await signedIn('thuky', { width: 1920, height: 1080 });
    await wall.goto(room('/display'));
    await rendered(wall, 1);
    const sheet = await wall.locator('.display .viewer .sheet').boundingBox();
    assert.ok(sheet, 'the page on the wall');
    console.log(`wall 1920×1080: page ${Math.round(sheet.width)}×${Math.round(sheet.height)} at ${Math.round(sheet.y)}`);
    assert.ok(sheet.y >= -1 && sheet.y + sheet.height <= 1080 + 1, `the whole page in view: ${JSON.stringify(sheet)}`);
    assert.equal(await wall.locator('.display [data-testid=zoom-in]').count(), 0, 'no zoom buttons on the wall');
    await wall.context().close();
  });

  // The result card only ever shrank to fit: ~22 px type on a 1920×1080
  // wall, read from 10 m. It grows to fill the wall now, and still fits it
  // with an election of many candidates.
  it('the result on a 1920×1080 wall is large, and an election of many candidates still fits', async () => {
    const wall = await signedIn('thuky', { width: 1920, height: 1080 });
    await wall.goto(room('/display'));
    await rendered(wall, 1);
    const card = wall.locator('.display .overlay.result');
    const measure = async (sel) => {
      await wall.waitForTimeout(500); // the card's type fitted to the wall
      const size = await wall.locator(sel).first().evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
      const { fit, bottom } = await card.evaluate((e) => ({ fit: e.scrollHeight <= e.clientHeight + 1 && e.scrollWidth <= e.clientWidth + 1, bottom: e.getBoundingClientRect().bottom }));
      return { size, fit, bottom };
    };
    const motion = await call(chair, 'POST', `${base}/polls`, { agendaItemId: item.id, title: 'Thông qua kế hoạch cải cách hành chính năm 2024', secret: true });
    await call(chair, 'POST', `${base}/polls/${motion.id}/open`, { overrideQuorum: true });
    await call(await login('daibieu01'), 'POST', `${base}/polls/${motion.id}/ballots`, { option: 0 });
    await call(chair, 'POST', `${base}/polls/${motion.id}/close`, {});
    await card.locator('[data-testid=results]').waitFor({ timeout: 15000 });
    const m = await measure('.display [data-testid=result-option] .label');
    console.log(`wall 1920×1080, a motion's result: options in ${m.size} px type, card to y=${Math.round(m.bottom)}`);
    assert.ok(m.size >= 40, `the options readable across the room (${m.size} px)`);
    assert.ok(m.fit && m.bottom <= 1080, 'the card whole on the wall');
    const candidates = Array.from({ length: 15 }, (_, i) => ({ name: `Ứng cử viên Nguyễn Văn Thành ${i + 1}`, position: 'Trưởng phòng' }));
    const election = await call(chair, 'POST', `${base}/polls`, {
      agendaItemId: item.id,
      title: 'Bầu Ủy viên Thường trực Hội đồng nhân dân huyện khóa XII',
      kind: 'election',
      majority: 'absolute',
      questions: [{ title: 'Bầu Ủy viên Thường trực', seats: 3, candidates }],
    });
    await call(chair, 'POST', `${base}/polls/${election.id}/open`, { overrideQuorum: true });
    await call(await login('daibieu01'), 'POST', `${base}/polls/${election.id}/ballots`, { answers: [[0, 1, 2]] });
    await call(chair, 'POST', `${base}/polls/${election.id}/close`, {});
    await card.locator('[data-testid=ballot-results]').waitFor({ timeout: 15000 });
    const e = await measure('.display [data-testid=ballot-results] td.name');
    console.log(`wall 1920×1080, an election of 15 candidates: names in ${e.size} px type, card to y=${Math.round(e.bottom)}`);
    assert.ok(e.fit && e.bottom <= 1080, 'the election\'s card whole on the wall, nothing scrolled');
    assert.ok(e.size >= 18, `the names still readable (${e.size} px)`);
    await wall.context().close();
  });

  it('a named vote says so on the ballot; once it closes the receipt gives way to the result', async () => {
    const d1 = await signedIn('daibieu01', { width: 800, height: 1280 });
    await d1.goto(room());
    await rendered(d1, 1);
    const named = await call(chair, 'POST', `${base}/polls`, { agendaItemId: item.id, title: 'Thông qua báo cáo tổng kết năm', secret: false });
    await call(chair, 'POST', `${base}/polls/${named.id}/open`, { overrideQuorum: true });
    const modal = d1.locator('[data-testid=vote-modal]');
    await modal.waitFor({ timeout: 15000 });
    assert.match(await modal.locator('[data-testid=ballot-kind]').innerText(), /công khai.*ghi tên/i, 'the ballot says the vote is named');
    await modal.locator('[data-testid=vote-option]').first().click();
    await d1.click('[data-testid=vote-confirm]');
    await d1.locator('[data-testid=vote-done]').waitFor();
    // The delegate leaves the receipt open; the chair closes the vote.
    await call(chair, 'POST', `${base}/polls/${named.id}/close`, {});
    await d1.locator('[data-testid=result-modal]').waitFor({ timeout: 15000 });
    await d1.locator('[data-testid=vote-done]').waitFor({ state: 'detached', timeout: 5000 });
    assert.equal(await d1.locator('[role=dialog]').count(), 1, 'one dialog: the result');
    // Closing the result does not bring the receipt back.
    await d1.locator('[data-testid=result-modal] button').first().click();
    await d1.waitForTimeout(300);
    assert.equal(await d1.locator('[data-testid=vote-done]').count(), 0);
    const secret = await call(chair, 'POST', `${base}/polls`, { agendaItemId: item.id, title: 'Bỏ phiếu kín kiểm thử', secret: true });
    await call(chair, 'POST', `${base}/polls/${secret.id}/open`, { overrideQuorum: true });
    await modal.waitFor({ timeout: 15000 });
    assert.equal(await modal.locator('[data-testid=ballot-kind]').innerText(), 'Bỏ phiếu kín');
    await modal.locator('button', { hasText: 'Đóng' }).click();
    await call(chair, 'POST', `${base}/polls/${secret.id}/close`, {});
    await d1.locator('[data-testid=result-modal] button').first().click({ timeout: 15000 });
    await d1.context().close();
  });

  it('"back to the presenter\'s page" leaves the zoom buttons free when notes narrow the page', async () => {
    const d2 = await signedIn('daibieu02', { width: 1280, height: 800 });
    await d2.goto(room());
    await rendered(d2, 1);
    // The last vote's result, if this tablet opens on it.
    await d2.waitForTimeout(500);
    const result = d2.locator('[data-testid=result-modal] button');
    if (await result.count()) await result.first().click();
    await d2.click('[data-testid=notes-toggle]');
    await d2.locator('.notes-pane').waitFor();
    await d2.locator('.toolbar button', { hasText: '▶' }).first().click(); // leaf ahead privately
    await rendered(d2, 2);
    const back = await d2.locator('.back-to').boundingBox();
    const zoom = await d2.locator('.viewer .zoombar').boundingBox();
    console.log(`pane narrowed by notes: back-to ${JSON.stringify(back)}, zoom buttons ${JSON.stringify(zoom)}`);
    assert.ok(back && zoom && !overlap(back, zoom), 'the button and the zoom buttons apart');
    await d2.click('.back-to');
    await rendered(d2, 1);
    await d2.context().close();
  });

  it('on a landscape tablet the toolbar keeps the words of a delegate\'s actions before those of its states', async () => {
    const who = await login('daibieu03');
    await call(who, 'POST', `${base}/attendance`);
    await call(who, 'POST', `${base}/speakers`, { action: 'request' });
    const d3 = await signedIn('daibieu03', { width: 1280, height: 800 });
    await d3.goto(room());
    await rendered(d3, 1);
    await d3.waitForTimeout(500);
    const result = d3.locator('[data-testid=result-modal] button');
    if (await result.count()) await result.first().click();
    await d3.locator('[data-testid=following]').waitFor();
    const seen = (sel) => d3.locator(sel).evaluate((e) => getComputedStyle(e).opacity !== '0' && getComputedStyle(e).position !== 'absolute');
    const withdraw = '.toolbar button[title="Rút đăng ký"] .lbl';
    const bar = await d3.locator('.toolbar').getAttribute('class');
    console.log(`1280×800, checked in and waiting to speak: ${bar}; "${(await d3.locator('.toolbar').innerText()).replace(/\s+/g, ' ')}"`);
    assert.ok(await seen(withdraw), `"Rút đăng ký" in words (${bar})`);
    assert.ok(await seen('[data-testid=checkin] .lbl4'), `"Đã điểm danh" in words (${bar})`);
    await call(who, 'POST', `${base}/speakers`, { action: 'withdraw' });
    await d3.context().close();
  });

  // While someone else has the floor, a checked-in delegate's row holds the
  // page, the quorum, the speaker, "checked in" and "ask to speak": at
  // 1280×800 with the agenda open it went to icons alone (✓, ✋), in portrait
  // to two rows. The actions keep their words; states give way first.
  async function toolbarWhileSpeaking(viewport, more = async () => {}) {
    const who = await login('daibieu01');
    await call(who, 'POST', `${base}/attendance`);
    const speaker = await login('daibieu02');
    await call(speaker, 'POST', `${base}/speakers`, { action: 'request' });
    await call(chair, 'POST', `${base}/speakers`, { action: 'floor', userId: ids.daibieu02 });
    const page = await signedIn('daibieu01', viewport);
    try {
      await page.goto(room());
      await rendered(page, 1);
      await page.waitForTimeout(500);
      const result = page.locator('[data-testid=result-modal] button');
      if (await result.count()) await result.first().click();
      await page.locator('.toolbar [data-testid=speaking]').waitFor({ timeout: 15000 });
      await page.locator('[data-testid=checkin].ok').waitFor({ timeout: 15000 });
      await page.waitForTimeout(300); // the row refitted to its last items
      const bar = page.locator('.toolbar');
      const seen = (sel) => page.locator(sel).evaluate((e) => getComputedStyle(e).opacity !== '0' && getComputedStyle(e).position !== 'absolute');
      const box = await bar.boundingBox();
      const { cls, scroll, width } = await bar.evaluate((e) => ({ cls: e.className, scroll: e.scrollWidth, width: e.clientWidth }));
      const tall = await page.locator('.toolbar [data-testid=checkin]').evaluate((e) => e.getBoundingClientRect().height);
      console.log(`${viewport.width}×${viewport.height}, checked in, someone speaking: ${cls}; ${Math.round(box.height)} px tall; "${(await bar.innerText()).replace(/\s+/g, ' ')}"`);
      assert.ok(box.height < 2 * tall, `one row (${Math.round(box.height)} px, a button ${Math.round(tall)} px)`);
      assert.ok(scroll <= width, `nothing scrolled out of the row (${scroll} > ${width})`);
      assert.ok(await seen('.toolbar button[title="Đăng ký phát biểu"] .lbl'), `"Đăng ký phát biểu" in words (${cls})`);
      await more(seen, cls, page);
    } finally {
      await call(speaker, 'POST', `${base}/speakers`, { action: 'withdraw' });
      await page.context().close();
    }
  }

  it('with someone speaking, a landscape tablet with the agenda open keeps the words of "checked in" and "ask to speak"', async () => {
    await toolbarWhileSpeaking({ width: 1280, height: 800 }, async (seen, cls) => {
      assert.ok(await seen('[data-testid=checkin] .lbl4'), `"Đã điểm danh" in words (${cls})`);
    });
  });

  it('with someone speaking, a checked-in portrait tablet keeps its toolbar to one row', async () => {
    await toolbarWhileSpeaking({ width: 800, height: 1280 });
  });

  // A 10-inch tablet (1024×768) with the agenda open and someone speaking:
  // the quorum badge (~165 px, "👥 1/3 · cần 2 ✗") sent the actions to icons
  // (fit-5 then). The badge gives way first, to "👥 1/3 ✗", its whole text
  // kept as its name and tooltip; the same tablet upright keeps the words too.
  for (const viewport of [{ width: 1024, height: 768 }, { width: 768, height: 1024 }]) {
    it(`with someone speaking, a ${viewport.width}×${viewport.height} tablet keeps the words of "ask to speak"`, async () => {
      await toolbarWhileSpeaking(viewport, async (seen, cls, page) => {
        if (viewport.width > viewport.height) assert.ok(await page.isVisible('.agenda-pane'), 'the agenda open beside the page');
        const quorum = page.locator('.toolbar [data-testid=quorum]');
        const name = await quorum.getAttribute('aria-label');
        assert.match(name, /^Có mặt \d+\/\d+ · cần \d+ · /, 'the whole quorum as its name');
        assert.equal(await quorum.getAttribute('title'), name, 'and as its tooltip');
        const size = await quorum.evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
        const words = await page.locator('.toolbar button[title="Đăng ký phát biểu"]').evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
        console.log(`quorum "${(await quorum.innerText()).trim()}" in ${size} px, "Đăng ký phát biểu" in ${words} px (${cls})`);
        assert.ok(size >= 15 && words >= 15, 'readable at arm\'s length');
      });
    });
  }

  // A phone upright (390×844): the room's top bar took four rows, and the
  // notice over the page (357 px with the secretary's withdraw button) hid the
  // document. The bar keeps to two rows (the tabs a row that scrolls), the
  // notice takes its own place above the page, cut to three lines until
  // "Xem thêm", its buttons still big.
  it('on a phone the top bar keeps to two rows and a notice leaves the document in view', async () => {
    const text = 'Mời các đại biểu về phòng họp đúng 14 giờ 00; phiên thảo luận về dự toán ngân sách năm 2025 tiếp tục tại hội trường tầng 2 của Ủy ban nhân dân huyện, đề nghị các đại biểu mang theo tài liệu.';
    await call(chair, 'POST', `${base}/notice`, { text });
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true, locale: 'vi-VN', timezoneId: 'Asia/Ho_Chi_Minh' });
    contexts.push(ctx);
    const page = await ctx.newPage();
    try {
      await signInPage(page, 'thuky');
      await page.goto(room());
      await rendered(page, 1);
      const notice = page.locator('[data-testid=notice-banner]');
      await notice.waitFor({ timeout: 15000 });
      await page.waitForTimeout(300);
      const bar = await page.evaluate(() => {
        const mids = [...document.querySelectorAll('.topbar :is(button, .btn, .title, .whoami)')]
          .filter((e) => e.getBoundingClientRect().width > 0)
          .map((e) => (e.getBoundingClientRect().top + e.getBoundingClientRect().bottom) / 2);
        const rows = [];
        for (const t of mids.sort((a, b) => a - b)) if (!rows.length || t - rows[rows.length - 1] > 12) rows.push(t);
        return { rows: rows.length, height: document.querySelector('.topbar').getBoundingClientRect().height };
      });
      const box = (sel) => page.locator(sel).first().boundingBox();
      const [n, wrap, sheet, toolbar] = await Promise.all([box('[data-testid=notice-banner]'), box('.viewer-wrap'), box('.viewer .sheet'), box('.toolbar')]);
      console.log(`390×844, the secretary: top bar ${bar.rows} rows, ${Math.round(bar.height)} px; notice ${Math.round(n.y)}–${Math.round(n.y + n.height)}; page in view ${Math.round(wrap.y)}–${Math.round(toolbar.y)}`);
      assert.ok(bar.rows <= 2, `the top bar in ${bar.rows} rows`);
      assert.ok(!overlap(n, wrap), 'the notice does not cover the document');
      assert.ok(toolbar.y - Math.max(wrap.y, sheet.y) >= 250, `the document in view (${Math.round(toolbar.y - Math.max(wrap.y, sheet.y))} px)`);
      assert.ok(n.height <= 240, `the notice ${Math.round(n.height)} px tall`);
      // Readable and dismissible with a thumb.
      assert.ok((await notice.locator('[data-testid=notice-text]').evaluate((e) => parseFloat(getComputedStyle(e).fontSize))) >= 17);
      for (const sel of ['[data-testid=notice-dismiss]', '[data-testid=notice-withdraw-banner]', '[data-testid=notice-more]']) {
        const b = await box(sel);
        assert.ok(b && b.width >= 48 && b.height >= 48, `${sel} ${JSON.stringify(b)}, under a touch target`);
      }
      await page.tap('[data-testid=notice-more]');
      const whole = await notice.locator('[data-testid=notice-text]').evaluate((e) => e.scrollHeight <= e.clientHeight + 1 && e.innerText);
      assert.equal(whole, text, 'the whole notice after "Xem thêm"');
      // Every tab within reach: the last one scrolls in, and opens.
      await page.tap('.topbar button:has-text("Biên bản")');
      await page.locator('.topbar button.active', { hasText: 'Biên bản' }).waitFor();
      await page.tap('.topbar button:has-text("Tài liệu")');
      await page.tap('[data-testid=notice-dismiss]');
      await notice.waitFor({ state: 'detached', timeout: 5000 });
    } finally {
      await call(chair, 'DELETE', `${base}/notice`, undefined, [200, 204, 404]);
      await ctx.close();
    }
  });

  // At 390×844 the meeting list's bar cut its title to "Cuộ…"; on the set-up
  // screen the meeting filters and their count took three rows, each
  // participant three (the name broken word by word), the picker's actions
  // four. Two rows at most, in both languages, every control a thumb's size.
  it('on a phone the meeting list and the participants keep their bars to two rows', async () => {
    const meeting = await call(admin, 'GET', base);
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'vi-VN', timezoneId: 'Asia/Ho_Chi_Minh' });
    contexts.push(ctx);
    const page = await ctx.newPage();
    // The most rows any one of the containers takes: its controls' middles
    // more than 12 px apart are rows of their own.
    const rows = (container, items) =>
      page.evaluate(([container, items]) => {
        let most = 0;
        for (const el of document.querySelectorAll(container)) {
          const mids = [...el.querySelectorAll(items)]
            .filter((e) => e.getBoundingClientRect().width > 0 && e.getBoundingClientRect().height > 0)
            .map((e) => (e.getBoundingClientRect().top + e.getBoundingClientRect().bottom) / 2)
            .sort((a, b) => a - b);
          let n = 0;
          for (let i = 0; i < mids.length; i++) if (i === 0 || mids[i] - mids[i - 1] > 12) n++;
          most = Math.max(most, n);
        }
        return most;
      }, [container, items]);
    const whole = (sel) => page.locator(sel).first().evaluate((e) => e.scrollWidth <= e.clientWidth + 1);
    // Every control of those bars at least 44 px each way, its text at least 14 px.
    const small = (sel) =>
      page.evaluate((sel) => [...document.querySelectorAll(sel)].filter((e) => e.getBoundingClientRect().width > 0)
        .map((e) => ({ r: e.getBoundingClientRect(), f: parseFloat(getComputedStyle(e).fontSize), t: e.getAttribute('aria-label') || e.textContent.trim() }))
        .filter(({ r, f }) => r.width < 44 || r.height < 44 || f < 14)
        .map(({ r, f, t }) => `${t} ${Math.round(r.width)}×${Math.round(r.height)} ${f}px`), sel);
    try {
      await signInPage(page, 'admin', ADMIN_PASSWORD);
      for (const lang of ['vi', 'en']) {
        await page.evaluate((l) => localStorage.setItem('phonghop.lang', l), lang);
        await page.goto(new URL('/#/', BASE).toString());
        await page.reload();
        await page.locator('.topbar .title').waitFor();
        await page.waitForFunction((l) => document.documentElement.lang === l, lang);
        const listBar = await rows('.topbar', 'button, .btn, .title, .whoami');
        console.log(`390×844 ${lang}: the meeting list's bar ${listBar} rows`);
        assert.ok(listBar <= 2, `${lang}: the meeting list's bar in ${listBar} rows`);
        assert.ok(await whole('.topbar .title'), `${lang}: the title "${await page.locator('.topbar .title').innerText()}" cut`);
        assert.deepEqual(await small('.topbar :is(button, .btn)'), [], `${lang}: the meeting list's bar`);

        await page.goto(new URL('/#/admin', BASE).toString());
        const row = page.locator('[data-testid=meeting-row]', { hasText: meeting.title });
        await page.locator('[data-testid=meeting-search]').fill(meeting.title);
        await row.first().click();
        const people = page.locator('[data-testid=participants] [data-testid=participant]');
        await people.first().waitFor({ timeout: 10000 });
        await page.locator('[data-testid=pick]').first().check();
        const counts = {
          bar: await rows('.topbar', 'button, .btn, .title, .whoami'),
          filters: await rows('section:has([data-testid=meeting-search]) .row:has([aria-pressed])', 'button, .muted'),
          participant: await rows('[data-testid=participants] [data-testid=participant]', 'strong, input, select, button'),
          picker: await rows('[data-testid=participants] .picker .row:has([data-testid=add-picked])', 'button, select, span:not(:empty)'),
        };
        console.log(`390×844 ${lang}: set-up ${JSON.stringify(counts)}`);
        for (const [what, n] of Object.entries(counts)) assert.ok(n <= 2, `${lang}: the set-up's ${what} in ${n} rows`);
        assert.ok(await whole('.topbar .title'), `${lang}: the set-up's title cut`);
        assert.deepEqual(await small('.topbar :is(button, .btn), [aria-pressed], [data-testid=participant] :is(input, select, button), .picker :is(button, select)'), [], `${lang}: the set-up's controls`);
        // A participant's name reads whole, on one line, not word by word.
        const name = await people.filter({ hasText: meeting.participants.find((p) => p.role === 'secretary').displayName }).locator('strong');
        assert.ok((await name.boundingBox()).height < 40, `${lang}: the secretary's name broken over lines`);
        // The role for those picked keeps its name when its caption gives way.
        assert.equal(await page.getByRole('combobox', { name: lang === 'vi' ? 'Vai trò cho người được chọn' : 'Role for those selected' }).count(), 1);
        // The filters scroll sideways: the one pressed is in view.
        const cancelled = page.locator('[aria-pressed]', { hasText: lang === 'vi' ? 'Đã huỷ' : 'Cancelled' });
        await cancelled.tap();
        await page.locator('[aria-pressed=true]', { hasText: lang === 'vi' ? 'Đã huỷ' : 'Cancelled' }).waitFor();
        await page.waitForTimeout(200);
        const [chip, strip] = await Promise.all([cancelled.boundingBox(), page.locator('[aria-pressed]').first().evaluate((e) => e.parentElement.getBoundingClientRect().toJSON())]);
        assert.ok(chip.x >= strip.x - 1 && chip.x + chip.width <= strip.x + strip.width + 1, `${lang}: the pressed filter in view ${JSON.stringify(chip)} of ${JSON.stringify(strip)}`);
        await page.locator('[aria-pressed]').first().tap();
      }
    } finally {
      await page.evaluate(() => localStorage.removeItem('phonghop.lang')).catch(() => {});
      await ctx.close();
    }
  });

  it('the chair\'s console at 1280×800 shows the speakers without scrolling', async () => {
    const page = await signedIn('chutich', { width: 1280, height: 800 });
    await page.goto(room());
    await page.locator('.topbar button', { hasText: 'Điều hành' }).click();
    const speakers = page.locator('[data-testid=speakers-panel]');
    await speakers.waitFor({ timeout: 10000 });
    const box = await speakers.boundingBox();
    console.log(`chair's console: speakers at y=${Math.round(box.y)}`);
    assert.ok(box.y + 120 < 800, `the speakers' panel starts in the first screen (y=${Math.round(box.y)})`);
    await page.context().close();
  });

  it('the secretary drafts a vote on the votes tab for the chair to open', async () => {
    const sec = await signedIn('thuky', { width: 1280, height: 800 });
    await sec.goto(room());
    // Wait for the room to load (a page drawn) before opening the tab: in
    // one full run on a loaded machine the form did not show within 10 s of
    // the click (the tab shows the secretary's desk only once the meeting
    // and her role are known). Alone it takes about 2 s.
    await sec.waitForFunction(() => document.querySelector('.viewer .host')?.dataset.rendered, null, { timeout: 30000 });
    await sec.locator('.topbar button', { hasText: 'Biểu quyết' }).click();
    const form = sec.locator('[data-testid=poll-form]');
    await form.waitFor({ timeout: 20000 });
    await form.locator('[data-testid=poll-title]').fill('Thông qua chương trình kỳ họp');
    await form.locator('[data-testid=poll-create]').click();
    const card = sec.locator('[data-testid=poll]', { hasText: 'Thông qua chương trình kỳ họp' });
    await card.waitFor({ timeout: 10000 });
    assert.equal(await card.getAttribute('data-state'), 'draft');
    assert.equal(await card.locator('[data-testid=poll-open]').count(), 0, 'opening is the chair\'s');
    const polls = await call(chair, 'GET', `${base}/polls`);
    const drafted = polls.find((p) => p.title === 'Thông qua chương trình kỳ họp');
    assert.ok(drafted && drafted.state === 'draft', 'the chair finds the draft');
    await sec.context().close();
  });

  it('creating a meeting closes the form and shows the new meeting\'s details', async () => {
    const page = await signedIn('admin', { width: 1280, height: 800 }, ADMIN_PASSWORD);
    await page.goto(new URL('/#/admin', BASE).toString());
    const form = page.locator('details:has(summary:has-text("Tạo cuộc họp"))');
    await form.locator('summary').click();
    const title = `Kỳ họp tạo thử ${Date.now()}`;
    await form.locator('form input').first().fill(title);
    await form.locator('input[type=datetime-local]').fill('2099-12-15T08:00');
    await form.locator('button[type=submit]').click();
    await page.locator(`h2:has-text("${title}")`).first().waitFor({ timeout: 10000 });
    assert.equal(await form.evaluate((d) => d.open), false, 'the form closed once the meeting is made');
    await call(admin, 'POST', `/meetings/${(await call(admin, 'GET', '/meetings')).find((m) => m.title === title).id}/cancel`, { reason: 'kiểm thử' }, [200, 204, 404, 405]);
    await page.context().close();
  });

  // "⧉ Sao chép sang kỳ họp mới" drew its ⧉ as an empty box: no installed
  // font has it. A character no font draws comes out as the same box as a
  // private-use one; every character of the label must draw otherwise.
  it('"copy to a new meeting" draws no empty box', async () => {
    const page = await signedIn('admin', { width: 1280, height: 800 }, ADMIN_PASSWORD);
    await page.goto(new URL('/#/admin', BASE).toString());
    await page.locator('[data-testid=meeting-row]', { hasText: 'Kỳ họp kiểm thử đi một vòng' }).first().click();
    const summary = page.locator('summary', { hasText: 'Sao chép sang kỳ họp mới' });
    await summary.waitFor({ timeout: 10000 });
    await page.evaluate(() => document.fonts.ready.then(() => true));
    const boxes = await summary.evaluate((el) => {
      const font = getComputedStyle(el).font;
      const canvas = document.createElement('canvas');
      canvas.width = canvas.height = 64;
      const g = canvas.getContext('2d', { willReadFrequently: true });
      const draw = (ch) => {
        g.clearRect(0, 0, 64, 64);
        g.font = font;
        g.fillStyle = '#000';
        g.fillText(ch, 4, 40);
        return Array.from(g.getImageData(0, 0, 64, 64).data).join(',');
      };
      const none = draw('\u{10FFFD}');
      return [...new Set([...el.textContent.replace(/\s/g, '')])].filter((ch) => draw(ch) === none);
    });
    assert.deepEqual(boxes, [], `drawn as empty boxes: ${boxes.join(' ')}`);
    await page.context().close();
  });

  // The set-up screen's file inputs said "Choose File / No file chosen", the
  // browser's English, in the Vietnamese screen. Our button over the input
  // now, in the app's language, and the input still the control: named,
  // focused and opened from the keyboard.
  it('the set-up screen\'s file pickers speak the app\'s language and open from the keyboard', async () => {
    const page = await signedIn('admin', { width: 1280, height: 800 }, ADMIN_PASSWORD);
    await page.goto(new URL('/#/admin', BASE).toString());
    await page.locator('[data-testid=meeting-row]', { hasText: 'Kỳ họp kiểm thử đi một vòng' }).first().click();
    const input = page.getByLabel('Chọn tệp tài liệu');
    await input.waitFor({ timeout: 10000 });
    assert.equal(await input.getAttribute('data-testid'), 'upload-file');
    const picker = page.locator('form:has([data-testid=upload-file])');
    const shown = (await picker.innerText()).replace(/\s+/g, ' ');
    console.log(`the document picker reads "${shown.slice(0, 60)}"`);
    assert.match(shown, /Chọn tệp tài liệu/);
    assert.match(shown, /Chưa chọn tệp/);
    assert.equal(await input.evaluate((e) => getComputedStyle(e).opacity), '0', 'the browser\'s own "Choose File" not drawn');
    const b = await input.boundingBox();
    assert.ok(b.width >= 48 && b.height >= 48, 'the input is the whole button, a touch target');
    // By keyboard: Tab onto it (the focus ring on our button), Space opens the chooser.
    await page.locator('[data-testid=doc-item]').last().focus();
    for (let i = 0; i < 10 && !(await input.evaluate((e) => e === document.activeElement)); i++) await page.keyboard.press('Tab');
    assert.ok(await input.evaluate((e) => e === document.activeElement), 'the input takes the focus');
    const ring = await page.locator('form:has([data-testid=upload-file]) .pick .btn').evaluate((e) => getComputedStyle(e).outlineStyle);
    assert.notEqual(ring, 'none', 'the focus shows on the button');
    const pdf = join(dir, 'Bao-cao-bo-sung.pdf');
    await writeFile(pdf, smallPdf(1));
    const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.keyboard.press('Space')]);
    await chooser.setFiles(pdf);
    await page.locator('[data-testid=upload-file-name]', { hasText: 'Bao-cao-bo-sung.pdf' }).waitFor();
    // The import's picker too, and in English once the app is.
    await page.locator('[data-testid=participants] [data-testid=import-open]').click();
    assert.match(await page.locator('[data-testid=participants] [data-testid=import]').innerText(), /Chọn tệp danh sách \(\.xlsx, \.csv\)\s+Chưa chọn tệp/);
    await page.click('[data-testid=lang-switch]');
    await page.getByLabel('Choose a document file').waitFor();
    assert.match(await page.locator('[data-testid=participants] [data-testid=import]').innerText(), /Choose a list file \(\.xlsx, \.csv\)\s+No file chosen/);
    await page.click('[data-testid=lang-switch]');
    await page.context().close();
  });

  it('the participants\' import says what each row changes in words, and reads a corrected file chosen again', async () => {
    const page = await signedIn('admin', { width: 1280, height: 800 }, ADMIN_PASSWORD);
    await page.goto(new URL('/#/admin', BASE).toString());
    await page.locator('[data-testid=meeting-row]', { hasText: 'Kỳ họp kiểm thử đi một vòng' }).first().click();
    const sec = page.locator('[data-testid=participants]');
    await sec.locator('[data-testid=import-open]').click();
    const csv = join(dir, 'thanh-phan.csv');
    await writeFile(csv, 'Tên đăng nhập,Họ và tên,Chức vụ,Đơn vị,Vai trò\nquansat,Phan Thị Mỹ Linh,Phóng viên,Đài Truyền thanh huyện,Phóng viên\n');
    const choose = async () => {
      const [chooser] = await Promise.all([page.waitForEvent('filechooser'), sec.locator('[data-testid=import-file]').click()]);
      await chooser.setFiles(csv);
    };
    await choose();
    const row = sec.locator('[data-testid=import-row]').first();
    await sec.locator('[data-testid=import-summary]', { hasText: 'không hợp lệ 1' }).waitFor({ timeout: 10000 });
    const refused = await row.innerText();
    assert.ok(!/role_/.test(refused), `no raw key: ${refused}`);
    // The secretary corrects the role and picks the same file again.
    await writeFile(csv, 'Tên đăng nhập,Họ và tên,Chức vụ,Đơn vị,Vai trò\nquansat,Phan Thị Mỹ Linh,Phóng viên,Đài Truyền thanh huyện,Quan sát viên\n');
    await choose();
    await sec.locator('[data-testid=import-summary]', { hasText: 'không hợp lệ 0' }).waitFor({ timeout: 10000 });
    const changes = await row.innerText();
    console.log(`import row: ${changes.replace(/\s+/g, ' ')}`);
    assert.match(changes, /Vai trò: Khách mời/, 'the role in words, with its label');
    assert.ok(!/\bobserver\b/.test(changes), `no role code: ${changes}`);
    await sec.locator('[data-testid=import-apply]').click();
    await page.locator('.admin .badge.ok').waitFor();
    // The note goes after a while instead of covering the headings for good.
    await page.locator('.admin .badge.ok').waitFor({ state: 'detached', timeout: 15000 });
    await page.context().close();
  });

  it('the chair finds the way to approve a rendered version of the minutes', async () => {
    await call(await login('thuky'), 'POST', `${base}/minutes/pdf`);
    const page = await signedIn('chutich', { width: 1280, height: 800 });
    await page.goto(room('/minutes'));
    const view = page.locator('[data-testid=minutes-view]').first();
    await view.waitFor({ timeout: 15000 });
    assert.equal((await view.innerText()).trim(), 'Xem để duyệt', 'the row says the version awaits the chair');
    await view.click();
    await page.locator('[data-testid=minutes-approve]').click({ timeout: 30000 });
    await page.locator('[data-testid=minutes-final]').waitFor({ timeout: 30000 });
    const rows = page.locator('[data-testid=minutes-view]');
    for (let i = 0; i < (await rows.count()); i++) assert.equal((await rows.nth(i).innerText()).trim(), 'Xem', 'nothing left to approve');
    // Filed as it downloads: named for the meeting and its date, not its id.
    for (const [sel, ext] of [['minutes-download', 'pdf'], ['minutes-docx', 'docx']]) {
      const [download] = await Promise.all([page.waitForEvent('download'), page.locator(`[data-testid=${sel}]`).first().click()]);
      console.log(`minutes downloaded as "${download.suggestedFilename()}"`);
      assert.match(download.suggestedFilename(), new RegExp(`^Biên bản Kỳ họp kiểm thử đi một vòng \\d+ \\d{4}-\\d\\d-\\d\\d v\\d+\\.${ext}$`));
    }
    await page.context().close();
  });

  it('a delegate in the room is told when opinions on a draft are invited', async () => {
    const d1 = await signedIn('daibieu01', { width: 1280, height: 800 });
    await d1.goto(room());
    await rendered(d1, 1);
    await d1.waitForTimeout(500);
    const result = d1.locator('[data-testid=result-modal] button');
    if (await result.count()) await result.first().click();
    const c = await call(await login('thuky'), 'POST', `${base}/consultations`, {
      title: 'Góp ý dự thảo báo cáo tổng kết năm',
      documentIds: [doc.id],
      deadline: new Date(Date.now() + 24 * 3600e3).toISOString(),
    });
    const banner = d1.locator('[data-testid=consult-announced]');
    await banner.waitFor({ timeout: 15000 });
    assert.match(await banner.innerText(), /Góp ý dự thảo báo cáo tổng kết năm/);
    await banner.locator('button', { hasText: 'Mở' }).click();
    await d1.locator('[data-testid=consult-panel]').waitFor();
    assert.equal(await banner.count(), 0, 'said once');
    await call(chair, 'POST', `${base}/consultations/${c.id}/close`);
    await d1.context().close();
  });

  it('no page warned of an unknown Permissions-Policy feature', () => {
    const bad = warnings.filter((w) => /Permissions-Policy/.test(w));
    assert.deepEqual(bad, []);
  });
});
