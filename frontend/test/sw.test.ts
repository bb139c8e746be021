// Runs public/sw.js against an in-memory Cache Storage and a fake network, to
// check the tricky part: Range requests answered from a cached whole document.
import { readFileSync } from 'node:fs';
import { beforeEach, describe, expect, it } from 'vitest';

const src = readFileSync(new URL('../public/sw.js', import.meta.url), 'utf8');
const ORIGIN = 'https://phonghop.test';
const DOC = `${ORIGIN}/api/v1/meetings/m1/documents/d1/content?v=abc`;
const body = new Uint8Array(1000).map((_, i) => i % 251);

const keyOf = (k: string | Request) => {
  const u = new URL(typeof k === 'string' ? k : k.url, ORIGIN);
  return u.pathname + u.search;
};

class FakeCache {
  m = new Map<string, Response>();
  async match(k: string | Request) {
    const r = this.m.get(keyOf(k));
    return r ? r.clone() : undefined;
  }
  async put(k: string | Request, r: Response) {
    // Like the real thing, put reads the whole body before storing.
    const b = await r.arrayBuffer();
    this.m.set(keyOf(k), new Response(b, { status: r.status, headers: r.headers }));
  }
  async keys() {
    return [...this.m.keys()].map((k) => new Request(ORIGIN + k));
  }
  async delete(k: string | Request) {
    return this.m.delete(keyOf(k));
  }
}

let stores: Map<string, FakeCache>;
let network: { method: string; url: string; range: string | null }[];
let handlers: Record<string, (e: unknown) => void>;

// The server as the worker meets it: who the cookie signs in (null: nobody),
// which documents each person may read, and whether it is reachable at all.
let server: {
  cookie: string | null;
  readers: Record<string, string[]>;
  online: boolean;
  stall?: Promise<void>; // answers to GET stallOn (a whole document by default) wait for it
  stallOn?: string;
  aborted: number; // downloads stopped by their signal
};
const DOC_PATH = '/api/v1/meetings/m1/documents/d1/content';
const EXPIRES = () => new Date(Date.now() + 3600e3).toUTCString();

function load() {
  stores = new Map();
  network = [];
  server = { cookie: null, readers: { d1: ['alice'] }, online: true, aborted: 0 };
  startWorker();
}

/** startWorker runs sw.js afresh over the same Cache Storage, as the browser
 * does when it stops an idle worker and starts it again. */
