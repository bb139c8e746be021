// What every panel of the set-up screen shares: report an error or a note
// where the user is looking, and reload the meeting after a change.

import type { Meeting } from '../../lib/types';

export interface AdminUI {
  fail(e: unknown): void;
  done(note?: string): void;
  /** Reads the selected meeting again (after a change, or a 409). */
  reload(): Promise<void>;
  select(id: string): Promise<void>;
}

export const roles = ['chair', 'secretary', 'delegate', 'observer'] as const;

export function displayNameOf(m: Meeting, userId: string): string {
  return m.participants.find((p) => p.userId === userId)?.displayName ?? '';
}
