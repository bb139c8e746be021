// The minutes as the secretary and the chair work on them (issue #12): edits
// are never lost (across the room's tabs and reloads, and on a save conflict,
// merged field by field), the chair approves a version before it is final, and
// a preview shows the PDF in the app.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';
import { BASE, CHROMIUM, login, PASSWORD, request, signInPage } from './api.js';

const TITLE = 'Hội nghị tổng kết công tác cải cách hành chính năm 2023';

let browser;
let meetingId;
let secToken;
const contexts = [];

async function signedIn(username) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'vi-VN' });
  contexts.push(ctx);
  const page = await ctx.newPage();
  page.on('dialog', (d) => d.accept());
  await signInPage(page, username);
  return page;
}

async function openMinutes(page) {
  await page.goto(new URL(`/#/m/${encodeURIComponent(meetingId)}`, BASE).toString());
  await page.waitForSelector('[data-testid=agenda-item]');
  await page.click('button:has-text("Biên bản") >> nth=0');
  await page.waitForSelector('[data-testid=minutes-summary]');
}

const minutes = async () => (await request(secToken, 'GET', `/meetings/${meetingId}/minutes`)).body;

before(async () => {
  secToken = await login('thuky');
  const list = await request(secToken, 'GET', '/meetings');
  const m = list.body.find((x) => x.title === TITLE);
  assert.ok(m, 'demo meeting present');
  meetingId = m.id;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
});

describe('the minutes editor', () => {
  it('keeps unsaved edits across the room tabs and a reload', async () => {
    const page = await signedIn('thuky');
    await openMinutes(page);
    const summary = `Kết luận chưa lưu ${Date.now()}`;
    await page.fill('[data-testid=minutes-summary]', summary);
    await page.fill('[data-testid=minutes-notes] >> nth=1', 'Diễn biến chưa lưu');
    // The issue: typing in "Tóm tắt", switching to "Tài liệu" and back reverted the text.
    await page.click('button:has-text("Tài liệu") >> nth=0');
    await page.waitForSelector('[data-testid=minutes-summary]', { state: 'detached' });
    await page.click('button:has-text("Biên bản") >> nth=0');
    await page.waitForSelector('[data-testid=minutes-summary]');
    await page.waitForFunction((s) => document.querySelector('[data-testid=minutes-summary]')?.value === s, summary, { timeout: 5000 });
    assert.equal(await page.inputValue('[data-testid=minutes-notes] >> nth=1'), 'Diễn biến chưa lưu');

    await page.reload();
    await openMinutes(page);
    await page.waitForFunction((s) => document.querySelector('[data-testid=minutes-summary]')?.value === s, summary, { timeout: 5000 });
    assert.equal(await page.inputValue('[data-testid=minutes-notes] >> nth=1'), 'Diễn biến chưa lưu');
    await page.waitForSelector('[data-testid=minutes-notice]');
    await page.waitForSelector('[data-testid=minutes-unsaved]');
    assert.notEqual((await minutes()).summary, summary, 'nothing is saved before Save');

    await page.click('[data-testid=minutes-save]');
    await page.waitForSelector('text=Đã lưu');
    const saved = await minutes();
    assert.equal(saved.summary, summary);
    assert.equal(saved.items[1].notes, 'Diễn biến chưa lưu');
    const kept = await page.evaluate(() => [...Object.keys(localStorage), ...Object.keys(sessionStorage)].filter((k) => k.startsWith('phonghop.minutes.')));
    assert.deepEqual(kept, [], 'saved edits are not kept on the tablet');
  });

  it('on a save conflict merges by field and shows both sides only where both changed', async () => {
    const [sec, chair] = await Promise.all([signedIn('thuky'), signedIn('chutich')]);
    await Promise.all([openMinutes(sec), openMinutes(chair)]);
    await sec.fill('[data-testid=minutes-summary]', 'Bản kết luận của thư ký');
    await sec.fill('[data-testid=minutes-notes] >> nth=1', 'Diễn biến do thư ký ghi');
    await chair.fill('[data-testid=minutes-summary]', 'Bản kết luận của chủ tọa');
    await chair.fill('[data-testid=minutes-conclusion] >> nth=1', 'Kết luận do chủ tọa ghi');
    await chair.click('[data-testid=minutes-save]');
    await chair.waitForSelector('text=Đã lưu');

    // The issue: the only action was "Tải lại", which threw the secretary's text away.
    await sec.click('[data-testid=minutes-save]');
    await sec.waitForSelector('[data-testid=minutes-conflicts]');
    assert.equal(await sec.locator('[data-testid=minutes-conflict]').count(), 1, 'one field changed on both sides');
    assert.equal((await sec.textContent('[data-testid=minutes-theirs]')).trim(), 'Bản kết luận của chủ tọa');
    assert.equal(await sec.inputValue('[data-testid=minutes-summary]'), 'Bản kết luận của thư ký', 'mine stays in the editor');
    assert.equal(await sec.inputValue('[data-testid=minutes-conclusion] >> nth=1'), 'Kết luận do chủ tọa ghi', "the chair's other field merged in");
    assert.equal(await sec.inputValue('[data-testid=minutes-notes] >> nth=1'), 'Diễn biến do thư ký ghi');
    assert.ok(await sec.isDisabled('[data-testid=minutes-save]'), 'no save while a field is undecided');
    await sec.click('[data-testid=minutes-keep-mine]');
    await sec.click('[data-testid=minutes-save]');
    await sec.waitForSelector('text=Đã lưu');
    let m = await minutes();
    assert.equal(m.summary, 'Bản kết luận của thư ký');
    assert.equal(m.items[1].notes, 'Diễn biến do thư ký ghi');
    assert.equal(m.items[1].conclusion, 'Kết luận do chủ tọa ghi');

    // The chair, now behind, changes another field: merged and saved without a question.
    await chair.fill('[data-testid=minutes-guests]', 'Nguyễn Văn Khách – Phó Giám đốc Sở Nội vụ tỉnh');
    await chair.click('[data-testid=minutes-save]');
    await chair.waitForSelector('[data-testid=minutes-notice]');
    await chair.waitForSelector('text=Đã lưu');
    assert.equal(await chair.locator('[data-testid=minutes-conflict]').count(), 0);
    m = await minutes();
    assert.equal(m.guests, 'Nguyễn Văn Khách – Phó Giám đốc Sở Nội vụ tỉnh');
    assert.equal(m.summary, 'Bản kết luận của thư ký', "the secretary's text survives the chair's save");
    assert.equal(await chair.inputValue('[data-testid=minutes-summary]'), 'Bản kết luận của thư ký');
  });
});