function startWorker() {
  handlers = {};
  const caches = {
    open: async (n: string) => {
      if (!stores.has(n)) stores.set(n, new FakeCache());
      return stores.get(n)!;
    },
    keys: async () => [...stores.keys()],
    has: async (n: string) => stores.has(n),
    delete: async (n: string) => stores.delete(n),
    // As in browsers, a match in a named cache does not create the cache.
    match: async (k: string | Request, o?: { cacheName?: string }) => {
      const names = o?.cacheName !== undefined ? [o.cacheName] : [...stores.keys()];
      for (const n of names) {
        const hit = await stores.get(n)?.match(k);
        if (hit) return hit;
      }
      return undefined;
    },
  };
  const fetchFn = async (input: string | Request, init?: RequestInit) => {
    const req = new Request(new URL(typeof input === 'string' ? input : input.url, ORIGIN), init ?? (input as Request));
    const url = new URL(req.url);
    const range = req.headers.get('Range');
    network.push({ method: req.method, url: keyOf(req), range });
    if (!server.online) throw new TypeError('Failed to fetch');
    const res = await answer(req, url, range);
    if (server.stall && req.method === 'GET' && url.pathname === (server.stallOn ?? DOC_PATH) && !range) {
      // A slow answer (decided already, for whoever the cookie was): it
      // arrives when the test says, or fails on its abort signal.
      const signal = req.signal;
      await new Promise<void>((resolve, reject) => {
        server.stall!.then(resolve);
        signal.addEventListener('abort', () => {
          server.aborted++;
          reject(new DOMException('aborted', 'AbortError'));
        });
      });
    }
    return res;
  };
  const answer = async (req: Request, url: URL, range: string | null) => {
    const json = (status: number, v: unknown, headers: Record<string, string> = {}) =>
      new Response(JSON.stringify(v), { status, headers: { 'Content-Type': 'application/json', ...headers } });
    if (url.pathname === '/api/v1/auth/login') {
      const { username } = await req.json();
      server.cookie = username;
      return json(200, { token: 't', user: { id: username } }, { 'X-Phonghop-Session-Expires': EXPIRES() });
    }
    if (url.pathname === '/api/v1/auth/logout') {
      server.cookie = null;
      return new Response(null, { status: 204 });
    }
    if (url.pathname === '/api/v1/me') {
      if (!server.cookie) return json(401, { error: { code: 'unauthenticated' } });
      return json(200, { id: server.cookie }, { 'X-Phonghop-Session-Expires': EXPIRES() });
    }
    if (!server.cookie) return json(401, { error: { code: 'unauthenticated' } });
    if (/^\/api\/v1\/meetings\/m1(\/state|\/polls)?$/.test(url.pathname)) {
      if (!server.readers.d1.includes(server.cookie)) return json(404, { error: { code: 'not_found' } });
      return json(200, { path: url.pathname, for: server.cookie });
    }
    if (!server.readers.d1.includes(server.cookie)) return json(404, { error: { code: 'not_found' } });
    const tag = '"e1"';
    if (req.method === 'HEAD') {
      return new Response(null, { status: req.headers.get('If-None-Match') === tag ? 304 : 200, headers: { ETag: tag } });
    }
    if (range) {
      const [, a, b] = /bytes=(\d+)-(\d+)/.exec(range)!;
      return new Response(body.slice(+a, +b + 1), {
        status: 206,
        headers: { 'Content-Range': `bytes ${a}-${b}/${body.length}` },
      });
    }
    return new Response(body, {
      status: 200,
      headers: { 'Content-Type': 'application/pdf', 'Content-Length': String(body.length), ETag: tag },
    });
  };
  const self = {
    location: new URL(ORIGIN),
    addEventListener: (t: string, fn: (e: unknown) => void) => (handlers[t] = fn),
    skipWaiting: () => {},
    clients: { claim: async () => {} },
  };
  new Function('self', 'caches', 'fetch', src)(self, caches, fetchFn);
}

async function request(url: string, headers: Record<string, string> = {}, init: RequestInit = {}) {
  let responded: Promise<Response> | null = null;
  const waits: Promise<unknown>[] = [];
  handlers.fetch({
    request: new Request(url, { headers, ...init }),
    respondWith: (p: Promise<Response>) => (responded = p),
    waitUntil: (p: Promise<unknown>) => waits.push(p),
  });
  const res = responded ? await responded : null;
  await Promise.all(waits);
  return res as Response | null;
}

async function message(data: unknown, ports: { postMessage(m: unknown): void }[] = []) {
  const waits: Promise<unknown>[] = [];
  handlers.message({ data, ports, waitUntil: (p: Promise<unknown>) => waits.push(p) });
  await Promise.all(waits);
}

/** signIn goes through the worker as the app's sign-in does. */
async function signIn(username: string) {
  const r = await request(`${ORIGIN}/api/v1/auth/login`, { 'Content-Type': 'application/json' }, { method: 'POST', body: JSON.stringify({ username }) });
  expect(r!.status).toBe(200);
}

/** alice signs in and her tablet caches d1. */
async function aliceCachesDocument() {
  await signIn('alice');
  await message({ type: 'prefetch', urls: [DOC] });
  expect(stores.get(DOCS)!.m.size).toBe(1);
  network = [];
}

const DOCS = 'phonghop-docs-v2';

const bytes = async (r: Response) => new Uint8Array(await r.arrayBuffer());

