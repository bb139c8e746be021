// The chair's flow and the wall display (issue #12), in a meeting of its own
// (it opens and closes it): the chair at 1280×800, delegates at 800×1280 and
// 1024×768, the secretary, and a 1920×1080 wall. Each test is one finding of
// the issue. Needs PHONGHOP_E2E_URL and PHONGHOP_ADMIN_PASSWORD.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { smallPdf } from './pdfgen.js';
import { ADMIN_PASSWORD, BASE, call, CHROMIUM, login, PASSWORD, request, signInPage, upload } from './api.js';

if (!ADMIN_PASSWORD) throw new Error('PHONGHOP_ADMIN_PASSWORD is not set (the admin password of the server under test)');

const ORG = 'Ủy ban nhân dân huyện Tháp Mười';
let browser, mid, base, admin, chairToken, meeting;
const tokens = {};
const ids = {};
const names = {};
const contexts = [];
let chair, d1, d2, secretary, wall;

async function signedIn(username, viewport, init) {
  const ctx = await browser.newContext({ viewport, locale: 'vi-VN', timezoneId: 'Asia/Ho_Chi_Minh' });
  contexts.push(ctx);
  if (init) await ctx.addInitScript(init);
  const page = await ctx.newPage();
  page.on('dialog', (d) => d.accept()); // "open the vote without quorum?"
  await signInPage(page, username);
  return page;
}

const room = () => new URL(`/#/m/${encodeURIComponent(mid)}`, BASE).toString();
async function openRoom(page) {
  await page.goto(room());
  await page.waitForSelector('.toolbar'); // the agenda is a drawer in portrait
}
const toolbar = (page) => page.locator('.toolbar');
const tab = (page, name) => page.locator('.topbar button', { hasText: name }).click();
// Closes the result dialog a closed vote opened on that screen, if it is open.
async function dismissResult(page) {
  const close = page.locator('[data-testid=result-modal] button');
  if (await close.count()) await close.first().click();
}
const timerState = (page, want) =>
  page.waitForFunction((w) => document.querySelector('[data-testid=speech-timer]')?.dataset.state === w, want, { timeout: 10000 });
const state = async () => call(chairToken, 'GET', `${base}/state`);

before(async () => {
  admin = await login('admin', ADMIN_PASSWORD);
  const users = await call(admin, 'GET', '/users');
  for (const u of ['chutich', 'thuky', 'quansat', ...[1, 2, 3, 4, 5, 6].map((i) => `daibieu0${i}`)]) {
    const x = users.find((v) => v.username === u);
    assert.ok(x, `demo user ${u} present (run \`phonghop demo\`)`);
    ids[u] = x.id;
    names[u] = x.displayName;
  }
  const m = await call(admin, 'POST', '/meetings', {
    title: `Phiên họp kiểm thử điều hành ${Date.now()}`,
    startsAt: new Date().toISOString(),
    location: 'Hội trường UBND huyện',
    language: 'vi',
    organization: ORG,
  });
  mid = m.id;
  base = `/meetings/${mid}`;
  await call(admin, 'PUT', `${base}/participants`, [
    { userId: ids.chutich, role: 'chair' },
    { userId: ids.thuky, role: 'secretary' },
    ...[1, 2, 3, 4, 5, 6].map((i) => ({ userId: ids[`daibieu0${i}`], role: 'delegate' })),
    { userId: ids.quansat, role: 'observer' },
  ]);
  const doc = await upload(admin, mid, 'Bao-cao-tong-ket.pdf', smallPdf(4));
  for (const [title, docs] of [
    ['Khai mạc hội nghị', []],
    ['Báo cáo tổng kết công tác năm', [doc.id]],
    ['Biểu quyết khen thưởng', []],
  ]) {
    await call(admin, 'POST', `${base}/agenda`, { title, presenter: '', durationMinutes: 10, documentIds: docs });
  }
  meeting = await call(admin, 'GET', base);
  chairToken = await login('chutich');
  for (let i = 1; i <= 6; i++) tokens[`daibieu0${i}`] = await login(`daibieu0${i}`);

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  // The delegate in portrait holds a tablet whose clock is 90 s slow: speeches
  // are still timed from the server's start time.
  const slowClock = () => {
    const now = Date.now.bind(Date);
    Date.now = () => now() - 90_000;
  };
  [chair, d1, d2, secretary, wall] = await Promise.all([
    signedIn('chutich', { width: 1280, height: 800 }),
    signedIn('daibieu01', { width: 800, height: 1280 }, slowClock),
    signedIn('daibieu02', { width: 1024, height: 768 }),
    signedIn('thuky', { width: 1280, height: 800 }),
    signedIn('thuky', { width: 1920, height: 1080 }),
  ]);
  await Promise.all([chair, d1, d2, secretary].map(openRoom));
  await wall.goto(new URL(`/#/m/${encodeURIComponent(mid)}/display`, BASE).toString());
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
});

