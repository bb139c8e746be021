// The state of one meeting room screen: the meeting, the live model, and the
// actions every panel shares (send over the socket, REST when offline).

import { LiveConnection, CloseRemoved, browserHeartbeat, emptyModel, liveFeatures, liveURL, mergePolls, upsertPoll, type Model, type Status, type SocketLike } from './live';
import { api, documentURL, enc, get, post, put, ApiError } from './api';
import type { Meeting, Poll, Presentation, Role, LiveState, DocumentInfo, Session, Notice } from './types';
import { app, errorText } from './app.svelte';
import { translate } from './i18n';
import { ballotFor, ballotsKey, loadBallots, saveBallots, type Ballots } from './tablet';
import { ConsultStore } from './consult.svelte';

export class RoomCtx {
  mid: string;
  meeting = $state.raw<Meeting | null>(null);
  loadError = $state('');
  model = $state.raw<Model>(emptyModel);
  // 'connecting' until the socket says otherwise, so no offline banner flashes at load.
  status = $state<Status>('connecting');
  /** When the room's connection was lost (ms), null while connected. */
  offlineSince = $state<number | null>(null);
  private wasOffline = false;
  attempt = $state(0);
  /** Last error answered by the server to one of our socket messages. */
  lastError = $state('');
  restPolls = $state.raw<Poll[]>([]);
  /** A poll that just closed, to show its result on every screen. */
  justClosed = $state.raw<Poll | null>(null);
  /** The presenter's own page turns, shown before the server echoes them. */
  optimistic = $state.raw<Presentation | null>(null);
  /** This tablet's ballots (see tablet.ts for what of them is kept). */
  ballots = $state<Ballots>({});
  /** Poll whose ballot dialog the delegate closed for now. */
  dismissedVote = $state<string | null>(null);
  /** The server's clock minus this tablet's (ms), from the last snapshot or
   * GET /state: speeches are timed from the server's start time. */
  clockOffset = $state(0);
  /** The id of the notice dismissed on this tablet. */
  dismissedNotice = $state<string | null>(null);
  private clockFrom = '';
  private conn: LiveConnection;
  private optimisticTimer: ReturnType<typeof setTimeout> | null = null;
  private onOnline = () => this.conn.kick();
  // A tablet waking up may hold a socket that died silently: compare with the
  // server's seq and, if we are behind, take its state and resume from there.
  private onVisible = () => {
    if (document.visibilityState !== 'visible') return;
    get<LiveState & { seq: number }>(`/meetings/${enc(this.mid)}/state`)
      .then((s) => {
        if ((s.seq ?? 0) > this.model.seq) {
          this.conn.seed(s, s.seq);
          this.conn.restart();
        }
      })
      .catch(() => this.conn.kick());
  };

  /** The consultations on drafts and their opinions (consult.svelte.ts). */
  consult: ConsultStore;

  constructor(mid: string) {
    this.mid = mid;
    this.consult = new ConsultStore(mid, () => this.isChair || this.isSecretary);
    this.conn = new LiveConnection({
      url: (since) => liveURL(location.origin, mid, since, liveFeatures),
      open: (u) => new WebSocket(u) as unknown as SocketLike,
      heartbeat: browserHeartbeat(),
      onModel: (m) => this.setModel(m),
      onStatus: (s, info) => {
        this.status = s;
        this.attempt = info.attempt;
        if (s === 'online') {
          this.offlineSince = null;
          if (this.wasOffline) this.revalidate();
          this.wasOffline = false;
        } else if (s === 'offline' || info.attempt > 0) {
          this.offlineSince ??= Date.now();
          this.wasOffline = true;
        }
        // Repeated failures may mean the session ended: /me answers 401 then,
        // and the api module sends the user to sign-in.
        if (s === 'offline' && info.attempt >= 2) get('/me').catch(() => {});
        // Signed out elsewhere (4001): /me answers 401 and sends the user to
        // sign-in. Removed from the meeting (4003): it is no longer theirs.
        if (s === 'ended') {
          if (info.closeCode === CloseRemoved) this.loadError = 'notFound';
          else get('/me').catch(() => {});
        }
      },
      onError: (e) => {
        this.lastError = errorText(e);
        this.optimistic = null;
      },
      onEvent: (f) => {
        if (f.type === 'document' && f.document) this.documentChanged(f.document);
        this.consult.onFrame(f);
      },
    });
  }

  get state(): LiveState | null {
    return this.model.state;
  }

  get role(): Role | null {
    const me = app.me;
    if (!me || !this.meeting) return null;
    return this.meeting.participants.find((p) => p.userId === me.id)?.role ?? null;
  }