describe('service worker', () => {
  beforeEach(load);

  it('passes a miss through untouched and caches nothing until asked', async () => {
    server.cookie = 'alice';
    const r = await request(DOC, { Range: 'bytes=0-99' });
    expect(r!.status).toBe(206);
    expect(network).toEqual([{ method: 'GET', url: DOC_PATH + '?v=abc', range: 'bytes=0-99' }]);
    expect(stores.get(DOCS)?.m.size ?? 0).toBe(0);
  });

  it('answers ranges from the cached body by slicing, after one confirmation', async () => {
    await aliceCachesDocument();
    const mid = await request(DOC, { Range: 'bytes=100-163' });
    expect(mid!.status).toBe(206);
    expect(mid!.headers.get('Content-Range')).toBe('bytes 100-163/1000');
    expect(mid!.headers.get('Content-Length')).toBe('64');
    expect(await bytes(mid!)).toEqual(body.slice(100, 164));

    const open = await request(DOC, { Range: 'bytes=990-' });
    expect(open!.headers.get('Content-Range')).toBe('bytes 990-999/1000');
    expect(await bytes(open!)).toEqual(body.slice(990));

    const past = await request(DOC, { Range: 'bytes=900-5000' });
    expect(past!.headers.get('Content-Range')).toBe('bytes 900-999/1000');

    const suffix = await request(DOC, { Range: 'bytes=-10' });
    expect(await bytes(suffix!)).toEqual(body.slice(990));

    const bad = await request(DOC, { Range: 'bytes=1000-1001' });
    expect(bad!.status).toBe(416);
    expect(bad!.headers.get('Content-Range')).toBe('bytes */1000');

    const whole = await request(DOC);
    expect(whole!.status).toBe(200);
    expect(whole!.headers.get('Accept-Ranges')).toBe('bytes');
    expect(whole!.headers.get('Content-Length')).toBe('1000');
    expect(await bytes(whole!)).toEqual(body);
    // One HEAD for the burst of ranges, one for the whole document (always
    // asked afresh); no bytes came over the network.
    const head = { method: 'HEAD', url: DOC_PATH + '?v=abc', range: null };
    expect(network).toEqual([head, head]);
  });

  it('a confirmation covers only the ranges of the next moment, never a whole-document request', async () => {
    await aliceCachesDocument();
    expect((await request(DOC, { Range: 'bytes=0-9' }))!.status).toBe(206);
    server.cookie = null; // her session ends right after
    expect((await request(DOC))!.status).toBe(401);
    expect(stores.has(DOCS)).toBe(false);
  });

  it('a different digest in the URL is a different cache entry', async () => {
    await aliceCachesDocument();
    await request(DOC.replace('v=abc', 'v=def'), { Range: 'bytes=0-9' });
    expect(network).toEqual([{ method: 'GET', url: DOC_PATH + '?v=def', range: 'bytes=0-9' }]);
  });

  it('never intercepts other API calls', async () => {
    for (const u of ['/api/v1/meetings/m1/minutes.pdf', '/api/v1/meetings/m1/documents/d1/notes', '/api/v1/meetings/m1/live', '/api/v1/users']) {
      expect(await request(ORIGIN + u)).toBeNull();
    }
  });

  it('prefetch messages fill the cache; clear empties it', async () => {
    await signIn('alice');
    network = [];
    await message({ type: 'prefetch', urls: [DOC, DOC] });
    expect(network.length).toBe(1);
    expect(stores.get(DOCS)!.m.size).toBe(1);
    await message({ type: 'clear' });
    expect(stores.has(DOCS)).toBe(false);
  });
});

