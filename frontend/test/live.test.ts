import { describe, expect, it } from 'vitest';
import {
  apply,
  backoffDelay,
  emptyModel,
  liveURL,
  LiveConnection,
  mergePolls,
  type Frame,
  type Model,
  type SocketLike,
} from '../src/lib/live';
import type { LiveState, Poll } from '../src/lib/types';

const state = (over: Partial<LiveState> = {}): LiveState => ({
  presentation: { agendaItemId: 'a1', documentId: 'd1', page: 1 },
  attendance: { present: [], expected: 12, quorum: false },
  speakers: { current: null, queue: [] },
  polls: [],
  ...over,
});

const poll = (over: Partial<Poll> = {}): Poll => ({
  id: 'p1',
  agendaItemId: 'a1',
  title: 'Khen thưởng 05 tập thể',
  options: ['Đồng ý', 'Không đồng ý', 'Không ý kiến'],
  secret: false,
  majority: 'simple',
  state: 'open',
  cast: 0,
  eligible: 12,
  ...over,
});

function applied(m: Model, f: Frame): Model {
  const r = apply(m, f);
  expect(r.kind).toBe('applied');
  return r.model;
}

describe('apply', () => {
  it('takes the snapshot, then events in order', () => {
    let m = applied(emptyModel, { type: 'snapshot', seq: 10, state: state() });
    expect(m.seq).toBe(10);
    m = applied(m, { type: 'presentation', seq: 11, presentation: { agendaItemId: 'a1', documentId: 'd1', page: 3 } });
    expect(m.state!.presentation!.page).toBe(3);
    m = applied(m, { type: 'attendance', seq: 12, attendance: { present: ['u1'], expected: 12, quorum: false } });
    expect(m.state!.attendance.present).toEqual(['u1']);
    m = applied(m, { type: 'speakers', seq: 13, speakers: { current: 'u1', queue: ['u2'] } });
    expect(m.state!.speakers).toEqual({ current: 'u1', queue: ['u2'] });
    expect(m.seq).toBe(13);
  });

  it('ignores duplicates and old events without touching state', () => {
    let m = applied(emptyModel, { type: 'snapshot', seq: 5, state: state() });
    m = applied(m, { type: 'presentation', seq: 6, presentation: { agendaItemId: 'a1', documentId: 'd1', page: 2 } });
    for (const seq of [6, 5, 1]) {
      const r = apply(m, { type: 'presentation', seq, presentation: { agendaItemId: 'a1', documentId: 'd1', page: 9 } });
      expect(r.kind).toBe('ignored');
      expect(r.model).toBe(m);
    }
    expect(m.state!.presentation!.page).toBe(2);
  });

  it('ignores events before any state', () => {
    const r = apply(emptyModel, { type: 'presentation', seq: 3, presentation: null });
    expect(r.kind).toBe('ignored');
    expect(r.model.seq).toBe(0);
  });

  it('upserts polls by id: open, turnout, close with results', () => {
    let m = applied(emptyModel, { type: 'snapshot', seq: 1, state: state({ polls: [poll({ id: 'p0', state: 'closed' })] }) });
    m = applied(m, { type: 'poll', seq: 2, poll: poll() });
    m = applied(m, { type: 'poll', seq: 3, poll: poll({ cast: 4 }) });
    m = applied(
      m,
      { type: 'poll', seq: 4, poll: poll({ state: 'closed', cast: 5, results: { counts: [4, 1, 0], cast: 5, eligible: 12, passed: false } }) },
    );
    expect(m.state!.polls.map((p) => p.id)).toEqual(['p0', 'p1']);
    expect(m.state!.polls[1].state).toBe('closed');
    expect(m.state!.polls[1].results!.counts).toEqual([4, 1, 0]);
  });

  it('a snapshot replaces everything, even with a lower seq (server history reset)', () => {
    let m = applied(emptyModel, { type: 'snapshot', seq: 50, state: state({ polls: [poll()] }) });
    m = applied(m, { type: 'snapshot', seq: 3, state: state({ presentation: null }) });
    expect(m.seq).toBe(3);
    expect(m.state!.polls).toEqual([]);
    expect(m.state!.presentation).toBeNull();
    // and events after the new snapshot apply again
    m = applied(m, { type: 'presentation', seq: 4, presentation: { agendaItemId: 'a2', documentId: 'd2', page: 1 } });
    expect(m.state!.presentation!.documentId).toBe('d2');
  });

  it('fills missing parts of a snapshot state', () => {
    const m = applied(emptyModel, { type: 'snapshot', seq: 1, state: { presentation: null } as unknown as LiveState });
    expect(m.state!.speakers).toEqual({ current: null, queue: [] });
    expect(m.state!.polls).toEqual([]);
  });

  it('reports error frames without changing the model', () => {
    const m = applied(emptyModel, { type: 'snapshot', seq: 1, state: state() });
    const r = apply(m, { type: 'error', error: { code: 'forbidden', message: 'only the chair' } });
    expect(r.kind).toBe('error');
    expect(r.model).toBe(m);
    if (r.kind === 'error') expect(r.error.code).toBe('forbidden');
  });

  it('advances seq over unknown event types so they are not replayed', () => {
    const m = applied(emptyModel, { type: 'snapshot', seq: 1, state: state() });
    const r = apply(m, { type: 'somethingNew', seq: 2 });
    expect(r.kind).toBe('ignored');
    expect(r.model.seq).toBe(2);
    expect(r.model.state).toBe(m.state);
  });
});

