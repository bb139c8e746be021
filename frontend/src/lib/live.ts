// The live room connection: a pure reducer over server frames (seq tracking,
// duplicates, snapshots) and a small reconnecting WebSocket driver around it.
// Both are free of the DOM and of Svelte so they can be unit-tested with fakes.

import type { Attendance, AttendanceDelta, LiveState, Poll, Presentation, Session, Speakers, ApiErrorBody, SetupChange, DocumentInfo, Notice } from './types';

/** A server frame: snapshot, presentation, attendance, speakers, poll or error
 * (see CONTRACT.md); loosely typed because it comes off the wire. */
export interface Frame {
  type: string;
  seq?: number;
  state?: LiveState;
  presentation?: Presentation | null;
  /** The whole list, or (on a socket that asked for them) a delta. */
  attendance?: Attendance | AttendanceDelta;
  speakers?: Speakers;
  poll?: Poll;
  session?: Session;
  /** A snapshot's server time. */
  time?: string;
  error?: ApiErrorBody;
  /** A change to the meeting's set-up (type 'setup'). */
  setup?: SetupChange;
  /** A document added or changed (its conversion moved on), or {id, gone}. */
  document?: DocumentInfo | { id: string; gone: true };
  /** The notice shown on every tablet, null once withdrawn (type 'notice'). */
  notice?: Notice | null;
}

export interface Model {
  /** Highest seq applied; 0 before the first snapshot. */
  seq: number;
  /** null until the first snapshot (or REST state) arrives. */
  state: LiveState | null;
}

export const emptyModel: Model = { seq: 0, state: null };

export function emptyState(): LiveState {
  return {
    presentation: null,
    attendance: { present: [], expected: 0, quorum: false },
    speakers: { current: null, queue: [] },
    polls: [],
  };
}

export type ApplyResult =
  | { kind: 'applied'; model: Model }
  | { kind: 'ignored'; model: Model; reason: 'old' | 'unknown' | 'no-state' }
  | { kind: 'error'; model: Model; error: ApiErrorBody }
  /** A delta that does not apply to what we hold (we missed an event, or our
   * list went wrong): take a snapshot (reconnect without since). */
  | { kind: 'resync'; model: Model };

/** The live features this client asks for (docs/live.md). */
export const liveFeatures = ['attendanceDelta'];

/** applyAttendanceDelta applies d to a, or returns null when d is not for a
 * (its prev is not a's seq) or the result does not have d.count ids. */
export function applyAttendanceDelta(a: Attendance, d: AttendanceDelta, seq: number): Attendance | null {
  if ((a.seq ?? 0) !== d.prev) return null;
  const out = new Set(d.out);
  const present = out.size ? a.present.filter((id) => !out.has(id)) : a.present.slice();
  const have = new Set(present);
  for (const id of d.in) {
    if (!have.has(id)) {
      have.add(id);
      present.push(id);
    }
  }
  if (present.length !== d.count) return null;
  let marks = a.marks;
  if (d.unmarked?.length || (d.marks && Object.keys(d.marks).length)) {
    marks = { ...(a.marks ?? {}) };
    for (const id of d.unmarked ?? []) delete marks[id];
    Object.assign(marks, d.marks ?? {});
  }
  const next: Attendance = { present, expected: d.expected, quorum: d.quorum, seq };
  if (d.presentDelegates !== undefined) next.presentDelegates = d.presentDelegates;
  if (d.quorumNeeded !== undefined) next.quorumNeeded = d.quorumNeeded;
  if (marks && Object.keys(marks).length) next.marks = marks;
  return next;
}

function speakersOf(sp: Partial<Speakers> | null | undefined): Speakers {
  const out: Speakers = { current: sp?.current ?? null, queue: sp?.queue ?? [] };
  if (out.current && sp?.since) out.since = sp.since;
  return out;
}

function normalizeState(s: Partial<LiveState> | null | undefined, time?: string): LiveState {
  const e = emptyState();
  if (!s) return e;
  const out: LiveState = {
    presentation: s.presentation ?? null,
    attendance: s.attendance ?? e.attendance,
    speakers: speakersOf(s.speakers),
    polls: s.polls ?? [],
    setup: s.setup ?? null,
    notice: s.notice ?? null,
  };
  if (s.session) out.session = s.session;
  if (time ?? s.time) out.time = time ?? s.time;
  return out;
}

export function upsertPoll(polls: Poll[], p: Poll): Poll[] {
  const i = polls.findIndex((x) => x.id === p.id);
  if (i < 0) return [...polls, p];
  const out = polls.slice();
  out[i] = p;
  return out;
}

const stateRank: Record<string, number> = { draft: 0, open: 1, closing: 2, closed: 3 };

/** newerPoll picks the later of two versions of one poll: REST answers and
 * socket frames race, and a poll only moves draft → open → closing → closed, with
 * turnout only growing while open. */
