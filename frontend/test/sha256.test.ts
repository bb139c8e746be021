import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../src/lib/sha256';

describe('sha256Hex', () => {
  it('matches node:crypto across block boundaries and UTF-8', () => {
    const inputs = ['', 'abc', 'a'.repeat(55), 'a'.repeat(56), 'a'.repeat(64), 'x'.repeat(1000), 'Biểu quyết khen thưởng', 'f3a9c1'.repeat(11)];
    for (const s of inputs) expect(sha256Hex(s), JSON.stringify(s.slice(0, 10))).toBe(createHash('sha256').update(s, 'utf8').digest('hex'));
  });
});