describe('mergePolls', () => {
  it('keeps drafts from REST and the later version of each poll', () => {
    const draft = poll({ id: 'd', state: 'draft' });
    const restOpen = poll({ id: 'p1', state: 'open', cast: 3 });
    const liveStale = poll({ id: 'p1', state: 'open', cast: 2 });
    expect(mergePolls([draft, restOpen], [liveStale])).toEqual([draft, restOpen]);
    const closed = poll({ id: 'p1', state: 'closed', cast: 5, results: { counts: [5, 0, 0], cast: 5, eligible: 12, passed: false } });
    expect(mergePolls([draft, restOpen], [closed])[1]).toBe(closed);
    // A REST answer from before the close never hides the result.
    expect(mergePolls([draft, closed], [restOpen])[1]).toBe(closed);
    const other = poll({ id: 'p2' });
    expect(mergePolls([draft], [other]).map((p) => p.id)).toEqual(['d', 'p2']);
  });

  it('shows a closing poll as closing, between open and closed', () => {
    const open = poll({ state: 'open', cast: 7 });
    const closing = poll({ state: 'closing', cast: 7 });
    const closed = poll({ state: 'closed', cast: 7, results: { counts: [7, 0, 0], cast: 7, eligible: 12, passed: false } });
    expect(mergePolls([open], [closing])[0]).toBe(closing);
    expect(mergePolls([closing], [open])[0]).toBe(closing);
    expect(mergePolls([closing], [closed])[0]).toBe(closed);
    expect(mergePolls([closed], [closing])[0]).toBe(closed);
  });
});

describe('backoffDelay', () => {
  it('grows exponentially within [exp/2, exp] and caps', () => {
    expect(backoffDelay(0, () => 0, 500, 15000)).toBe(250);
    expect(backoffDelay(0, () => 1, 500, 15000)).toBe(500);
    expect(backoffDelay(3, () => 1, 500, 15000)).toBe(4000);
    expect(backoffDelay(3, () => 0, 500, 15000)).toBe(2000);
    expect(backoffDelay(10, () => 1, 500, 15000)).toBe(15000);
    expect(backoffDelay(1000, () => 0.5, 500, 15000)).toBe(11250);
  });
});

describe('liveURL', () => {
  it('uses ws/wss and since only when known', () => {
    expect(liveURL('http://h:8080', 'm 1', 0)).toBe('ws://h:8080/api/v1/meetings/m%201/live');
    expect(liveURL('https://h', 'm1', 42)).toBe('wss://h/api/v1/meetings/m1/live?since=42');
  });
});