  get isChair() {
    return this.role === 'chair';
  }
  get isSecretary() {
    return this.role === 'secretary';
  }
  get isDelegate() {
    return this.role === 'delegate';
  }

  get session(): Session {
    return this.state?.session ?? { speechLimitSeconds: 0 };
  }

  /** The chair closed the meeting: the room is read-only apart from the minutes. */
  get closed(): boolean {
    return !!this.session.closedAt;
  }

  /** The chair, or the presenter of the item being presented, turns pages. */
  get canPresent(): boolean {
    if (this.closed) return false;
    if (this.isChair) return true;
    const pres = this.state?.presentation;
    if (!pres || !this.meeting || !app.me) return false;
    const item = this.meeting.agenda.find((i) => i.id === pres.agendaItemId);
    return !!item && item.presenter === app.me.id;
  }

  /** Where the presenter is (with our own unconfirmed turns applied). */
  get presentation(): Presentation | null {
    return this.optimistic ?? this.state?.presentation ?? null;
  }

  get polls(): Poll[] {
    return mergePolls(this.restPolls, this.state?.polls ?? []);
  }

  /** The delegates (the voters), in the meeting's order. */
  get delegateIds(): string[] {
    return this.meeting?.participants.filter((p) => p.role === 'delegate').map((p) => p.userId) ?? [];
  }

  userName(id: string | null | undefined): string {
    if (!id) return '';
    return this.meeting?.participants.find((p) => p.userId === id)?.displayName ?? id;
  }

  doc(did: string | undefined | null): DocumentInfo | undefined {
    return this.meeting?.documents.find((d) => d.id === did);
  }

  /** The document URL carries a digest prefix so a cached copy can never be stale. */
  docUrl(did: string | undefined | null): string | null {
    const d = this.doc(did);
    if (!d || d.conversion) return null; // its PDF is not made yet
    // view=1: the document with its page index, which opens a large scan in a
    // few range requests; v= changes with the bytes, so cached copies never go stale.
    const v = d.viewSha256 || d.sha256;
    return documentURL(this.mid, d.id) + '?view=1' + (v ? `&v=${v.slice(0, 16)}` : '');
  }

  async start() {
    window.addEventListener('online', this.onOnline);
    document.addEventListener('visibilitychange', this.onVisible);
    this.loadBallots();
    try {
      this.dismissedNotice = localStorage.getItem(this.noticeKey());
    } catch {
      /* storage blocked */
    }
    for (;;) {
      try {
        this.meeting = await get<Meeting>(`/meetings/${enc(this.mid)}`);
        this.loadError = '';
        break;
      } catch (e) {
        this.loadError = e instanceof ApiError && e.status === 404 ? 'notFound' : errorText(e);
        // No network and no offline copy yet: try again until it comes back.
        if (!(e instanceof ApiError && e.status === 0) || this.stopped) return;
        await new Promise((r) => setTimeout(r, 3000));
        if (this.stopped) return;
      }
    }
    this.conn.start();
    get<LiveState & { seq: number }>(`/meetings/${enc(this.mid)}/state`)
      .then((s) => this.conn.seed(s, s.seq ?? 0))
      .catch(() => {});
    this.refreshPolls();
    void this.consult.load();
    // The documents are cached in the background only once the first page is on
    // screen (or after a while when nothing is presented), so the whole-file
    // downloads do not compete with pdf.js's range requests for that page.
    this.prefetchTimer = setTimeout(() => this.pagePainted(), 8000);
  }

  private prefetchTimer: ReturnType<typeof setTimeout> | undefined;
  private prefetched = false;

  /** Called when the viewer has painted a page. */
  pagePainted() {
    if (this.prefetched) return;
    this.prefetched = true;
    clearTimeout(this.prefetchTimer);
    this.prefetchDocuments();
  }

  private stopped = false;

  stop() {
    this.stopped = true;
    clearTimeout(this.prefetchTimer);
    clearTimeout(this.keepTimer);
    window.removeEventListener('online', this.onOnline);
    document.removeEventListener('visibilitychange', this.onVisible);
    this.conn.stop();
  }

  /** Back online: what this tablet showed may come from its offline copy (a
   * reload without network) or be stale, so check the session (a 401 sends the
   * user to sign-in), and take the meeting and polls afresh. The room's events
   * themselves resume with since. */
  private revalidate() {
    get('/me').catch(() => {});
    this.reloadMeeting().catch(() => {});
    void this.refreshPolls();
  }

  async refreshPolls() {
    try {
      this.restPolls = (await get<Poll[]>(`/meetings/${enc(this.mid)}/polls`)) ?? [];
    } catch {
      /* the live state still lists open and closed polls */
    }
  }

