// Screenshots of each role's main screen for the docs, taken from a running
// phonghop with the demo seeded (a throw-away one: this script checks delegates
// in, asks for the floor, opens and closes a poll and casts ballots):
//   PHONGHOP_E2E_URL=http://127.0.0.1:8080 PHONGHOP_ADMIN_PASSWORD=... node e2e/screenshots.js
// Writes docs/screenshots/*.png (device scale 1 keeps each file small).
// Not part of the test suite (npm test runs *.test.js only).
import assert from 'node:assert/strict';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { ADMIN_PASSWORD, BASE, call, CHROMIUM, login, PASSWORD, signInPage } from './api.js';

const OUT = process.env.PHONGHOP_SCREENSHOTS_DIR || join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'screenshots');
const TITLE = 'Hội nghị tổng kết công tác cải cách hành chính năm 2023';
if (!ADMIN_PASSWORD) throw new Error('PHONGHOP_ADMIN_PASSWORD is not set (needed for the admin screen)');



const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

async function signedIn(username, viewport, password = PASSWORD) {
  const ctx = await browser.newContext({ viewport, deviceScaleFactor: 1, locale: 'vi-VN', timezoneId: 'Asia/Ho_Chi_Minh' });
  const page = await ctx.newPage();
  page.on('dialog', (d) => d.accept());
  await signInPage(page, username, password);
  return page;
}

const shots = [];
async function shot(page, name, opts = {}) {
  await page.evaluate(() => document.fonts.ready.then(() => true));
  await page.waitForTimeout(300); // let transitions and the last canvas swap settle
  const file = join(OUT, name);
  await page.screenshot({ path: file, animations: 'disabled', caret: 'hide', ...opts });
  const { size } = await stat(file);
  shots.push([name, size]);
  console.log(`${name}: ${(size / 1024).toFixed(0)} KiB`);
}

const rendered = (page, n) =>
  page.waitForFunction((p) => document.querySelector('.viewer .host')?.dataset.rendered === String(p), n, { timeout: 30000 });

