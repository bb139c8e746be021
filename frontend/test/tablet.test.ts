import { describe, expect, it } from 'vitest';
import { ballotFor, ballotsKey, forgetOthers, forgetPerson, loadBallots, returnKey, saveBallots, type KeyValue } from '../src/lib/tablet';
import { keptKey } from '../src/lib/minutesEdits';
import type { Poll } from '../src/lib/types';

class MemoryKV implements KeyValue {
  m = new Map<string, string>();
  getItem(k: string) {
    return this.m.has(k) ? this.m.get(k)! : null;
  }
  setItem(k: string, v: string) {
    this.m.set(k, String(v));
  }
  removeItem(k: string) {
    this.m.delete(k);
  }
  get length() {
    return this.m.size;
  }
  key(i: number) {
    return [...this.m.keys()][i] ?? null;
  }
}

const poll = (id: string, secret: boolean): Poll => ({
  id,
  agendaItemId: 'a1',
  title: 'Khen thưởng 05 tập thể',
  options: ['Đồng ý', 'Không đồng ý', 'Không ý kiến'],
  secret,
  majority: 'simple',
  state: 'open',
  cast: 0,
  eligible: 12,
});

// Before the fix the tablet stored {option, receipt} for every poll, a secret
// one's receipt included, and kept it after sign-out.
describe('what the tablet keeps of ballots', () => {
  const receipt = '6f1c0a9be03d4f2a8c1e7b5d9a3f0c2e';
  it('keeps nothing of a secret ballot, and a named one as cast', () => {
    const kv = new MemoryKV();
    const polls = new Map([
      ['s', poll('s', true)],
      ['n', poll('n', false)],
    ]);
    const key = ballotsKey('u1', 'm1');
    const onScreen = { s: ballotFor(polls.get('s')!, 2, receipt), n: ballotFor(polls.get('n')!, 1, 'named-receipt') };
    expect(onScreen.s).toEqual({ option: null, receipt }); // shown once, never stored
    saveBallots(kv, key, onScreen, (id) => polls.get(id));
    const raw = kv.getItem(key)!;
    expect(raw).not.toContain(receipt);
    expect(loadBallots(kv, key)).toEqual({ s: { option: null, receipt: '' }, n: { option: 1, receipt: 'named-receipt' } });
  });

  it('forgets the person at sign-out, keeps the tablet language', () => {
    const kv = new MemoryKV();
    kv.setItem('phonghop.lang', 'en');
    kv.setItem(ballotsKey('u1', 'm1'), '{"n":{"option":1,"receipt":"x"}}');
    kv.setItem(ballotsKey('u1', 'm2'), '{}');
    kv.setItem('other.app', 'kept');
    forgetPerson(kv);
    expect([...kv.m.keys()].sort()).toEqual(['other.app', 'phonghop.lang']);
  });

  it("keeps a person's unsaved minutes in the tab for them alone: anyone else signing in removes them", () => {
    const kv = new MemoryKV();
    kv.setItem(keptKey('u1', 'm1'), '{"base":{},"mine":{"summary":"x"}}');
    kv.setItem(keptKey('u10', 'm1'), '{"base":{},"mine":{"summary":"y"}}');
    kv.setItem(returnKey('u1'), '/m/m1/minutes');
    kv.setItem(keptKey('u2', 'u1'), '{}'); // a meeting id that looks like u1's: not u1's
    forgetOthers(kv, 'u1');
    expect([...kv.m.keys()].sort()).toEqual([keptKey('u1', 'm1'), returnKey('u1')].sort());
    forgetOthers(kv, 'u2');
    expect([...kv.m.keys()]).toEqual([]);
  });

  it('reads damaged storage as nothing', () => {
    const kv = new MemoryKV();
    kv.setItem('k', '{nope');
    expect(loadBallots(kv, 'k')).toEqual({});
    kv.setItem('k', 'null');
    expect(loadBallots(kv, 'k')).toEqual({});
  });
});
