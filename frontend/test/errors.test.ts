// Every error the API can return reaches the Vietnamese screen in Vietnamese
// (issue #12: "Lỗi: no one is waiting to speak"). The catalogue is the
// server's own errors.json (errors_test.go checks that every Fail names a
// reason in it); this checks the app's side: each reason and each code, with
// its parameters, comes out of translateError in Vietnamese and in English.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import catalogue from '../../errors.json';
import { placeholders, translate, translateError } from '../src/lib/i18n';

type Texts = { en: string; vi: string };
const entries = Object.entries(catalogue as Record<string, Texts>);
const reasons = entries.filter(([k]) => !k.startsWith('field.'));
const fields = entries.filter(([k]) => k.startsWith('field.')).map(([k, v]) => [k.slice('field.'.length), v] as const);

// The codes of the API contract, read from errors.go's constants.
const goSource = readFileSync(fileURLToPath(new URL('../../errors.go', import.meta.url)), 'utf8');
const codes = [...goSource.matchAll(/^\s*E\w+\s*=\s*"([a-z_]+)"/gm)].map((m) => m[1]);

// A value for each placeholder, so a text left unfilled shows.
const sample = (names: string[]) => Object.fromEntries(names.map((n, i) => [n, n === 'field' ? 'title' : `«${i + 7}»`]));

describe('the API error catalogue', () => {
  it('has reasons and the codes of errors.go', () => {
    expect(reasons.length).toBeGreaterThan(100);
    expect(codes).toEqual(expect.arrayContaining(['invalid_argument', 'unauthenticated', 'forbidden', 'not_found', 'conflict', 'internal']));
    expect(codes.length).toBeGreaterThanOrEqual(11);
  });

  it('every reason and field name has a Vietnamese and an English text, different, with the same placeholders', () => {
    for (const [k, v] of entries) {
      expect(v.vi?.trim(), `${k}: vi`).toBeTruthy();
      expect(v.en?.trim(), `${k}: en`).toBeTruthy();
      expect(v.vi.toLowerCase(), `${k}: vi is not the English text`).not.toBe(v.en.toLowerCase());
      expect(placeholders(v.vi), k).toEqual(placeholders(v.en));
      expect(v.vi, `${k}: NFC`).toBe(v.vi.normalize('NFC'));
    }
  });

  it('translateError renders every reason in Vietnamese (params filled, the field named in Vietnamese), never the server\'s English message', () => {
    const english = 'the server said this in English';
    for (const [reason, v] of reasons) {
      const params = sample(placeholders(v.vi));
      const vi = translateError('vi', { code: 'invalid_argument', reason, params, message: english });
      const en = translateError('en', { code: 'invalid_argument', reason, params, message: english });
      expect(vi, reason).not.toBe(english);
      expect(vi, `${reason}: a placeholder left unfilled`).not.toMatch(/\{\w+\}/);
      for (const [name, value] of Object.entries(params)) {
        if (name !== 'field') expect(vi, `${reason}: {${name}}`).toContain(value);
      }
      if ('field' in params) expect(vi.toLowerCase(), `${reason}: the field in Vietnamese`).toContain('tiêu đề');
      expect(vi.charAt(0), `${reason}: starts with a capital`).toBe(vi.charAt(0).toUpperCase());
      expect(vi.toLowerCase(), reason).toBe(v.vi.replace(/\{(\w+)\}/g, (_, n) => (n === 'field' ? 'tiêu đề' : params[n])).toLowerCase());
      expect(en, reason).not.toBe(vi);
    }
  });

  it('every field a reason can name has both names and is used in the message', () => {
    for (const [name, v] of fields) {
      const e = { code: 'invalid_argument', reason: 'text_required', params: { field: name }, message: '' };
      expect(translateError('vi', e).toLowerCase(), name).toContain(v.vi.toLowerCase());
      expect(translateError('en', e).toLowerCase(), name).toContain(v.en.toLowerCase());
    }
  });

  it('every code of errors.go, with no reason or an unknown one, renders in Vietnamese', () => {
    for (const code of codes) {
      const entry = (catalogue as Record<string, Texts>)[code];
      expect(entry, `${code}: a text for the code itself`).toBeTruthy();
      for (const reason of [undefined, 'a_reason_this_app_does_not_know']) {
        const vi = translateError('vi', { code, reason, message: 'english fallback' });
        expect(vi, code).not.toBe('english fallback');
        expect(vi.toLowerCase(), code).toBe(entry.vi.toLowerCase());
      }
    }
  });
});

// The sign-in screen showed an empty error line when the server refused for a
// reason, and with a code, the app does not know (a newer server, a proxy in
// front), and `#/login?error=constructor` (a link any site can make) made the
// screen throw. Whatever comes, the person reads a translated sentence, and
// nothing a link carries is echoed as if the server had said it.
describe('an error the app does not know', () => {
  const unknown = [
    { code: 'a_code_this_app_does_not_know', reason: 'a_reason_this_app_does_not_know', message: 'english fallback' },
    { code: 'a_code_this_app_does_not_know' },
    { reason: 'a_reason_this_app_does_not_know' },
    { reason: 'Your account is locked, call 0900 000 000' },
    {},
    ...['constructor', '__proto__', 'toString', 'hasOwnProperty', 'field.title'].map((reason) => ({ reason })),
    { code: 'constructor', reason: '__proto__' },
  ];
  it('still reads a generic, translated message, never blank nor the server\'s English nor the link\'s text', () => {
    for (const e of unknown) {
      const vi = translateError('vi', e);
      const en = translateError('en', e);
      expect(vi.trim(), JSON.stringify(e)).not.toBe('');
      expect(vi, JSON.stringify(e)).toBe(translate('vi', 'unknownError'));
      expect(en, JSON.stringify(e)).toBe(translate('en', 'unknownError'));
      expect(vi).not.toBe(en);
    }
  });
  it('a known reason with an unknown code, and a known code with an unknown reason, keep their own texts', () => {
    const c = catalogue as Record<string, Texts>;
    expect(translateError('vi', { code: 'a_new_code', reason: 'login_wait', params: { seconds: '4' } }).toLowerCase()).toBe(c.login_wait.vi.replace('{seconds}', '4').toLowerCase());
    expect(translateError('vi', { code: 'forbidden', reason: 'a_new_reason' }).toLowerCase()).toBe(c.forbidden.vi.toLowerCase());
  });
});
