// phonghop service worker.
// - Document bytes (/api/v1/meetings/*/documents/*/content): served from the
//   cache when they are there and may be. Only whole documents are cached,
//   fetched in the background without a Range header; Range requests are
//   answered from the cached whole body by slicing (Blob.slice does not read the
//   file into memory). On a miss the request goes to the network untouched, so
//   pdf.js's range loading works as without us.
// - Tablets are shared, so a cached document belongs to one person: the one
//   whose session this worker last saw proved (a 200 from /me or sign-in). It is
//   served only to them: online, after the server confirms the session may still
//   read it (a HEAD with If-None-Match, shared by the requests of a few
//   seconds); offline, only while that proved session has not expired. Any 401,
//   a sign-out, or another person signing in empties the document cache; what
//   was in flight then (a download, a copy) is stopped and writes nothing.
// - Offline, the same person keeps their signed-in state and their meetings:
//   /me and the meeting's set-up, state and polls (GET /api/v1/meetings,
//   /meetings/{mid}, .../state, .../polls) go to the network first and a 200
//   is kept for whoever last proved a session; when the network fails (or
//   does not answer within NET_WAIT_MS) that copy is served, marked
//   X-Phonghop-Offline: 1, to that person only and only until their session
//   would have expired. Emptied with the documents.
// - Every other /api/ request: not touched (never cached); the worker only
//   watches /me, sign-in and sign-out go by to learn who is signed in.
// - The app shell (HTML, JS, CSS, pdf.js assets): network-first, cache fallback,
//   so a tablet can reopen the app through a short network outage.
'use strict';

const DOCS = 'phonghop-docs-v2'; // v2: entries carry whom they were cached for
const SHELL = 'phonghop-shell-v1';
const SESSION = 'phonghop-session-v1';
const DATA = 'phonghop-data-v1'; // the offline copy of /me and the meetings' JSON
const DATA_RE = /^\/api\/v1\/(me|meetings|meetings\/[^/]+|meetings\/[^/]+\/(state|polls))$/;
// How long a request waits for the network before an offline copy answers: a
// Wi-Fi link that died without an error would otherwise hang the app.
const NET_WAIT_MS = 6000;
const SESSION_KEY = '/__phonghop/session';
const CACHED_FOR = 'X-Phonghop-Cached-For';
const DOC_RE = /^\/api\/v1\/meetings\/[^/]+\/documents\/[^/]+\/content$/;
const MAX_DOC_BYTES = 150 * 1024 * 1024; // larger files stay range-loaded only
const MAX_DOCS = 60;
// A confirmation by the server also serves the range requests of the next two
// seconds (pdf.js asks for a page's ranges in a burst); a request for the whole
// document (an address typed in, a download) is always confirmed afresh.
const CONFIRMED_MS = 2000;

self.addEventListener('install', (event) => {
  self.skipWaiting();
  // The page that registered us was loaded before we ran: keep its shell now,
  // so that the first reload without network already opens the app.
  event.waitUntil(precacheShell().catch(() => {}));
});

async function precacheShell() {
  const cache = await caches.open(SHELL);
  const res = await fetch('/', { cache: 'no-store' });
  if (!res.ok) return;
  await cache.put('/', res.clone());
  const html = await res.text();
  const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
  await Promise.all(assets.map((a) => cache.add(a).catch(() => {})));
}

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const k of await caches.keys()) {
        if (k !== DOCS && k !== SHELL && k !== SESSION && k !== DATA) await caches.delete(k);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (req.method === 'POST' && url.pathname === '/api/v1/auth/login') {
    event.respondWith(watchSession(req));
    return;
  }
  if (req.method === 'POST' && url.pathname === '/api/v1/auth/logout') {
    event.respondWith(fetch(req).finally(() => endSession()));
    return;
  }
  if (req.method !== 'GET') return;
  if (url.pathname === '/api/v1/me') {
    event.respondWith(withOfflineCopy(req, url, watchSession, true));
    return;
  }
  if (DATA_RE.test(url.pathname)) {
    event.respondWith(withOfflineCopy(req, url, fetchData));
    return;
  }
  if (DOC_RE.test(url.pathname)) {
    event.respondWith(serveDocument(req, url));
    return;
  }
  if (url.pathname.startsWith('/api/') || url.pathname === '/healthz' || url.pathname === '/readyz') return;
  event.respondWith(networkFirst(req));
});