class FakeSocket implements SocketLike {
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  readyState = 0;
  sent: string[] = [];
  closed = false;
  constructor(public url: string) {}
  send(d: string) {
    this.sent.push(d);
  }
  close() {
    this.closed = true;
  }
  // server side helpers
  accept() {
    this.readyState = 1;
    this.onopen?.({});
  }
  frame(f: object) {
    this.onmessage?.({ data: JSON.stringify(f) });
  }
  drop(reason = '', code = 1006) {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
}

function harness(random = () => 0.5) {
  const sockets: FakeSocket[] = [];
  const timers: { fn: () => void; ms: number; id: number; cleared: boolean }[] = [];
  const models: Model[] = [];
  const statuses: string[] = [];
  const errors: string[] = [];
  let id = 0;
  const conn = new LiveConnection({
    url: (since) => liveURL('http://x', 'm1', since),
    open: (u) => {
      const s = new FakeSocket(u);
      sockets.push(s);
      return s;
    },
    onModel: (m) => models.push(m),
    onStatus: (s) => statuses.push(s),
    onError: (e) => errors.push(e.code),
    random,
    setTimer: (fn, ms) => {
      const t = { fn, ms, id: ++id, cleared: false };
      timers.push(t);
      return t;
    },
    clearTimer: (t) => {
      (t as { cleared: boolean }).cleared = true;
    },
  });
  const fire = () => {
    const t = timers.filter((x) => !x.cleared).pop()!;
    t.cleared = true;
    t.fn();
    return t.ms;
  };
  return { conn, sockets, timers, models, statuses, errors, fire };
}

describe('LiveConnection', () => {
  it('reconnects with since=<last seq> and ignores the replay overlap', () => {
    const h = harness();
    h.conn.start();
    expect(h.sockets[0].url).toBe('ws://x/api/v1/meetings/m1/live');
    h.sockets[0].accept();
    h.sockets[0].frame({ type: 'snapshot', seq: 7, state: state() });
    h.sockets[0].frame({ type: 'presentation', seq: 8, presentation: { agendaItemId: 'a1', documentId: 'd1', page: 2 } });
    expect(h.conn.status).toBe('online');
    h.sockets[0].drop();
    expect(h.conn.status).toBe('offline');
    h.fire();
    expect(h.sockets[1].url).toBe('ws://x/api/v1/meetings/m1/live?since=8');
    h.sockets[1].accept();
    // The server replays from 8 (overlap), then new events.
    h.sockets[1].frame({ type: 'presentation', seq: 8, presentation: { agendaItemId: 'a1', documentId: 'd1', page: 99 } });
    h.sockets[1].frame({ type: 'presentation', seq: 9, presentation: { agendaItemId: 'a1', documentId: 'd1', page: 3 } });
    expect(h.conn.model.seq).toBe(9);
    expect(h.conn.model.state!.presentation!.page).toBe(3);
    expect(h.models.map((m) => m.seq)).toEqual([7, 8, 9]);
  });

  it('backs off exponentially while failing, and resets after a frame', () => {
    const h = harness(() => 1);
    h.conn.start();
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      h.sockets[i].drop();
      delays.push(h.fire());
    }
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000]);
    h.sockets[5].accept();
    h.sockets[5].frame({ type: 'snapshot', seq: 1, state: state() });
    h.sockets[5].drop();
    expect(h.fire()).toBe(500);
  });

  it('does not reconnect after a removal (4003) or a sign-out (4001)', () => {
    for (const code of [4003, 4001]) {
      const h = harness();
      h.conn.start();
      h.sockets[0].accept();
      h.sockets[0].drop(code === 4003 ? 'forbidden' : 'unauthenticated', code);
      expect(h.conn.status).toBe('ended');
      expect(h.timers.filter((t) => !t.cleared)).toHaveLength(0);
      h.conn.kick();
      expect(h.sockets).toHaveLength(1);
    }
  });

  it('comes back quickly after a "slow" close', () => {
    const h = harness(() => 1);
    h.conn.start();
    for (let i = 0; i < 4; i++) {
      h.sockets[i].drop();
      h.fire();
    }
    h.sockets[4].drop('slow', 1008);
    expect(h.fire()).toBeLessThanOrEqual(500);
  });

  it('sends only when online, reports error frames, and stops for good', () => {
    const h = harness();
    h.conn.start();
    expect(h.conn.send({ type: 'requestToSpeak' })).toBe(false);
    h.sockets[0].accept();
    expect(h.conn.send({ type: 'requestToSpeak' })).toBe(true);
    expect(JSON.parse(h.sockets[0].sent[0])).toEqual({ type: 'requestToSpeak' });
    h.sockets[0].frame({ type: 'error', error: { code: 'forbidden', message: 'x' } });
    expect(h.errors).toEqual(['forbidden']);
    h.conn.stop();
    expect(h.sockets[0].closed).toBe(true);
    expect(h.timers.filter((t) => !t.cleared)).toHaveLength(0);
    expect(h.sockets).toHaveLength(1);
  });

  it('kick reconnects at once while waiting out a backoff', () => {
    const h = harness();
    h.conn.start();
    h.sockets[0].drop();
    expect(h.sockets).toHaveLength(1);
    h.conn.kick();
    expect(h.sockets).toHaveLength(2);
    expect(h.timers.every((t) => t.cleared)).toBe(true);
  });

  it('restart drops a silently dead socket and resumes from the seeded seq', () => {
    const h = harness();
    h.conn.start();
    h.sockets[0].accept();
    h.sockets[0].frame({ type: 'snapshot', seq: 4, state: state() });
    // Asleep: the server moved on to seq 9; REST says so on wake-up.
    h.conn.seed(state({ presentation: { agendaItemId: 'a1', documentId: 'd1', page: 7 } }), 9);
    h.conn.restart();
    expect(h.sockets[0].closed).toBe(true);
    expect(h.sockets[1].url).toBe('ws://x/api/v1/meetings/m1/live?since=9');
    // A late close of the old socket must not schedule anything.
    h.sockets[0].drop();
    expect(h.timers.filter((t) => !t.cleared)).toHaveLength(0);
    h.sockets[1].accept();
    h.sockets[1].frame({ type: 'presentation', seq: 10, presentation: { agendaItemId: 'a1', documentId: 'd1', page: 8 } });
    expect(h.conn.model.state!.presentation!.page).toBe(8);
  });

  it('seed from REST only when newer than what the socket gave', () => {
    const h = harness();
    h.conn.start();
    h.sockets[0].accept();
    h.sockets[0].frame({ type: 'snapshot', seq: 20, state: state() });
    h.conn.seed(state({ presentation: null }), 15);
    expect(h.conn.model.seq).toBe(20);
    expect(h.conn.model.state!.presentation).not.toBeNull();
    h.conn.seed(state({ presentation: null }), 21);
    expect(h.conn.model.seq).toBe(21);
  });
});