  async reloadMeeting() {
    this.meeting = await get<Meeting>(`/meetings/${enc(this.mid)}`);
    this.prefetchDocuments();
  }

  /** A document was added or changed (its conversion moved on, it is ready),
   * or is gone for this participant: the meeting's list follows. */
  private documentChanged(d: DocumentInfo | { id: string; gone: true }) {
    const m = this.meeting;
    if (!m) return;
    const rest = m.documents.filter((x) => x.id !== d.id);
    if ('gone' in d) {
      this.meeting = { ...m, documents: rest, agenda: m.agenda.map((i) => ({ ...i, documentIds: i.documentIds.filter((x) => x !== d.id) })) };
      return;
    }
    const i = m.documents.findIndex((x) => x.id === d.id);
    const docs = [...m.documents];
    if (i >= 0) docs[i] = d;
    else docs.push(d);
    this.meeting = { ...m, documents: docs };
    if (!d.conversion) this.prefetchDocuments();
  }

  private setupReload: Promise<void> | null = null;
  /** The set-up revision last reloaded for, so one change reloads once. */
  private setupSeen = 0;
  private noticeTimer: ReturnType<typeof setTimeout> | undefined;
  /** A short note about a set-up change ("the document was updated"). */
  notice = $state('');

  /** Reloads the meeting's set-up once, however many events ask for it meanwhile. */
  private refreshSetup() {
    if (this.setupReload) return;
    this.setupReload = this.reloadMeeting()
      .catch(() => {})
      .finally(() => (this.setupReload = null));
  }

  private prefetchDocuments() {
    const m = this.meeting;
    if (!m || !('serviceWorker' in navigator)) return;
    const cur = this.state?.presentation?.documentId;
    const ids = [...m.documents.map((d) => d.id)].sort((a, b) => (a === cur ? -1 : b === cur ? 1 : 0));
    const urls = ids.map((id) => this.docUrl(id)).filter((u): u is string => !!u);
    navigator.serviceWorker.ready
      .then((reg) => reg.active?.postMessage({ type: 'prefetch', urls }))
      .catch(() => {});
  }

  private keepTimer: ReturnType<typeof setTimeout> | undefined;

  /** Hands the room's state to the service worker's offline copy (a second
   * moment after the last change), so a reload without network shows the meeting
   * where it was. */
  private keepState() {
    if (this.keepTimer || !('serviceWorker' in navigator)) return;
    this.keepTimer = setTimeout(() => {
      this.keepTimer = undefined;
      const { seq, state } = this.model;
      if (!state) return;
      navigator.serviceWorker.controller?.postMessage({ type: 'keep', url: `/api/v1/meetings/${enc(this.mid)}/state`, body: { ...state, seq } });
    }, 300);
  }

  private setModel(m: Model) {
    const prev = this.model.state?.polls ?? [];
    this.model = m;
    this.keepState();
    for (const p of m.state?.polls ?? []) {
      const before = prev.find((x) => x.id === p.id);
      if (p.state === 'closed' && before && before.state !== 'closed') this.justClosed = p;
      // A new ballot opens: the last result gives way, it must never hide it.
      if (p.state === 'open' && before?.state !== 'open' && this.justClosed?.id !== p.id) this.justClosed = null;
    }
    const time = m.state?.time;
    if (time && time !== this.clockFrom) {
      this.clockFrom = time;
      const t = Date.parse(time);
      if (Number.isFinite(t)) this.clockOffset = t - Date.now();
    }
    const o = this.optimistic,
      pres = m.state?.presentation;
    // Staff may add a document or an item during the meeting: a presentation that
    // names one this tablet has not seen means its copy of the set-up is stale.
    const mt = this.meeting;
    if (pres && mt && (!mt.documents.some((d) => d.id === pres.documentId) || !mt.agenda.some((i) => i.id === pres.agendaItemId))) {
      this.refreshSetup();
    }
    // Staff changed the set-up (live 'setup', or a snapshot that says so):
    // a newer revision than ours is reloaded; a replaced document then has a
    // new hash, so the viewer loads its new bytes.
    const su = m.state?.setup;
    if (su && mt && su.revision > (mt.revision ?? 0) && su.revision !== this.setupSeen) {
      this.setupSeen = su.revision;
      this.refreshSetup();
      const d = su.documentId ? mt.documents.find((x) => x.id === su.documentId) : undefined;
      if (su.action === 'document.replaced' && d) this.notice = translate(app.lang, 'documentUpdated', { name: d.name });
      else if (su.action.startsWith('agenda.')) this.notice = translate(app.lang, 'setupUpdated');
      if (this.notice) {
        clearTimeout(this.noticeTimer);
        this.noticeTimer = setTimeout(() => (this.notice = ''), 8000);
      }
    }
    if (o && pres && o.documentId === pres.documentId && o.page === pres.page && o.agendaItemId === pres.agendaItemId) {
      this.optimistic = null;
    }
  }

