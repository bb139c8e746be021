// Sign-in through the province's identity provider (OpenID Connect,
// authorization code with PKCE) in a real browser against a real provider
// (internal/oidctest/idp, started by scripts/e2e.sh): users are created from
// the provider's claims with admin rights and unit from its groups, sign-out
// ends the session here and at the provider (RP-Initiated Logout: the next
// person at the tablet is asked for credentials, not signed in as the last
// one), a provider user named admin is not phonghop's admin (accounts are
// bound to the provider's subject), and a disabled user is refused through
// the provider and by password. Needs PHONGHOP_E2E_URL, PHONGHOP_E2E_IDP_URL and
// PHONGHOP_ADMIN_PASSWORD.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { ADMIN_PASSWORD, BASE, CHROMIUM, PASSWORD, call, login, request } from './api.js';

const IDP = process.env.PHONGHOP_E2E_IDP_URL;
if (!IDP) throw new Error('PHONGHOP_E2E_IDP_URL is not set (the identity provider scripts/e2e.sh starts)');
if (!ADMIN_PASSWORD) throw new Error('PHONGHOP_ADMIN_PASSWORD is not set');

let browser;
before(async () => {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
after(async () => browser?.close());

const provinceButton = 'button:has-text("Đăng nhập bằng tài khoản của tỉnh")';

/** Signs in through the provider's own login page; returns when back in phonghop. */
async function signInThroughProvider(page, username, password) {
  await page.goto(new URL('/#/login', BASE).toString());
  await page.click(provinceButton);
  await page.waitForURL((u) => u.toString().startsWith(IDP), { timeout: 15000 });
  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.click('button[type=submit]');
  await page.waitForURL((u) => u.toString().startsWith(BASE), { timeout: 15000 });
}

/** Taps "sign in with the province" and waits for the provider's login form. */
async function providerAsksForCredentials(page) {
  await page.goto(new URL('/#/login', BASE).toString());
  await page.click(provinceButton);
  await page.waitForURL((u) => u.toString().startsWith(IDP + '/login/'), { timeout: 15000 });
  await page.waitForSelector('#username');
}

async function me(page) {
  return page.evaluate(async () => {
    const r = await fetch('/api/v1/me');
    return { status: r.status, body: r.ok ? await r.json() : null };
  });
}

it('signs in through the provider: user created with admin and unit from groups; sign-out ends the session', async () => {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  await signInThroughProvider(page, 'nguyen.van.an', 'tinh-matkhau-1');
  await page.waitForSelector("button.signout", { timeout: 15000 });
  const m = await me(page);
  assert.equal(m.status, 200);
  assert.equal(m.body.username, 'nguyen.van.an');
  assert.equal(m.body.displayName, 'Nguyễn Văn An');
  assert.equal(m.body.email, 'an.nv@thapmuoi.gov.vn');
  assert.equal(m.body.admin, true, 'member of phonghop-admin');
  assert.equal(m.body.unit, 'UBND huyện Tháp Mười');
  const session = (await ctx.cookies()).find((c) => c.name === 'phonghop_session');
  assert.ok(session?.httpOnly, 'an HttpOnly session cookie');

  await page.click('button.signout');
  await page.waitForSelector(provinceButton);
  assert.equal((await me(page)).status, 401);
  // The old cookie no longer opens anything, from anywhere.
  const r = await fetch(new URL('/api/v1/me', BASE), { headers: { Cookie: `phonghop_session=${session.value}` } });
  assert.equal(r.status, 401);

  // Someone not in the admin group is no admin; the unit comes from the group.
  await signInThroughProvider(page, 'tran.thi.binh', 'tinh-matkhau-2');
  const b = await me(page);
  assert.equal(b.status, 200);
  assert.equal(b.body.admin, false);
  assert.equal(b.body.unit, 'Văn phòng HĐND và UBND huyện');
  await ctx.close();
});

it("signing out ends the provider's session too: the next tap on the province's button asks for credentials", async () => {
  const host = new URL(BASE).hostname;
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  const visited = [];
  // Navigations the browser makes (the provider's end-session answers with a
  // redirect, so it is a request, never a page).
  page.on('request', (r) => r.isNavigationRequest() && r.frame() === page.mainFrame() && visited.push(r.url()));
  await signInThroughProvider(page, 'nguyen.van.an', 'tinh-matkhau-1');
  await page.waitForSelector('button.signout', { timeout: 15000 });
  assert.equal((await me(page)).body.username, 'nguyen.van.an');

  // The finding: the provider keeps a session of its own. Forgetting only
  // phonghop's (what sign-out did before) leaves the next person one tap from
  // being this official, without typing anything.
  await ctx.clearCookies({ domain: host });
  await page.goto(new URL('/#/login', BASE).toString());
  await page.click(provinceButton);
  await page.waitForSelector('button.signout', { timeout: 15000 });
  assert.equal((await me(page)).body.username, 'nguyen.van.an', 'signed straight in by the provider session');

  // The sign-out button: phonghop's session ends, then the provider's
  // end-session endpoint (with the ID token as hint) sends the browser back
  // to the sign-in screen.
  visited.length = 0;
  await page.click('button.signout');
  await page.waitForURL((u) => u.toString().startsWith(BASE), { timeout: 15000 });
  await page.waitForSelector(provinceButton, { timeout: 15000 });
  const ended = visited.find((u) => u.startsWith(IDP + '/end_session'));
  assert.ok(ended, `went through the provider's sign-out: ${visited.join(' ')}`);
  assert.ok(new URL(ended).searchParams.get('id_token_hint'), 'with the ID token as hint');
  assert.equal(new URL(ended).searchParams.get('post_logout_redirect_uri'), new URL('/', BASE).toString());
  assert.equal((await me(page)).status, 401);
  // No token of the provider's in anything the page can read.
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie);
  assert.ok(!stored.includes(new URL(ended).searchParams.get('id_token_hint')), 'the ID token is not in web storage');
  for (const c of await ctx.cookies(BASE)) assert.ok(!c.value.includes('eyJ'), `no token in cookie ${c.name}`);

  // The next person taps the province's button: the provider asks.
  await providerAsksForCredentials(page);
  // Even without phonghop's prompt=login mark (another browser profile,
  // cookies cleared), the provider's session is gone, not just skipped.
  await ctx.clearCookies({ domain: host });
  await providerAsksForCredentials(page);
  await page.fill('#username', 'tran.thi.binh');
  await page.fill('#password', 'tinh-matkhau-2');
  await page.click('button[type=submit]');
  await page.waitForURL((u) => u.toString().startsWith(BASE), { timeout: 15000 });
  await page.waitForSelector('button.signout', { timeout: 15000 });
  assert.equal((await me(page)).body.username, 'tran.thi.binh');
  await ctx.close();
});

it('a callback that this browser did not start is refused with a translated reason', async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(new URL('/api/v1/auth/oidc/callback?code=stolen&state=forged', BASE).toString());
  await page.waitForSelector('text=Phiên đăng nhập đã hết hạn hoặc được bắt đầu ở nơi khác');
  assert.equal((await me(page)).status, 401);
  await ctx.close();
});