export function newerPoll(a: Poll, b: Poll): Poll {
  const ra = stateRank[a.state] ?? 0,
    rb = stateRank[b.state] ?? 0;
  if (ra !== rb) return ra > rb ? a : b;
  if (a.state === 'closed') return a.results ? a : b;
  return (a.cast ?? 0) >= (b.cast ?? 0) ? a : b;
}

/** mergePolls joins the polls known from REST (drafts included) with the live
 * ones, keeping the later version of each, in first-seen order. */
export function mergePolls(rest: Poll[], live: Poll[]): Poll[] {
  let out = rest;
  for (const p of live) {
    const old = out.find((x) => x.id === p.id);
    out = upsertPoll(out, old ? newerPoll(old, p) : p);
  }
  return out;
}

/**
 * apply folds one server frame into the model. Events at or below the seq
 * already applied are duplicates (replay overlap after a reconnect) and are
 * ignored. A snapshot is authoritative and replaces everything, even with a
 * lower seq: it is only ever the first frame of a connection, and a lower seq
 * means the server's history was reset, so our old seq must not hide new events.
 */
export function apply(model: Model, frame: Frame): ApplyResult {
  if (frame.type === 'error') {
    return {
      kind: 'error',
      model,
      error: frame.error ?? { code: 'internal', message: 'unknown error' },
    };
  }
  const seq = typeof frame.seq === 'number' ? frame.seq : NaN;
  if (frame.type === 'snapshot') {
    return { kind: 'applied', model: { seq: Number.isFinite(seq) ? seq : 0, state: normalizeState(frame.state, frame.time) } };
  }
  if (!Number.isFinite(seq)) return { kind: 'ignored', model, reason: 'unknown' };
  if (seq <= model.seq) return { kind: 'ignored', model, reason: 'old' };
  if (!model.state) return { kind: 'ignored', model, reason: 'no-state' };
  const s = model.state;
  let next: LiveState;
  switch (frame.type) {
    case 'presentation':
      next = { ...s, presentation: frame.presentation ?? null };
      break;
    case 'attendance': {
      const a = frame.attendance;
      if (!a) return { kind: 'ignored', model: { ...model, seq }, reason: 'unknown' };
      if ('present' in a) {
        next = { ...s, attendance: { ...a, seq } };
        break;
      }
      const applied = applyAttendanceDelta(s.attendance, a, seq);
      if (!applied) return { kind: 'resync', model };
      next = { ...s, attendance: applied };
      break;
    }
    case 'speakers':
      next = { ...s, speakers: speakersOf(frame.speakers) };
      break;
    case 'session':
      if (!frame.session) return { kind: 'ignored', model: { ...model, seq }, reason: 'unknown' };
      next = { ...s, session: frame.session };
      break;
    case 'setup':
      if (!frame.setup) return { kind: 'ignored', model: { ...model, seq }, reason: 'unknown' };
      next = { ...s, setup: frame.setup };
      break;
    case 'notice':
      next = { ...s, notice: frame.notice ?? null };
      break;
    case 'poll':
      if (!frame.poll) return { kind: 'ignored', model: { ...model, seq }, reason: 'unknown' };
      next = { ...s, polls: upsertPoll(s.polls, frame.poll) };
      break;
    default:
      // An event type this client does not know still advances seq, so that
      // since=N on reconnect does not ask for it again.
      return { kind: 'ignored', model: { ...model, seq }, reason: 'unknown' };
  }
  return { kind: 'applied', model: { seq, state: next } };
}

/** The delay before reconnect attempt n (0-based): exponential, capped, with
 * "equal jitter" so a whole room of tablets does not reconnect in lockstep. */
export function backoffDelay(attempt: number, random: () => number, base = 500, max = 15000): number {
  const exp = Math.min(max, base * 2 ** Math.min(attempt, 20));
  return Math.round(exp / 2 + random() * (exp / 2));
}

export function liveURL(origin: string, meetingId: string, since: number, features: string[] = []): string {
  const u = new URL(`/api/v1/meetings/${encodeURIComponent(meetingId)}/live`, origin);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  if (since > 0) u.searchParams.set('since', String(since));
  if (features.length) u.searchParams.set('features', features.join(','));
  return u.toString();
}

/** The subset of the browser WebSocket the driver uses. */
export interface SocketLike {
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  readonly readyState: number;
}

/** 'ended': the server closed the connection for good (signed out, 4001, or
 * removed from the meeting, 4003): no reconnect follows. */
export type Status = 'connecting' | 'online' | 'offline' | 'ended';

/** Close codes after which reconnecting is pointless (docs/live.md). */
export const CloseSignedOut = 4001;
export const CloseRemoved = 4003;

