import { describe, expect, it } from 'vitest';
import { apply, emptyModel } from '../src/lib/live';
import { fold, matches } from '../src/lib/search';

describe('set-up changes in the live model', () => {
  it('keeps the last setup change, from a frame or a snapshot', () => {
    let r = apply(emptyModel, { type: 'snapshot', seq: 3, state: { presentation: null, attendance: { present: [], expected: 0, quorum: false }, speakers: { current: null, queue: [] }, polls: [], setup: { revision: 4, action: 'agenda.added' } } });
    expect(r.model.state?.setup?.revision).toBe(4);
    r = apply(r.model, { type: 'setup', seq: 4, setup: { revision: 5, action: 'document.replaced', documentId: 'd1', version: 2 } });
    expect(r.kind).toBe('applied');
    expect(r.model.seq).toBe(4);
    expect(r.model.state?.setup).toEqual({ revision: 5, action: 'document.replaced', documentId: 'd1', version: 2 });
    expect(apply(r.model, { type: 'setup', seq: 4, setup: { revision: 9, action: 'x' } }).kind).toBe('ignored');
  });
});

describe('search without diacritics', () => {
  it('folds Vietnamese', () => {
    expect(fold(' Đặng Thị Hương ')).toBe('dang thi huong');
    expect(matches('huong dang', 'Đặng Thị Hương')).toBe(true);
    expect(matches('ubnd xa', 'Nguyễn Văn A', 'UBND xã Mỹ An')).toBe(true);
    expect(matches('hội đồng', 'UBND huyện')).toBe(false);
    expect(matches('', 'x')).toBe(true);
  });
});
