// Ballots with questions (elections, confidence votes, approvals): what the
// tablet keeps while a delegate fills one in, and what it sends. Pure, so it
// is tested without a browser. See docs/api.md ("Elections, confidence votes
// and approvals") for the shapes.

import type { Lang } from './format';
import type { Poll, Question } from './types';

export const isMotion = (p: Poll) => !p.kind || p.kind === 'motion';

/** One answer per question: an election's chosen candidates (indexes), or
 * one level (index, null for none) per person. */
export type Marks = (number | null)[][];

export function emptyMarks(p: Poll): Marks {
  return (p.questions ?? []).map((q) => (p.kind === 'election' ? [] : q.candidates.map(() => null)));
}

/** Seats of an election's question (1 when unset). */
export const seatsOf = (q: Question) => Math.max(1, q.seats ?? 1);

/** toggle chooses or unchooses candidate c in an election's answer; choosing
 * past the seats changes nothing (the tablet never sends more than allowed). */
export function toggle(answer: (number | null)[], c: number, seats: number): number[] {
  const a = answer.filter((x): x is number => x !== null);
  if (a.includes(c)) return a.filter((x) => x !== c);
  if (a.length >= seats) return a;
  return [...a, c].sort((x, y) => x - y);
}

/** rate sets (or, tapped again, clears) person c's level. */
export function rate(answer: (number | null)[], c: number, level: number): (number | null)[] {
  const a = answer.slice();
  a[c] = a[c] === level ? null : level;
  return a;
}

/** The answers as the server takes them: an election's sorted choices; a
 * level per person with null for none, or [] for a question left blank. */
export function answersOf(p: Poll, marks: Marks): (number | null)[][] {
  return marks.map((a) => {
    if (p.kind === 'election') return a.filter((x): x is number => x !== null).sort((x, y) => x - y);
    return a.every((x) => x === null) ? [] : a;
  });
}

/** How many marks a question carries. */
export const marked = (a: (number | null)[]) => a.filter((x) => x !== null).length;

/** The ballot's state for the review step. */
export function completeness(p: Poll, marks: Marks): 'blank' | 'partial' | 'complete' {
  const qs = p.questions ?? [];
  const total = marks.reduce((n, a) => n + marked(a), 0);
  if (total === 0) return 'blank';
  const full = qs.every((q, i) => (p.kind === 'election' ? marked(marks[i] ?? []) > 0 : marked(marks[i] ?? []) === q.candidates.length));
  return full ? 'complete' : 'partial';
}

/** A share (0..1) as a percentage with two decimals in the language's style:
 * "58,33%" / "58.33%". */
export function formatShare(share: number, lang: Lang): string {
  const v = (Math.round((share || 0) * 10000) / 100).toFixed(2);
  return (lang === 'vi' ? v.replace('.', ',') : v) + '%';
}

/** Initials for a person without a photo: "Trần Văn An" → "TA". */
export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) return '?';
  const first = parts[0][0] ?? '';
  const last = parts.length > 1 ? (parts[parts.length - 1][0] ?? '') : '';
  return (first + last).toUpperCase();
}
