import { describe, expect, it } from 'vitest';
import { fieldsOf, keptKey, loadKept, merge, saveKept, withFields } from '../src/lib/minutesEdits';
import { forgetPerson, type KeyValue } from '../src/lib/tablet';
import type { Minutes } from '../src/lib/types';

function store(): KeyValue & { m: Map<string, string> } {
  const m = new Map<string, string>();
  return {
    m,
    getItem: (k) => m.get(k) ?? null,
    setItem: (k, v) => void m.set(k, v),
    removeItem: (k) => void m.delete(k),
    get length() {
      return m.size;
    },
    key: (i) => [...m.keys()][i] ?? null,
  };
}

const draft = (): Minutes => ({
  revision: 3,
  summary: 'Kết luận',
  guests: '',
  items: [
    { agendaItemId: 'a1', title: 'Khai mạc', notes: '', conclusion: '' },
    { agendaItemId: 'a2', title: 'Báo cáo', notes: 'Ghi chép', conclusion: 'Thông qua' },
    { agendaItemId: '', title: '', notes: '', conclusion: '' },
  ],
});

describe('minutes edits', () => {
  it('takes each field from the side that changed it', () => {
    const base = fieldsOf(draft());
    const mine = { ...base, summary: 'Kết luận của tôi', 'a1/notes': 'Tôi ghi' };
    const theirs = { ...base, 'a2/conclusion': 'Họ sửa', 'a1/notes': 'Tôi ghi' };
    const { merged, conflicts } = merge(base, mine, theirs);
    expect(conflicts).toEqual([]);
    expect(merged.summary).toBe('Kết luận của tôi');
    expect(merged['a2/conclusion']).toBe('Họ sửa');
    expect(merged['a1/notes']).toBe('Tôi ghi');
    expect(merged['a2/notes']).toBe('Ghi chép');
  });

  it('lists a field both changed differently, keeping mine', () => {
    const base = fieldsOf(draft());
    const { merged, conflicts } = merge(base, { ...base, summary: 'A' }, { ...base, summary: 'B', guests: 'Khách' });
    expect(conflicts).toEqual([{ key: 'summary', mine: 'A', theirs: 'B' }]);
    expect(merged.summary).toBe('A');
    expect(merged.guests).toBe('Khách');
  });

  it('drops an item no longer on the agenda, adds a new one', () => {
    const base = fieldsOf(draft());
    const mine = { ...base, 'a2/notes': 'Đã sửa' };
    const theirs = { summary: base.summary, guests: '', 'a3/notes': 'Mới', 'a3/conclusion': '' };
    const { merged, conflicts } = merge(base, mine, theirs);
    expect(conflicts).toEqual([]);
    expect('a2/notes' in merged).toBe(false);
    expect(merged['a3/notes']).toBe('Mới');
  });

  it('puts fields back into a draft', () => {
    const d = withFields(draft(), { summary: 'S', guests: 'G', 'a2/notes': 'N' });
    expect(d.summary).toBe('S');
    expect(d.guests).toBe('G');
    expect(d.items[1].notes).toBe('N');
    expect(d.items[1].conclusion).toBe('Thông qua');
    expect(fieldsOf(d)['']).toBeUndefined();
  });

  it('keeps unsaved edits until saved, and forgets them at sign-out', () => {
    const kv = store();
    const key = keptKey('u1', 'm1');
    const base = fieldsOf(draft());
    expect(saveKept(kv, key, { revision: 3, base, mine: { ...base, summary: 'x' } })).toBe(true);
    expect(loadKept(kv, key)?.mine.summary).toBe('x');
    saveKept(kv, key, { revision: 3, base, mine: base }); // nothing unsaved
    expect(kv.m.has(key)).toBe(false);
    saveKept(kv, key, { revision: 3, base, mine: { ...base, summary: 'y' } });
    kv.setItem('phonghop.lang', 'en');
    forgetPerson(kv);
    expect(loadKept(kv, key)).toBeNull();
    expect(kv.getItem('phonghop.lang')).toBe('en');
    kv.setItem(key, '{broken');
    expect(loadKept(kv, key)).toBeNull();
  });
});
