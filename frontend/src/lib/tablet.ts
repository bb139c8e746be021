// What this tablet keeps between visits, and what it forgets at sign-out.
// Tablets are shared: the next person signed in on it must find nothing of
// the previous one's ballots, and nothing of a secret ballot is ever kept.

import type { Poll } from './types';

/** A ballot this tablet cast: the option only for named polls, the receipt
 * (the token whose SHA-256 the result lists) only while the room is open on
 * screen for a secret poll. */
export interface Ballot {
  option: number | null;
  receipt: string;
}

export type Ballots = Record<string, Ballot>;

/** The part of Web Storage used here (localStorage in the app, a Map in tests). */
export interface KeyValue {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
  readonly length: number;
  key(index: number): string | null;
}

const PREFIX = 'phonghop.';
/** Kept across sign-outs: the language is the tablet's, not the person's. */
const KEEP = new Set(['phonghop.lang']);

export const ballotsKey = (userId: string, meetingId: string) => `${PREFIX}ballots.${userId}.${meetingId}`;

export function loadBallots(kv: KeyValue, key: string): Ballots {
  try {
    const v = JSON.parse(kv.getItem(key) ?? '{}');
    return v && typeof v === 'object' ? v : {};
  } catch {
    return {};
  }
}

/** ballotFor is what the screen holds of a ballot just cast. */
export function ballotFor(p: Poll, option: number | null, receipt: string): Ballot {
  return { option: p.secret ? null : option, receipt };
}

/** saveBallots writes the ballots as the tablet may keep them: a secret poll's
 * only as "voted" (no option, no receipt: whoever holds the receipt and can
 * read the store finds the ballot, and with it the option). */
export function saveBallots(kv: KeyValue, key: string, ballots: Ballots, polls: (id: string) => Poll | undefined) {
  const kept: Ballots = {};
  for (const [id, b] of Object.entries(ballots)) {
    const p = polls(id);
    kept[id] = !p || p.secret ? { option: null, receipt: '' } : b;
  }
  try {
    kv.setItem(key, JSON.stringify(kept));
  } catch {
    /* storage full or blocked: the receipt is still on screen */
  }
}

/** forgetPerson removes everything the app stored for the person signed in
 * (ballots, anything under phonghop.), keeping only the tablet's own settings
 * and the keys keep names. */
export function forgetPerson(kv: KeyValue, keep: (key: string) => boolean = () => false) {
  const drop: string[] = [];
  for (let i = 0; i < kv.length; i++) {
    const k = kv.key(i);
    if (k && k.startsWith(PREFIX) && !KEEP.has(k) && !keep(k)) drop.push(k);
  }
  for (const k of drop) kv.removeItem(k);
}

// Work not yet saved (the minutes' text) lives in the tab's sessionStorage,
// keyed by person: it outlives a session that ends under the person's hands
// (a 401), for them to sign in again in this tab and find it; sign-out removes
// it, and so does anyone else signing in here (forgetOthers).

/** Where a person was when their session ended, to go back after signing in again. */
export const returnKey = (userId: string) => `${PREFIX}return.${userId}`;

/** forgetOthers removes what the tab keeps for anyone but userId: run when
 * someone signs in, so nobody finds another person's unsaved work. */
export function forgetOthers(kv: KeyValue, userId: string) {
  // phonghop.minutes.{user}.{meeting}, phonghop.return.{user}
  forgetPerson(kv, (k) => k.split('.')[2] === userId);
}

/** The screen holding unsaved work: its route (to come back to) and how to
 * write the work out now, or stop writing it (signed out). */
export interface HeldWork {
  route: string;
  keep(): void;
  drop(): void;
}
let held: HeldWork | null = null;
export function holdWork(w: HeldWork | null) {
  held = w;
}
/** The screen to return to after signing in again: the one with unsaved work, or where the person was. */
export const heldRoute = () => held?.route ?? null;

/** PERSONAL_CACHES names the service worker's caches that belong to the person
 * signed in: documents, the offline copy of their meetings, and who last
 * proved a session (any version). */
const PERSONAL_CACHES = /^phonghop-(docs|data|session)-/;

/** workerForgets tells the service worker the session ended and waits (up to
 * 3 s) until what it had in flight has stopped: a document download finishing
 * after the caches were deleted would otherwise create them again. */
async function workerForgets() {
  const worker = navigator.serviceWorker?.controller;
  if (!worker) return;
  const channel = new MessageChannel();
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 3000);
    channel.port1.onmessage = () => {
      clearTimeout(timer);
      resolve();
    };
    worker.postMessage({ type: 'clear' }, [channel.port2]);
  });
  channel.port1.close();
}

/** forgetOnTablet runs at sign-out and whenever the server says the session
 * has ended (401): nothing of this person stays on the tablet, neither in
 * storage nor among the cached documents. It tells the worker, and then
 * clears the caches itself (the worker may not control this page yet). When
 * the session ended (ended), the unsaved work in the tab's storage is kept
 * (written out first) for the same person signing in again; at sign-out it goes. */
export async function forgetOnTablet(ended = false) {
  try {
    if (ended) held?.keep();
    else held?.drop();
  } catch {
    /* storage blocked: nothing to keep */
  }
  try {
    forgetPerson(localStorage);
    if (!ended) forgetPerson(sessionStorage);
  } catch {
    /* storage blocked: nothing was kept */
  }
  try {
    await workerForgets();
    if (typeof caches !== 'undefined') {
      for (const k of await caches.keys()) if (PERSONAL_CACHES.test(k)) await caches.delete(k);
    }
  } catch {
    /* no Cache Storage (private mode): nothing was cached */
  }
}