self.addEventListener('message', (event) => {
  const msg = event.data || {};
  if (msg.type === 'prefetch' && Array.isArray(msg.urls)) {
    event.waitUntil(prefetchAll(msg.urls));
  } else if (msg.type === 'keep' && typeof msg.url === 'string' && DATA_RE.test(msg.url) && msg.body) {
    // The page's newer copy (the room's state as its events came in), so a
    // reload without network shows where the meeting was, not where it was
    // when the page was loaded. Kept for the proved session only, as always.
    event.waitUntil(
      keepCopy(msg.url, new Response(JSON.stringify(msg.body), { headers: { 'Content-Type': 'application/json' } })).catch(() => {}),
    );
  } else if (msg.type === 'clear') {
    // Sign-out (or a 401 the page saw): nothing of this person stays. The page
    // waits for the answer before it deletes the caches itself.
    const port = event.ports && event.ports[0];
    event.waitUntil(forget().then(() => port && port.postMessage({ type: 'cleared' })));
  }
});

// ---- who is signed in here -------------------------------------------------

/** The last proved session: {user, expires} (ms), null when none; undefined
 * until read back from Cache Storage (the worker may have been restarted). */
let session;
const confirmed = new Map(); // cache key → {user, at, verdict: Promise<string>}
// epoch counts the sessions this worker has seen end or change hands. Work
// begun under one epoch (a download, a copy) writes nothing under another:
// a write that landed after a sign-out would leave the person on the tablet,
// and even opening a deleted cache creates it again.
let epoch = 0;
const downloads = new Set(); // AbortControllers of the downloads in flight

/** openOwn opens a personal cache for work begun in epoch ep; null when the
 * session ended or changed hands meanwhile. The open itself may have created
 * the cache again after a sign-out deleted it: then it is deleted again. */
async function openOwn(name, ep) {
  const c = await caches.open(name);
  if (ep === epoch) return c;
  if (!(await getSession())) await caches.delete(name);
  return null;
}

/** dropEntry deletes one entry of a personal cache, never creating the cache. */
async function dropEntry(name, key) {
  const ep = epoch;
  if (!(await caches.has(name))) return;
  const c = await openOwn(name, ep);
  if (c) await c.delete(key);
}

/** newEpoch: the session ended or changed hands; what is in flight stops. */
function newEpoch() {
  epoch++;
  confirmed.clear();
  for (const d of downloads) d.abort();
}

async function getSession() {
  if (session !== undefined) return session;
  try {
    const hit = await caches.match(SESSION_KEY, { cacheName: SESSION });
    const s = hit ? await hit.json() : null;
    session = s && typeof s.user === 'string' && s.user ? s : null;
  } catch {
    session = null;
  }
  return session;
}

async function saveSession(s) {
  session = s;
  if (s) {
    const c = await caches.open(SESSION);
    await c.put(SESSION_KEY, new Response(JSON.stringify(s), { headers: { 'Content-Type': 'application/json' } }));
  } else {
    await caches.delete(SESSION);
  }
}

/** A session proved for user: documents cached for anyone else are dropped. */
async function provedSession(user, expires) {
  const prev = await getSession();
  if (!prev || prev.user !== user) {
    newEpoch();
    await caches.delete(DOCS);
    await caches.delete(DATA);
  }
  await saveSession({ user, expires });
}

/** No session (signed out, expired, revoked): nothing cached stays. */
async function endSession() {
  newEpoch();
  await caches.delete(DOCS);
  await caches.delete(DATA);
  await saveSession(null);
}

/** forget ends the session here and returns once the downloads that were in
 * flight have stopped (each writes nothing after the end). */
async function forget() {
  await endSession();
  await Promise.all([...inflight.values()]);
}

/** watchSession passes /me and sign-in through and learns from the answer who
 * is signed in, and until when (X-Phonghop-Session-Expires). */
async function watchSession(req) {
  const res = await fetch(req);
  try {
    if (res.status === 401) {
      await endSession();
    } else if (res.status === 200) {
      const body = await res.clone().json();
      const user = (body && body.user && body.user.id) || (body && body.id);
      const expires = Date.parse(res.headers.get('X-Phonghop-Session-Expires') || '');
      if (typeof user === 'string' && user) {
        await provedSession(user, Number.isFinite(expires) ? expires : Date.now() + 3600e3);
        // Sign-in answers {token, user}: the user (never the token) is what /me
        // answers, kept for a reload without network.
        if (body && body.user && body.token !== undefined) {
          await keepCopy('/api/v1/me', new Response(JSON.stringify(body.user), { headers: { 'Content-Type': 'application/json' } }));
        }
      }
    }
  } catch {
    /* not the JSON we know: learn nothing */
  }
  return res;
}

// ---- the offline copy of the signed-in state and the meetings ---------------

/** fetchData passes a meeting's JSON through; a 401 ends the session here. */
async function fetchData(req) {
  const res = await fetch(req);
  if (res.status === 401) await endSession();
  return res;
}

