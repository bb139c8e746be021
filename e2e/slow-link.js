// First page of a 50 MB PDF when the tablet and the server share a capped link
// (one Wi-Fi access point, say), with and without the service worker. Loopback
// hides what the service worker's whole-file prefetch costs: here a TCP proxy
// lets through at most PHONGHOP_LINK_MBIT (default 40) Mbit/s from the server
// to the browser, for all connections together.
// Run by hand against a throw-away demo server (it adds a meeting and 105 MB):
//   PHONGHOP_E2E_URL=http://127.0.0.1:8080 PHONGHOP_ADMIN_PASSWORD=... node e2e/slow-link.js
import net from 'node:net';
import { chromium } from 'playwright-core';
import { bigPdf, smallPdf } from './pdfgen.js';
import { ADMIN_PASSWORD, BASE, CHROMIUM, PASSWORD, call, login, upload } from './api.js';

const MBIT = Number(process.env.PHONGHOP_LINK_MBIT || 40);
const PAGES = 200;
if (!ADMIN_PASSWORD) throw new Error('PHONGHOP_ADMIN_PASSWORD is not set');




// The capped link: one shared schedule for every connection's server-to-browser
// bytes, so the service worker's download and pdf.js's ranges compete as on Wi-Fi.
const upstream = new URL(BASE);
const bytesPerMs = (MBIT * 1e6) / 8 / 1000;
let nextFree = 0;
let carried = 0;
const proxy = net.createServer((client) => {
  const server = net.connect(Number(upstream.port || 80), upstream.hostname);
  client.pipe(server);
  server.on('data', (chunk) => {
    const now = performance.now();
    nextFree = Math.max(now, nextFree) + chunk.length / bytesPerMs;
    carried += chunk.length;
    server.pause();
    setTimeout(() => {
      if (!client.destroyed) client.write(chunk);
      server.resume();
    }, nextFree - now);
  });
  server.on('end', () => setTimeout(() => client.end(), Math.max(0, nextFree - performance.now()) + 1));
  server.on('error', () => client.destroy());
  client.on('error', () => server.destroy());
  client.on('close', () => server.destroy());
});
await new Promise((r) => proxy.listen(0, '127.0.0.1', r));
// Same host, another port: the browser sees one origin, the proxy's.
const LINK = `http://127.0.0.1:${proxy.address().port}`;

const admin = await login('admin', ADMIN_PASSWORD);
const users = await call(admin, 'GET', '/users');
const id = (u) => users.find((v) => v.username === u).id;
const m = await call(admin, 'POST', '/meetings', { title: `Đường truyền chậm ${Date.now()}`, startsAt: new Date().toISOString(), location: 'Phòng họp số 3', language: 'vi' });
await call(admin, 'PUT', `/meetings/${m.id}/participants`, [
  { userId: id('chutich'), role: 'chair' },
  { userId: id('daibieu01'), role: 'delegate' },
]);
const small = await upload(admin, m.id, 'Tai-lieu-nho.pdf', smallPdf(3));
await call(admin, 'POST', `/meetings/${m.id}/agenda`, { title: 'Báo cáo ngắn', presenter: '', durationMinutes: 5, documentIds: [small.id] });
const docs = {};
for (const layout of ['scattered', 'grouped']) {
  const doc = await upload(admin, m.id, `Ho-so-quet-50MB-${layout}.pdf`, bigPdf(PAGES, layout));
  const item = await call(admin, 'POST', `/meetings/${m.id}/agenda`, { title: `Hồ sơ quét (${layout})`, presenter: '', durationMinutes: 10, documentIds: [doc.id] });
  docs[layout] = { doc, item };
}
const chair = await login('chutich');

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const wait = (ms) => new Promise((r) => setTimeout(r, ms));
const drain = () => wait(Math.max(0, nextFree - performance.now()) + 300);
try {
  for (const layout of ['scattered', 'grouped']) {
    for (const sw of [true, false]) {
      const { doc, item } = docs[layout];
      await call(chair, 'PUT', `/meetings/${m.id}/presentation`, { agendaItemId: item.id, documentId: doc.id, page: 1 });
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, serviceWorkers: sw ? 'allow' : 'block' });
      const page = await ctx.newPage();
      await page.goto(`${LINK}/#/login`);
      await page.fill('input[name=username]', 'daibieu01');
      await page.fill('input[name=password]', PASSWORD);
      await page.click('button[type=submit]');
      await page.waitForFunction(() => !location.hash.startsWith('#/login'));
      if (sw) await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
      await page.goto('about:blank');
      await drain();
      carried = 0;
      await page.goto(`${LINK}/#/m/${m.id}`);
      const h = await page.waitForFunction(
        `document.querySelector('.viewer .host')?.dataset.rendered === '1' && ` +
          `/\\/${PAGES}\\b/.test(document.querySelector('[data-testid=pageno]')?.textContent || '') && Math.round(performance.now())`,
        null,
        { timeout: 300000, polling: 'raf' },
      );
      const ms = await h.jsonValue();
      console.log(
        `${MBIT} Mbit/s link, ${layout} page objects, service worker ${sw ? 'active' : 'blocked'}: ` +
          `first page of a ${(doc.size / 1e6).toFixed(1)} MB PDF after ${ms} ms from navigation start; ` +
          `${(carried / 1e6).toFixed(1)} MB crossed the link by then (app included)`,
      );
      await ctx.close();
      await drain();
    }
  }
} finally {
  await browser.close();
  proxy.close();
}