// A fresh-clone run saw the document cache on a tablet just signed out
// (e2e/security.test.js): work in flight at the sign-out (pdf.js's ranges, a
// download) created the cache again after it was deleted.
describe('service worker at sign-out', () => {
  beforeEach(load);
  const personal = () => [...stores.keys()].filter((n) => /^phonghop-(docs|data|session)-/.test(n));

  it('leaves no cache of the person, not even an empty one', async () => {
    await aliceCachesDocument();
    expect((await request(`${ORIGIN}/api/v1/meetings/m1`))!.status).toBe(200);
    await request(`${ORIGIN}/api/v1/auth/logout`, {}, { method: 'POST' });
    await message({ type: 'clear' });
    expect(personal()).toEqual([]);
  });

  it("a document request after it (the page going away mid-range) creates no cache", async () => {
    await aliceCachesDocument();
    await request(`${ORIGIN}/api/v1/auth/logout`, {}, { method: 'POST' });
    server.online = false; // the page navigated away: the request is cut
    await expect(request(DOC, { Range: 'bytes=0-99' })).rejects.toThrow();
    expect(personal()).toEqual([]);
  });

  it('stops a download in flight, writes nothing of it, and answers the page only then', async () => {
    await signIn('alice');
    let release!: () => void;
    server.stall = new Promise<void>((r) => (release = r));
    const downloading = message({ type: 'prefetch', urls: [DOC] });
    while (!network.some((n) => n.method === 'GET' && n.url.startsWith(DOC_PATH))) await new Promise((r) => setTimeout(r, 1));
    let answered = false;
    await message({ type: 'clear' }, [{ postMessage: () => (answered = true) }]);
    expect(server.aborted).toBe(1);
    expect(answered).toBe(true);
    release();
    await downloading;
    expect(personal()).toEqual([]);
  });

  it('an answer for her that arrives after another person signed in is not kept for him', async () => {
    server.readers.d1.push('bob');
    await signIn('alice');
    let release!: () => void;
    server.stall = new Promise<void>((r) => (release = r));
    server.stallOn = '/api/v1/meetings/m1';
    const hers = request(`${ORIGIN}/api/v1/meetings/m1`);
    while (!network.some((n) => n.url === '/api/v1/meetings/m1')) await new Promise((r) => setTimeout(r, 1));
    await new Promise((r) => setTimeout(r, 5));
    await request(`${ORIGIN}/api/v1/auth/logout`, {}, { method: 'POST' });
    await message({ type: 'clear' });
    await signIn('bob');
    release();
    expect(await (await hers)!.json()).toEqual({ path: '/api/v1/meetings/m1', for: 'alice' });
    server.online = false; // bob, offline, has never had the meeting here
    await expect(request(`${ORIGIN}/api/v1/meetings/m1`)).rejects.toThrow();
  });

  it('a copy of the meeting answered after it is not kept', async () => {
    await signIn('alice');
    await request(`${ORIGIN}/api/v1/meetings/m1`);
    // The page posts its newer copy just as the person signs out.
    const keep = message({ type: 'keep', url: '/api/v1/meetings/m1/state', body: { seq: 9 } });
    await request(`${ORIGIN}/api/v1/auth/logout`, {}, { method: 'POST' });
    await keep;
    await message({ type: 'clear' });
    expect(personal()).toEqual([]);
  });
});

// The shared-tablet case: after alice's session ended without the
// sign-out button, the cache served her documents to the next person and to
// nobody at all (200, %PDF). Before the fix every check below got her bytes.
describe('service worker on a shared tablet', () => {
  beforeEach(load);

  it('with nobody signed in (her session expired or was revoked), nothing cached is served', async () => {
    await aliceCachesDocument();
    server.cookie = null; // expired, or signed out on another device
    const r = await request(DOC);
    expect(r!.status).toBe(401);
    expect(stores.has(DOCS)).toBe(false); // the 401 emptied the cache
    expect(network.some((n) => n.method === 'GET' && n.url.startsWith(DOC_PATH))).toBe(true);
  });

  it('another person signed in on the tablet gets nothing of hers', async () => {
    await aliceCachesDocument();
    await signIn('bob'); // bob may not read d1
    expect(stores.has(DOCS)).toBe(false); // another person: her documents are gone
    const r = await request(DOC, { Range: 'bytes=0-99' });
    expect(r!.status).toBe(404);
  });

  it('even when the cache survived (bob signed in elsewhere in the app), the server is asked first', async () => {
    await aliceCachesDocument();
    server.cookie = 'bob'; // the cookie changed without this worker seeing it
    const r = await request(DOC);
    expect(r!.status).toBe(404);
    expect(network[0]).toEqual({ method: 'HEAD', url: DOC_PATH + '?v=abc', range: null });
    expect(stores.get(DOCS)?.m.size ?? 0).toBe(0);
  });

  it('offline, only the person who last proved a session reads what was cached for her', async () => {
    await aliceCachesDocument();
    server.online = false;
    const r = await request(DOC, { Range: 'bytes=0-9' });
    expect(r!.status).toBe(206);
    expect(await bytes(r!)).toEqual(body.slice(0, 10));
    // She signs out: offline, nothing is served any more.
    server.online = true;
    await request(`${ORIGIN}/api/v1/auth/logout`, {}, { method: 'POST' });
    server.online = false;
    await expect(request(DOC)).rejects.toThrow();
  });

  it('offline after her proved session has expired, nothing is served', async () => {
    await aliceCachesDocument();
    // Her proof says the session ended a minute ago.
    await stores.get('phonghop-session-v1')!.put('/__phonghop/session', new Response(JSON.stringify({ user: 'alice', expires: Date.now() - 60e3 })));
    startWorker(); // the worker was stopped meanwhile: it reads the proof back
    server.online = false;
    await expect(request(DOC)).rejects.toThrow();
  });

  it('a 401 on /me (the app starting with no session) empties the cache', async () => {
    await aliceCachesDocument();
    server.cookie = null;
    const r = await request(`${ORIGIN}/api/v1/me`);
    expect(r!.status).toBe(401);
    expect(stores.has(DOCS)).toBe(false);
  });

  it('prefetch caches nothing with nobody signed in', async () => {
    server.cookie = 'alice'; // a cookie, but no session this worker saw proved
    await message({ type: 'prefetch', urls: [DOC] });
    expect(stores.get(DOCS)?.m.size ?? 0).toBe(0);
  });
});

