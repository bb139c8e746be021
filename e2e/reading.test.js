// Issue #12 "Reading on a tablet": fit-width, double-tap and pinch zoom with the
// page re-rendered at the zoom's resolution (touches synthesised through CDP's
// Input.dispatchTouchEvent, as a tablet's finger), following the presenter while
// zoomed, a confidential paper's watermark on the zoomed page, and the room's
// toolbar on one row at 1024 and 1280 px.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { BASE, call, CHROMIUM, login, PASSWORD, request, signInPage, upload } from './api.js';
import { smallPdf } from './pdfgen.js';

const TITLE = 'Hội nghị tổng kết công tác cải cách hành chính năm 2023';

let browser;
let meetingId;
let chairToken;
let item; // the agenda item with documents, presented through the API
const contexts = [];

async function tablet(username, viewport, extra = {}) {
  const ctx = await browser.newContext({ viewport, locale: 'vi-VN', ...extra });
  contexts.push(ctx);
  const page = await ctx.newPage();
  page.on('dialog', (d) => d.accept());
  await signInPage(page, username);
  await page.goto(new URL(`/#/m/${encodeURIComponent(meetingId)}`, BASE).toString());
  // The agenda is a drawer in portrait: wait for the page's toolbar instead.
  await page.waitForSelector('[data-testid=pageno]');
  return page;
}

const present = async (page) =>
  (await call(chairToken, 'PUT', `/meetings/${meetingId}/presentation`, { agendaItemId: item.id, documentId: item.documentIds[0], page })).seq;

const renderedIs = (page, n) =>
  page.waitForFunction((p) => document.querySelector('.viewer .host')?.dataset.rendered === String(p), n, { timeout: 20000 });

/** The page's and the pane's geometry, and the canvases' pixels. */
const geometry = (page) =>
  page.evaluate(() => {
    const wrap = document.querySelector('.viewer-wrap');
    const pad = parseFloat(getComputedStyle(wrap).paddingLeft) + parseFloat(getComputedStyle(wrap).paddingRight);
    const base = document.querySelector('.viewer .host canvas');
    const detail = document.querySelector('.viewer canvas.detail');
    const scroller = document.querySelector('.viewer .scroller');
    const r = base.getBoundingClientRect();
    const d = detail?.getBoundingClientRect();
    return {
      pane: wrap.clientWidth - pad,
      box: scroller ? { w: scroller.clientWidth, h: scroller.clientHeight, top: scroller.scrollTop, left: scroller.scrollLeft } : null,
      page: { x: r.left, y: r.top, w: r.width, h: r.height, px: base.width * base.height, pw: base.width },
      detail: d ? { w: d.width, h: d.height, pw: detail.width, ph: detail.height, watermark: detail.dataset.watermark || '' } : null,
      zoom: Number(scroller?.dataset.zoom || 1),
      dpr: devicePixelRatio,
      scale: visualViewport.scale,
      baseWatermark: base.dataset.watermark || '',
    };
  });

/** Synthesised touches (CDP), as a tablet's fingers. */
async function fingers(page) {
  const cdp = await page.context().newCDPSession(page);
  // timestamp (seconds since the epoch): the event's time as the page sees it.
  const touch = (type, points, timestamp) =>
    cdp.send('Input.dispatchTouchEvent', { type, touchPoints: points.map(([x, y], id) => ({ x, y, id })), ...(timestamp ? { timestamp } : {}) });
  return {
    async tap(x, y, at) {
      await touch('touchStart', [[x, y]], at);
      await touch('touchEnd', [], at && at + 0.03);
    },
    /** Two taps 80 ms apart by their events' own times, so a loaded machine
     * delivering them late does not turn them into two single taps. */
    async doubleTap(x, y) {
      const at = Date.now() / 1000;
      await this.tap(x, y, at);
      await page.waitForTimeout(80);
      await this.tap(x, y, at + 0.08);
    },
    /** Two fingers centred on (x, y) from d0 apart to d1 apart, horizontally. */
    async pinch(x, y, d0, d1, steps = 12) {
      await touch('touchStart', [[x - d0 / 2, y], [x + d0 / 2, y]]);
      for (let i = 1; i <= steps; i++) {
        const d = d0 + ((d1 - d0) * i) / steps;
        await touch('touchMove', [[x - d / 2, y], [x + d / 2, y]]);
        await page.waitForTimeout(16);
      }
      await touch('touchEnd', []);
    },
  };
}

