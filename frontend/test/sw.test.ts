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
let network: { url: string; range: string | null }[];
let handlers: Record<string, (e: unknown) => void>;

function load() {
  stores = new Map();
  network = [];
  handlers = {};
  const caches = {
    open: async (n: string) => {
      if (!stores.has(n)) stores.set(n, new FakeCache());
      return stores.get(n)!;
    },
    keys: async () => [...stores.keys()],
    delete: async (n: string) => stores.delete(n),
  };
  const fetchFn = async (input: string | Request, init?: RequestInit) => {
    const req = new Request(new URL(typeof input === 'string' ? input : input.url, ORIGIN), init ?? (input as Request));
    const range = req.headers.get('Range');
    network.push({ url: keyOf(req), range });
    if (range) {
      const [, a, b] = /bytes=(\d+)-(\d+)/.exec(range)!;
      return new Response(body.slice(+a, +b + 1), {
        status: 206,
        headers: { 'Content-Range': `bytes ${a}-${b}/${body.length}` },
      });
    }
    return new Response(body, {
      status: 200,
      headers: { 'Content-Type': 'application/pdf', 'Content-Length': String(body.length), ETag: '"e1"' },
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

async function request(url: string, headers: Record<string, string> = {}) {
  let responded: Promise<Response> | null = null;
  const waits: Promise<unknown>[] = [];
  handlers.fetch({
    request: new Request(url, { headers }),
    respondWith: (p: Promise<Response>) => (responded = p),
    waitUntil: (p: Promise<unknown>) => waits.push(p),
  });
  const res = responded ? await responded : null;
  await Promise.all(waits);
  return res as Response | null;
}

const bytes = async (r: Response) => new Uint8Array(await r.arrayBuffer());

describe('service worker', () => {
  beforeEach(load);

  it('passes a miss through untouched and caches nothing until asked', async () => {
    const r = await request(DOC, { Range: 'bytes=0-99' });
    expect(r!.status).toBe(206);
    expect(network).toEqual([{ url: '/api/v1/meetings/m1/documents/d1/content?v=abc', range: 'bytes=0-99' }]);
    expect(stores.get('phonghop-docs-v1')?.m.size ?? 0).toBe(0);
  });

  it('answers ranges from the cached body by slicing, without the network', async () => {
    const waits: Promise<unknown>[] = [];
    handlers.message({ data: { type: 'prefetch', urls: [DOC] }, waitUntil: (p: Promise<unknown>) => waits.push(p) });
    await Promise.all(waits);
    network = [];
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
    expect(network).toEqual([]);
  });

  it('a different digest in the URL is a different cache entry', async () => {
    const waits: Promise<unknown>[] = [];
    handlers.message({ data: { type: 'prefetch', urls: [DOC] }, waitUntil: (p: Promise<unknown>) => waits.push(p) });
    await Promise.all(waits);
    network = [];
    await request(DOC.replace('v=abc', 'v=def'), { Range: 'bytes=0-9' });
    expect(network.length).toBe(1); // not answered from the other digest's entry
  });

  it('never intercepts other API calls', async () => {
    for (const u of ['/api/v1/meetings/m1/state', '/api/v1/meetings/m1/minutes.pdf', '/api/v1/meetings/m1/documents/d1/notes']) {
      expect(await request(ORIGIN + u)).toBeNull();
    }
  });

  it('prefetch messages fill the cache; clear empties it', async () => {
    const waits: Promise<unknown>[] = [];
    handlers.message({ data: { type: 'prefetch', urls: [DOC, DOC] }, waitUntil: (p: Promise<unknown>) => waits.push(p) });
    await Promise.all(waits);
    expect(network.length).toBe(1);
    expect(stores.get('phonghop-docs-v1')!.m.size).toBe(1);
    handlers.message({ data: { type: 'clear' }, waitUntil: (p: Promise<unknown>) => waits.push(p) });
    await Promise.all(waits);
    expect(stores.has('phonghop-docs-v1')).toBe(false);
  });
});
