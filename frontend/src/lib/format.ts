// Formatting helpers; pure so they can be tested without a browser.

export type Lang = 'vi' | 'en';

const locale = (lang: Lang) => (lang === 'vi' ? 'vi-VN' : 'en-GB');

/** "14:05 26/11/2026" style, in the tablet's time zone. Invalid input is echoed. */
export function formatDateTime(iso: string, lang: Lang, timeZone?: string): string {
  const d = new Date(iso);
  if (isNaN(d.getTime())) return iso ?? '';
  return new Intl.DateTimeFormat(locale(lang), {
    day: '2-digit',
    month: '2-digit',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
    timeZone,
  }).format(d);
}

/** Seconds as m:ss, or h:mm:ss past an hour; negative values clamp to 0. */
export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${two(m)}:${two(sec)}` : `${m}:${two(sec)}`;
}

/** Bytes in B, KB, MB, GB (powers of 1024, one decimal above KB). */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '';
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** part/whole as a whole percent; 0 when whole is 0. */
export function percent(part: number, whole: number): number {
  if (!whole || whole <= 0) return 0;
  return Math.round((part / whole) * 100);
}

/** Input value for <input type="datetime-local"> from an ISO string, local time. */
export function toLocalInput(iso: string): string {
  const d = new Date(iso);
  if (isNaN(d.getTime())) return '';
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(d.getHours())}:${two(d.getMinutes())}`;
}

/** Short receipt for display: groups of 4 characters, first 16. */
export function shortReceipt(r: string): string {
  return (r ?? '').slice(0, 16).replace(/(.{4})(?=.)/g, '$1 ');
}

export type ClockState = 'none' | 'ok' | 'warn' | 'over';

/** A speech's clock: counting down from the limit (seconds, 0 = no limit,
 * then it counts up), amber in the last minute (in the last third for limits
 * under three minutes), red past the limit, with the time over shown as
 * "+m:ss". since and now are on the same (server) clock, in ms. */
export function speechClock(since: number, now: number, limit: number): { text: string; state: ClockState; elapsed: number } {
  const elapsed = Math.max(0, (now - since) / 1000);
  if (!limit || limit <= 0) return { text: formatDuration(elapsed), state: 'none', elapsed };
  const left = limit - elapsed;
  if (left <= 0) return { text: '+' + formatDuration(-left), state: 'over', elapsed };
  const warnAt = limit >= 180 ? 60 : limit / 3;
  // Round up: a countdown shows 0:01 until the limit, never 0:00 early.
  return { text: formatDuration(Math.ceil(left)), state: left <= warnAt ? 'warn' : 'ok', elapsed };
}

/** "14:05" in the tablet's time zone. Invalid input gives "". */
export function formatTime(iso: string | undefined, lang: Lang, timeZone?: string): string {
  const d = new Date(iso ?? '');
  if (isNaN(d.getTime())) return '';
  return new Intl.DateTimeFormat(locale(lang), { hour: '2-digit', minute: '2-digit', hour12: false, timeZone }).format(d);
}