const waitDetail = (page) =>
  page.waitForFunction(() => document.querySelector('.viewer canvas.detail'), null, { timeout: 15000 });

before(async () => {
  chairToken = await login('chutich');
  const list = await call(chairToken, 'GET', '/meetings');
  const m = list.find((x) => x.title === TITLE);
  assert.ok(m, 'demo meeting present (run `phonghop demo`)');
  meetingId = m.id;
  const full = await call(chairToken, 'GET', `/meetings/${meetingId}`);
  item = full.agenda.find((a) => a.documentIds.length > 0);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  await present(1);
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
});

describe('reading on a tablet', () => {
  it('at 1024×768 and 800×1280 the page is as wide as its pane allows', async () => {
    for (const viewport of [
      { width: 1024, height: 768 },
      { width: 800, height: 1280 },
    ]) {
      const page = await tablet('daibieu02', viewport);
      await renderedIs(page, 1);
      const g = await geometry(page);
      console.log(`${viewport.width}×${viewport.height}: page ${Math.round(g.page.w)}×${Math.round(g.page.h)} px in a ${g.pane} px pane`);
      // The scroller's gutter (a thin scrollbar at most) is all that may be left.
      assert.ok(g.page.w >= g.pane - 20, `page ${g.page.w} px wide in a ${g.pane} px pane`);
      // Rendered at its shown size, not stretched.
      assert.ok(Math.abs(g.page.pw - g.page.w * g.dpr) <= 2, `canvas ${g.page.pw} px for ${g.page.w} CSS px`);
      await page.context().close();
    }
  });

  describe('zoom on a 1024×768 tablet (2 device pixels per CSS pixel)', () => {
    let page, touch;
    before(async () => {
      page = await tablet('daibieu06', { width: 1024, height: 768 }, { hasTouch: true, isMobile: true, deviceScaleFactor: 2 });
      await present(1);
      await renderedIs(page, 1);
      touch = await fingers(page);
    });

    it('a double-tap zooms in around the finger, sharply, and a second one back out', async () => {
      const g0 = await geometry(page);
      const x = g0.page.x + g0.page.w * 0.3,
        y = g0.page.y + 200;
      const fx = (x - g0.page.x) / g0.page.w,
        fy = (y - g0.page.y) / g0.page.h;
      await touch.doubleTap(x, y);
      await waitDetail(page);
      const g1 = await geometry(page);
      assert.ok(g1.zoom >= 1.9, `zoom ${g1.zoom}`);
      assert.ok(Math.abs(g1.page.w / g0.page.w - g1.zoom / g0.zoom) < 0.02, 'the page grew by the zoom');
      // The point tapped stays under the finger.
      assert.ok(Math.abs(g1.page.x + fx * g1.page.w - x) < 4 && Math.abs(g1.page.y + fy * g1.page.h - y) < 4, 'the tapped point stayed put');
      // Text stays sharp: the visible part is rendered at the zoom's resolution.
      assert.ok(Math.abs(g1.detail.pw / g1.detail.w - g1.dpr) < 0.05, `detail ${g1.detail.pw} px over ${g1.detail.w} CSS px`);
      assert.equal(g1.scale, 1, 'the app itself did not zoom');

      await touch.doubleTap(x, y);
      await page.waitForFunction(() => !document.querySelector('.viewer canvas.detail'));
      const g2 = await geometry(page);
      assert.equal(g2.zoom, g0.zoom);
      assert.ok(Math.abs(g2.page.w - g0.page.w) < 1);
    });

    it('a pinch zooms by the fingers\' spread; memory stays bounded at the largest zoom', async () => {
      const g0 = await geometry(page);
      const cx = g0.box.w / 2 + 300,
        cy = 400;
      await touch.pinch(cx, cy, 100, 300);
      await waitDetail(page);
      const g1 = await geometry(page);
      assert.ok(Math.abs(g1.zoom - 3 * g0.zoom) < 0.35, `pinch ×3 gave zoom ${g1.zoom}`);
      assert.equal(g1.scale, 1, 'the app itself did not zoom');
      assert.ok(Math.abs(g1.detail.pw / g1.detail.w - g1.dpr) < 0.05, 'the visible part is sharp');
      // Pinching in again, below fit-width, shows the whole page.
      await touch.pinch(cx, cy, 400, 40);
      await page.waitForFunction(() => Number(document.querySelector('.viewer .scroller')?.dataset.zoom) < 1);
      const g2 = await geometry(page);
      assert.ok(g2.page.h <= g2.box.h + 1, `whole page: ${g2.page.h} px in ${g2.box.h}`);

      // The largest zoom: the canvases hold about two screens, not the page at ×5.
      for (let i = 0; i < 12; i++) {
        const b = await page.$('[data-testid=zoom-in]:not([disabled])');
        if (!b) break;
        await b.click();
      }
      await page.waitForTimeout(300);
      await waitDetail(page);
      const g3 = await geometry(page);
      assert.ok(g3.zoom >= 4.9, `zoom ${g3.zoom}`);
      const screen = 1024 * 768 * g3.dpr * g3.dpr;
      const pixels = g3.page.px + g3.detail.pw * g3.detail.ph;
      console.log(`at zoom ×${g3.zoom}: canvases ${(pixels / 1e6).toFixed(1)} Mpx (the page at that zoom would be ${((g3.page.w * g3.page.h * g3.dpr * g3.dpr) / 1e6).toFixed(0)} Mpx)`);
      assert.ok(pixels < 4 * screen, `canvases ${pixels} px`);
      assert.ok(Math.abs(g3.detail.pw / g3.detail.w - g3.dpr) < 0.05, 'still sharp at ×5');
      await page.click('[data-testid=zoom-fit]');
      await page.waitForFunction(() => Number(document.querySelector('.viewer .scroller')?.dataset.zoom) === 1);
    });

    it('zoomed in, the presenter\'s page turn is followed: same zoom, top of the new page', async () => {
      await touch.pinch(600, 400, 100, 250);
      await waitDetail(page);
      await page.evaluate(() => document.querySelector('.viewer .scroller').scrollBy(120, 500));
      const g0 = await geometry(page);
      assert.ok(g0.zoom > 2 && g0.box.top > 0);
      await present(2);
      await renderedIs(page, 2);
      await waitDetail(page);
      const g1 = await geometry(page);
      assert.ok(Math.abs(g1.zoom - g0.zoom) < 0.001, `zoom kept (${g0.zoom} → ${g1.zoom})`);
      assert.equal(g1.box.top, 0, 'at the top of the new page');
      assert.ok(await page.$('[data-testid=following]'), 'still following');
      assert.match(await page.textContent('[data-testid=pageno]'), /Trang 2\//);
      // The delegate's own leafing ahead and the way back still work zoomed.
      await page.click('button[aria-label="Trang sau"]');
      await renderedIs(page, 3);
      await page.click('text=Về trang người trình bày');
      await renderedIs(page, 2);
      await present(1);
      await renderedIs(page, 1);
    });
  });

  it('a confidential paper\'s watermark is drawn over the zoomed page too', async () => {
    const me = await call(await login('daibieu04'), 'GET', '/me');
    const doc = await upload(chairToken, meetingId, 'mat-reading.pdf', smallPdf(2));
    await call(chairToken, 'PUT', `/meetings/${meetingId}/documents/${doc.id}/access`, { confidential: true, readers: [me.id], watermark: true });
    await call(chairToken, 'PUT', `/meetings/${meetingId}/documents/${doc.id}/items`, { itemIds: [item.id] });
    try {
      const page = await tablet('daibieu04', { width: 1024, height: 768 }, { hasTouch: true, isMobile: true });
      await page.click(`[data-testid=agenda-doc]:has-text("mat-reading")`);
      await page.waitForFunction(() => document.querySelector('.viewer .host canvas')?.dataset.watermark);
      const touch = await fingers(page);
      await touch.pinch(600, 400, 100, 250);
      await waitDetail(page);
      const g = await geometry(page);
      assert.ok(g.zoom > 2);
      assert.match(g.baseWatermark, /Vũ Thị Lan Anh/);
      assert.equal(g.detail.watermark, g.baseWatermark, 'the sharp part carries the watermark');
      // Pixels: the watermark's red is on the detail canvas.
      const red = await page.evaluate(() => {
        const c = document.querySelector('.viewer canvas.detail');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i] > 200 && d[i + 1] < 215 && d[i + 2] < 215 && d[i] - d[i + 1] > 20) n++;
        return n;
      });
      assert.ok(red > 500, `${red} reddish pixels on the zoomed part`);
    } finally {
      await request(chairToken, 'DELETE', `/meetings/${meetingId}/documents/${doc.id}`);
    }
  });
});