  /** Sends over the socket, or runs the REST equivalent when offline. */
  async act(msg: object, rest: () => Promise<unknown>) {
    this.lastError = '';
    if (this.conn.send(msg)) return;
    try {
      await rest();
    } catch (e) {
      this.lastError = errorText(e);
    }
  }

  present(p: Presentation) {
    this.optimistic = p;
    if (this.optimisticTimer) clearTimeout(this.optimisticTimer);
    // If the server never confirms (refused, lost), fall back to its truth.
    this.optimisticTimer = setTimeout(() => (this.optimistic = null), 4000);
    void this.act({ type: 'present', ...p }, () => put(`/meetings/${enc(this.mid)}/presentation`, p));
  }

  speakers(action: 'request' | 'withdraw' | 'next' | 'floor' | 'end', userId?: string) {
    const msg =
      action === 'request'
        ? { type: 'requestToSpeak' }
        : action === 'withdraw'
          ? { type: 'withdraw' }
          : action === 'next'
            ? { type: 'nextSpeaker' }
            : action === 'end'
              ? { type: 'endSpeech' }
              : { type: 'giveFloor', userId };
    void this.act(msg, () => post(`/meetings/${enc(this.mid)}/speakers`, { action, userId }));
  }

  /** The chair opens or closes the meeting, or sets the time per speech. */
  sessionAction(action: 'open' | 'close' | 'speechLimit', speechLimitSeconds = 0) {
    const msg =
      action === 'open'
        ? { type: 'openMeeting' }
        : action === 'close'
          ? { type: 'closeMeeting' }
          : { type: 'setSpeechLimit', seconds: speechLimitSeconds };
    void this.act(msg, () => post(`/meetings/${enc(this.mid)}/session`, { action, speechLimitSeconds }));
  }

  /** The chair or secretary puts a notice on every tablet and the wall. */
  sendNotice(text: string) {
    void this.act({ type: 'sendNotice', text }, () => post(`/meetings/${enc(this.mid)}/notice`, { text }));
  }

  /** The chair or secretary takes the notice off every tablet. */
  withdrawNotice() {
    void this.act({ type: 'withdrawNotice' }, () => api('DELETE', `/meetings/${enc(this.mid)}/notice`));
  }

  /** The notice this tablet shows: the room's, unless dismissed here. */
  get shownNotice(): Notice | null {
    const n = this.state?.notice;
    return n && n.id !== this.dismissedNotice ? n : null;
  }

  /** Hides the current notice on this tablet only (remembered across reloads). */
  dismissNotice() {
    const n = this.state?.notice;
    if (!n) return;
    this.dismissedNotice = n.id;
    try {
      localStorage.setItem(this.noticeKey(), n.id);
    } catch {
      /* storage blocked: hidden until the next reload */
    }
  }

  private noticeKey() {
    return `phonghop.notice.${this.mid}`;
  }

  /** The chair or secretary checks someone in or out on their behalf. */
  markAttendance(userId: string, present: boolean, reason: string) {
    void this.act({ type: 'markAttendance', userId, present, reason }, () =>
      put(`/meetings/${enc(this.mid)}/attendance/${enc(userId)}`, { present, reason }),
    );
  }

  async checkIn(on: boolean) {
    this.lastError = '';
    try {
      await api(on ? 'POST' : 'DELETE', `/meetings/${enc(this.mid)}/attendance`);
    } catch (e) {
      this.lastError = errorText(e);
    }
  }

  private ballotsKey() {
    return ballotsKey(app.me?.id ?? '', this.mid);
  }

  loadBallots() {
    try {
      this.ballots = loadBallots(localStorage, this.ballotsKey());
    } catch {
      this.ballots = {}; // storage blocked
    }
  }

  recordBallot(p: Poll, option: number | null, receipt: string) {
    // On screen for this visit; stored without anything of a secret choice.
    this.ballots[p.id] = ballotFor(p, option, receipt);
    try {
      saveBallots(localStorage, this.ballotsKey(), this.ballots, (id) => this.polls.find((x) => x.id === id));
    } catch {
      /* storage blocked: the receipt is still on screen */
    }
  }

  rememberPoll(p: Poll) {
    this.restPolls = upsertPoll(this.restPolls, p);
  }
}