it('a provider user named admin is not the admin: refused with a translated reason; accounts are bound to the subject', async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await signInThroughProvider(page, 'admin', 'tinh-matkhau-4');
  await page.waitForSelector('text=Tài khoản cùng tên trên hệ thống đang dùng mật khẩu riêng', { timeout: 15000 });
  assert.equal((await me(page)).status, 401);
  await ctx.close();
  const admin = await login('admin', ADMIN_PASSWORD);
  const users = await call(admin, 'GET', '/users');
  const an = users.find((u) => u.username === 'nguyen.van.an');
  assert.equal(an.externalSubject, 'p1');
  assert.equal(an.externalIssuer, IDP + '/');
  assert.equal(users.find((u) => u.username === 'admin').externalSubject, undefined);

  // The admin sees the binding and removes it; the official's next sign-in
  // through the provider (an admin account: only after the unbinding) binds
  // it again.
  const deskCtx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const desk = await deskCtx.newPage();
  desk.on('dialog', (d) => d.accept());
  await desk.goto(new URL('/#/login', BASE).toString());
  await desk.fill('input[name=username]', 'admin');
  await desk.fill('input[name=password]', ADMIN_PASSWORD);
  await desk.click('button[type=submit]');
  await desk.waitForFunction(() => !location.hash.startsWith('#/login'));
  await desk.goto(new URL('/#/admin', BASE).toString());
  const row = desk.locator('[data-testid=account][data-username="nguyen.van.an"]');
  await row.locator('[data-testid=provider-linked]').waitFor();
  await row.locator('[data-testid=unlink-provider]').click();
  await row.locator('[data-testid=provider-linked]').waitFor({ state: 'detached' });
  assert.equal((await call(admin, 'GET', '/users')).find((u) => u.username === 'nguyen.van.an').externalSubject, undefined);
  await deskCtx.close();
  const anCtx = await browser.newContext();
  const anPage = await anCtx.newPage();
  await signInThroughProvider(anPage, 'nguyen.van.an', 'tinh-matkhau-1');
  await anPage.waitForSelector('button.signout', { timeout: 15000 });
  assert.equal((await me(anPage)).body.externalSubject, 'p1');
  await anCtx.close();
});

it('a disabled user is refused through the provider and by password', async () => {
  const admin = await login('admin', ADMIN_PASSWORD);
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await signInThroughProvider(page, 'le.van.khoa', 'tinh-matkhau-3');
  const k = await me(page);
  assert.equal(k.status, 200);
  await call(admin, 'PATCH', `/users/${k.body.id}`, { disabled: true });
  // The session in hand stops working at once...
  assert.equal((await me(page)).status, 401);
  // ...and the provider vouching for him again (its session still open: he
  // did not sign out) does not let him in.
  await page.goto(new URL('/#/login', BASE).toString());
  await page.click(provinceButton);
  await page.waitForSelector('text=Tài khoản này đã bị khoá', { timeout: 15000 });
  assert.equal((await me(page)).status, 401);

  // The password path refuses a disabled account too (after the right password).
  const users = await call(admin, 'GET', '/users');
  const quansat = users.find((u) => u.username === 'quansat');
  await call(admin, 'PATCH', `/users/${quansat.id}`, { disabled: true });
  try {
    const r = await request('', 'POST', '/auth/login', { username: 'quansat', password: PASSWORD });
    assert.equal(r.status, 403);
    assert.equal(r.body.error.reason, 'account_disabled');
    await page.goto(new URL('/#/login', BASE).toString());
    await page.fill('input[name=username]', 'quansat');
    await page.fill('input[name=password]', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForSelector('text=Tài khoản này đã bị khoá');
  } finally {
    await call(admin, 'PATCH', `/users/${quansat.id}`, { disabled: false });
  }
  await ctx.close();
});
