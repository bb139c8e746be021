// The attacks, replayed in a real browser (Chromium via playwright-core)
// against a running phonghop with the demo seeded:
// - forged requests: a page on another port of the same host (same-site for the
//   browser, so the SameSite=Lax cookie goes along) posts to the API with a
//   signed-in user's cookie: a no-cors fetch that would make an admin, a
//   text/plain form that would cast a ballot;
// - the web app runs under its Content-Security-Policy (pdf.js worker, fonts,
//   wasm) with no violation;
// - a shared tablet: after a session ended without the sign-out button, nobody
//   and then an outsider signed in on the same browser try to read the first
//   person's cached documents;
// - a secret vote leaves nothing of the choice on the tablet, and sign-out
//   leaves nothing of the person.
// Needs PHONGHOP_E2E_URL and PHONGHOP_ADMIN_PASSWORD.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { chromium } from 'playwright-core';
import { ADMIN_PASSWORD, BASE, CHROMIUM, PASSWORD, call, login } from './api.js';

if (!ADMIN_PASSWORD) throw new Error('PHONGHOP_ADMIN_PASSWORD is not set (the admin password of the server under test)');

const TITLE = 'Hội nghị tổng kết công tác cải cách hành chính năm 2023';
const DOCS = 'phonghop-docs-v2';

let browser;
let meeting;
let chairToken;
let evil; // http server on another port of the same host
const pages = new Map(); // path → HTML the evil server answers
const contexts = [];

before(async () => {
  chairToken = await login('chutich');
  const list = await call(chairToken, 'GET', '/meetings');
  const m = list.find((x) => x.title === TITLE);
  assert.ok(m, 'demo meeting present (run `phonghop demo`)');
  meeting = await call(chairToken, 'GET', `/meetings/${m.id}`);
  evil = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(pages.get(req.url) ?? '<!doctype html><title>nothing</title>');
  });
  const host = new URL(BASE).hostname;
  await new Promise((ok) => evil.listen(0, host, ok));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  evil?.close();
});

const evilURL = (path) => `http://${new URL(BASE).hostname}:${evil.address().port}${path}`;

/** A fresh browser profile (one tablet) with a page signed in as username. */
async function tablet(username, password = PASSWORD) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'vi-VN' });
  contexts.push(ctx);
  const page = await ctx.newPage();
  page.on('dialog', (d) => d.accept());
  const token = await signIn(page, username, password);
  return { ctx, page, token };
}

/** signIn signs in through the login form and returns the session's token. */
async function signIn(page, username, password = PASSWORD) {
  await page.goto(new URL('/#/login', BASE).toString());
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  const [res] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/login') && r.request().method() === 'POST'),
    page.click('button[type=submit]'),
  ]);
  assert.equal(res.status(), 200, `sign in ${username}`);
  await page.waitForFunction(() => !location.hash.startsWith('#/login'));
  return (await res.json()).token;
}

async function openPoll(title, secret) {
  const item = meeting.agenda[0];
  const p = await call(chairToken, 'POST', `/meetings/${meeting.id}/polls`, { agendaItemId: item.id, title, secret });
  await call(chairToken, 'POST', `/meetings/${meeting.id}/polls/${p.id}/open`, { overrideQuorum: true });
  return p;
}

const closePoll = (p) => call(chairToken, 'POST', `/meetings/${meeting.id}/polls/${p.id}/close`);

