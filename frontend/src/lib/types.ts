// Shapes of the API (CONTRACT.md plus the server's documented extensions).

export type Role = 'chair' | 'secretary' | 'delegate' | 'observer';

export interface User {
  id: string;
  username: string;
  displayName: string;
  admin: boolean;
  /** Office (chức vụ), unit (đơn vị) and contact; optional. */
  position?: string;
  unit?: string;
  phone?: string;
  email?: string;
  /** The account cannot sign in (admin). */
  disabled?: boolean;
  /** An admin reset the password: the person must choose a new one first. */
  mustChangePassword?: boolean;
  /** The identity provider's user the account is bound to (its first
   * sign-in through the provider); only that user signs in to it there. */
  externalIssuer?: string;
  externalSubject?: string;
}

export interface Participant {
  userId: string;
  displayName: string;
  role: Role;
  title?: string;
  unit?: string;
}

export interface AgendaItem {
  id: string;
  title: string;
  presenter: string;
  durationMinutes: number;
  documentIds: string[];
}

export interface DocumentInfo {
  id: string;
  name: string;
  size: number;
  sha256: string;
  contentType: string;
  pages: number;
  /** The view tablets load (content?view=1), when the server keeps a page index. */
  viewSize?: number;
  viewSha256?: string;
  /** The office file the PDF is made from (GET .../original). */
  original?: { name: string; size: number; sha256: string; contentType: string };
  /** Set while the PDF is being made, or when it could not be. */
  conversion?: Conversion;
  /** Seen only by its readers and the meeting's chair, secretary and admins. */
  confidential?: boolean;
  readers?: string[];
  /** Tablets draw the viewer's name and the time on every page. */
  watermark?: boolean;
  /** A new version being made from an office file; the document stays as it is until it is ready. */
  replacing?: { blob: string; original: { name: string; size: number; sha256: string; contentType: string }; conversion: Conversion; by?: string };
  /** Replacements: the version (absent: 1) and the versions replaced. */
  version?: number;
  previous?: { version: number; name: string; size: number; sha256: string; pages: number; replacedAt: string }[];
}

export interface Conversion {
  state: 'queued' | 'converting' | 'failed';
  queuedAt: string;
  startedAt?: string;
  attempt?: number;
  /** Expected seconds, for a progress bar drawn from startedAt. */
  estimateSeconds?: number;
  error?: ApiErrorBody;
}

export interface Meeting {
  id: string;
  title: string;
  startsAt: string;
  location: string;
  language: 'vi' | 'en' | string;
  /** The minutes' heading (Decree 30): issuing body, its superior body, place name, number. */
  organization?: string;
  parentOrganization?: string;
  placeName?: string;
  documentNumber?: string;
  /** Counts the set-up's changes; the live 'setup' event carries it. */
  revision?: number;
  cancelledAt?: string;
  cancelReason?: string;
  participants: Participant[];
  agenda: AgendaItem[];
  documents: DocumentInfo[];
  createdAt?: string;
}

/** The fields of the minutes' heading a meeting carries (see Meeting). */
export interface MinutesHeading {
  organization: string;
  parentOrganization: string;
  placeName: string;
  documentNumber: string;
}

export interface Presentation {
  agendaItemId: string;
  documentId: string;
  page: number;
}

export interface Attendance {
  present: string[];
  expected: number;
  quorum: boolean;
  /** How many of `present` are delegates, and how many make a quorum. */
  presentDelegates?: number;
  quorumNeeded?: number;
  /** Check-ins and check-outs the chair or secretary made on someone's behalf. */
  marks?: Record<string, AttendanceMark>;
  /** The seq of the attendance event this is (a snapshot's, or the last one
   * applied): the base the next delta names as its prev. */
  seq?: number;
}

/** An attendance change as a delta (docs/live.md "attendance as deltas"). */
export interface AttendanceDelta {
  in: string[];
  out: string[];
  marks?: Record<string, AttendanceMark>;
  unmarked?: string[];
  prev: number;
  count: number;
  expected: number;
  quorum: boolean;
  presentDelegates?: number;
  quorumNeeded?: number;
}

export interface AttendanceMark {
  present: boolean;
  reason: string;
  by: string;
  at: string;
}

export interface Speakers {
  current: string | null;
  queue: string[];
  /** When `current` got the floor, on the server's clock. */
  since?: string;
}

/** The meeting's course: opened ("khai mạc"), closed ("bế mạc", then
 * read-only) and the time each speech is given (0: no limit). */