describe("the chair's flow and the wall display", () => {
  it('the wall, idle, shows the organisation, the meeting, the current item, the clock and attendance; only the chair and the secretary offer to open it', async () => {
    const idle = wall.locator('[data-testid=wall-idle]');
    // The room's set-up arrives after the idle screen first shows.
    await wall.locator('[data-testid=wall-title]', { hasText: meeting.title }).waitFor({ timeout: 20000 });
    const text = await idle.innerText();
    assert.ok(text.toUpperCase().includes(ORG.toUpperCase()), `organisation on the wall: ${text}`);
    assert.ok(text.includes(meeting.title), 'the meeting on the wall');
    assert.match(await wall.locator('[data-testid=wall-clock]').innerText(), /\d{2}:\d{2}/);
    assert.match(await wall.locator('[data-testid=wall-attendance]').innerText(), /0\/6/);

    // The chair takes up the opening, an item with no document: it is the
    // current item on the wall (the server refused it before).
    await chair.locator('[data-testid=agenda-item]', { hasText: 'Khai mạc hội nghị' }).click();
    await wall.locator('[data-testid=wall-item]', { hasText: 'Khai mạc hội nghị' }).waitFor({ timeout: 10000 });
    assert.equal(await chair.locator('.banner.conflict').count(), 0, 'no error for the chair');

    // The wall display is offered on the chair's and secretary's screens only.
    const offers = async (page) => page.locator('a[href$="/display"]').count();
    assert.equal(await offers(chair), 1, 'the chair is offered the wall display');
    assert.equal(await offers(secretary), 1, 'the secretary is offered the wall display');
    assert.equal(await offers(d1), 0, 'a delegate is not');
    assert.equal(await offers(d2), 0, 'a delegate is not');
  });

  it('"Đang trình chiếu" shows only when something is presented', async () => {
    assert.ok(!(await toolbar(chair).innerText()).includes('Đang trình chiếu'), 'no badge while nothing is presented');
    await chair.locator('[data-testid=agenda-doc]').first().click();
    await toolbar(chair).getByText('Đang trình chiếu').waitFor({ timeout: 10000 });
    // The wall now shows the document (a 1920×1080 render: slow on a loaded machine).
    const t0 = Date.now();
    await wall.waitForFunction(() => Number(document.querySelector('.viewer .host')?.dataset.rendered) >= 1, null, { timeout: 90000 }).catch(async (e) => {
      console.log(`wall after ${Date.now() - t0} ms: ${await wall.evaluate(() => document.querySelector('.viewer')?.outerHTML.slice(0, 600) ?? document.body.innerText.slice(0, 600))}`);
      throw e;
    });
    console.log(`the wall rendered the page in ${Date.now() - t0} ms`);
  });

  it('the chair opens the meeting (khai mạc) after asking; the time is in the room and the minutes draft', async () => {
    await tab(chair, 'Điều hành');
    await chair.click('[data-testid=open-meeting]');
    const dialog = chair.locator('[data-testid=confirm-dialog]');
    await dialog.waitFor();
    await dialog.locator('[data-testid=confirm-cancel]').click();
    assert.equal((await state()).session?.openedAt, undefined, 'cancel opens nothing');
    await chair.click('[data-testid=open-meeting]');
    await chair.click('[data-testid=confirm-ok]');
    await chair.locator('[data-testid=session-status]', { hasText: /Khai mạc lúc \d{2}:\d{2}/ }).waitFor({ timeout: 10000 });
    const draft = await call(chairToken, 'GET', `${base}/minutes`);
    assert.ok(draft.openedAt, 'the minutes draft has the opening time');
  });

  it('every tablet sees the quorum and its threshold', async () => {
    for (const [who, page] of [
      ['portrait delegate', d1],
      ['landscape delegate', d2],
      ['secretary', secretary],
    ]) {
      await toolbar(page).getByText(/0\/6 · cần 4/).waitFor({ timeout: 10000 });
      assert.ok(true, who);
    }
    await call(tokens.daibieu03, 'POST', `${base}/attendance`);
    await toolbar(d1).getByText(/1\/6 · cần 4/).waitFor({ timeout: 10000 });
  });

  it('checking out asks first', async () => {
    const btn = d2.locator('[data-testid=checkin]');
    await btn.click();
    await btn.getByText('Đã điểm danh').waitFor({ timeout: 10000 });
    await btn.click();
    const dialog = d2.getByRole('alertdialog');
    await dialog.waitFor({ timeout: 5000 });
    await dialog.getByRole('button', { name: 'Huỷ' }).click();
    await d2.waitForTimeout(500);
    assert.ok((await state()).attendance.present.includes(ids.daibieu02), 'still checked in after cancelling');
    await btn.click();
    await d2.getByRole('alertdialog').getByRole('button', { name: 'Rời họp' }).click();
    await d2.waitForFunction(() => document.querySelector('[data-testid=checkin]')?.textContent.trim() === 'Điểm danh', null, { timeout: 10000 });
    assert.ok(!(await state()).attendance.present.includes(ids.daibieu02), 'checked out after confirming');
  });

  it('the secretary checks delegates in and out on their behalf, with a reason the minutes show', async () => {
    await tab(secretary, 'Điểm danh');
    const panel = secretary.locator('[data-testid=attendance-panel]');
    const row = (u) => panel.locator('[data-testid=attendee]', { hasText: names[u] });
    await row('daibieu05').locator('[data-testid=mark-present]').click();
    await secretary.locator('[data-testid=mark-preset]', { hasText: 'Không có máy tính bảng' }).click();
    await secretary.click('[data-testid=mark-confirm]');
    await row('daibieu05').locator('[data-testid=attendee-reason]', { hasText: 'Không có máy tính bảng' }).waitFor({ timeout: 10000 });
    assert.equal(await row('daibieu05').getAttribute('data-present'), 'true');
    await row('daibieu06').locator('[data-testid=mark-absent]').click();
    await secretary.fill('[data-testid=mark-reason]', 'Đi công tác tỉnh');
    await secretary.click('[data-testid=mark-confirm]');
    await row('daibieu06').locator('[data-testid=attendee-reason]', { hasText: 'Đi công tác tỉnh' }).waitFor({ timeout: 10000 });
    // Every tablet's count follows; the reasons reach the minutes draft.
    await toolbar(d2).getByText(/2\/6 · cần 4/).waitFor({ timeout: 10000 });
    const draft = await call(chairToken, 'GET', `${base}/minutes`);
    const byId = Object.fromEntries([...draft.attendance.present, ...draft.attendance.absent].map((p) => [p.userId, p]));
    assert.equal(byId[ids.daibieu05].reason, 'Không có máy tính bảng');
    assert.ok(draft.attendance.present.some((p) => p.userId === ids.daibieu05));
    assert.equal(byId[ids.daibieu06].reason, 'Đi công tác tỉnh');
    assert.ok(draft.attendance.absent.some((p) => p.userId === ids.daibieu06));
    // A delegate's own screen offers none of this.
    assert.equal(await d2.locator('[data-testid=mark-present], [data-testid=mark-absent]').count(), 0);
  });

  it('the chair ends a speech when nobody waits, and the speaker can finish their own', async () => {
    await d2.click('text=Đăng ký phát biểu');
    await tab(chair, 'Điều hành');
    await chair.locator('[data-testid=speakers-panel] li', { hasText: names.daibieu02 }).waitFor({ timeout: 10000 });
    await chair.click('text=Người tiếp theo');
    await d2.getByText('Mời đồng chí phát biểu').waitFor({ timeout: 10000 });
    // The queue is empty now: "next" is not offered; "end speech" is.
    assert.ok(await chair.locator('[data-testid=next-speaker]').isDisabled(), '"Người tiếp theo" is off with nobody waiting');
    await chair.getByRole('button', { name: /Kết thúc phát biểu/ }).click();
    await d2.getByText('Mời đồng chí phát biểu').waitFor({ state: 'detached', timeout: 10000 });
    assert.equal((await state()).speakers.current, null);

    // The speaker's own "finish".
    await d2.click('text=Đăng ký phát biểu');
    await chair.locator('[data-testid=speakers-panel] li', { hasText: names.daibieu02 }).waitFor({ timeout: 10000 });
    await chair.click('text=Người tiếp theo');
    await d2.getByRole('button', { name: /Kết thúc phát biểu/ }).click();
    await chair.locator('[data-testid=current-speaker]').waitFor({ state: 'detached', timeout: 10000 });
    assert.equal((await state()).speakers.current, null);
    assert.equal(await chair.locator('.banner.conflict').count(), 0, 'no error on the chair\'s screen');
  });

  it('the speech countdown runs from the server start time, turns amber then red on the chair, the speaker and the wall, and survives a reload', async () => {
    // The chair sets the time per speech for the meeting...
    await chair.selectOption('[data-testid=speech-limit]', '180');
    await chair.waitForFunction(async (path) => {
      const r = await fetch(path, { credentials: 'same-origin' });
      return (await r.json()).session?.speechLimitSeconds === 180;
    }, `/api/v1${base}/state`);
    // ...here a short one, so the test sees it run out.
    const LIMIT = 8;
    await call(chairToken, 'POST', `${base}/session`, { action: 'speechLimit', speechLimitSeconds: LIMIT });
    await call(tokens.daibieu01, 'POST', `${base}/speakers`, { action: 'request' });
    await call(chairToken, 'POST', `${base}/speakers`, { action: 'next' });

    const timers = { chair, speaker: d1, wall };
    const timerOf = (page) => page.locator('[data-testid=speech-timer]').first();
    for (const [who, page] of Object.entries(timers)) {
      await timerOf(page).waitFor({ timeout: 10000 });
      assert.equal(await timerOf(page).getAttribute('data-state'), 'ok', `${who}: running`);
    }
    // The wall shows who speaks, over the document.
    assert.match(await wall.locator('[data-testid=wall-speaker]').innerText(), new RegExp(names.daibieu01));

    // The portrait tablet's clock is 90 s slow: its countdown still agrees with the chair's.
    const elapsed = async (page) => Number(await timerOf(page).getAttribute('data-elapsed'));
    const [a, b] = [await elapsed(chair), await elapsed(d1)];
    assert.ok(Math.abs(a - b) <= 1, `chair ${a} s, speaker ${b} s`);

    // Amber for the last third of this short limit, on all three at once.
    await Promise.all(Object.values(timers).map((page) => timerState(page, 'warn')));
    // A reload goes on where it was, not from 0:00.
    await chair.reload();
    await tab(chair, 'Điều hành');
    await timerOf(chair).waitFor({ timeout: 10000 });
    assert.ok((await elapsed(chair)) >= 5, `after a reload the chair's clock says ${await elapsed(chair)} s`);
    for (const [who, page] of Object.entries(timers)) {
      await timerState(page, 'over');
      assert.match(await timerOf(page).innerText(), /\+0:\d\d/, `${who}: red, time over shown`);
    }
    await chair.click('[data-testid=end-speech]');
    await wall.locator('[data-testid=wall-speaker]').waitFor({ state: 'detached', timeout: 10000 });
  });

  it("vote options follow the meeting's language, not the chair's screen", async () => {
    const lang = async (l) => {
      await chair.evaluate((v) => localStorage.setItem('phonghop.lang', v), l);
      await chair.reload();
      await chair.waitForSelector('.toolbar');
    };
    await lang('en'); // the chair's screen in English, the meeting in Vietnamese
    await tab(chair, 'Chair');
    const values = await chair.locator('.opt-row input').evaluateAll((els) => els.map((e) => e.value));
    assert.deepEqual(values, ['Đồng ý', 'Không đồng ý', 'Không ý kiến']);
    await lang('vi');
  });

  it('a result shows each option with its count and shares, the rule and threshold, the names of a named vote and who did not vote; it never hides the next ballot', async () => {
    for (const u of ['daibieu01', 'daibieu02']) await call(tokens[u], 'POST', `${base}/attendance`);
    await tab(chair, 'Điều hành');
    const card = (p) => chair.locator('[data-testid=poll]', { hasText: p.title });
    // Named votes under the absolute rule, made on the chair's console.
    const mk = async (title) => {
      await chair.fill('[data-testid=poll-title]', title);
      await chair.locator('form select').nth(1).selectOption('absolute');
      await chair.click('[data-testid=poll-create]');
      await card({ title }).waitFor({ timeout: 10000 });
      return { title };
    };
    const a = await mk('Đề nghị khen thưởng tập thể Phòng Nội vụ');
    const b = await mk('Đề nghị khen thưởng tập thể Phòng Tư pháp');
    await card(a).locator('[data-testid=poll-open]').click();
    // The wall shows the turnout while the vote is open.
    await wall.locator('[data-testid=wall-vote]', { hasText: 'Đã bỏ phiếu 0/6' }).waitFor({ timeout: 10000 });
    for (const [page, option] of [
      [d1, 0],
      [d2, 0],
    ]) {
      const modal = page.locator('[data-testid=vote-modal]', { hasText: a.title });
      await modal.waitFor({ timeout: 10000 });
      await modal.locator('[data-testid=vote-option]').nth(option).click();
      await page.click('[data-testid=vote-confirm]');
      await page.locator('[data-testid=vote-done] button').click();
    }
    const open = (await call(chairToken, 'GET', `${base}/polls`)).find((p) => p.title === a.title);
    await call(tokens.daibieu03, 'POST', `${base}/polls/${open.id}/ballots`, { option: 1 });
    await card(a).locator('[data-testid=turnout]', { hasText: 'Đã bỏ phiếu 3/6' }).waitFor({ timeout: 10000 });
    await card(a).locator('[data-testid=poll-close]').click();

    // 2 of 6 for, 1 against: the absolute rule needed 4 of 6.
    const res = d1.locator('[data-testid=result-modal] [data-testid=results]');
    await res.waitFor({ timeout: 10000 });
    const text = await res.innerText();
    assert.match(text, /Không thông qua/);
    assert.match(await res.locator('[data-testid=threshold]').innerText(), /cần ít nhất 4\/6/);
    const yes = res.locator('[data-testid=result-option]').nth(0);
    const cells = (await yes.locator('td').allInnerTexts()).map((s) => s.trim());
    assert.equal(cells[1], '2', 'count');
    assert.equal(cells[2], '67%', 'share of the votes cast');
    assert.equal(cells[3], '33%', 'share of all delegates');
    const yesNames = await res.locator('[data-testid=option-names]').first().innerText(); // the row under "Đồng ý"
    assert.ok(yesNames.includes(names.daibieu01) && yesNames.includes(names.daibieu02), `names under "Đồng ý": ${yesNames}`);
    assert.match(await res.locator('[data-testid=not-voted]').innerText(), /Không bỏ phiếu: 3/);
    for (const u of ['daibieu04', 'daibieu05', 'daibieu06']) assert.ok(text.includes(names[u]), `${u} listed as not voting`);
    // The same on the wall.
    await wall.locator('[data-testid=threshold]', { hasText: 'cần ít nhất 4/6' }).waitFor({ timeout: 10000 });

    // The delegate leaves the result open; the next ballot opens over it.
    await dismissResult(chair);
    await card(b).locator('[data-testid=poll-open]').click();
    const modal = d1.locator('[data-testid=vote-modal]', { hasText: b.title });
    await modal.waitFor({ timeout: 10000 });
    const option = modal.locator('[data-testid=vote-option]').first();
    const box = await option.boundingBox();
    const onTop = await d1.evaluate(
      ([x, y]) => !!document.elementFromPoint(x, y)?.closest('[data-testid=vote-modal]'),
      [box.x + box.width / 2, box.y + box.height / 2],
    );
    assert.ok(onTop, 'the ballot is on top, not hidden by the last result');
    await option.click({ timeout: 5000 });
    await d1.click('[data-testid=vote-confirm]');
    await d1.locator('[data-testid=vote-done] button').click();
    await card(b).locator('[data-testid=poll-close]').click();
    await card(b).locator('[data-testid=results]').waitFor({ timeout: 10000 });
    for (const page of [chair, d1, d2, secretary]) {
      await page.locator('[data-testid=result-modal]').waitFor({ timeout: 10000 });
      await dismissResult(page);
    }
  });

  it('the chair closes the meeting (bế mạc) after asking; the room is then read-only apart from the minutes', async () => {
    await tab(chair, 'Điều hành');
    await chair.click('[data-testid=close-meeting]');
    await chair.click('[data-testid=confirm-ok]');
    for (const page of [chair, d1, d2, secretary]) {
      await page.locator('[data-testid=closed-banner]', { hasText: /Cuộc họp đã bế mạc lúc \d{2}:\d{2}/ }).waitFor({ timeout: 10000 });
    }
    assert.equal(await d2.locator('[data-testid=checkin]').count(), 0, 'no check-in once closed');
    assert.equal(await d2.getByText('Đăng ký phát biểu').count(), 0, 'no request to speak once closed');
    assert.equal(await chair.locator('[data-testid=poll-create]').count(), 0, 'no new vote once closed');
    const r = await request(tokens.daibieu04, 'POST', `${base}/attendance`);
    assert.equal(r.status, 409);
    assert.equal(r.body.error.reason, 'meeting_closed');
    // The minutes stay editable and carry both times.
    const draft = await call(chairToken, 'GET', `${base}/minutes`);
    assert.ok(draft.openedAt && draft.closedAt && draft.closedAt >= draft.openedAt);
    await tab(secretary, 'Biên bản');
    await secretary.fill('[data-testid=minutes-summary]', 'Hội nghị bế mạc (kiểm thử e2e).');
    await secretary.click('[data-testid=minutes-save]');
    await secretary.waitForSelector('text=Đã lưu');
  });
});
