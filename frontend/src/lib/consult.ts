// Pure helpers of the consultations on drafts (góp ý dự thảo), tested
// without a browser; consult.svelte.ts keeps the screen's state.

import type { Consultation, Opinion, OpinionEvent } from './types';

/** applyOpinion replaces an opinion by id, or adds it; withdrawn removes it. */
export function applyOpinion(list: Opinion[], ev: Pick<OpinionEvent, 'action' | 'opinion'>): Opinion[] {
  const rest = list.filter((o) => o.id !== ev.opinion.id);
  return ev.action === 'withdrawn' ? rest : [...rest, ev.opinion];
}

/** byDocumentAndPage groups opinions by document (in the consultation's
 * order), then by page (the whole document, page 0, first), oldest first. */
export function byDocumentAndPage(c: Consultation, list: Opinion[]): { documentId: string; pages: { page: number; opinions: Opinion[] }[]; agreed: Opinion[] }[] {
  return c.documentIds.map((documentId) => {
    const mine = list.filter((o) => o.consultationId === c.id && o.documentId === documentId);
    const pages = new Map<number, Opinion[]>();
    for (const o of mine.filter((o) => !o.agree).sort((a, b) => a.page - b.page || a.createdAt.localeCompare(b.createdAt))) {
      pages.set(o.page, [...(pages.get(o.page) ?? []), o]);
    }
    return { documentId, pages: [...pages].map(([page, opinions]) => ({ page, opinions })), agreed: mine.filter((o) => o.agree) };
  });
}

/** Seconds left before the deadline, on the server's clock. */
export function secondsLeft(deadline: string, now: number, clockOffset: number): number {
  return Math.max(0, Math.floor((new Date(deadline).getTime() - (now + clockOffset)) / 1000));
}
