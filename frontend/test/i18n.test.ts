import { describe, expect, it } from 'vitest';
import { messages, placeholders, translate, translateError } from '../src/lib/i18n';

describe('i18n', () => {
  it('every Vietnamese key exists in English, and no extra keys', () => {
    const vi = Object.keys(messages.vi).sort();
    const en = Object.keys(messages.en).sort();
    expect(en).toEqual(vi);
  });

  it('no empty strings and the same placeholders in both languages', () => {
    for (const k of Object.keys(messages.vi) as (keyof typeof messages.vi)[]) {
      expect(messages.vi[k].trim(), k).not.toBe('');
      expect(messages.en[k].trim(), k).not.toBe('');
      expect(placeholders(messages.en[k]), k).toEqual(placeholders(messages.vi[k]));
    }
  });

  it('fills placeholders and keeps unknown ones', () => {
    expect(translate('vi', 'pageOf', { page: 3, pages: 12 })).toBe('Trang 3/12');
    expect(translate('en', 'pageOf', { page: 3, pages: 12 })).toBe('Page 3/12');
    expect(translate('en', 'pageOf', { page: 3 })).toBe('Page 3/{pages}');
  });

  it('Vietnamese is NFC (precomposed), so it renders and compares reliably', () => {
    for (const s of Object.values(messages.vi)) expect(s).toBe(s.normalize('NFC'));
  });
});

describe('API errors', () => {
  it('translates by reason, naming the field in the language', () => {
    const e = { code: 'invalid_argument', reason: 'text_required', params: { field: 'title' }, message: 'title is required' };
    expect(translateError('vi', e)).toBe('Chưa nhập tiêu đề');
    expect(translateError('en', e)).toBe('Title is required');
    expect(translateError('vi', { code: 'conflict', reason: 'poll_no_quorum', params: { present: '5', delegates: '12' }, message: '' })).toMatch(/^Chưa đủ số đại biểu: có mặt 5\/12/);
  });

  it('falls back to the code, then to a generic translated text', () => {
    expect(translateError('vi', { code: 'unavailable', message: 'x' })).toMatch(/^Hệ thống tạm thời/);
    // An unknown code is no longer answered with the server's English (issue #11): errors.test.ts.
    expect(translateError('en', { code: 'teapot', message: 'short and stout' })).toBe(translate('en', 'unknownError'));
    expect(translateError('vi', { code: 'unavailable', reason: 'network', message: 'network' })).toBe(messages.vi.networkError);
  });
});