describe('the room\'s toolbar', () => {
  /** Every item of the toolbar on one row, none cut off or pushed out. */
  const toolbar = (page) =>
    page.evaluate(() => {
      const bar = document.querySelector('.toolbar');
      const b = bar.getBoundingClientRect();
      const els = [...bar.querySelectorAll(':scope > *')].filter((e) => e.getBoundingClientRect().width > 0);
      const rs = els.map((e) => e.getBoundingClientRect());
      const mids = rs.map((r) => r.top + r.height / 2);
      return {
        height: Math.round(b.height),
        spread: Math.max(...mids) - Math.min(...mids),
        outside: rs.filter((r) => r.left < b.left - 1 || r.right > b.right + 1).length,
        items: rs.length,
        widths: els.map((e, i) => `${e.textContent.trim().slice(0, 12)}:${Math.round(rs[i].left - b.left)}+${Math.round(rs[i].width)}`).join(' ') + ` of ${Math.round(b.width)}`,
      };
    });

  it('is one row at 1024 and 1280 px, for the chair and a delegate, with everything in it', async () => {
    const uid = async (u) => (await call(await login(u), 'GET', '/me')).id;
    const speaker = await uid('daibieu09');
    const asker = await login('daibieu08');
    await request(chairToken, 'POST', `/meetings/${meetingId}/attendance`);
    await request(asker, 'POST', `/meetings/${meetingId}/attendance`);
    await call(chairToken, 'POST', `/meetings/${meetingId}/speakers`, { action: 'floor', userId: speaker });
    await call(asker, 'POST', `/meetings/${meetingId}/speakers`, { action: 'request' });
    try {
      for (const [who, viewport] of [
        ['chutich', { width: 1024, height: 768 }],
        ['chutich', { width: 1280, height: 800 }],
        ['daibieu08', { width: 1024, height: 768 }],
        ['daibieu08', { width: 1280, height: 800 }],
      ]) {
        const page = await tablet(who, viewport);
        await page.waitForSelector('[data-testid=speaking]');
        await renderedIs(page, 1);
        const bar = await toolbar(page);
        console.log(`${who} at ${viewport.width}×${viewport.height}: toolbar ${bar.height} px high, ${bar.items} items`);
        assert.ok(bar.spread < 4 && bar.height <= 90, `${who} at ${viewport.width}: one row (${JSON.stringify(bar)})`);
        assert.equal(bar.outside, 0, `${who} at ${viewport.width}: nothing pushed out of the toolbar (${bar.widths})`);
        await page.context().close();
      }
    } finally {
      await request(chairToken, 'POST', `/meetings/${meetingId}/speakers`, { action: 'end' });
      await request(asker, 'POST', `/meetings/${meetingId}/speakers`, { action: 'withdraw' });
      await request(asker, 'DELETE', `/meetings/${meetingId}/attendance`);
      await request(chairToken, 'DELETE', `/meetings/${meetingId}/attendance`);
    }
  });
});
