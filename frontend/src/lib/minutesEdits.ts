// The secretary's edits of the minutes: kept on the tablet until saved (across
// the app's tabs and reloads), and merged field by field when someone else
// saved first, so a save conflict never throws text away.

import type { KeyValue } from './tablet';
import type { Minutes } from './types';

/** The edited fields, by key: "summary", "guests", "<itemId>/notes",
 * "<itemId>/conclusion". */
export type Fields = Record<string, string>;

export function fieldsOf(d: Minutes): Fields {
  const f: Fields = { summary: d.summary ?? '', guests: d.guests ?? '' };
  for (const it of d.items ?? []) {
    if (!it.agendaItemId) continue; // the extra item collects no text
    f[`${it.agendaItemId}/notes`] = it.notes ?? '';
    f[`${it.agendaItemId}/conclusion`] = it.conclusion ?? '';
  }
  return f;
}

/** withFields is d with the fields set (keys d has no place for are left out). */
export function withFields(d: Minutes, f: Fields): Minutes {
  return {
    ...d,
    summary: f.summary ?? d.summary,
    guests: f.guests ?? d.guests ?? '',
    items: (d.items ?? []).map((it) => ({
      ...it,
      notes: f[`${it.agendaItemId}/notes`] ?? it.notes,
      conclusion: f[`${it.agendaItemId}/conclusion`] ?? it.conclusion,
    })),
  };
}

export function sameFields(a: Fields, b: Fields): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) if ((a[k] ?? '') !== (b[k] ?? '')) return false;
  return true;
}

/** A field both sides changed, differently. */
export interface Conflict {
  key: string;
  mine: string;
  theirs: string;
}

/** merge is a three-way merge by field: base is what both started from, mine
 * the edits here, theirs what the server holds now. A field changed on one side
 * takes that side; changed on both to the same text, that text; changed on
 * both differently, it keeps mine and is listed as a conflict to decide. */
export function merge(base: Fields, mine: Fields, theirs: Fields): { merged: Fields; conflicts: Conflict[] } {
  const merged: Fields = {};
  const conflicts: Conflict[] = [];
  const keys = new Set([...Object.keys(theirs), ...Object.keys(mine)]);
  for (const k of keys) {
    const b = base[k] ?? '';
    const m = mine[k] ?? '';
    const t = theirs[k] ?? '';
    if (!(k in theirs) && k !== 'summary' && k !== 'guests') continue; // an item no longer on the agenda
    if (m === b || m === t) merged[k] = t;
    else if (t === b) merged[k] = m;
    else {
      merged[k] = m;
      conflicts.push({ key: k, mine: m, theirs: t });
    }
  }
  return { merged, conflicts };
}

/** What the tablet keeps of unsaved edits: the revision and fields they were
 * made on (base) and the edits (mine). */
export interface Kept {
  revision: number | string;
  base: Fields;
  mine: Fields;
}

/** The key is under "phonghop.", so signing out forgets it (tablet.ts). */
export const keptKey = (userId: string, meetingId: string) => `phonghop.minutes.${userId}.${meetingId}`;

export function loadKept(kv: KeyValue, key: string): Kept | null {
  try {
    const v = JSON.parse(kv.getItem(key) ?? 'null');
    return v && typeof v === 'object' && v.base && v.mine ? (v as Kept) : null;
  } catch {
    return null;
  }
}

/** saveKept writes the edits, or removes them when there are none. It
 * reports false when the storage refused them (full, blocked). */
export function saveKept(kv: KeyValue, key: string, k: Kept | null): boolean {
  try {
    if (!k || sameFields(k.base, k.mine)) kv.removeItem(key);
    else kv.setItem(key, JSON.stringify(k));
    return true;
  } catch {
    return false;
  }
}
