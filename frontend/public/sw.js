// phonghop service worker.
// - Document bytes (/api/v1/meetings/*/documents/*/content): cache-first. Only
//   whole documents are cached, fetched in the background without a Range
//   header; Range requests are answered from the cached whole body by slicing
//   (Blob.slice does not read the file into memory). On a miss the request goes
//   to the network untouched, so pdf.js's range loading works as without us.
// - Every other /api/ request: not touched (never cached).
// - The app shell (HTML, JS, CSS, pdf.js assets): network-first, cache fallback,
//   so a tablet can reopen the app through a short network outage.
'use strict';

const DOCS = 'phonghop-docs-v1';
const SHELL = 'phonghop-shell-v1';
const DOC_RE = /^\/api\/v1\/meetings\/[^/]+\/documents\/[^/]+\/content$/;
const MAX_DOC_BYTES = 150 * 1024 * 1024; // larger files stay range-loaded only
const MAX_DOCS = 60;

self.addEventListener('install', () => self.skipWaiting());

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const k of await caches.keys()) {
        if (k !== DOCS && k !== SHELL) await caches.delete(k);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (DOC_RE.test(url.pathname)) {
    event.respondWith(serveDocument(event, req, url));
    return;
  }
  if (url.pathname.startsWith('/api/') || url.pathname === '/healthz' || url.pathname === '/readyz') return;
  event.respondWith(networkFirst(req));
});

self.addEventListener('message', (event) => {
  const msg = event.data || {};
  if (msg.type === 'prefetch' && Array.isArray(msg.urls)) {
    event.waitUntil(prefetchAll(msg.urls));
  } else if (msg.type === 'clear') {
    // Sign-out: the cached documents must not outlive the session on a shared tablet.
    event.waitUntil(caches.delete(DOCS));
  }
});

const inflight = new Map();

function prefetch(href) {
  const url = new URL(href, self.location.origin);
  const key = url.pathname + url.search;
  if (inflight.has(key)) return inflight.get(key);
  const p = (async () => {
    const cache = await caches.open(DOCS);
    if (await cache.match(key)) return;
    // A fresh request: no Range, no page abort signal, the session cookie.
    const res = await fetch(key, { credentials: 'same-origin', cache: 'no-store' });
    if (res.status !== 200) return;
    const len = Number(res.headers.get('Content-Length') || '0');
    if (len > MAX_DOC_BYTES) {
      res.body && res.body.cancel();
      return;
    }
    await cache.put(key, res);
    const keys = await cache.keys();
    for (let i = 0; i < keys.length - MAX_DOCS; i++) await cache.delete(keys[i]);
  })()
    .catch(() => {})
    .finally(() => inflight.delete(key));
  inflight.set(key, p);
  return p;
}

async function prefetchAll(urls) {
  // One at a time: the live page turns matter more than the cache filling fast.
  for (const u of urls) await prefetch(u);
}

async function serveDocument(event, req, url) {
  const key = url.pathname + url.search;
  const cache = await caches.open(DOCS);
  const hit = await cache.match(key);
  if (!hit) {
    // Not cached yet: straight to the network. The page asks for whole-document
    // caching (a prefetch message) once its first page is on screen, so the
    // download never competes with pdf.js's range requests for that page.
    return fetch(req);
  }
  return answerFromCache(hit, req.headers.get('Range'));
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
  const base = { 'Content-Type': type, 'Accept-Ranges': 'bytes' };
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
  try {
    const res = await fetch(req);
    if (res.ok && res.type === 'basic') cache.put(req, res.clone()).catch(() => {});
    return res;
  } catch (e) {
    const hit = (await cache.match(req)) || (req.mode === 'navigate' ? await cache.match('/') : undefined);
    if (hit) return hit;
    throw e;
  }
}
