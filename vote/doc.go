// Package vote runs the polls of a meeting: drafts, opening (with the quorum
// check), ballots, closing, tallies and majority rules. Everything is kept in the
// object store, and the rules hold with any number of processes on one bucket and
// no other coordination.
//
// # Objects
//
//	meetings/{mid}/polls/index.json              poll ids in creation order
//	meetings/{mid}/polls/{pid}/poll.json         the poll record (compare-and-swap)
//	meetings/{mid}/polls/{pid}/secret.json       HMAC key and voter roll; exists only while the poll is open
//	meetings/{mid}/polls/{pid}/ballots/{k}.json  one create-only object per voter
//	meetings/{mid}/polls/{pid}/turnout/{p}.json  ballots acknowledged by process p
//	meetings/{mid}/polls/{pid}/committee.json    the vote-counting committee (any state; plain put)
//	meetings/{mid}/photos/{id}                   a candidate's photo (create-only, fresh id)
//	polls/closing/{mid}/{pid}.json               marker: a close began and is not seen through
//
// k is hex HMAC-SHA256(poll secret, userId) for every poll, so a second ballot
// from the same delegate collides on the key whichever process takes it (the
// store's If-None-Match: * / create-only write is the guard against doubles).
//
// # Order between ballots and the close
//
// There is no lock across processes; the poll record orders things. Close first
// writes a marker (polls/closing/...), swaps the record from "open" to
// "closing" (StateClosing: published to the live room at once, so tablets stop
// offering the ballot; treat it as closed without results yet), deletes the
// secret, then lists the ballots, tallies them and swaps "closing" to "closed"
// with the results, and removes the marker. The listing is the instant of the
// close: exactly the ballots written before it are counted.
//
// # A close cut short
//
// A process may die (kill -9) after any of those writes. "closed" is written
// only once the secret is deleted, so a closed poll never leaves the key
// behind. A poll left "closing" is finished (same listing, same tally; only one
// swap to "closed" wins) by: Recover at the next start, which reads the
// markers; any process that loads the poll (Get, List start a helper that
// waits closeHelp for a live closer, then finishes it); a caster waiting for
// the result; the chair's next Close. Loading a closed poll also removes, once
// per process, a marker or a secret left behind (the latter by versions that
// deleted the secret last).
//
// Cast writes the ballot create-only and then reads the poll record again:
//   - still "open": the close's swap to "closing", hence its listing, comes after
//     the ballot was written; with the store's strong list-after-write consistency
//     the ballot is listed and counted, so it is acknowledged (201).
//   - "closing" or "closed": the caster waits for "closed" and acknowledges only
//     when the ballot's receipt hash is among the counted ones (results.receipts);
//     otherwise it deletes its ballot and answers 409. A close that stays in
//     "closing" (its process died) is finished by the waiting caster or by any
//     later Close, which redo the listing; only one swap to "closed" wins.
//
// So every acknowledged ballot is counted and every refused one is not. A ballot
// whose caster failed in between (a store error, a crash) may be counted without
// having been acknowledged; the voter then learns of it from a 409 on retry and
// can check the receipt list.
//
// # Receipts
//
// The voter gets a random 128-bit token (hex). The ballot stores only its
// SHA-256; the results publish the sorted SHA-256 of every counted ballot
// (PollResults.Receipts), so voters check that sha256(token) is listed. The token
// carries no option, so it reveals no choice; the sorted list reveals no order.
// Live events leave the list out (it grows with the voters and would reach every
// tablet); a tablet asks ReceiptCounted about its own hash.
//
// # Secret polls
//
// A secret ballot object holds only the option and the receipt hash: no userId.
// Its key is an HMAC of the userId under the poll secret, which is created at
// open and deleted as the close begins (before the tally is written, by
// whoever finishes the close; a retried Close deletes it too). Errors that
// name a ballot key are rewritten without it ("[ballot]") before they reach a
// log line that may carry the caller's userId.
//
// # Voter roll
//
// Who may vote is fixed when the poll opens: secret.json holds, beside the key,
// the HMACs of the delegates of that moment (the roll), and Poll.Eligible is
// its size. A delegate added later gets 403 vote_not_on_roll, so cast never
// exceeds eligible; one no longer a delegate gets vote_delegates_only. The roll
// goes with the key at close, so it names nobody afterwards. Concurrent opens
// keep the first secret and its roll. While the poll is open, whoever can read the bucket (operators, the
// server processes) can recompute the HMAC of every delegate and so join voters to
// ballots; after close nothing stored does. Each process caches the secret in
// memory while it takes ballots and drops it when it sees the poll close, or at
// the latest a minute after loading it (then it reloads it only if the poll is
// still open).
// Who voted: the close that fixes the result tells the Voters hook (the audit
// trail's one entry per poll) which delegates' ballot keys its listing holds,
// computed in memory with the key read just before it is deleted; nothing
// records when anyone voted.
// Results of secret polls carry no ballots; nothing is logged with a userId and an
// option together. Known remaining links, outside this package's reach: object
// modification times (and S3/proxy access logs) can join a ballot object to the
// time of a request by a known tablet; a voter who hands their receipt token to
// someone who can read the bucket lets them find the ballot and its option.
//
// # Turnout
//
// Poll.Cast while the poll is open is a sharded counter: each process counts the
// ballots it acknowledged into its own object (one writer, no contention) at
// most once per TurnoutInterval per poll, sums the shards, raises the record's
// Cast with compare-and-swap (only upwards) and publishes the poll when it rose.
// Acknowledged ballots are always counted, so turnout never exceeds the tally;
// the closed poll's Cast is the tally's.
//
// # Cost per ballot
//
// One create-only PUT, plus a share of two reads: each process loads a poll's
// definition and secret once (then caches them while the poll is open), and
// the post-write reads of the poll record are batched, one GET in flight per
// poll per process, each caster joining a read that starts after its write
// ended (which is all the ordering argument needs).
//
// # Ballots with questions
//
// Elections (bầu cử), confidence votes (lấy phiếu tín nhiệm) and approvals of
// a list of nominees put one or more questions, each listing candidates
// (name, position, optional photo), on one ballot. A delegate's ballot is one
// object holding every answer (Cast with answers), written, keyed, ordered
// against the close and receipted exactly like a motion's, so it is counted
// whole or not at all. A motion is the one-question case: its ballot holds
// the option, and [[option]] is accepted as its answers.
//
// One answer per question:
//   - election: the chosen candidates' indexes, at most Seats (the chair sets
//     it; default 1), each once; none is a blank answer. More is refused
//     (ballot_too_many_choices), never cut down.
//   - confidence, approval: one level index per candidate, NoMark (-1) for
//     one left unmarked; [] leaves the whole question blank. The levels are
//     the question's scale, highest first: by default Tín nhiệm cao / Tín
//     nhiệm / Tín nhiệm thấp, and Đồng ý / Không đồng ý / Không ý kiến (in
//     English in a meeting held in English).
//
// Such a poll is secret unless created with secret false. Its results count
// the ballots Valid (at least one mark), Blank (none) and Missing (not cast:
// eligible - cast), and per question its blank answers and, per candidate,
// the counts, their shares of the eligible (all delegates on the roll, as the
// law reports them) and an outcome:
//   - election: a candidate needs Needed votes: the poll's majority, by default
//     absolute (more than half of the eligible); two_thirds (at least two
//     thirds of them); simple (more than half of the ballots cast). Those who
//     reach it are elected, most votes first, up to Seats; candidates tied for
//     the last seats, more of them than seats left, are a "tie" and none of
//     them is elected (the council votes again among them).
//   - approval: approved when "yes" (level 0) reaches Needed, by the same rule.
//   - confidence: no rule; low_over_half when the lowest level comes from more
//     than half of the eligible, low_two_thirds from at least two thirds
//     (Resolution 96/2023/QH15's thresholds).
//
// A named ballot with questions lists its answers in results.ballots.
//
// # Majority
//
// Option 0 is the motion ("yes").
//   - simple: with the default options (Đồng ý / Không đồng ý / Không ý kiến,
//     or In favour / Against / Abstain in a meeting held in English), yes > no,
//     abstentions ignored; with custom options, option 0 gets strictly more
//     ballots than every other option.
//   - absolute: yes*2 > eligible (eligible = delegates when the poll opened).
//   - two_thirds: yes*3 >= eligible*2.
//
// A closed poll's results carry Needed, the ballots for option 0 the rule asked
// for (7 of 12 delegates under the absolute rule; one more than "no" under the
// simple rule), so a result can say what it was measured against.
package vote