describe('LiveConnection heartbeat', () => {
  function beating() {
    let now = 1000;
    let tick: (() => void) | null = null;
    const sockets: FakeSocket[] = [];
    const statuses: string[] = [];
    const timers: { fn: () => void; ms: number; cleared: boolean }[] = [];
    const conn = new LiveConnection({
      url: (since) => liveURL('http://x', 'm1', since),
      open: (u) => {
        const s = new FakeSocket(u);
        sockets.push(s);
        return s;
      },
      onModel: () => {},
      onStatus: (s) => statuses.push(s),
      random: () => 0.5,
      setTimer: (fn, ms) => {
        const t = { fn, ms, cleared: false };
        timers.push(t);
        return t;
      },
      clearTimer: (t) => ((t as { cleared: boolean }).cleared = true),
      heartbeat: {
        pingMs: 2000,
        deadMs: 4000,
        connectMs: 8000,
        serverTimeoutS: 15,
        tickMs: 500,
        now: () => now,
        every: (fn) => ((tick = fn), 'beat'),
        cancel: () => (tick = null),
      },
    });
    /** Lets ms pass, the check running every 500 ms. */
    const pass = (ms: number) => {
      for (let i = 0; i < ms / 500; i++) {
        now += 500;
        tick?.();
      }
    };
    const pings = (s: FakeSocket) => s.sent.map((x) => JSON.parse(x)).filter((m) => m.type === 'ping');
    return { conn, sockets, statuses, timers, pass, pings, hasBeat: () => tick !== null };
  }

  it('pings with the server timeout, and a link that answers stays up', () => {
    const h = beating();
    h.conn.start();
    h.sockets[0].accept();
    h.sockets[0].frame({ type: 'snapshot', seq: 1, state: state() });
    expect(h.pings(h.sockets[0])[0]).toEqual({ type: 'ping', timeout: 15 });
    for (let i = 0; i < 30; i++) {
      h.pass(500);
      if (h.sockets[0].sent.length > 0) h.sockets[0].frame({ type: 'pong' });
      h.sockets[0].sent = [];
    }
    expect(h.conn.status).toBe('online');
    expect(h.sockets).toHaveLength(1);
  });

  it('a silent link is given up within 5 s and resumed with since', () => {
    const h = beating();
    h.conn.start();
    h.sockets[0].accept();
    h.sockets[0].frame({ type: 'snapshot', seq: 6, state: state() });
    h.pass(2000); // a ping goes out; nothing comes back from now on
    expect(h.pings(h.sockets[0]).length).toBeGreaterThanOrEqual(2);
    let waited = 0;
    while (h.conn.status === 'online' && waited < 10000) {
      h.pass(500);
      waited += 500;
    }
    expect(h.conn.status).toBe('offline');
    expect(waited).toBeLessThanOrEqual(4000 + 500 - 2000);
    expect(h.sockets[0].closed).toBe(true);
    h.timers.filter((t) => !t.cleared).pop()!.fn();
    expect(h.sockets[1].url).toBe('ws://x/api/v1/meetings/m1/live?since=6');
  });

  it('gives up a socket that never opens, and kick replaces one still connecting', () => {
    const h = beating();
    h.conn.start();
    h.pass(8500);
    expect(h.sockets[0].closed).toBe(true);
    expect(h.conn.status).toBe('offline');
    h.timers.filter((t) => !t.cleared).pop()!.fn();
    expect(h.sockets).toHaveLength(2);
    h.conn.kick(); // the browser says the network is back
    expect(h.sockets[1].closed).toBe(true);
    expect(h.sockets).toHaveLength(3);
  });

  it('a check that runs late (tablet asleep) gives no verdict; stop ends the beat', () => {
    const h = beating();
    h.conn.start();
    h.sockets[0].accept();
    h.pass(500);
    // Timers held back for a minute, then one check.
    const c = h.conn as unknown as { tick: () => void; o: { heartbeat: { now: () => number } } };
    const realNow = c.o.heartbeat.now;
    const at = realNow() + 60000;
    c.o.heartbeat.now = () => at;
    c.tick();
    expect(h.conn.status).toBe('online');
    h.conn.stop();
    expect(h.hasBeat()).toBe(false);
  });
});

