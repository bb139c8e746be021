import { describe, expect, it } from 'vitest';
import { applyOpinion, byDocumentAndPage, secondsLeft } from '../src/lib/consult';
import type { Consultation, Opinion } from '../src/lib/types';

const c = { id: 'c1', documentIds: ['d2', 'd1'] } as Consultation;
const op = (over: Partial<Opinion>): Opinion => ({
  id: 'o1',
  consultationId: 'c1',
  documentId: 'd1',
  page: 1,
  text: 'Đề nghị làm rõ nguồn vốn',
  agree: false,
  authorId: 'u1',
  authorName: 'Nguyễn Văn An',
  createdAt: '2026-11-30T02:00:00Z',
  ...over,
});

describe('consultations', () => {
  it('applies added, changed and withdrawn opinions by id', () => {
    let l = applyOpinion([], { action: 'added', opinion: op({}) });
    l = applyOpinion(l, { action: 'added', opinion: op({ id: 'o2', page: 3 }) });
    l = applyOpinion(l, { action: 'changed', opinion: op({ text: 'Sửa lại' }) });
    expect(l.map((o) => [o.id, o.text])).toEqual([
      ['o2', 'Đề nghị làm rõ nguồn vốn'],
      ['o1', 'Sửa lại'],
    ]);
    l = applyOpinion(l, { action: 'withdrawn', opinion: op({}) });
    expect(l.map((o) => o.id)).toEqual(['o2']);
  });

  it('groups by document in the consultation order, the whole document first, then by page and time; agreements apart', () => {
    const g = byDocumentAndPage(c, [
      op({ id: 'a', page: 3, createdAt: '2026-11-30T02:05:00Z' }),
      op({ id: 'b', page: 0 }),
      op({ id: 'c', page: 3, createdAt: '2026-11-30T02:01:00Z' }),
      op({ id: 'd', documentId: 'd2', page: 0, text: '', agree: true }),
      op({ id: 'e', consultationId: 'other' }),
    ]);
    expect(g.map((x) => x.documentId)).toEqual(['d2', 'd1']);
    expect(g[0].pages).toEqual([]);
    expect(g[0].agreed.map((o) => o.id)).toEqual(['d']);
    expect(g[1].pages.map((p) => [p.page, p.opinions.map((o) => o.id)])).toEqual([
      [0, ['b']],
      [3, ['c', 'a']],
    ]);
  });

  it("counts the time left on the server's clock", () => {
    const now = Date.parse('2026-11-30T02:00:00Z');
    expect(secondsLeft('2026-11-30T03:00:00Z', now, 0)).toBe(3600);
    expect(secondsLeft('2026-11-30T03:00:00Z', now, 60_000)).toBe(3540); // the server is a minute ahead
    expect(secondsLeft('2026-11-30T01:00:00Z', now, 0)).toBe(0);
  });
});
