// The consultations on drafts (góp ý dự thảo) of one meeting room: the list,
// the opinions this screen may see (a delegate's own, or all for the
// secretariat), who has answered, kept current by the live 'consultation' and
// 'opinion' events and reloaded after every snapshot (api.md "Consultations").

import { enc, get, post, put, del } from './api';
import { errorText } from './app.svelte';
import type { Frame } from './live';
import type { Consultation, ConsultationEvent, ConsultationInput, ConsultationList, ConsultationResponses, Opinion, OpinionEvent, OpinionInput } from './types';
import { applyOpinion, secondsLeft } from './consult';


export class ConsultStore {
  consultations = $state.raw<Consultation[]>([]);
  /** Opinions by consultation id. */
  opinions = $state.raw<Record<string, Opinion[]>>({});
  responses = $state.raw<Record<string, ConsultationResponses>>({});
  /** The server's clock minus this tablet's (ms). */
  clockOffset = $state(0);
  /** The last reminder for this tablet: the consultation and minutes left. */
  reminder = $state.raw<{ id: string; title: string; minutesLeft: number } | null>(null);
  /** A consultation opened while this tablet was in the room: said once, as a
   * banner (a delegate saw only a new tab appear). */
  announced = $state.raw<{ id: string; title: string } | null>(null);
  error = $state('');
  private mid: string;
  private staff: () => boolean;

  constructor(mid: string, staff: () => boolean) {
    this.mid = mid;
    this.staff = staff;
  }

  private path(cid = '') {
    return `/meetings/${enc(this.mid)}/consultations${cid ? '/' + enc(cid) : ''}`;
  }

  get open(): Consultation[] {
    return this.consultations.filter((c) => this.isOpen(c));
  }

  /** Open by the server's clock, not only by the state it was read in. */
  isOpen(c: Consultation): boolean {
    return c.state === 'open' && secondsLeft(c.deadline, Date.now(), this.clockOffset) > 0;
  }

  /** The open consultations asking about a document. */
  on(documentId: string | null | undefined): Consultation[] {
    return documentId ? this.open.filter((c) => c.documentIds.includes(documentId)) : [];
  }

  async load() {
    try {
      const l = await get<ConsultationList>(this.path());
      this.clockOffset = new Date(l.time).getTime() - Date.now();
      this.consultations = l.consultations ?? [];
      await Promise.all(this.consultations.map((c) => this.loadOpinions(c.id)));
      this.error = '';
    } catch (e) {
      this.error = errorText(e);
    }
  }

  async loadOpinions(cid: string) {
    const r = await get<{ opinions: Opinion[] }>(`${this.path(cid)}/opinions`);
    this.opinions = { ...this.opinions, [cid]: r.opinions ?? [] };
    if (this.staff()) {
      const res = await get<ConsultationResponses>(`${this.path(cid)}/responses`);
      this.responses = { ...this.responses, [cid]: res };
    }
  }

  /** Live frames: a snapshot reloads everything, the two events apply on top. */
  onFrame(f: Frame & { consultation?: ConsultationEvent; opinion?: OpinionEvent }) {
    if (f.type === 'snapshot') {
      void this.load();
    } else if (f.type === 'consultation' && f.consultation?.consultation) {
      const ev = f.consultation;
      this.clockOffset = new Date(ev.time).getTime() - Date.now();
      const c = ev.consultation;
      const i = this.consultations.findIndex((x) => x.id === c.id);
      const keep = i >= 0 ? this.consultations[i].answered : undefined;
      const next = { ...c, answered: c.answered ?? keep };
      this.consultations = i >= 0 ? this.consultations.map((x, j) => (j === i ? next : x)) : [...this.consultations, next];
      if (ev.action === 'reminder') this.reminder = { id: c.id, title: c.title, minutesLeft: ev.minutesLeft ?? 0 };
      if (ev.action === 'opened' && !this.opinions[c.id]) void this.loadOpinions(c.id).catch(() => {});
      if (ev.action === 'opened') this.announced = { id: c.id, title: c.title };
      if (ev.action === 'closed' && this.announced?.id === c.id) this.announced = null;
    } else if (f.type === 'opinion' && f.opinion?.opinion) {
      const ev = f.opinion;
      this.opinions = { ...this.opinions, [ev.consultationId]: applyOpinion(this.opinions[ev.consultationId] ?? [], ev) };
      this.consultations = this.consultations.map((c) => (c.id === ev.consultationId ? { ...c, answered: ev.answered } : c));
      // Who has answered changes with the first and the last opinion of someone.
      if (this.staff()) void this.loadResponses(ev.consultationId);
    }
  }

  private responsesTimer: Record<string, ReturnType<typeof setTimeout>> = {};
  /** Reloads who has answered, at most once a second per consultation. */
  private loadResponses(cid: string) {
    if (this.responsesTimer[cid]) return;
    this.responsesTimer[cid] = setTimeout(async () => {
      delete this.responsesTimer[cid];
      try {
        const res = await get<ConsultationResponses>(`${this.path(cid)}/responses`);
        this.responses = { ...this.responses, [cid]: res };
      } catch {
        /* the next event or snapshot tries again */
      }
    }, 1000);
  }

  private upsert(c: Consultation) {
    const i = this.consultations.findIndex((x) => x.id === c.id);
    this.consultations = i >= 0 ? this.consultations.map((x, j) => (j === i ? c : x)) : [...this.consultations, c];
  }

  private mine(cid: string, fn: (l: Opinion[]) => Opinion[]) {
    this.opinions = { ...this.opinions, [cid]: fn(this.opinions[cid] ?? []) };
  }

  // The actions throw the ApiError; the caller shows errorText(e) where it was asked.
  async create(input: ConsultationInput) {
    const c = await post<Consultation>(this.path(), input);
    this.upsert(c);
    if (!this.opinions[c.id]) await this.loadOpinions(c.id).catch(() => {});
    return c;
  }

  async close(cid: string) {
    this.upsert(await post<Consultation>(`${this.path(cid)}/close`));
  }

  async addOpinion(cid: string, input: OpinionInput) {
    const o = await post<Opinion>(`${this.path(cid)}/opinions`, input);
    this.mine(cid, (l) => applyOpinion(l, { action: 'added', opinion: o }));
    return o;
  }

  async editOpinion(cid: string, oid: string, input: OpinionInput) {
    const o = await put<Opinion>(`${this.path(cid)}/opinions/${enc(oid)}`, input);
    this.mine(cid, (l) => applyOpinion(l, { action: 'changed', opinion: o }));
  }

  async withdrawOpinion(cid: string, o: Opinion) {
    await del(`${this.path(cid)}/opinions/${enc(o.id)}`);
    this.mine(cid, (l) => applyOpinion(l, { action: 'withdrawn', opinion: o }));
  }

  summaryURL(cid: string, kind: 'pdf' | 'docx') {
    return `/api/v1${this.path(cid)}/summary.${kind}`;
  }
}