export interface Session {
  openedAt?: string;
  closedAt?: string;
  speechLimitSeconds: number;
}

export interface PollResults {
  counts: number[];
  cast: number;
  eligible: number;
  passed: boolean;
  ballots?: { userId: string; option: number; answers?: number[][] }[];
  receipts?: string[];
  /** Ballots for option 0 the majority rule asked for ("cần ít nhất 7/12"). */
  needed?: number;
  /** Ballots with questions: with a mark, without any, not cast. */
  valid?: number;
  blank?: number;
  missing?: number;
  questions?: QuestionResult[];
}

/** Elections (bầu cử), confidence votes (lấy phiếu tín nhiệm), approvals of nominees. */
export type PollKind = 'motion' | 'election' | 'confidence' | 'approval';

export interface Candidate {
  name: string;
  position?: string;
  userId?: string;
  /** Id of a photo uploaded to the meeting. */
  photo?: string;
}

export interface Question {
  title?: string;
  candidates: Candidate[];
  /** Elections: how many may be chosen. */
  seats?: number;
  /** Confidence and approval votes: the scale, highest first. */
  levels?: string[];
}

export interface CandidateResult {
  /** Election: [votes]; otherwise one count per level. */
  counts: number[];
  /** Counts over the eligible, 0..1. */
  shares: number[];
  unmarked?: number;
  outcome?: 'elected' | 'not_elected' | 'tie' | 'approved' | 'not_approved' | 'low_over_half' | 'low_two_thirds' | string;
}

export interface QuestionResult {
  blank: number;
  needed?: number;
  candidates: CandidateResult[];
}

/** A member of a poll's vote-counting committee (ban kiểm phiếu). */
export interface Counter {
  name: string;
  position?: string;
  role: 'head' | 'secretary' | 'member' | string;
}

export interface Photo {
  id: string;
  contentType: string;
  size: number;
  width: number;
  height: number;
}

export type PollState = 'draft' | 'open' | 'closing' | 'closed';

export interface Poll {
  id: string;
  agendaItemId: string;
  title: string;
  options: string[];
  secret: boolean;
  majority: 'simple' | 'absolute' | 'two_thirds' | string;
  state: PollState;
  cast: number;
  eligible: number;
  results?: PollResults | null;
  quorumOverride?: boolean;
  /** Absent for a motion. */
  kind?: PollKind;
  questions?: Question[];
}

export interface LiveState {
  presentation: Presentation | null;
  attendance: Attendance;
  speakers: Speakers;
  polls: Poll[];
  session?: Session;
  /** The server's clock when this state was sent (snapshot or GET /state). */
  time?: string;
  /** The last change to the meeting's set-up (live 'setup'). */
  setup?: SetupChange | null;
  /** The notice on every tablet until the chair or secretary withdraws it (live 'notice'). */
  notice?: Notice | null;
}

/** A short notice from the chair or the secretary to every tablet and the wall. */
export interface Notice {
  /** New for every notice: a tablet remembers the one it dismissed. */
  id: string;
  text: string;
  by: string;
  at: string;
}

/** A change staff made to the meeting's set-up (live 'setup'). */
export interface SetupChange {
  revision: number;
  action: string;
  itemId?: string;
  documentId?: string;
  version?: number;
}

/** An import's plan or outcome, row by row. */
export interface ImportRow {
  row: number;
  username: string;
  displayName?: string;
  position?: string;
  unit?: string;
  role?: string;
  action: 'create' | 'update' | 'unchanged' | 'refused';
  changes?: Record<string, { from: string; to: string }>;
  error?: ApiErrorBody;
  password?: string;
}

export interface ImportResult {
  rows: ImportRow[];
  created: number;
  updated: number;
  unchanged: number;
  refused: number;
  applied: boolean;
}

/** The contract's error object. `reason` names the entry of the error
 * catalogue (errors.json at the repository's root) that translates it. */
export interface ApiErrorBody {
  code: string;
  reason?: string;
  params?: Record<string, string>;
  message: string;
}

export interface MinutesItem {
  agendaItemId: string;
  title: string;
  presenter?: string;
  startedAt?: string | null;
  documents?: string[] | null;
  speakers?: { userId: string; displayName: string; at: string }[] | null;
  polls?:
    | {
        id: string;
        title: string;
        options: string[];
        counts: number[];
        cast: number;
        eligible: number;
        passed: boolean;
        /** Elections, confidence votes, approvals (see Poll). */
        kind?: PollKind;
        questions?: Question[];
        valid?: number;
        blank?: number;
        questionResults?: QuestionResult[];
      }[]
    | null;
  notes: string;
  conclusion: string;
  [k: string]: unknown;
}

