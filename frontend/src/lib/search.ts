// Search that ignores case and Vietnamese diacritics ("nguyen van" finds
// "Nguyễn Văn"), as the server's meeting search does.

/** fold lowers a text and strips its diacritics (đ becomes d). */
export function fold(s: string): string {
  return (s ?? '')
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .trim();
}

/** matches tells whether every word of the query is in one of the texts. */
export function matches(query: string, ...texts: (string | undefined)[]): boolean {
  const words = fold(query).split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const hay = fold(texts.filter(Boolean).join(' \n '));
  return words.every((w) => hay.includes(w));
}

/** localInput turns an RFC 3339 time into a datetime-local value (local time). */
export function localInput(iso: string | undefined): string {
  if (!iso || iso.startsWith('0001-')) return '';
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
