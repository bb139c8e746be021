// App-wide reactive state: language, signed-in user, hash route.

import { translate, translateError, type Key } from './i18n';
import type { Lang } from './format';
import type { ApiErrorBody, User } from './types';

function initialLang(): Lang {
  try {
    const v = localStorage.getItem('phonghop.lang');
    if (v === 'vi' || v === 'en') return v;
  } catch {
    /* storage blocked */
  }
  return 'vi';
}

export const app = $state<{ lang: Lang; me: User | null; route: string; offlineCopy: boolean }>({
  lang: initialLang(),
  me: null,
  route: location.hash.slice(1) || '/',
  /** The last answer was the service worker's copy: no network. */
  offlineCopy: false,
});

document.documentElement.lang = app.lang;

export function setLang(l: Lang) {
  app.lang = l;
  document.documentElement.lang = l;
  try {
    localStorage.setItem('phonghop.lang', l);
  } catch {
    /* ignore */
  }
}

/** t reads app.lang, so templates that call it re-render on a language switch. */
export function t(key: Key, params?: Record<string, string | number>): string {
  return translate(app.lang, key, params);
}

/** errorText says what went wrong in the user's language, for any error a
 * call or the live room gave. */
export function errorText(e: unknown): string {
  if (e && typeof e === 'object' && 'code' in e) return translateError(app.lang, e as ApiErrorBody);
  return e instanceof Error ? e.message : String(e);
}

export function navigate(path: string) {
  if (location.hash.slice(1) !== path) location.hash = path;
  app.route = path;
}

window.addEventListener('hashchange', () => {
  app.route = location.hash.slice(1) || '/';
});