try {
  await mkdir(OUT, { recursive: true });
  const chair = await login('chutich');
  const meeting = (await call(chair, 'GET', '/meetings')).find((m) => m.title === TITLE);
  assert.ok(meeting, 'demo meeting present (run `phonghop demo`)');
  const mid = meeting.id;
  const m = await call(chair, 'GET', `/meetings/${mid}`);
  const room = `/#/m/${encodeURIComponent(mid)}`;
  const ids = {};
  const tokens = {};
  for (let i = 1; i <= 12; i++) {
    const u = `daibieu${String(i).padStart(2, '0')}`;
    tokens[u] = await login(u);
    ids[u] = (await call(tokens[u], 'GET', '/me')).id;
  }

  // The room mid-meeting: opened by the chair with five minutes per speech; 9 of
  // 12 delegates checked in, one more checked in by the secretary (no tablet)
  // and one excused; the year's report on page 2, one delegate speaking and two
  // waiting.
  const secretaryToken = await login('thuky');
  await call(chair, 'POST', `/meetings/${mid}/session`, { action: 'open' });
  await call(chair, 'POST', `/meetings/${mid}/session`, { action: 'speechLimit', speechLimitSeconds: 300 });
  for (let i = 1; i <= 9; i++) await call(tokens[`daibieu${String(i).padStart(2, '0')}`], 'POST', `/meetings/${mid}/attendance`);
  await call(secretaryToken, 'PUT', `/meetings/${mid}/attendance/${ids.daibieu10}`, { present: true, reason: 'Không có máy tính bảng' });
  await call(secretaryToken, 'PUT', `/meetings/${mid}/attendance/${ids.daibieu12}`, { present: false, reason: 'Đi công tác tỉnh' });
  const report = m.agenda.find((a) => a.title.startsWith('Báo cáo tổng kết'));
  assert.ok(report && report.documentIds.length, 'the report item with its document');
  await call(chair, 'PUT', `/meetings/${mid}/presentation`, { agendaItemId: report.id, documentId: report.documentIds[0], page: 2 });
  for (const u of ['daibieu03', 'daibieu05', 'daibieu08']) {
    await call(tokens[u], 'POST', `/meetings/${mid}/speakers`, { action: 'request' }, [200, 409]);
  }
  await call(chair, 'POST', `/meetings/${mid}/speakers`, { action: 'floor', userId: ids.daibieu03 }, [200, 409]);

  // Delegate's tablet, landscape and portrait.
  const delegate = await signedIn('daibieu01', { width: 1280, height: 800 });
  await delegate.goto(new URL(room, BASE).toString());
  await rendered(delegate, 2);
  await shot(delegate, 'delegate-room-landscape.png');
  const portrait = await signedIn('daibieu02', { width: 800, height: 1280 });
  await portrait.goto(new URL(room, BASE).toString());
  await rendered(portrait, 2);
  await shot(portrait, 'delegate-room-portrait.png');
  await portrait.context().close();

  // A vote on the awards: the dialog opens by itself on the delegate's tablet.
  const awards = m.agenda.find((a) => a.title.startsWith('Biểu quyết khen thưởng'));
  assert.ok(awards, 'the awards item');
  const poll = await call(chair, 'POST', `/meetings/${mid}/polls`, {
    agendaItemId: awards.id,
    title: 'Thông qua Dự thảo Quyết định khen thưởng 05 tập thể có thành tích xuất sắc trong công tác cải cách hành chính năm 2023',
    options: ['Đồng ý', 'Không đồng ý', 'Không ý kiến'],
    secret: false,
    majority: 'simple',
  });
  await call(chair, 'POST', `/meetings/${mid}/polls/${poll.id}/open`, {});
  await delegate.locator('[data-testid=vote-modal]').waitFor({ timeout: 15000 });
  await shot(delegate, 'delegate-vote.png');

  // Six ballots in: the chair's console shows attendance, speakers, turnout.
  for (const [u, option] of [['daibieu02', 0], ['daibieu03', 0], ['daibieu04', 0], ['daibieu05', 1], ['daibieu06', 0], ['daibieu07', 2]]) {
    await call(tokens[u], 'POST', `/meetings/${mid}/polls/${poll.id}/ballots`, { option });
  }
  const console_ = await signedIn('chutich', { width: 1280, height: 800 });
  await console_.goto(new URL(room, BASE).toString());
  await console_.click('text=Điều hành');
  await console_.locator('[data-testid=turnout]', { hasText: /Đã bỏ phiếu 6/ }).first().waitFor({ timeout: 15000 });
  // The console's upper part: the session, the presentation, attendance and the
  // speakers (the vote forms and the polls' turnout follow below).
  await shot(console_, 'chair-console.png', { fullPage: true, clip: { x: 0, y: 0, width: 1280, height: 1250 } });

  // The wall display shows the presented page with the live turnout.
  const wall = await signedIn('thuky', { width: 1280, height: 720 });
  await wall.goto(new URL(`${room}/display`, BASE).toString());
  await rendered(wall, 2);
  await wall.waitForFunction(() => /6/.test(document.body.innerText), null, { timeout: 15000 });
  await shot(wall, 'wall-display.png');
  await wall.context().close();

  // Three more ballots, then the close: the named vote's result on the
  // delegate's tablet (who chose what, who did not vote, the rule's threshold).
  for (const [u, option] of [['daibieu01', 0], ['daibieu08', 0], ['daibieu09', 0]]) {
    await call(tokens[u], 'POST', `/meetings/${mid}/polls/${poll.id}/ballots`, { option });
  }
  await call(chair, 'POST', `/meetings/${mid}/polls/${poll.id}/close`, {});
  await delegate.locator('[data-testid=result-modal]').waitFor({ timeout: 15000 });
  await shot(delegate, 'vote-result.png');

  // The wall while a delegate speaks in the discussion (an item with nothing
  // to show): the organisation, the meeting, the item, the clock, attendance,
  // the speaker and the countdown.
  const discussion = m.agenda.find((a) => a.documentIds.length === 0 && /thảo luận/i.test(a.title)) ?? m.agenda.find((a) => a.documentIds.length === 0);
  assert.ok(discussion, 'an item without documents');
  await call(chair, 'PUT', `/meetings/${mid}/presentation`, { agendaItemId: discussion.id, documentId: '', page: 1 });
  await call(chair, 'POST', `/meetings/${mid}/speakers`, { action: 'floor', userId: ids.daibieu05 });
  const wall2 = await signedIn('thuky', { width: 1920, height: 1080 });
  await wall2.goto(new URL(`${room}/display`, BASE).toString());
  await wall2.locator('[data-testid=wall-speaker] [data-testid=speech-timer]').waitFor({ timeout: 15000 });
  await wall2.waitForTimeout(1500);
  await shot(wall2, 'wall-speaking.png');
  await wall2.context().close();
  const secretary = await signedIn('thuky', { width: 1280, height: 1000 });
  await secretary.goto(new URL(room, BASE).toString());
  await secretary.click('text=Biên bản');
  await secretary.waitForSelector('[data-testid=minutes-summary]');
  await secretary.fill(
    '[data-testid=minutes-summary]',
    'Hội nghị đã nghe Báo cáo tổng kết công tác cải cách hành chính năm 2023; các đại biểu thảo luận, thống nhất phương hướng nhiệm vụ năm 2024.',
  );
  const opening = secretary.locator('section.panel').nth(0).locator('textarea');
  await opening
    .nth(0)
    .fill('Đồng chí Trần Thị Thu Hà, Chánh Văn phòng HĐND và UBND huyện, tuyên bố lý do, giới thiệu đại biểu. Có mặt 9/12 đại biểu được triệu tập.');
  await opening.nth(1).fill('Hội nghị đủ số lượng đại biểu theo quy định.');
  await secretary.evaluate(() => scrollTo(0, 0));
  await shot(secretary, 'secretary-minutes.png');

  // The admin's screen with the demo meeting selected.
  const admin = await signedIn('admin', { width: 1280, height: 800 }, ADMIN_PASSWORD);
  await admin.goto(new URL('/#/admin', BASE).toString());
  await admin.locator('[data-testid=meeting-row]', { hasText: TITLE }).first().click();
  await admin.waitForSelector(`h2:has-text("${TITLE}")`);
  // The documents and the agenda: what a secretariat changes most.
  await admin.evaluate(() => {
    const docs = document.querySelector('[data-testid=admin-doc]')?.closest('section');
    docs?.scrollIntoView();
    scrollBy(0, (docs?.getBoundingClientRect().height ?? 0) - 430);
  });
  await shot(admin, 'admin.png');

  // Office files and confidential papers (issue #13): a Word report being
  // converted beside a confidential paper for two delegates, watermarked;
  // then a reader's tablet with their name and the time across the page.
  const adminToken = await login('admin', ADMIN_PASSWORD);
  const reportBytes = await (
    await fetch(new URL(`/api/v1/meetings/${mid}/documents/${report.documentIds[0]}/content`, BASE), { headers: { Authorization: `Bearer ${adminToken}` } })
  ).arrayBuffer();
  const postDoc = async (name, bytes, type, fields = {}) => {
    const fd = new FormData();
    for (const [k, v] of Object.entries(fields)) fd.append(k, v);
    fd.append('file', new Blob([bytes], { type }), name);
    const r = await fetch(new URL(`/api/v1/meetings/${mid}/documents`, BASE), { method: 'POST', headers: { Authorization: `Bearer ${adminToken}` }, body: fd });
    assert.equal(r.status, 201, `upload ${name}`);
    return r.json();
  };
  const secret = await postDoc('De-an-sap-xep-nhan-su-(mat).pdf', reportBytes, 'application/pdf', {
    confidential: 'true',
    readers: [ids.daibieu01, ids.daibieu02].join(','),
    watermark: 'true',
  });
  await call(adminToken, 'PUT', `/meetings/${mid}/documents/${secret.id}/items`, { itemIds: [report.id] });
  await postDoc('To-trinh-du-toan-ngan-sach-2024.docx', await readFile(new URL('./fixtures/to-trinh.docx', import.meta.url)), 'application/vnd.openxmlformats-officedocument.wordprocessingml.document');
  await admin.reload();
  await admin.locator('[data-testid=meeting-row]', { hasText: TITLE }).first().click();
  await admin.waitForSelector('[data-testid=admin-doc]:has-text("To-trinh-du-toan") [data-testid=doc-status]');
  await admin.check('[data-testid=doc-confidential]');
  await admin.check(`[data-testid=doc-reader][data-user="${ids.daibieu03}"]`);
  await admin.evaluate(() => {
    const rows = [...document.querySelectorAll('[data-testid=admin-doc]')];
    rows.find((r) => r.textContent.includes('De-an-sap-xep'))?.scrollIntoView();
    scrollBy(0, -12);
  });
  await shot(admin, 'admin-documents.png');
  await admin.context().close();

  const reader = await signedIn('daibieu01', { width: 1280, height: 800 });
  await reader.goto(new URL(room, BASE).toString());
  const readerModal = reader.locator('[data-testid=result-modal] .modal-actions button');
  if (await readerModal.count()) await readerModal.click();
  await reader.locator('[data-testid=agenda-doc]', { hasText: 'De-an-sap-xep' }).click();
  await reader.waitForSelector('.viewer .host canvas[data-watermark]', { timeout: 30000 });
  await shot(reader, 'delegate-watermark.png');
  await reader.context().close();

  // An election and a confidence vote (issue #14): the delegate's whole
  // ballot on one screen, landscape and portrait, and the result as a table
  // on the wall.
  const people = [
    ['Trần Văn An', 'Trưởng Ban Pháp chế HĐND huyện'],
    ['Lê Thị Bình', 'Trưởng Ban Kinh tế - Xã hội HĐND huyện'],
    ['Phạm Văn Cường', 'Chánh Văn phòng HĐND và UBND huyện'],
    ['Hoàng Thị Dung', 'Chủ tịch Ủy ban MTTQ Việt Nam huyện'],
    ['Vũ Văn Em', 'Phó Chủ tịch UBND huyện'],
    ['Đỗ Thị Giang', 'Phó Chủ tịch UBND huyện'],
    ['Ngô Văn Hải', 'Trưởng Công an huyện'],
    ['Bùi Thị Hoa', 'Chánh án Tòa án nhân dân huyện'],
  ].map(([name, position]) => ({ name, position }));
  const resultShown = delegate.locator('[data-testid=result-modal] .modal-actions button');
  if (await resultShown.count()) await resultShown.click();
  const election = await call(chair, 'POST', `/meetings/${mid}/polls`, {
    agendaItemId: awards.id,
    title: 'Bầu Phó Chủ tịch Hội đồng nhân dân huyện nhiệm kỳ 2021–2026',
    kind: 'election',
    questions: [{ seats: 2, candidates: people.slice(0, 4) }],
  });
  await call(chair, 'POST', `/meetings/${mid}/polls/${election.id}/open`, { overrideQuorum: true });
  const sheet = delegate.locator('[data-testid=ballot-sheet]');
  await sheet.waitFor({ timeout: 15000 });
  await sheet.locator('[data-testid=ballot-candidate]').nth(0).click();
  await sheet.locator('[data-testid=ballot-candidate]').nth(2).click();
  await shot(delegate, 'delegate-election.png');
  await sheet.locator('[data-testid=ballot-review-button]').click();
  await sheet.locator('[data-testid=ballot-cast]').click();
  await delegate.locator('[data-testid=vote-done] button').click();
  for (const [i, answer] of [[0, 1], [0, 2], [1, 3], [0, 1], [2], [0, 1], [1, 2], []].entries()) {
    await call(tokens[`daibieu${String(i + 2).padStart(2, '0')}`], 'POST', `/meetings/${mid}/polls/${election.id}/ballots`, { answers: [answer] });
  }
  const wallResult = await signedIn('thuky', { width: 1280, height: 720 });
  await wallResult.goto(new URL(`${room}/display`, BASE).toString());
  // The item presented last (the discussion) has no document: the wall shows
  // the vote's turnout, not a page.
  await wallResult.locator('[data-testid=wall-vote], [data-testid=wall-idle], .viewer .host').first().waitFor({ timeout: 30000 });
  await call(chair, 'POST', `/meetings/${mid}/polls/${election.id}/close`, {});
  await wallResult.locator('[data-testid=ballot-results]').waitFor({ timeout: 15000 });
  await shot(wallResult, 'wall-election-result.png');
  await wallResult.context().close();

  const confidence = await call(chair, 'POST', `/meetings/${mid}/polls`, {
    agendaItemId: awards.id,
    title: 'Lấy phiếu tín nhiệm đối với người giữ chức vụ do Hội đồng nhân dân huyện bầu',
    kind: 'confidence',
    questions: [{ candidates: people }],
  });
  await call(chair, 'POST', `/meetings/${mid}/polls/${confidence.id}/open`, { overrideQuorum: true });
  const tall = await signedIn('daibieu10', { width: 800, height: 1280 });
  await tall.goto(new URL(room, BASE).toString());
  const tallSheet = tall.locator('[data-testid=ballot-sheet]');
  await tallSheet.waitFor({ timeout: 15000 });
  for (const [person, level] of [[0, 0], [1, 1], [2, 0], [3, 2]]) {
    await tallSheet.locator('[data-testid=ballot-person]').nth(person).locator('[data-testid=ballot-level]').nth(level).click();
  }
  await shot(tall, 'delegate-confidence-portrait.png');
  await tall.context().close();

  // A phone upright (390×844): the secretary's room, two rows of top bar and
  // the notice in its own place above the page.
  await call(chair, 'POST', `/meetings/${mid}/notice`, { text: 'Mời các đại biểu về phòng họp, phiên thảo luận tiếp tục lúc 14 giờ 00 tại hội trường tầng 2 của Ủy ban nhân dân huyện' });
  const withDoc = m.agenda.find((a) => a.documentIds.length > 0);
  await call(chair, 'PUT', `/meetings/${mid}/presentation`, { agendaItemId: withDoc.id, documentId: withDoc.documentIds[0], page: 1 });
  const phone = await signedIn('thuky', { width: 390, height: 844 });
  await phone.goto(new URL(room, BASE).toString());
  await phone.locator('[data-testid=notice-banner]').waitFor({ timeout: 15000 });
  await phone.waitForSelector('.viewer .host[data-rendered]', { timeout: 30000 });
  await shot(phone, 'secretary-phone.png');
  await phone.context().close();
  await call(chair, 'DELETE', `/meetings/${mid}/notice`);

  // The set-up on a phone (390×844): each participant in two rows (the name
  // with its remove button, then the position and the role).
  const setupPhone = await signedIn('admin', { width: 390, height: 844 }, ADMIN_PASSWORD);
  await setupPhone.goto(new URL('/#/admin', BASE).toString());
  await setupPhone.locator('[data-testid=meeting-row]', { hasText: TITLE }).first().click();
  await setupPhone.locator('[data-testid=participants] [data-testid=participant]').first().waitFor();
  await setupPhone.evaluate(() => {
    document.querySelector('[data-testid=participants]')?.scrollIntoView();
    scrollBy(0, -8);
  });
  await shot(setupPhone, 'admin-phone.png');
  await setupPhone.context().close();

  const big = shots.filter(([, size]) => size > 300 * 1024);
  assert.equal(big.length, 0, `screenshots over 300 KiB: ${big.map(([n]) => n).join(', ')}`);
} finally {
  await browser.close();
}