describe('preview and approval', () => {
  it('shows the PDF in the app before download; the chair approves a version, which becomes final', async () => {
    const sec = await signedIn('thuky');
    await openMinutes(sec);
    const summary = `Kết luận xem trước ${Date.now()}`;
    await sec.fill('[data-testid=minutes-summary]', summary);
    await sec.click('[data-testid=minutes-preview-draft]');
    await sec.waitForSelector('[data-testid=minutes-preview]');
    await sec.waitForFunction(() => Number(document.querySelector('[data-testid=minutes-preview-pages]')?.dataset.pages) >= 2, null, { timeout: 30000 });
    const inked = await sec.$eval('[data-testid=minutes-preview-pages] canvas', (c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let dark = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] < 128) dark++;
      return dark;
    });
    assert.ok(inked > 1000, `the first page is drawn (${inked} dark pixels)`);
    assert.notEqual((await minutes()).summary, summary, 'a preview saves nothing');
    await sec.click('[data-testid=minutes-preview-close]');

    const before = await sec.locator('[data-testid=minutes-view]').count();
    await sec.click('[data-testid=minutes-render]');
    await sec.waitForFunction((n) => document.querySelectorAll('[data-testid=minutes-view]').length > n, before, { timeout: 30000 });
    await sec.click('[data-testid=minutes-view] >> nth=0');
    await sec.waitForSelector('[data-testid=minutes-preview]');
    await sec.waitForFunction(() => Number(document.querySelector('[data-testid=minutes-preview-pages]')?.dataset.pages) >= 1, null, { timeout: 30000 });
    assert.equal(await sec.locator('[data-testid=minutes-approve]').count(), 0, 'the secretary does not approve');
    await sec.click('[data-testid=minutes-preview-close]');

    const chair = await signedIn('chutich');
    await openMinutes(chair);
    await chair.waitForSelector('[data-testid=minutes-draft-badge]');
    await chair.click('[data-testid=minutes-view] >> nth=0');
    await chair.waitForSelector('[data-testid=minutes-approve]');
    await chair.click('[data-testid=minutes-approve]');
    await chair.waitForSelector('[data-testid=minutes-final]');

    const versions = (await request(secToken, 'GET', `/meetings/${meetingId}/minutes/versions`)).body;
    const last = versions.at(-1);
    assert.ok(last.final && last.approves === versions.length - 1, `the final version approves the draft: ${JSON.stringify(last)}`);
    const r = await fetch(new URL(`/api/v1/meetings/${meetingId}/minutes.pdf?version=${last.version}`, BASE), { headers: { Authorization: `Bearer ${secToken}` } });
    const text = execFileSync('pdftotext', ['-', '-'], { input: Buffer.from(await r.arrayBuffer()) }).toString();
    assert.ok(text.includes(summary.split(' ').at(-1)), 'the final version holds the text the chair read');
    assert.ok(!text.includes('DỰ THẢO'), 'the final version carries no draft mark');
  });
});