export interface Minutes {
  revision: number | string;
  /** The chair's conclusions ("Kết luận của chủ trì"). */
  summary: string;
  /** Guests without an account, one a line. */
  guests?: string;
  attendance?: unknown;
  items: MinutesItem[];
  [k: string]: unknown;
}

export interface MinutesVersion {
  version: number;
  sha256: string;
  size: number;
  renderedBy: string;
  renderedAt: string;
  /** A version the chair approved: rendered from the draft of version `approves`. */
  final?: boolean;
  approves?: number;
  approvedBy?: string;
  approvedAt?: string;
}

// Consultations: opinions on drafts (góp ý dự thảo); api.md "Consultations",
// live.md "Consultations and opinions".

export type ConsultationState = 'open' | 'closed';

export interface Consultation {
  id: string;
  meetingId: string;
  title: string;
  note?: string;
  documentIds: string[];
  /** RFC 3339; opinions are taken while the server's clock is before it. */
  deadline: string;
  /** Minutes before the deadline the reminder is sent (0: none). */
  remindMinutes: number;
  /** true: every addressed participant sees every opinion. */
  open: boolean;
  state: ConsultationState;
  createdAt: string;
  createdBy: string;
  updatedAt?: string;
  closedAt?: string;
  closedBy?: string;
  revision: number;
  /** Delegates asked (those who may read every document). */
  addressed: number;
  /** Delegates who answered; only for the chair, secretary and admins. */
  answered?: number;
  /** The server's clock, in GET .../consultations/{cid} answers. */
  time?: string;
}

export interface ConsultationList {
  /** The server's clock when the list was read. */
  time: string;
  consultations: Consultation[];
}

/** POST body; PATCH takes any of these plus `revision`. */
export interface ConsultationInput {
  title: string;
  note?: string;
  documentIds: string[];
  deadline: string;
  remindMinutes?: number;
  open?: boolean;
  revision?: number;
}

/** A marked passage: fractions of the page's width and height from its top-left corner. */
export interface OpinionRect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Opinion {
  id: string;
  consultationId: string;
  documentId: string;
  /** 1-based page; 0 = the document as a whole. */
  page: number;
  rects?: OpinionRect[];
  quote?: string;
  text: string;
  /** "Agree with the draft, no comment" on the document. */
  agree: boolean;
  authorId: string;
  authorName: string;
  authorTitle?: string;
  createdAt: string;
  updatedAt?: string;
}

/** POST .../opinions: a comment, or { documentId, agree: true }. PUT takes page, rects, quote, text. */
export interface OpinionInput {
  documentId?: string;
  page?: number;
  rects?: OpinionRect[];
  quote?: string;
  text?: string;
  agree?: boolean;
}

export interface ConsultationResponder {
  userId: string;
  displayName: string;
  title: string;
  /** Comments written (agreements not counted). */
  opinions?: number;
  /** Documents the delegate agreed with. */
  agreed?: string[];
  lastAt?: string;
}

export interface ConsultationResponses {
  time: string;
  addressed: number;
  answered: ConsultationResponder[];
  notAnswered: ConsultationResponder[];
}

/** Live frame {"type":"consultation","seq":N,"consultation":ConsultationEvent}. */
export interface ConsultationEvent {
  action: 'opened' | 'changed' | 'closed' | 'reminder';
  /** The server's clock when the event was made. */
  time: string;
  /** With `reminder`: minutes left before the deadline. */
  minutesLeft?: number;
  consultation: Consultation;
}

/** Live frame {"type":"opinion","seq":N,"opinion":OpinionEvent}. */
export interface OpinionEvent {
  action: 'added' | 'changed' | 'withdrawn';
  consultationId: string;
  /** Addressed delegates who have answered after this change. */
  answered: number;
  opinion: Opinion;
}

/** One entry of the audit trail (GET /audit). */
export interface AuditEntry {
  seq: number;
  time: string;
  action: string;
  actor?: string;
  username?: string;
  meeting?: string;
  target?: Record<string, string>;
  address?: string;
  device?: string;
  status?: number;
  details?: Record<string, string>;
  changes?: unknown[];
}

export interface AuditPage {
  log: string;
  entries: number;
  matched: number;
  items: AuditEntry[];
  before?: number;
}

export interface AuditReport {
  log: string;
  entries: number;
  hash: string;
  signed: number;
  problems?: string[];
}