describe('forged requests', () => {
  it("a page on another port cannot make an admin with the admin's cookie", async () => {
    const { page } = await tablet('admin', ADMIN_PASSWORD);
    const username = `pwned${Date.now()}`;
    pages.set(
      '/make-admin',
      `<!doctype html><script>
        fetch(${JSON.stringify(new URL('/api/v1/users', BASE).toString())}, {method: 'POST', mode: 'no-cors', credentials: 'include',
          body: JSON.stringify({username: ${JSON.stringify(username)}, password: 'pwned-password-1', admin: true})})
          .finally(() => { document.title = 'sent'; });
      </script>`,
    );
    const refused = page.waitForResponse((r) => r.url().endsWith('/api/v1/users') && r.request().method() === 'POST');
    await page.goto(evilURL('/make-admin'));
    await page.waitForFunction(() => document.title === 'sent');
    const res = await refused;
    assert.equal(res.status(), 403, 'the server refused the request');
    const admin = await login('admin', ADMIN_PASSWORD);
    const users = await call(admin, 'GET', '/users');
    assert.ok(!users.some((u) => u.username === username), 'no user was made');
  });

  it("a text/plain form on another port cannot cast a delegate's ballot", async () => {
    const poll = await openPoll(`E2E phiếu giả mạo ${Date.now()}`, false);
    try {
      const { page } = await tablet('daibieu09');
      const action = new URL(`/api/v1/meetings/${meeting.id}/polls/${poll.id}/ballots`, BASE).toString();
      // The name/value pair is sent as name=value: the body reads as {"option":0,"x":"="}.
      pages.set(
        '/ballot',
        `<!doctype html><form method="post" enctype="text/plain" action="${action}">
           <input name='{"option":0,"x":"' value='"}'></form>
         <script>document.forms[0].submit()</script>`,
      );
      const [res] = await Promise.all([
        page.waitForResponse((r) => r.url() === action),
        page.goto(evilURL('/ballot')),
      ]);
      assert.equal(res.status(), 403);
      assert.match(await res.text(), /cross_origin_refused/);
    } finally {
      const closed = await closePoll(poll);
      assert.equal(closed.results.cast, 0, 'no ballot was counted');
    }
  });
});

