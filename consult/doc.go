// Package consult holds the consultations on drafts (góp ý dự thảo): the
// chair or the secretary asks for opinions on some of a meeting's documents
// until a deadline; delegates write opinions anchored to a page (optionally a
// marked passage) or to a whole document, or agree with the draft without
// comment; the secretariat sees them all and compiles the summary report
// ("Báo cáo tổng hợp ý kiến góp ý", summary.go) in the minutes' form.
//
// In the store:
//
//	meetings/{mid}/consultations/{cid}.json    the consultation (compare-and-swap)
//	meetings/{mid}/opinions/{cid}/{uid}.json   one delegate's opinions on it (compare-and-swap),
//	                                           "{}" once they withdrew every one
//	consultations/pending/{mid}/{cid}.json     a consultation whose deadline event is not sent yet
//	consultations/sent/{mid}/{cid}/{what}.json create-only claims: the reminder and the
//	                                           deadline's close are sent once, by one process
//
// One object per delegate keeps each delegate's edits apart (two tablets of
// one delegate meet in compare-and-swap; two delegates never contend), and
// lets "who answered" be read from a listing: an object larger than "{}".
//
// Who sees what: a consultation is addressed to the participants who may read
// every one of its documents (confidential ones have readers); anyone else
// gets not_found for it and no live event of it. A delegate sees their own
// opinions only, unless the consultation is open; the chair, the secretary
// and admins see every opinion. Time is the server's: a write at or after the
// deadline is refused whatever the tablet's clock says.
package consult
