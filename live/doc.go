// Package live runs the live room of a meeting: what is presented, who is
// present, who speaks, and the polls, pushed to every tablet over one WebSocket.
//
// # Events and seq
//
// Every change is an event of the meeting's single sequence: seq is strictly
// increasing, never handed out twice, shared by all event types and the same on
// every process, because a Broker assigns it (MemoryBroker in one process; a
// NATS JetStream stream per meeting in a cluster). It is gap-free, except that
// MemoryBroker jumps ahead by up to ReserveBlock after a restart or after it
// forgot an idle meeting (it reserves seqs in the journal before using them). Each event belongs to a subject
// ("presentation", "attendance", "speakers", "poll.<pollId>"); the room's state is
// the newest event of every subject. Changes that depend on the state (check-in,
// the speakers' queue, page turns by the presenter) are read-modify-write with
// the subject's seq as an expectation, retried on conflict, so two processes never
// lose each other's changes. Within a process the writers of one subject take
// turns (subjectlock.go), so a check-in wave does not turn into rounds of
// conflicts; the check-ins that wait together are made as one event
// (attendbatch.go).
//
// # Connecting
//
// GET .../live[?since=N] upgrades to a WebSocket once the server has
// authenticated the user and checked they take part in the meeting. Before the
// upgrade: a browser Origin that is neither the request's own host nor in
// Config.AllowedOrigins → 403 {"error":{"code":"forbidden",...}}; a since that is
// not a non-negative integer → 400 invalid_argument; a server shutting down → 503
// unavailable. A request without Origin (not a browser) is allowed.
//
// The first messages are either the events after N, in order, when since=N is
// given, the server still holds all of them and they are within
// Config.ReplayEvents (1,024) and WriteQueueBytes, or else one snapshot (its
// state encoded once per seq and audience, shared by the sockets connecting at
// that seq: see snapshot.go):
//
//	{"type":"snapshot","seq":N,"time":serverTime,"state":{"presentation":{...}|null,
//	  "attendance":{"present":[...],"expected":n,"quorum":bool,...},
//	  "speakers":{"current":userId|null,"queue":[...],"since":time?},"polls":[Poll...],
//	  "session":{"openedAt"?,"closedAt"?,"speechLimitSeconds"}}}
//
// A since in the future also gets a snapshot. The room is subscribed before the
// snapshot or replay is read and later events are de-duplicated by seq, so a
// client never misses a change and never sees one twice.
//
// # Server messages
//
// One JSON object per text frame, each with type and seq:
//
//	{"type":"presentation","seq":N,"presentation":{"agendaItemId","documentId","page"}}
//	{"type":"attendance","seq":N,"attendance":{"present":[...],"expected":n,"quorum":bool}}
//	{"type":"speakers","seq":N,"speakers":{"current":userId|null,"queue":[...],"since":time?}}
//	{"type":"poll","seq":N,"poll":Poll}
//	{"type":"session","seq":N,"session":{"openedAt"?,"closedAt"?,"speechLimitSeconds"}}
//	{"type":"notice","seq":N,"notice":{"id","text","by","at"}|null}   (see notice.go)
//	{"type":"error","error":{"code","message"}}   (answers one client; no seq)
//	{"type":"pong"}                               (answers ping; no seq)
//
// expected is the number of voters (delegates); quorum is true when more than
// half of them are present. Each event's frame is built once per process and the
// same bytes are queued on every client.
//
// A client that connects with ?features=attendanceDelta gets attendance events
// as deltas instead (attendance.go: who came in and went out, the marks made
// and cleared, the counts, and the seq of the attendance event it applies to),
// also encoded once per event; the journal records that delta too.
//
// # Client messages
//
//	{"type":"present","agendaItemId","documentId","page"}  chair; or the presenter
//	    of the item being presented, within that item. Others → error forbidden.
//	    Unknown item or document, or page outside 1..pages → invalid_argument.
//	{"type":"requestToSpeak"}, {"type":"withdraw"}         delegates; others → forbidden
//	    (withdraw also ends the caller's own speech, whatever their role)
//	{"type":"giveFloor","userId"}                          chair; "" ends the speech
//	{"type":"nextSpeaker"}                                 chair; empty queue → conflict
//	{"type":"endSpeech"}                                   chair
//	{"type":"openMeeting"}, {"type":"closeMeeting"}        chair (see session.go)
//	{"type":"setSpeechLimit","seconds"}                    chair; 0 = no limit
//	{"type":"markAttendance","userId","present","reason"}  chair or secretary
//	{"type":"sendNotice","text"}, {"type":"withdrawNotice"} chair or secretary
//	{"type":"ping"}                                        → {"type":"pong"}
//
// Once the chair has closed the meeting, every change but a poll's or a notice's is refused
// with conflict "meeting_closed".
//
// A frame that is not JSON, is binary, or has an unknown type gets an error
// invalid_argument; the connection stays. A refused message broadcasts nothing.
//
// # Limits and close codes
//
//   - Messages per client: MessagesPerSecond (default 10) with Burst (20); over it
//     → error too_many_requests; more than 2×Burst refused within a second → close
//     4029 "too_many_requests".
//   - A client message over ReadLimit (64 KiB) → close 1009 (message too big).
//   - Each client has one writer whose queue is bounded in bytes
//     (WriteQueueBytes, 256 KiB); a client that falls that far behind is closed
//     with 4008 "slow" and should reconnect with since. The room never waits for it.
//   - The server pings every PingInterval (25 s); a client silent for PongTimeout
//     (60 s) is dropped, or after the timeout its heartbeat names
//     ({"type":"ping","timeout":s}, 3..600 s, never above PongTimeout). Every write has WriteTimeout (10 s).
//   - 4001 "unauthenticated": the session was logged out (Hub.CloseSession).
//   - 4003 "forbidden": the user was removed from the meeting (Hub.CloseUser).
//   - 1001 "going away": the server shuts down (Hub.Shutdown).
//   - 1011 "unavailable": the broker could not be reached while connecting.
//
// Clients should reconnect after any close but 4001 and 4003, with since set to
// the last seq they saw.
//
// # Memory
//
// An idle connection holds one reader goroutine and a ping timer, and no queue.
// What is queued for a connection is written by the hub's flushers (as many
// goroutines as GOMAXPROCS, for all connections), each queue in one
// non-blocking write; only a connection whose socket is full, or that closes,
// gets a writer goroutine of its own while it lasts. The write buffer comes
// from a pool. By default ServeWS runs the reader on the
// handler's goroutine, which keeps net/http's per-request buffers (about 10 KiB)
// and the handler's stack alive: about 22 KiB of RSS per idle socket at 5,000
// sockets. With Config.ReturnAfterUpgrade the handler returns after the upgrade
// and the reader runs on a fresh goroutine with a 1 KiB read buffer: about
// 10 KiB per idle socket (BenchmarkIdleSocketMemory).
package live