describe("the chair's flow in the model", () => {
  it("keeps the speech's server start time, the session and the snapshot's server time", () => {
    let m = applied(emptyModel, {
      type: 'snapshot',
      seq: 3,
      time: '2026-11-30T01:20:00Z',
      state: { ...state(), speakers: { current: 'u1', queue: [], since: '2026-11-30T01:19:00Z' }, session: { openedAt: '2026-11-30T01:00:00Z', speechLimitSeconds: 180 } },
    });
    expect(m.state!.time).toBe('2026-11-30T01:20:00Z');
    expect(m.state!.speakers.since).toBe('2026-11-30T01:19:00Z');
    expect(m.state!.session!.speechLimitSeconds).toBe(180);
    m = applied(m, { type: 'session', seq: 4, session: { openedAt: '2026-11-30T01:00:00Z', closedAt: '2026-11-30T03:00:00Z', speechLimitSeconds: 180 } });
    expect(m.state!.session!.closedAt).toBe('2026-11-30T03:00:00Z');
    m = applied(m, { type: 'speakers', seq: 5, speakers: { current: null, queue: [], since: '2026-11-30T01:19:00Z' } });
    expect(m.state!.speakers.since).toBeUndefined(); // nobody speaks: no start time
    m = applied(m, { type: 'speakers', seq: 6, speakers: { current: 'u2', queue: [], since: '2026-11-30T03:01:00Z' } });
    expect(m.state!.speakers).toEqual({ current: 'u2', queue: [], since: '2026-11-30T03:01:00Z' });
    expect(apply(m, { type: 'session', seq: 7 }).kind).toBe('ignored');
  });
});

describe('notices in the model', () => {
  const notice = { id: '9f2c61d0a4b8e37c', text: 'Giải lao 15 phút', by: 'u-chair', at: '2026-11-30T02:45:00Z' };
  it('takes the notice from a snapshot, replaces it and clears it on withdrawal', () => {
    let m = applied(emptyModel, { type: 'snapshot', seq: 5, state: { ...state(), notice } });
    expect(m.state!.notice).toEqual(notice);
    // A server without notices sends none: the state still has null.
    expect(applied(emptyModel, { type: 'snapshot', seq: 1, state: state() }).state!.notice).toBeNull();
    const next = { ...notice, id: '0a1b2c3d4e5f6a7b', text: 'Mời các đại biểu về phòng họp' };
    m = applied(m, { type: 'notice', seq: 6, notice: next });
    expect(m.state!.notice).toEqual(next);
    m = applied(m, { type: 'notice', seq: 7, notice: null });
    expect(m.state!.notice).toBeNull();
    expect(m.state!.presentation!.page).toBe(1); // the rest of the room untouched
    // A replayed notice older than what was applied does not bring it back.
    expect(apply(m, { type: 'notice', seq: 6, notice: next }).kind).toBe('ignored');
  });
});

