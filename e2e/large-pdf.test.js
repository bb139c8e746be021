// First page of a 50 MB PDF on a delegate's tablet. pdf.js loads by range
// (64 KiB chunks, no auto-fetch), so the first page must not wait for the whole
// file, even while the service worker downloads it for the offline cache.
// The test uses a meeting of its own so the other suites' demo meeting does not
// grow a 50 MB document. Needs PHONGHOP_E2E_URL and PHONGHOP_ADMIN_PASSWORD.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { bigPdf, smallPdf } from './pdfgen.js';
import { ADMIN_PASSWORD, BASE, CHROMIUM, login, PASSWORD, request, signInPage, upload } from './api.js';

if (!ADMIN_PASSWORD) throw new Error('PHONGHOP_ADMIN_PASSWORD is not set (the admin password of the server under test)');

const PAGES = 200;
// Generous bound: the goal is 1.5 s (docs/performance.md has the figures). What
// each test asserts is the bytes pdf.js needed before page 1; the time only
// catches a hang, since on a two-core machine shared by other work (load 60 was
// seen) a first page took 12 s while asking for 500 KiB.
const BOUND_MS = 30000;




let browser;
const contexts = [];
let mid, chairToken, small, smallItem;
const docs = {}; // layout → { doc, item }

before(async () => {
  const admin = await login('admin', ADMIN_PASSWORD);
  const users = await request(admin, 'GET', '/users');
  assert.equal(users.status, 200);
  const id = (u) => {
    const x = users.body.find((v) => v.username === u);
    assert.ok(x, `demo user ${u} present (run \`phonghop demo\`)`);
    return x.id;
  };
  const m = await request(admin, 'POST', '/meetings', {
    title: `Kiểm thử tài liệu 50 MB ${Date.now()}`,
    startsAt: new Date().toISOString(),
    location: 'Phòng họp số 2',
    language: 'vi',
  });
  assert.equal(m.status, 201);
  mid = m.body.id;
  const parts = await request(admin, 'PUT', `/meetings/${mid}/participants`, [
    { userId: id('chutich'), role: 'chair' },
    ...['daibieu01', 'daibieu02', 'daibieu03', 'daibieu04'].map((u) => ({ userId: id(u), role: 'delegate' })),
  ]);
  assert.equal(parts.status, 200, JSON.stringify(parts.body));

  const add = async (title, did) => {
    const r = await request(admin, 'POST', `/meetings/${mid}/agenda`, { title, presenter: '', durationMinutes: 10, documentIds: [did] });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.id;
  };
  small = await upload(admin, mid, 'Tai-lieu-nho.pdf', smallPdf(4));
  smallItem = await add('Báo cáo ngắn', small.id);
  for (const layout of ['scattered', 'grouped']) {
    const bytes = bigPdf(PAGES, layout);
    const t0 = Date.now();
    const doc = await upload(admin, mid, `Ho-so-quet-50MB-${layout}.pdf`, bytes);
    console.log(`upload of a ${(bytes.length / 1e6).toFixed(1)} MB PDF (${PAGES} pages, ${layout}) took ${Date.now() - t0} ms`);
    // The server keeps a page index for the scattered file (served appended to
    // it as the tablets' view); the grouped one is compact already.
    assert.equal(doc.size, bytes.length);
    if (layout === 'scattered') assert.ok(doc.viewSha256 && doc.viewSize > bytes.length, 'the scattered PDF got a page index');
    else assert.equal(doc.viewSha256, undefined, 'the grouped PDF needs no page index');
    assert.equal(doc.pages, PAGES, 'the server counted the pages');
    docs[layout] = { doc, item: await add(`Hồ sơ quét 50 MB (${layout})`, doc.id) };
  }
  chairToken = await login('chutich');

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

async function present(documentId, agendaItemId, page) {
  const r = await request(chairToken, 'PUT', `/meetings/${mid}/presentation`, { agendaItemId, documentId, page });
  assert.equal(r.status, 200, JSON.stringify(r.body));
}

// A fresh tablet (empty profile: no cache), signed in through the login
// screen, which also installs the service worker unless sw is false.
async function tablet(username, sw = true) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'vi-VN', serviceWorkers: sw ? 'allow' : 'block' });
  contexts.push(ctx);
  const page = await ctx.newPage();
  await signInPage(page, username);
  if (sw) await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  return { ctx, page };
}