describe('the web app under its Content-Security-Policy', () => {
  it('renders documents with pdf.js (worker, fonts), compiles wasm, and breaks no rule', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    contexts.push(ctx);
    await ctx.addInitScript(() => {
      window.__violations = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    const page = await ctx.newPage();
    const messages = [];
    page.on('console', (m) => /Content Security Policy|Refused to/.test(m.text()) && messages.push(m.text()));
    const first = await page.goto(new URL('/', BASE).toString());
    assert.match(first.headers()['content-security-policy'] ?? '', /script-src 'self' 'wasm-unsafe-eval'/);
    await signIn(page, 'daibieu10');
    await page.goto(new URL(`/#/m/${encodeURIComponent(meeting.id)}`, BASE).toString());
    await page.waitForSelector('[data-testid=agenda-item]');
    // Open each document of the first agenda item with documents.
    const docs = page.locator('[data-testid=agenda-doc]');
    const n = await docs.count();
    assert.ok(n > 0, 'the demo has documents on its agenda');
    for (let i = 0; i < Math.min(n, 3); i++) {
      await docs.nth(i).click();
      await page.waitForFunction(() => Number(document.querySelector('.viewer .host')?.dataset.rendered) > 0, null, { timeout: 20000 });
    }
    // pdf.js compiles its image decoders (JPEG 2000, JBIG2) to wasm.
    const wasm = await page.evaluate(async () => {
      try {
        await WebAssembly.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
        return 'compiled';
      } catch (e) {
        return String(e);
      }
    });
    assert.equal(wasm, 'compiled');
    assert.deepEqual(await page.evaluate(() => window.__violations), []);
    assert.deepEqual(messages, []);
  });
});

describe('a shared tablet', () => {
  it("after a session ends without sign-out, neither nobody nor an outsider gets the first person's cached documents", async () => {
    const admin = await login('admin', ADMIN_PASSWORD);
    const outsider = `khach${Date.now()}`;
    await call(admin, 'POST', '/users', { username: outsider, password: 'mat-khau-cua-khach', displayName: 'Khách ngoài cuộc họp' });

    const cacheDocuments = async (page) => {
      await page.goto(new URL(`/#/m/${encodeURIComponent(meeting.id)}`, BASE).toString());
      await page.waitForSelector('[data-testid=agenda-item]');
      const want = meeting.documents.length;
      assert.ok(want > 0, 'the demo meeting has documents');
      for (const deadline = Date.now() + 60000; ; await new Promise((r) => setTimeout(r, 500))) {
        const urls = await page.evaluate(async (name) => (await (await caches.open(name)).keys()).map((r) => r.url), DOCS);
        if (urls.length >= want) return urls;
        assert.ok(Date.now() < deadline, `only ${urls.length} of ${want} documents cached`);
      }
    };
    const read = (page, url) =>
      page.evaluate(async (u) => {
        const r = await fetch(u, { credentials: 'same-origin' });
        const b = new Uint8Array(await r.arrayBuffer());
        const head = String.fromCharCode(...b.slice(0, 5));
        return { status: r.status, pdf: head === '%PDF-' };
      }, url);
    const cached = (page) => page.evaluate(async () => (await caches.keys()).filter((k) => k.startsWith('phonghop-docs')));

    const { page, token } = await tablet('daibieu03');
    const urls = await cacheDocuments(page);
    assert.deepEqual(await read(page, urls[0]), { status: 200, pdf: true }, 'her own document, from the cache');

    // Her session ends elsewhere (revoked, or expired); the tablet still shows her room.
    await call(token, 'POST', '/auth/logout');
    // Nobody signed in: the address typed in, and a fetch from the app's page.
    const nav = await page.goto(urls[0]);
    assert.equal(nav.status(), 401, 'nobody gets her document by its address');
    await page.goto(new URL('/#/login', BASE).toString());
    await page.waitForSelector('input[name=username]');
    assert.deepEqual(await read(page, urls[0]), { status: 401, pdf: false });
    assert.deepEqual(await cached(page), [], 'the 401 emptied the document cache');

    // She signs in again and the tablet caches her documents again; her session
    // ends elsewhere again; an outsider (no part in the meeting) signs in.
    const token2 = await signIn(page, 'daibieu03');
    await cacheDocuments(page);
    await call(token2, 'POST', '/auth/logout');
    await signIn(page, outsider, 'mat-khau-cua-khach');
    for (const u of urls) {
      const r = await read(page, u);
      assert.ok(!r.pdf && r.status === 404, `outsider reading ${u}: ${JSON.stringify(r)}`);
    }
  });

  it('a secret vote leaves nothing of the choice on the tablet, and sign-out leaves nothing of the person', async () => {
    const title = `E2E bỏ phiếu kín ${Date.now()}`;
    const poll = await openPoll(title, true);
    try {
      const { page } = await tablet('daibieu04');
      await page.goto(new URL(`/#/m/${encodeURIComponent(meeting.id)}`, BASE).toString());
      const modal = page.locator('[data-testid=vote-modal]', { hasText: title });
      await modal.waitFor({ timeout: 15000 });
      await modal.locator('[data-testid=vote-option] >> nth=1').click();
      await page.click('[data-testid=vote-confirm]');
      const shown = (await page.locator('[data-testid=receipt]').textContent({ timeout: 10000 })).replace(/\W/g, '');
      assert.ok(shown.length >= 8, 'the receipt is shown');
      const stored = await page.evaluate(() => Object.fromEntries(Object.keys(localStorage).map((k) => [k, localStorage.getItem(k)])));
      const all = JSON.stringify(stored);
      assert.ok(!all.includes(shown), 'the receipt is not stored');
      const mine = Object.entries(stored).find(([k]) => k.startsWith('phonghop.ballots.'));
      assert.ok(mine, 'the tablet remembers it voted');
      assert.deepEqual(JSON.parse(mine[1])[poll.id], { option: null, receipt: '' });

      await page.click('[data-testid=vote-done] button');
      await page.click('button.signout');
      await page.waitForSelector('input[name=username]');
      const left = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('phonghop.') && k !== 'phonghop.lang'));
      assert.deepEqual(left, []);
      // Nothing named for her either: documents, the meetings' offline copy, her session.
      assert.deepEqual(await page.evaluate(async () => (await caches.keys()).filter((k) => /^phonghop-(docs|data|session)-/.test(k))), []);
    } finally {
      await closePoll(poll);
    }
  });
});