describe('attendance deltas (issue #16)', () => {
  const snap = (present: string[], seq: number | undefined) =>
    applied(emptyModel, {
      type: 'snapshot',
      seq: 20,
      state: state({ attendance: { present, expected: 4, quorum: false, presentDelegates: present.length, quorumNeeded: 3, seq } }),
    });
  const delta = (over: Record<string, unknown>) => ({ in: [], out: [], prev: 0, count: 0, expected: 4, quorum: false, ...over }) as never;

  it('applies who came in and went out, the marks and the counts', () => {
    let m = snap(['u1', 'u2'], 18);
    m = applied(m, { type: 'attendance', seq: 21, attendance: delta({ in: ['u3'], prev: 18, count: 3, quorum: true, presentDelegates: 3, quorumNeeded: 3 }) });
    expect(m.state!.attendance).toEqual({ present: ['u1', 'u2', 'u3'], expected: 4, quorum: true, presentDelegates: 3, quorumNeeded: 3, seq: 21 });
    const mark = { present: false, reason: 'Đi công tác', by: 'sec', at: '2026-11-30T01:00:00Z' };
    m = applied(m, { type: 'attendance', seq: 22, attendance: delta({ prev: 21, count: 3, quorum: true, marks: { u4: mark } }) });
    expect(m.state!.attendance.marks).toEqual({ u4: mark });
    m = applied(m, { type: 'attendance', seq: 24, attendance: delta({ in: ['u4'], out: ['u1'], unmarked: ['u4'], prev: 22, count: 3, quorum: true }) });
    expect(m.state!.attendance.present).toEqual(['u2', 'u3', 'u4']);
    expect(m.state!.attendance.marks).toBeUndefined();
    expect(m.seq).toBe(24);
    // A whole list (an older server of the cluster, a change set back) replaces it.
    m = applied(m, { type: 'attendance', seq: 25, attendance: { present: ['u9'], expected: 4, quorum: false } });
    expect(m.state!.attendance).toEqual({ present: ['u9'], expected: 4, quorum: false, seq: 25 });
    m = applied(m, { type: 'attendance', seq: 26, attendance: delta({ out: ['u9'], prev: 25, count: 0 }) });
    expect(m.state!.attendance.present).toEqual([]);
  });

  it('asks for a snapshot when a delta is not for what it holds', () => {
    const m = snap(['u1'], 18);
    // A missed attendance event (prev 19, we hold 18).
    let r = apply(m, { type: 'attendance', seq: 21, attendance: delta({ in: ['u2'], prev: 19, count: 2 }) });
    expect(r.kind).toBe('resync');
    expect(r.model).toBe(m);
    // A list that went wrong (count disagrees).
    r = apply(m, { type: 'attendance', seq: 21, attendance: delta({ in: ['u2'], prev: 18, count: 3 }) });
    expect(r.kind).toBe('resync');
    // No attendance event yet: prev 0 against a snapshot without a seq.
    r = apply(snap([], undefined), { type: 'attendance', seq: 21, attendance: delta({ in: ['u2'], prev: 0, count: 1 }) });
    expect(r.kind).toBe('applied');
  });

  it('reconnects without since to take the snapshot', () => {
    const socks: FakeSocket[] = [];
    const urls: string[] = [];
    const c = new LiveConnection({
      url: (since) => liveURL('http://x', 'm1', since, ['attendanceDelta']),
      open: (u) => {
        urls.push(u);
        const s = new FakeSocket(u);
        socks.push(s);
        return s;
      },
      onModel: () => {},
      setTimer: () => 0,
      clearTimer: () => {},
    });
    c.start();
    socks[0].accept();
    socks[0].frame({ type: 'snapshot', seq: 20, state: state({ attendance: { present: ['u1'], expected: 4, quorum: false, seq: 18 } }) });
    socks[0].frame({ type: 'attendance', seq: 30, attendance: delta({ in: ['u2'], prev: 29, count: 2 }) });
    expect(socks[0].closed).toBe(true);
    expect(urls).toEqual(['ws://x/api/v1/meetings/m1/live?features=attendanceDelta', 'ws://x/api/v1/meetings/m1/live?features=attendanceDelta']);
    expect(c.model.state!.attendance.present).toEqual(['u1']); // still shown meanwhile
    socks[1].accept();
    socks[1].frame({ type: 'snapshot', seq: 30, state: state({ attendance: { present: ['u1', 'u5', 'u2'], expected: 4, quorum: true, seq: 30 } }) });
    expect(c.model.seq).toBe(30);
    expect(c.model.state!.attendance.present).toEqual(['u1', 'u5', 'u2']);
    c.stop();
  });
});