// Issue #12: reloading while offline sent the user to the sign-in screen. The
// same person keeps /me and the meeting offline; nobody else does.
describe('service worker: the offline copy of the signed-in state', () => {
  beforeEach(load);
  const ME = `${ORIGIN}/api/v1/me`;
  const MEETING = `${ORIGIN}/api/v1/meetings/m1`;
  const STATE = `${ORIGIN}/api/v1/meetings/m1/state`;

  async function aliceOnline() {
    await signIn('alice');
    for (const u of [ME, MEETING, STATE]) expect((await request(u))!.status).toBe(200);
  }

  it('offline, the person who last proved a session gets her /me and meeting, marked as a copy', async () => {
    await aliceOnline();
    server.online = false;
    const me = await request(ME);
    expect(me!.status).toBe(200);
    expect(me!.headers.get('X-Phonghop-Offline')).toBe('1');
    expect(me!.headers.get('X-Phonghop-Cached-For')).toBeNull();
    expect(await me!.json()).toEqual({ id: 'alice' });
    const m = await request(MEETING);
    expect(await m!.json()).toEqual({ path: '/api/v1/meetings/m1', for: 'alice' });
    expect((await request(STATE))!.headers.get('X-Phonghop-Offline')).toBe('1');
    // Online again: the network answers, not the copy.
    server.online = true;
    const fresh = await request(ME);
    expect(fresh!.headers.get('X-Phonghop-Offline')).toBeNull();
  });

  it('what was never fetched online is not invented offline', async () => {
    await aliceOnline();
    server.online = false;
    await expect(request(`${ORIGIN}/api/v1/meetings/m1/polls`)).rejects.toThrow();
  });

  it('after sign-out, a 401, another person signing in or her session expiring, nothing is served offline', async () => {
    const offlineNothing = async () => {
      server.online = false;
      await expect(request(ME)).rejects.toThrow();
      await expect(request(MEETING)).rejects.toThrow();
      server.online = true;
    };
    await aliceOnline();
    await request(`${ORIGIN}/api/v1/auth/logout`, {}, { method: 'POST' });
    await offlineNothing();

    await aliceOnline();
    server.cookie = null; // revoked elsewhere
    expect((await request(MEETING))!.status).toBe(401);
    await offlineNothing();

    await aliceOnline();
    server.readers.d1.push('bob');
    await signIn('bob'); // bob has not opened the meeting on this tablet
    server.online = false;
    expect(await (await request(ME))!.json()).toEqual({ id: 'bob' });
    await expect(request(MEETING)).rejects.toThrow();
    server.online = true;

    await aliceOnline();
    await stores.get('phonghop-session-v1')!.put('/__phonghop/session', new Response(JSON.stringify({ user: 'alice', expires: Date.now() - 60e3 })));
    startWorker();
    await offlineNothing();
  });

  it('a meeting she was removed from (404) is no longer kept', async () => {
    await aliceOnline();
    server.readers.d1 = [];
    expect((await request(MEETING))!.status).toBe(404);
    server.online = false;
    await expect(request(MEETING)).rejects.toThrow();
  });
});
