// An election and a confidence vote from creation to the result on the wall,
// in Chromium against the demo: the chair drafts each on the chair's screen
// (people typed or taken from the participants, a photo uploaded), opens it;
// a delegate fills the whole ballot on one screen (landscape, then portrait),
// cannot choose more than the seats, reviews it and gets a receipt (a ballot
// tampered on its way to more marks than seats is refused, the error shown in
// Vietnamese, nothing counted); other delegates vote through the API; the chair sees the turnout and closes; the
// wall shows the result table.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { BASE, call, CHROMIUM, login, PASSWORD, signInPage } from './api.js';

const TITLE = 'Hội nghị tổng kết công tác cải cách hành chính năm 2023';

let browser;
let meetingId;
const contexts = [];

async function signedIn(username, viewport = { width: 1280, height: 800 }) {
  const ctx = await browser.newContext({ viewport, locale: 'vi-VN', hasTouch: true });
  contexts.push(ctx);
  const page = await ctx.newPage();
  page.on('dialog', (d) => d.accept()); // "open without quorum?"
  await signInPage(page, username);
  return page;
}

async function openRoom(page, display = false) {
  await page.goto(new URL(`/#/m/${encodeURIComponent(meetingId)}${display ? '/display' : ''}`, BASE).toString());
  if (!display) await page.waitForSelector('[data-testid=agenda-item]');
}

/** A small PNG (w×h, one colour), made here so the test needs no file. */
function png(w, h) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // depth
  ihdr[9] = 2; // RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(w * 3, 0x80)]);
  const raw = Buffer.concat(Array.from({ length: h }, () => row));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