export interface ConnectionOptions {
  /** Builds the URL for a connection that has seen events up to since (0: none). */
  url: (since: number) => string;
  open: (url: string) => SocketLike;
  onModel: (m: Model) => void;
  onStatus?: (s: Status, info: { attempt: number; closeReason?: string; closeCode?: number }) => void;
  onError?: (e: ApiErrorBody) => void;
  /** Every new event frame, whether or not the room's model holds it (documents). */
  onEvent?: (f: Frame) => void;
  random?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (t: unknown) => void;
  baseDelay?: number;
  maxDelay?: number;
  /** The application heartbeat (docs/live.md "Heartbeat"); none when left out. */
  heartbeat?: Heartbeat;
}

/** A dead link (Wi-Fi gone without a close) is noticed by silence: the client
 * pings every pingMs and counts the socket dead once nothing at all came for
 * deadMs; a socket that does not open within connectMs is given up too. The
 * server is asked to drop us after serverTimeoutS of silence. */
export interface Heartbeat {
  pingMs: number;
  deadMs: number;
  connectMs: number;
  serverTimeoutS: number;
  tickMs: number;
  now: () => number;
  every: (fn: () => void, ms: number) => unknown;
  cancel: (t: unknown) => void;
}

/** The web app's heartbeat: a dead link is noticed within deadMs + tickMs (3.75 s),
 * and a late pong may take 2 s (pingMs to deadMs) before the link is blamed. */
export function browserHeartbeat(): Heartbeat {
  return {
    pingMs: 1500,
    deadMs: 3500,
    connectMs: 8000,
    serverTimeoutS: 15,
    tickMs: 250,
    now: () => Date.now(),
    every: (fn, ms) => setInterval(fn, ms),
    cancel: (t) => clearInterval(t as ReturnType<typeof setInterval>),
  };
}

/** The close code (application range) this client uses for a socket it gave up on. */
export const CloseDead = 4000;

/**
 * LiveConnection keeps one socket open, reconnecting with backoff and
 * ?since=<last seq> so no change is missed. The model survives reconnects.
 */
export class LiveConnection {
  model: Model = emptyModel;
  status: Status = 'offline';
  attempt = 0;
  private sock: SocketLike | null = null;
  private timer: unknown = null;
  private stopped = true;
  private o: Required<Omit<ConnectionOptions, 'onStatus' | 'onError' | 'onEvent' | 'heartbeat'>> &
    Pick<ConnectionOptions, 'onStatus' | 'onError' | 'onEvent' | 'heartbeat'>;
  // Heartbeat: when the current socket was opened (or last heard), last pinged,
  // and when the check last ran (a check that ran late means timers were held
  // back, a sleeping tablet: no verdict from that one).
  private openedAt = 0;
  private heardAt = 0;
  private pingedAt = 0;
  private tickedAt = 0;
  private beat: unknown = null;

  constructor(opts: ConnectionOptions) {
    this.o = {
      random: Math.random,
      setTimer: (fn, ms) => setTimeout(fn, ms),
      clearTimer: (t) => clearTimeout(t as ReturnType<typeof setTimeout>),
      baseDelay: 500,
      maxDelay: 15000,
      ...opts,
    };
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.stopBeat();
    if (this.timer !== null) this.o.clearTimer(this.timer);
    this.timer = null;
    const s = this.sock;
    this.sock = null;
    if (s) {
      s.onclose = s.onmessage = s.onerror = s.onopen = null;
      try {
        s.close(1000, 'bye');
      } catch {
        /* already closed */
      }
    }
    this.setStatus('offline');
  }

  /** Reconnect now (for example when the browser reports it is back online).
   * A socket still trying to open (perhaps on the network that was lost) is
   * given up for a fresh one. */
  kick(): void {
    if (this.stopped) return;
    if (this.sock && this.status === 'connecting') {
      this.restart();
      return;
    }
    if (this.sock) return;
    if (this.timer !== null) this.o.clearTimer(this.timer);
    this.timer = null;
    this.connect();
  }

  /** Drops the current socket (if any) and connects again at once with since.
   * For a tablet waking from sleep: its socket may be dead without having closed. */
  restart(): void {
    if (this.stopped) return;
    if (this.timer !== null) this.o.clearTimer(this.timer);
    this.timer = null;
    const s = this.sock;
    this.sock = null;
    if (s) {
      s.onclose = s.onmessage = s.onerror = s.onopen = null;
      try {
        s.close(1000, 'restart');
      } catch {
        /* already closed */
      }
    }
    this.connect();
  }

  /** Sends a client message; false when not connected (the caller may use REST). */
  send(msg: object): boolean {
    if (!this.sock || this.status !== 'online') return false;
    try {
      this.sock.send(JSON.stringify(msg));
      return true;
    } catch {
      return false;
    }
  }