/** withOfflineCopy runs the request through handle (the network); a 200 is
 * kept for the person whose session is proved, a 403/404 drops the copy. When
 * the network fails or is silent for NET_WAIT_MS, that person's copy answers.
 * An answer is kept only if the session has not changed since the request
 * left (it was for whoever was signed in then), unless handle proved the
 * session from the answer itself (proves: /me). */
async function withOfflineCopy(req, url, handle, proves = false) {
  const key = url.pathname + url.search;
  const ep = epoch;
  const network = (async () => {
    const res = await handle(req);
    try {
      if (res.status === 200) await keepCopy(key, res.clone(), proves ? epoch : ep);
      else if (res.status === 403 || res.status === 404) await dropEntry(DATA, key);
    } catch {
      /* the copy is a convenience */
    }
    return res;
  })();
  network.catch(() => {}); // answered from the copy: the late failure is no news
  let timer;
  const silent = new Promise((resolve) => (timer = setTimeout(resolve, NET_WAIT_MS)));
  try {
    const first = await Promise.race([network, silent]);
    if (first) return first;
    const copy = await offlineCopy(key);
    return copy || (await network); // nothing kept: wait for the network after all
  } catch (e) {
    const copy = await offlineCopy(key);
    if (copy) return copy;
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

async function keepCopy(key, res, ep = epoch) {
  const s = await getSession();
  if (!s) return; // nobody proved a session here: keep nothing
  const headers = new Headers(res.headers);
  headers.set(CACHED_FOR, s.user);
  const body = await res.arrayBuffer();
  const cache = await openOwn(DATA, ep);
  if (!cache) return;
  await cache.put(key, new Response(body, { status: 200, headers }));
  // Signed out or someone else signed in meanwhile: not theirs to keep.
  if (ep !== epoch) await cache.delete(key);
}

/** The copy kept for the person who last proved a session, while that session
 * would still be good; undefined for anyone else. */
async function offlineCopy(key) {
  const s = await getSession();
  if (!s || Date.now() >= s.expires) return undefined;
  const hit = await caches.match(key, { cacheName: DATA });
  if (!hit || hit.headers.get(CACHED_FOR) !== s.user) return undefined;
  const headers = new Headers(hit.headers);
  headers.delete(CACHED_FOR);
  headers.set('X-Phonghop-Offline', '1');
  headers.set('Cache-Control', 'no-store');
  return new Response(hit.body, { status: 200, headers });
}

// ---- documents -------------------------------------------------------------

/** fetchDocument goes to the network; a 401 there ends the session here. */
async function fetchDocument(req) {
  const res = await fetch(req);
  if (res.status === 401) await endSession();
  return res;
}

/** confirm asks the server whether the session may still read the cached
 * document: 'ok', 'ended' (401), 'gone' (403, 404: not this person's, or
 * removed), or 'unreachable' (offline, or the server failing). */
function confirm(key, hit, user, burst) {
  const now = Date.now();
  const c = confirmed.get(key);
  if (burst && c && c.user === user && (c.pending || now - c.at < CONFIRMED_MS)) return c.verdict;
  const entry = { user, at: now, pending: true, verdict: null };
  const etag = hit.headers.get('ETag');
  entry.verdict = fetch(key, {
    method: 'HEAD',
    credentials: 'same-origin',
    cache: 'no-store',
    headers: etag ? { 'If-None-Match': etag } : {},
  })
    .then((r) => {
      if (r.status === 401) return 'ended';
      if (r.status === 403 || r.status === 404 || r.status === 410) return 'gone';
      if (r.ok || r.status === 304) return 'ok';
      return 'unreachable';
    })
    .catch(() => 'unreachable')
    .then((v) => {
      entry.pending = false;
      entry.at = Date.now();
      if (v !== 'ok' && confirmed.get(key) === entry) confirmed.delete(key);
      return v;
    });
  confirmed.set(key, entry);
  return entry.verdict;
}

async function serveDocument(req, url) {
  const key = url.pathname + url.search;
  // A match, not an open: a request arriving after sign-out (pdf.js's ranges
  // still in flight) must not create the document cache again.
  const hit = await caches.match(key, { cacheName: DOCS });
  if (!hit) {
    // Not cached yet: straight to the network. The page asks for whole-document
    // caching (a prefetch message) once its first page is on screen, so the
    // download never competes with pdf.js's range requests for that page.
    return fetchDocument(req);
  }
  const s = await getSession();
  if (!s) {
    await caches.delete(DOCS); // nobody is signed in here: nothing stays
    return fetchDocument(req);
  }
  if (hit.headers.get(CACHED_FOR) !== s.user) {
    await dropEntry(DOCS, key);
    return fetchDocument(req);
  }
  switch (await confirm(key, hit, s.user, req.headers.has('Range'))) {
    case 'ok':
      return answerFromCache(hit, req.headers.get('Range'));
    case 'ended':
      await endSession();
      return fetchDocument(req);
    case 'gone':
      await dropEntry(DOCS, key);
      return fetchDocument(req);
    default:
      // Offline: the person who last proved a session keeps reading what was
      // cached for them, until that session would have expired.
      if (Date.now() < s.expires) return answerFromCache(hit, req.headers.get('Range'));
      return fetchDocument(req);
  }
}

const inflight = new Map();

function prefetch(href) {
  const url = new URL(href, self.location.origin);
  const key = url.pathname + url.search;
  if (inflight.has(key)) return inflight.get(key);
  const download = new AbortController();
  const p = (async () => {
    const ep = epoch;
    const s = await getSession();
    if (!s || ep !== epoch) return; // nobody proved a session here: cache nothing
    const hit = await caches.match(key, { cacheName: DOCS });
    if (hit && hit.headers.get(CACHED_FOR) === s.user) return;
    // A fresh request: no Range, no page abort signal, the session cookie;
    // stopped when the session ends (newEpoch).
    downloads.add(download);
    if (ep !== epoch) return; // ended while it was being added: not aborted
    const res = await fetch(key, { credentials: 'same-origin', cache: 'no-store', signal: download.signal });
    if (res.status === 401) return endSession();
    if (res.status !== 200) return;
    const len = Number(res.headers.get('Content-Length') || '0');
    const cache = len > MAX_DOC_BYTES ? null : await openOwn(DOCS, ep);
    if (!cache) {
      res.body && res.body.cancel();
      return;
    }
    const headers = new Headers(res.headers);
    headers.set(CACHED_FOR, s.user);
    await cache.put(key, new Response(res.body, { status: 200, headers }));
    // Signed out or someone else signed in meanwhile: not theirs to keep (and
    // never served meanwhile: serveDocument checks whom it was cached for).
    if (ep !== epoch) {
      await cache.delete(key);
      return;
    }
    const keys = await cache.keys();
    for (let i = 0; i < keys.length - MAX_DOCS; i++) await cache.delete(keys[i]);
  })()
    .catch(() => {})
    .finally(() => {
      downloads.delete(download);
      inflight.delete(key);
    });
  inflight.set(key, p);
  return p;
}

async function prefetchAll(urls) {
  // One at a time: the live page turns matter more than the cache filling fast.
  for (const u of urls) await prefetch(u);
}

// parseRange returns [start, endInclusive] or null when unsatisfiable; only
// single ranges are supported (as by the server), multi-range gets the whole body.
function parseRange(header, size) {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return undefined; // not a single byte range: ignore it
  let start;
  let end;
  if (m[1] === '') {
    if (m[2] === '') return null;
    const n = Number(m[2]);
    if (n === 0) return null;
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return null;
  return [start, end];
}

async function answerFromCache(hit, rangeHeader) {
  const blob = await hit.blob();
  const size = blob.size;
  const type = hit.headers.get('Content-Type') || 'application/pdf';
  const base = { 'Content-Type': type, 'Accept-Ranges': 'bytes', 'Cache-Control': 'no-store' };
  const etag = hit.headers.get('ETag');
  if (etag) base.ETag = etag;
  if (rangeHeader) {
    const r = parseRange(rangeHeader, size);
    if (r === null) {
      return new Response(null, { status: 416, headers: { ...base, 'Content-Range': `bytes */${size}` } });
    }
    if (r !== undefined) {
      const [start, end] = r;
      return new Response(blob.slice(start, end + 1, type), {
        status: 206,
        headers: { ...base, 'Content-Range': `bytes ${start}-${end}/${size}`, 'Content-Length': String(end - start + 1) },
      });
    }
  }
  return new Response(blob, { status: 200, headers: { ...base, 'Content-Length': String(size) } });
}

async function networkFirst(req) {
  const cache = await caches.open(SHELL);
  const cached = async () => (await cache.match(req)) || (req.mode === 'navigate' ? await cache.match('/') : undefined);
  const network = fetch(req).then((res) => {
    if (res.ok && res.type === 'basic') cache.put(req, res.clone()).catch(() => {});
    return res;
  });
  network.catch(() => {});
  let timer;
  // A link that died silently: after NET_WAIT_MS the kept shell answers.
  const silent = new Promise((resolve) => (timer = setTimeout(resolve, NET_WAIT_MS)));
  try {
    const first = await Promise.race([network, silent]);
    if (first) return first;
    return (await cached()) || (await network);
  } catch (e) {
    const hit = await cached();
    if (hit) return hit;
    throw e;
  } finally {
    clearTimeout(timer);
  }
}