before(async () => {
  const token = await login('chutich');
  const list = await call(token, 'GET', '/meetings');
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

/** Delegates daibieu02.. vote through the API with the given answers. */
async function othersVote(pollId, answers) {
  for (const [i, a] of answers.entries()) {
    const tok = await login(`daibieu${String(i + 2).padStart(2, '0')}`);
    await call(tok, 'POST', `/meetings/${meetingId}/polls/${pollId}/ballots`, { answers: a }, [201]);
  }
}

/** The poll the chair's screen created, by its title. */
async function pollByTitle(title) {
  const tok = await login('chutich');
  const polls = await call(tok, 'GET', `/meetings/${meetingId}/polls`);
  const p = polls.find((x) => x.title === title);
  assert.ok(p, `poll ${title} created`);
  return p;
}

describe('elections and confidence votes', () => {
  let chair, delegate, wall;

  before(async () => {
    [chair, delegate, wall] = await Promise.all([signedIn('chutich'), signedIn('daibieu01'), signedIn('thuky', { width: 1280, height: 720 })]);
    await Promise.all([openRoom(chair), openRoom(delegate), openRoom(wall, true)]);
    await chair.click('text=Điều hành');
    await chair.waitForSelector('[data-testid=election-form]');
  });

  it('an election: two seats, three candidates, one with a photo', async () => {
    const title = `Bầu Phó Chủ tịch HĐND (e2e ${Date.now()})`;
    const form = chair.locator('[data-testid=election-form]');
    await form.locator('[data-testid=kind-election]').click();
    await form.locator('[data-testid=ballot-title]').fill(title);
    await form.locator('[data-testid=seats]').fill('2');
    const names = ['Phạm Văn Cường', 'Hoàng Thị Dung', 'Vũ Văn Em'];
    const positions = ['Trưởng Ban Pháp chế', 'Trưởng Ban Kinh tế - Xã hội', 'Chánh Văn phòng'];
    for (let i = 0; i < names.length; i++) {
      if (i > 0) await form.locator('[data-testid=add-candidate]').click();
      const row = form.locator('[data-testid=candidate-row]').nth(i);
      await row.locator('[data-testid=candidate-name]').fill(names[i]);
      await row.locator('[data-testid=candidate-position]').fill(positions[i]);
    }
    // A 1200×1600 photo goes up scaled down to 480 px a side.
    const uploaded = chair.waitForResponse((r) => r.url().endsWith('/photos') && r.request().method() === 'POST');
    await form.locator('[data-testid=candidate-row]').nth(0).locator('input[type=file]').setInputFiles({ name: 'cuong.png', mimeType: 'image/png', buffer: png(1200, 1600) });
    const photo = await (await uploaded).json();
    assert.equal(photo.contentType, 'image/jpeg', 'scaled and sent as JPEG');
    assert.ok(photo.width <= 480 && photo.height <= 480 && photo.height === 480, `photo ${photo.width}×${photo.height}`);
    await form.locator('[data-testid=candidate-row] img').first().waitFor();
    await form.locator('[data-testid=ballot-create]').click();

    const card = chair.locator('[data-testid=poll]', { hasText: title });
    await card.waitFor({ timeout: 10000 });
    assert.match(await card.textContent(), /Bầu cử.*Quá nửa tổng số đại biểu.*Bỏ phiếu kín/s, 'secret by default, the rule shown');
    await card.locator('[data-testid=poll-open]').click();
    await card.locator('[data-testid=poll-close]').waitFor({ timeout: 10000 });

    // The delegate's ballot: one screen, photo, names and positions.
    const sheet = delegate.locator('[data-testid=ballot-sheet]', { hasText: title });
    await sheet.waitFor({ timeout: 10000 });
    const cards = sheet.locator('[data-testid=ballot-candidate]');
    assert.equal(await cards.count(), 3);
    assert.match(await cards.nth(1).textContent(), /Hoàng Thị Dung.*Trưởng Ban Kinh tế - Xã hội/s);
    await sheet.locator('img[alt="Ảnh của Phạm Văn Cường"]').waitFor();
    await cards.nth(0).click();
    await cards.nth(2).click();
    // Two of two chosen: the third cannot be chosen.
    assert.equal(await cards.nth(1).isDisabled(), true, 'no more than the seats');
    assert.match(await sheet.locator('[data-testid=chosen-count]').textContent(), /Đã chọn 2\/2/);
    for (let i = 0; i < 3; i++) {
      const box = await cards.nth(i).boundingBox();
      assert.ok(box.height >= 64 && box.width >= 200, `candidate ${i} is a touch target: ${box.width}×${box.height}`);
    }
    await sheet.locator('[data-testid=ballot-review-button]').click();
    const review = sheet.locator('[data-testid=ballot-review]');
    // Every candidate is listed, the two chosen marked.
    const chosen = await review.locator('tr.on').allTextContents();
    assert.equal(chosen.length, 2);
    assert.match(chosen.join('|'), /Phạm Văn Cường.*Đã chọn\|.*Vũ Văn Em.*Đã chọn/);
    assert.match(await review.locator('tr:not(.on)').textContent(), /Hoàng Thị Dung/);
    // A ballot with more marks than seats (a tampered tablet: the request is
    // rewritten on its way) is refused whole, and the tablet says why in
    // Vietnamese; nothing of it is counted, so the real ballot still goes in.
    const ballots = `**/polls/*/ballots`;
    await delegate.route(ballots, (route) => {
      const body = JSON.parse(route.request().postData());
      assert.deepEqual(body.answers, [[0, 2]], 'the tablet sends the two chosen');
      return route.continue({ postData: JSON.stringify({ ...body, answers: [[0, 1, 2]] }) });
    });
    const refused = delegate.waitForResponse((r) => r.url().endsWith('/ballots') && r.request().method() === 'POST');
    await sheet.locator('[data-testid=ballot-cast]').click();
    const refusal = await refused;
    assert.equal(refusal.status(), 400);
    const { error } = await refusal.json();
    assert.equal(error.reason, 'ballot_too_many_choices');
    assert.deepEqual(error.params, { n: '1', max: '2' });
    assert.equal((await sheet.locator('p.error[role=alert]').textContent()).trim(), 'Mục 1: chỉ được chọn tối đa 2 người');
    await delegate.unroute(ballots);
    await sheet.locator('[data-testid=ballot-cast]').click();
    const receipt = await delegate.locator('[data-testid=receipt]').textContent({ timeout: 10000 });
    assert.ok(receipt.trim().length > 0, 'a receipt is shown');
    await delegate.click('[data-testid=vote-done] button');

    // The chair names the vote-counting committee.
    await card.locator('details.committee summary').click();
    const member = card.locator('[data-testid=committee-member]').first();
    await member.locator('input').nth(0).fill('Đặng Văn Khoa');
    await member.locator('input').nth(1).fill('Trưởng Ban Kinh tế - Xã hội');
    await card.locator('[data-testid=committee-save]').click();
    await card.locator('details.committee', { hasText: 'Đã lưu' }).waitFor();

    // Three more ballots, one of them blank.
    const p = await pollByTitle(title);
    await othersVote(p.id, [[[0, 1]], [[0]], [[]]]);
    await card.locator('[data-testid=turnout]', { hasText: /Đã bỏ phiếu 4\// }).waitFor({ timeout: 10000 });
    await card.locator('[data-testid=poll-close]').click();

    // The wall shows the result as a table.
    const table = wall.locator('[data-testid=ballot-results]');
    await table.waitFor({ timeout: 10000 });
    const rows = table.locator('[data-testid=result-row]');
    assert.equal(await rows.count(), 3);
    const text = await table.textContent();
    assert.match(text, /Phiếu thu vào: 4/);
    assert.match(text, /Phiếu trống: 1/);
    assert.match(await rows.nth(0).textContent(), /Phạm Văn Cường\s*3/);
    // The delegate's screen shows it too, and the receipt counted.
    await delegate.locator('[data-testid=result-modal] [data-testid=ballot-results]').waitFor({ timeout: 10000 });
    await delegate.locator('[data-testid=result-modal]', { hasText: 'Phiếu của đồng chí đã được kiểm' }).waitFor({ timeout: 5000 });
    await delegate.click('[data-testid=result-modal] .modal-actions button');
    // The chair's screen shows the result too; the chair closes it.
    await chair.locator('[data-testid=result-modal] [data-testid=ballot-results]').waitFor({ timeout: 10000 });
    await chair.click('[data-testid=result-modal] .modal-actions button');
    // The record of the count, as a PDF.
    const [download] = await Promise.all([chair.waitForEvent('download'), card.locator('[data-testid=counting-record]').click()]);
    const { readFile } = await import('node:fs/promises');
    const pdf = await readFile(await download.path());
    assert.equal(pdf.subarray(0, 5).toString(), '%PDF-', 'the counting record is a PDF');
    assert.match(download.suggestedFilename(), /^kiem-phieu-.*\.pdf$/);
  });

  it('a confidence vote, filled in portrait, people taken from the participants', async () => {
    const title = `Lấy phiếu tín nhiệm (e2e ${Date.now()})`;
    const form = chair.locator('[data-testid=election-form]');
    await form.locator('[data-testid=kind-confidence]').click();
    await form.locator('[data-testid=ballot-title]').fill(title);
    const picker = form.locator('select[aria-label="Thêm từ thành phần tham dự"]');
    const options = await picker.locator('option').allTextContents();
    const people = options.filter((o) => o && !o.startsWith('Thêm')).slice(0, 2);
    assert.equal(people.length, 2, `participants to pick from: ${options}`);
    for (const name of people) await picker.selectOption({ label: name });
    assert.equal(await form.locator('[data-testid=candidate-row]').count(), 2);
    // Secret by default; this one is named.
    const secret = form.locator('input[type=checkbox]');
    assert.equal(await secret.isChecked(), true, 'secret by default');
    await secret.uncheck();
    await form.locator('[data-testid=ballot-create]').click();
    const card = chair.locator('[data-testid=poll]', { hasText: title });
    await card.waitFor({ timeout: 10000 });
    await card.locator('[data-testid=poll-open]').click();
    await card.locator('[data-testid=poll-close]').waitFor({ timeout: 10000 });

    // The delegate turns the tablet to portrait.
    await delegate.setViewportSize({ width: 800, height: 1280 });
    const sheet = delegate.locator('[data-testid=ballot-sheet]', { hasText: title });
    await sheet.waitFor({ timeout: 10000 });
    const persons = sheet.locator('[data-testid=ballot-person]');
    assert.equal(await persons.count(), 2);
    const levels = persons.nth(0).locator('[data-testid=ballot-level]');
    assert.deepEqual(await levels.allTextContents(), ['Tín nhiệm cao', 'Tín nhiệm', 'Tín nhiệm thấp']);
    for (let i = 0; i < 3; i++) {
      const box = await levels.nth(i).boundingBox();
      assert.ok(box.height >= 48 && box.width >= 48 && box.x + box.width <= 800, `level ${i} fits and is a touch target: ${JSON.stringify(box)}`);
    }
    await levels.nth(0).click();
    // The second person is left unmarked: the review says so.
    await sheet.locator('[data-testid=ballot-review-button]').click();
    await sheet.locator('[data-testid=ballot-partial]').waitFor();
    assert.match(await sheet.locator('[data-testid=ballot-review]').textContent(), /Tín nhiệm cao.*Không đánh dấu/s);
    await sheet.locator('[data-testid=ballot-cast]').click();
    await delegate.locator('[data-testid=receipt]').waitFor({ timeout: 10000 });
    await delegate.click('[data-testid=vote-done] button');

    const p = await pollByTitle(title);
    await othersVote(p.id, [[[2, 2]], [[1, 2]], [[null, 2]]]);
    await card.locator('[data-testid=turnout]', { hasText: /Đã bỏ phiếu 4\// }).waitFor({ timeout: 10000 });
    await card.locator('[data-testid=poll-close]').click();

    const table = wall.locator('[data-testid=ballot-results]');
    await table.locator('th', { hasText: 'Tín nhiệm thấp' }).waitFor({ timeout: 10000 });
    const rows = table.locator('[data-testid=result-row]');
    assert.equal(await rows.count(), 2);
    // The second person: rated "low" by 3 delegates, one left them unmarked.
    assert.match(await rows.nth(1).textContent(), /0\s*0,00%\s*0\s*0,00%\s*3\s*\d+,\d\d%\s*1/);
    // Nothing overflows the wall (it shrinks the table to fit).
    const fits = await wall.$eval('.overlay.result', (el) => el.scrollHeight <= el.clientHeight + 1);
    assert.ok(fits, 'the result fits the wall');
    // A named vote: the chair's result lists each delegate's marks.
    const named = chair.locator('[data-testid=result-modal] [data-testid=named-ballots]');
    await named.locator('summary').click();
    assert.equal(await named.locator('tr').count(), 4);
    assert.match(await named.textContent(), /Tín nhiệm cao.*Không đánh dấu/s);
  });
});