  /** Seeds the model from REST (GET /state) when newer than what we hold. */
  seed(state: LiveState, seq: number): void {
    if (seq > this.model.seq || !this.model.state) {
      this.model = { seq, state: normalizeState(state) };
      this.o.onModel(this.model);
    }
  }

  private setStatus(s: Status, closeReason?: string, closeCode?: number) {
    this.status = s;
    this.o.onStatus?.(s, { attempt: this.attempt, closeReason, closeCode });
  }

  private connect() {
    this.timer = null;
    if (this.stopped) return;
    let sock: SocketLike;
    try {
      sock = this.o.open(this.o.url(this.model.seq));
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.sock = sock;
    this.setStatus('connecting');
    this.startBeat();
    sock.onopen = () => {
      if (this.sock !== sock) return;
      this.setStatus('online');
      this.heardAt = this.o.heartbeat?.now() ?? 0;
      this.ping();
    };
    sock.onmessage = (ev) => {
      if (this.sock !== sock) return;
      if (this.o.heartbeat) this.heardAt = this.o.heartbeat.now();
      let frame: Frame;
      try {
        frame = JSON.parse(String(ev.data)) as Frame;
      } catch {
        return;
      }
      // A frame received means the server accepted us: reset the backoff only
      // now, not on open, so a server that accepts and drops at once is not hammered.
      this.attempt = 0;
      const r = apply(this.model, frame);
      if (r.kind === 'error') {
        this.o.onError?.(r.error);
        return;
      }
      if (r.kind === 'resync') {
        // Keep showing what we hold, but come back without since: the
        // snapshot is the base deltas apply to.
        this.model = { seq: 0, state: this.model.state };
        this.restart();
        return;
      }
      if (r.model !== this.model) {
        this.model = r.model;
        if (r.kind === 'applied') this.o.onModel(this.model);
        this.o.onEvent?.(frame);
      }
    };
    sock.onerror = () => {
      /* onclose follows */
    };
    sock.onclose = (ev) => {
      if (this.sock !== sock) return;
      this.sock = null;
      if (ev?.code === CloseSignedOut || ev?.code === CloseRemoved) {
        // Signed out or removed: the server will refuse us again; stop.
        this.stopped = true;
        this.stopBeat();
        this.setStatus('ended', ev.reason, ev.code);
        return;
      }
      this.scheduleReconnect(ev?.reason);
    };
  }

  private ping() {
    const hb = this.o.heartbeat;
    if (!hb || !this.sock) return;
    this.pingedAt = hb.now();
    try {
      this.sock.send(JSON.stringify({ type: 'ping', timeout: hb.serverTimeoutS }));
    } catch {
      /* the check below notices */
    }
  }

  private startBeat() {
    const hb = this.o.heartbeat;
    if (!hb) return;
    this.openedAt = this.tickedAt = hb.now();
    if (this.beat === null) this.beat = hb.every(() => this.tick(), hb.tickMs);
  }

  private stopBeat() {
    if (this.beat !== null) this.o.heartbeat?.cancel(this.beat);
    this.beat = null;
  }

  /** The heartbeat's check: ping when due, give up a socket that went silent
   * or never opened. */
  private tick() {
    const hb = this.o.heartbeat!;
    const now = hb.now();
    const late = now - this.tickedAt > 4 * hb.tickMs;
    this.tickedAt = now;
    const s = this.sock;
    if (!s) return;
    if (late) {
      // Timers were held back (the tablet slept, the page was hidden): start
      // counting afresh rather than blame the link.
      this.openedAt = this.heardAt = now;
      if (this.status === 'online') this.ping();
      return;
    }
    if (this.status === 'connecting') {
      if (now - this.openedAt > hb.connectMs) this.giveUp(s, 'connect timeout');
      return;
    }
    if (now - this.heardAt > hb.deadMs) {
      this.giveUp(s, 'heartbeat');
      return;
    }
    if (now - this.pingedAt >= hb.pingMs) this.ping();
  }

  /** Drops a socket that is dead without having closed, and reconnects. */
  private giveUp(s: SocketLike, reason: string) {
    this.sock = null;
    s.onclose = s.onmessage = s.onerror = s.onopen = null;
    try {
      s.close(CloseDead, reason);
    } catch {
      /* already closed */
    }
    this.scheduleReconnect(reason);
  }

  private scheduleReconnect(reason?: string) {
    if (this.stopped) return;
    this.setStatus('offline', reason);
    // "slow" means the server dropped us to protect the room; we are healthy,
    // so come back quickly (still jittered) and resume with since.
    const delay =
      reason === 'slow'
        ? Math.round(this.o.random() * this.o.baseDelay)
        : backoffDelay(this.attempt, this.o.random, this.o.baseDelay, this.o.maxDelay);
    this.attempt++;
    this.timer = this.o.setTimer(() => this.connect(), delay);
  }
}
