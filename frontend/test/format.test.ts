import { describe, expect, it } from 'vitest';
import { formatBytes, formatDateTime, formatDuration, formatTime, percent, shortReceipt, speechClock } from '../src/lib/format';

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

describe('speech clock', () => {
  const t0 = Date.UTC(2026, 10, 30, 8, 0, 0);
  const at = (s: number) => t0 + s * 1000;
  it('counts down from the limit, amber in the last minute, red and "+" past it', () => {
    expect(speechClock(t0, at(0), 180)).toEqual({ text: '3:00', state: 'ok', elapsed: 0 });
    expect(speechClock(t0, at(119.5), 180).state).toBe('ok');
    expect(speechClock(t0, at(120.5), 180)).toMatchObject({ text: '1:00', state: 'warn' });
    expect(speechClock(t0, at(179.2), 180)).toMatchObject({ text: '0:01', state: 'warn' });
    expect(speechClock(t0, at(180), 180)).toMatchObject({ text: '+0:00', state: 'over' });
    expect(speechClock(t0, at(195), 180)).toMatchObject({ text: '+0:15', state: 'over' });
  });
  it('short limits turn amber in their last third; no limit counts up', () => {
    expect(speechClock(t0, at(5), 60).state).toBe('ok');
    expect(speechClock(t0, at(41), 60).state).toBe('warn');
    expect(speechClock(t0, at(75), 0)).toEqual({ text: '1:15', state: 'none', elapsed: 75 });
    expect(speechClock(t0, at(-3), 60)).toMatchObject({ text: '1:00', state: 'ok' }); // a clock a little behind
  });
  it('formats a time of day', () => {
    expect(formatTime('2026-11-30T01:05:00Z', 'vi', 'Asia/Ho_Chi_Minh')).toBe('08:05');
    expect(formatTime(undefined, 'vi')).toBe('');
  });
});