// Records every request for a document's bytes with the browser's own timing
// (epoch ms): who sent it (pdf.js in the page, or the service worker's
// whole-file prefetch), its Range, and the body bytes that came over the wire
// (unknown, -1, for answers the service worker made from its cache).
function watchContent(ctx, did) {
  const log = [];
  const re = new RegExp(`/documents/${did}/content`);
  const seen = (r, failed) => {
    if (!re.test(r.url())) return;
    const e = { sw: !!r.serviceWorker(), range: r.headers().range || '', failed, start: 0, end: 0, status: 0, fromSW: false, bytes: -1 };
    log.push(e);
    const t = r.timing();
    e.start = t.startTime;
    e.end = t.responseEnd >= 0 ? t.startTime + t.responseEnd : 0;
    if (failed) return;
    e.wait = (async () => {
      const res = await r.response();
      e.status = res?.status() ?? 0;
      e.fromSW = res?.fromServiceWorker() ?? false;
      const s = await r.sizes().catch(() => null);
      e.bytes = s && s.responseBodySize >= 0 && !e.fromSW ? s.responseBodySize : -1;
    })().catch(() => {});
  };
  ctx.on('requestfinished', (r) => seen(r, ''));
  ctx.on('requestfailed', (r) => seen(r, r.failure()?.errorText || 'failed'));
  return log;
}

function rangeLength(h) {
  const m = /^bytes=(\d+)-(\d+)$/.exec(h);
  return m ? Number(m[2]) - Number(m[1]) + 1 : 0;
}

// Sums up what happened to the document's bytes until `shown` (epoch ms).
async function report(log, t0, shown) {
  await Promise.all(log.map((e) => e.wait));
  const rel = (t) => (t ? `+${Math.round(t - t0)} ms` : '?');
  const byPdfjs = log.filter((e) => !e.sw && e.range && e.start <= shown);
  const asked = byPdfjs.reduce((n, e) => n + rangeLength(e.range), 0);
  const wire = log.filter((e) => e.end && e.end <= shown && e.bytes > 0).reduce((n, e) => n + e.bytes, 0);
  const fetches = log.filter((e) => !e.range);
  const first = Math.min(...log.filter((e) => !e.sw).map((e) => e.start));
  const lines = [
    `  pdf.js first asked for the document at ${rel(first)}`,
    `  pdf.js asked for ${byPdfjs.length} ranges, ${(asked / 1024).toFixed(0)} KiB, before the page showed; ` +
      `${(wire / 1024).toFixed(0)} KiB came from the server by then (answers from the service worker cache not counted)`,
    // A few ranges: show each (when asked, when answered, from where).
    ...(byPdfjs.length <= 10
      ? byPdfjs.map((e) => `    ${e.range}: ${rel(e.start)} → ${e.failed || e.status}${e.fromSW ? ' via the SW' : ''} at ${rel(e.end)}`)
      : []),
    ...fetches.map(
      (e) =>
        `  whole-file request by ${e.sw ? 'the service worker (its prefetch, or pdf.js\'s probe passed on)' : 'pdf.js (its probe)'}: ${rel(e.start)} → ` +
        (e.failed ? `${e.failed} at ${rel(e.end)}` : `${e.status}${e.fromSW ? ' from the SW cache' : ''}, ${e.bytes >= 0 ? `${e.bytes} bytes, ` : ''}done ${rel(e.end)}`),
    ),
  ];
  return { asked, wire, lines };
}

// Page 1 of the document of `pages` pages is painted. The predicates that wait
// for it are functions, not strings: the app's Content-Security-Policy forbids
// evaluating strings (and functions passed to the page cannot call helpers).

