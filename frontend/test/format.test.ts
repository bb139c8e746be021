import { describe, expect, it } from 'vitest';
import { formatBytes, formatDateTime, formatDuration, percent, shortReceipt } from '../src/lib/format';

describe('format', () => {
  it('durations', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(65.9)).toBe('1:05');
    expect(formatDuration(3600 + 61)).toBe('1:01:01');
    expect(formatDuration(-5)).toBe('0:00');
  });

  it('bytes', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(200 * 1024 * 1024)).toBe('200 MB');
    expect(formatBytes(-1)).toBe('');
  });

  it('percent', () => {
    expect(percent(1, 3)).toBe(33);
    expect(percent(2, 3)).toBe(67);
    expect(percent(5, 0)).toBe(0);
  });

  it('date and time, Vietnamese day-first and 24-hour', () => {
    const s = formatDateTime('2026-11-26T07:05:00Z', 'vi', 'Asia/Ho_Chi_Minh');
    expect(s).toContain('14:05');
    expect(s).toContain('26/11/2026');
    expect(formatDateTime('2026-11-26T07:05:00Z', 'en', 'UTC')).toContain('07:05');
    expect(formatDateTime('not a date', 'vi')).toBe('not a date');
  });

  it('receipts are grouped for reading aloud', () => {
    expect(shortReceipt('abcdef0123456789ffff')).toBe('abcd ef01 2345 6789');
  });
});
