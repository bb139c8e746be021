import { describe, expect, it } from 'vitest';
import { answersOf, completeness, emptyMarks, formatShare, initials, isMotion, rate, toggle } from '../src/lib/ballot';
import type { Poll } from '../src/lib/types';

const base: Poll = { id: 'p', agendaItemId: 'i', title: 't', options: [], secret: true, majority: 'absolute', state: 'open', cast: 0, eligible: 3 };
const people = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `Người ${i + 1}` }));
const election: Poll = { ...base, kind: 'election', questions: [{ seats: 2, candidates: people(3) }, { candidates: people(2) }] };
const confidence: Poll = { ...base, kind: 'confidence', questions: [{ levels: ['Cao', 'Tín nhiệm', 'Thấp'], candidates: people(3) }] };

describe('ballot', () => {
  it('tells motions apart', () => {
    expect(isMotion({ ...base, options: ['a', 'b'] })).toBe(true);
    expect(isMotion({ ...base, kind: 'motion' })).toBe(true);
    expect(isMotion(election)).toBe(false);
  });

  it('never chooses more than the seats', () => {
    let a = toggle([], 2, 2);
    a = toggle(a, 0, 2);
    expect(a).toEqual([0, 2]);
    expect(toggle(a, 1, 2)).toEqual([0, 2]); // full: unchanged
    expect(toggle(a, 2, 2)).toEqual([0]); // tapped again: unchosen
  });

  it('rates one level per person, a second tap clears it', () => {
    let a = emptyMarks(confidence)[0];
    expect(a).toEqual([null, null, null]);
    a = rate(a, 1, 2);
    expect(a).toEqual([null, 2, null]);
    expect(rate(a, 1, 0)).toEqual([null, 0, null]);
    expect(rate(a, 1, 2)).toEqual([null, null, null]);
  });

  it('sends what the server takes', () => {
    expect(answersOf(election, [[2, 0], []])).toEqual([[0, 2], []]);
    expect(answersOf(confidence, [[0, null, 2]])).toEqual([[0, null, 2]]);
    expect(answersOf(confidence, [[null, null, null]])).toEqual([[]]);
  });

  it('says whether a ballot is blank, partly blank or complete', () => {
    expect(completeness(election, emptyMarks(election))).toBe('blank');
    expect(completeness(election, [[1], []])).toBe('partial');
    expect(completeness(election, [[1], [0]])).toBe('complete');
    expect(completeness(confidence, [[0, null, 1]])).toBe('partial');
    expect(completeness(confidence, [[0, 2, 1]])).toBe('complete');
  });

  it('formats shares and initials', () => {
    expect(formatShare(0.5833, 'vi')).toBe('58,33%');
    expect(formatShare(0.5833, 'en')).toBe('58.33%');
    expect(formatShare(1, 'vi')).toBe('100,00%');
    expect(initials('Trần Văn An')).toBe('TA');
    expect(initials(' Bình ')).toBe('B');
  });
});

describe('photos', () => {
  it('are scaled down to 480 px a side, never up', async () => {
    const { fitWithin } = await import('../src/lib/photo');
    expect(fitWithin(1200, 1600)).toEqual({ w: 360, h: 480 });
    expect(fitWithin(4000, 3000)).toEqual({ w: 480, h: 360 });
    expect(fitWithin(300, 200)).toEqual({ w: 300, h: 200 });
  });
});