// Opens the room on a fresh tablet while the chair presents page 1 of the
// layout's document; returns ms from navigation start to page 1 painted.
async function coldOpen(layout, username, sw) {
  const { doc, item } = docs[layout];
  await present(doc.id, item, 1);
  const { ctx, page } = await tablet(username, sw);
  await page.goto('about:blank');
  const log = watchContent(ctx, doc.id);
  await page.goto(new URL(`/#/m/${encodeURIComponent(mid)}`, BASE).toString());
  // performance.now() counts from this document's navigation start.
  const h = await page.waitForFunction(
    (pages) =>
      document.querySelector('.viewer .host')?.dataset.rendered === '1' &&
      new RegExp(`/${pages}\\b`).test(document.querySelector('[data-testid=pageno]')?.textContent || '') && [
        Math.round(performance.now()),
        performance.timeOrigin,
        performance.timeOrigin + performance.now(),
      ],
    PAGES,
    { timeout: 60000, polling: 'raf' },
  );
  const [ms, origin, shown] = await h.jsonValue();
  // Where the start-up time goes: the app's scripts, then pdf.js and its worker (loaded on first use).
  const scripts = await page.evaluate(() =>
    performance
      .getEntriesByType('resource')
      .filter((e) => /\.(m?js)$/.test(new URL(e.name).pathname))
      .map((e) => `${new URL(e.name).pathname.split('/').pop()} ${Math.round(e.startTime)}→${Math.round(e.responseEnd)} ms`),
  );
  assert.equal(await page.evaluate(() => navigator.serviceWorker?.controller != null), sw, 'service worker in control as intended');
  if (sw) {
    // Let the whole-file prefetch finish so its timing shows next to the page's.
    await page
      .waitForFunction(async () => (await (await caches.open('phonghop-docs-v2')).keys()).length >= 3, null, { timeout: 60000, polling: 250 })
      .catch(() => {});
  }
  const r = await report(log, origin, shown);
  console.log(
    `first page of a ${(doc.size / 1e6).toFixed(1)} MB PDF visible after ${ms} ms ` +
      `(from navigation start; ${layout} page objects; fresh tablet, service worker ${sw ? 'active' : 'blocked'})\n` +
      `  scripts loaded: ${scripts.join(', ')}\n${r.lines.join('\n')}`,
  );
  await ctx.close();
  return { ms, ...r, size: doc.size };
}

describe('a 50 MB PDF', () => {
  it('a fresh tablet opening the room shows page 1 soon after navigation start', async () => {
    const r = await coldOpen('scattered', 'daibieu01', true);
    assert.ok(r.ms < BOUND_MS, `first page after ${r.ms} ms, bound ${BOUND_MS} ms`);
    // With the page index pdf.js reads a few chunks, not a page object per page.
    assert.ok(r.asked < 2 << 20, `pdf.js asked for ${r.asked} bytes before page 1`);
  });

  it('without the service worker, range loading alone reads a fraction of the file', async () => {
    const r = await coldOpen('scattered', 'daibieu02', false);
    assert.ok(r.ms < BOUND_MS, `first page after ${r.ms} ms, bound ${BOUND_MS} ms`);
    assert.ok(r.wire > 0 && r.wire < r.size / 2, `${r.wire} bytes came over the wire before page 1, not the whole ${r.size}`);
  });

  it('page objects grouped at the front: pdf.js opens it with a few ranges', async () => {
    const r = await coldOpen('grouped', 'daibieu03', true);
    assert.ok(r.ms < BOUND_MS, `first page after ${r.ms} ms, bound ${BOUND_MS} ms`);
    assert.ok(r.asked < 2 << 20, `pdf.js asked for ${r.asked} bytes before page 1`);
  });

  it('a tablet in the room shows page 1 soon after the chair switches to it', async () => {
    await present(small.id, smallItem, 2);
    const { scattered } = docs;
    const { ctx, page } = await tablet('daibieu04');
    await page.goto(new URL(`/#/m/${encodeURIComponent(mid)}`, BASE).toString());
    await page.waitForFunction(() => document.querySelector('.viewer .host')?.dataset.rendered === '2', null, { timeout: 20000 });
    const log = watchContent(ctx, scattered.doc.id);
    const cached = await page.evaluate(
      async (key) => !!(await (await caches.open('phonghop-docs-v2')).match(key)),
      `/api/v1/meetings/${mid}/documents/${scattered.doc.id}/content?view=1&v=${scattered.doc.viewSha256.slice(0, 16)}`,
    );
    const t0 = await page.evaluate(() => Date.now());
    await present(scattered.doc.id, scattered.item, 1);
    const h = await page.waitForFunction(
      (pages) =>
        document.querySelector('.viewer .host')?.dataset.rendered === '1' &&
        new RegExp(`/${pages}\\b`).test(document.querySelector('[data-testid=pageno]')?.textContent || '') &&
        Date.now(),
      PAGES,
      { timeout: 60000, polling: 'raf' },
    );
    const shown = await h.jsonValue();
    const ms = shown - t0;
    const r = await report(log, t0, shown);
    console.log(
      `first page of a ${(scattered.doc.size / 1e6).toFixed(1)} MB PDF visible after ${ms} ms (from the chair's switch; tablet already in the room, ` +
        `the whole file ${cached ? 'already' : 'not yet'} in its service worker cache)\n${r.lines.join('\n')}`,
    );
    assert.ok(ms < BOUND_MS, `first page after ${ms} ms, bound ${BOUND_MS} ms`);
  });
});
