// The phonghop API as the browser tests and scripts use it to set up state:
// one place for signing in, JSON calls and uploads.
import assert from 'node:assert/strict';

export const BASE = process.env.PHONGHOP_E2E_URL;
export const PASSWORD = process.env.PHONGHOP_E2E_PASSWORD || 'hop-khong-giay';
export const ADMIN_PASSWORD = process.env.PHONGHOP_ADMIN_PASSWORD;
export const CHROMIUM = process.env.PHONGHOP_E2E_CHROMIUM || '/usr/bin/chromium';
if (!BASE) throw new Error('PHONGHOP_E2E_URL is not set (the server under test)');

/** Signs in and returns the bearer token. */
export async function login(username, password = PASSWORD) {
  const r = await fetch(new URL('/api/v1/auth/login', BASE), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  assert.equal(r.status, 200, `login ${username}`);
  return (await r.json()).token;
}

/** A JSON call under /api/v1; returns the status and the decoded body. */
export async function request(token, method, path, body) {
  const r = await fetch(new URL('/api/v1' + path, BASE), {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

/** request that must answer one of the ok statuses; returns the body. */
export async function call(token, method, path, body, ok = [200, 201, 204]) {
  const r = await request(token, method, path, body);
  assert.ok(ok.includes(r.status), `${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Uploads a PDF to the meeting; returns the document. */
export async function upload(token, mid, name, bytes) {
  const fd = new FormData();
  fd.append('file', new Blob([bytes], { type: 'application/pdf' }), name);
  const r = await fetch(new URL(`/api/v1/meetings/${mid}/documents`, BASE), {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}` },
    body: fd,
  });
  const body = await r.json();
  assert.equal(r.status, 201, `upload ${name}: ${JSON.stringify(body)}`);
  return body;
}

// signInPage signs page in through the app's own sign-in screen, as a person
// would, and waits until the app has left it.
export async function signInPage(page, username, password = PASSWORD) {
  await page.goto(new URL('/#/login', BASE).toString());
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
  await page.waitForFunction(() => !location.hash.startsWith('#/login'));
}

/**
 * A meeting of a test's own, as the admin sets one up: made now, in
 * Vietnamese, with the participants ({ username: role }), one PDF and an
 * agenda item presenting it. Returns its id, its API path (`/meetings/<id>`),
 * the participants' ids and display names by username, the document and the item.
 */
export async function newMeeting(admin, { title, location = 'Hội trường UBND huyện', participants, pdf, item }) {
  const users = await call(admin, 'GET', '/users');
  const ids = {};
  const names = {};
  for (const u of Object.keys(participants)) {
    const x = users.find((v) => v.username === u);
    assert.ok(x, `demo user ${u} present (run \`phonghop demo\`)`);
    ids[u] = x.id;
    names[u] = x.displayName;
  }
  const m = await call(admin, 'POST', '/meetings', { title, startsAt: new Date().toISOString(), location, language: 'vi' });
  const base = `/meetings/${m.id}`;
  await call(admin, 'PUT', `${base}/participants`, Object.entries(participants).map(([u, role]) => ({ userId: ids[u], role })));
  const doc = await upload(admin, m.id, pdf.name, pdf.bytes);
  const agendaItem = await call(admin, 'POST', `${base}/agenda`, { presenter: '', durationMinutes: 10, ...item, documentIds: [doc.id] });
  return { mid: m.id, base, ids, names, doc, item: agendaItem };
}
