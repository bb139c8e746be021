// Accounts in a real browser: an admin resets a user's password and disables
// and enables the account (AccountAccess in the admin screen); the user, on
// their own tablet, is signed out at once, signs in with the temporary
// password, must choose their own, and a disabled account is told so.
// Needs PHONGHOP_E2E_URL and PHONGHOP_ADMIN_PASSWORD.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { ADMIN_PASSWORD, BASE, CHROMIUM, call, login } from './api.js';

if (!ADMIN_PASSWORD) throw new Error('PHONGHOP_ADMIN_PASSWORD is not set (the admin password of the server under test)');

let browser;
before(async () => {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
after(async () => browser?.close());

async function page() {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'vi-VN' });
  const p = await ctx.newPage();
  p.on('dialog', (d) => d.accept()); // the confirmations
  return p;
}

async function signIn(p, username, password) {
  await p.goto(new URL('/#/login', BASE).toString());
  await p.fill('input[name=username]', username);
  await p.fill('input[name=password]', password);
  await p.click('button[type=submit]');
}

it('reset, forced change, disable and enable, as the admin and the user see them', async () => {
  const admin = await login('admin', ADMIN_PASSWORD);
  const username = `nguoidung${Date.now() % 1e8}`;
  await call(admin, 'POST', '/users', { username, password: 'mat-khau-ban-dau', displayName: 'Người dùng e2e' });

  const tablet = await page();
  await signIn(tablet, username, 'mat-khau-ban-dau');
  await tablet.waitForSelector('[data-testid=to-change-password]');

  const desk = await page();
  await signIn(desk, 'admin', ADMIN_PASSWORD);
  await desk.waitForFunction(() => !location.hash.startsWith('#/login'));
  await desk.goto(new URL('/#/admin', BASE).toString());
  const row = desk.locator(`[data-testid=account][data-username="${username}"]`);
  await row.locator('[data-testid=reset-password]').click();
  const temp = (await desk.locator('[data-testid=temporary-password] code').textContent()).trim();
  assert.match(temp, /^[a-z0-9]{5}-[a-z0-9]{5}-[a-z0-9]{4}$/);
  await desk.click('[data-testid=temporary-password] button');

  // The user's session ended: the next call sends the tablet to sign-in.
  await tablet.reload();
  await tablet.waitForSelector('input[name=username]');
  await signIn(tablet, username, temp);
  const form = tablet.locator('[data-testid=change-password]');
  await form.waitFor();
  assert.match(await form.textContent(), /Đặt mật khẩu mới/);
  // A weak choice is refused with the reason, in Vietnamese.
  await form.locator('input[name=current]').fill(temp);
  await form.locator('input[name=new]').fill(`${username}-2026`);
  await form.locator('input[name=again]').fill(`${username}-2026`);
  await form.locator('button[type=submit]').click();
  await form.locator('.error', { hasText: 'không được chứa tên đăng nhập' }).waitFor();
  await form.locator('input[name=new]').fill('cay-da-dau-lang-2026');
  await form.locator('input[name=again]').fill('cay-da-dau-lang-2026');
  await form.locator('button[type=submit]').click();
  await tablet.waitForSelector('[data-testid=to-change-password]'); // the meetings list

  // Disabled: signed out at once, and told why at sign-in.
  await desk.reload();
  await desk.locator(`[data-testid=account][data-username="${username}"] [data-testid=disable]`).click();
  await desk.locator(`[data-testid=account][data-username="${username}"] [data-testid=disabled]`).waitFor();
  await tablet.reload();
  await tablet.waitForSelector('input[name=username]');
  await signIn(tablet, username, 'cay-da-dau-lang-2026');
  await tablet.locator('.error', { hasText: 'Tài khoản này đã bị khoá' }).waitFor();

  await desk.locator(`[data-testid=account][data-username="${username}"] [data-testid=enable]`).click();
  await desk.locator(`[data-testid=account][data-username="${username}"] [data-testid=disable]`).waitFor();
  await signIn(tablet, username, 'cay-da-dau-lang-2026');
  await tablet.waitForSelector('[data-testid=to-change-password]');
});
