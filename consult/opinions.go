package consult

import (
	"context"
	"errors"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/storage"
)

// writable loads the consultation for a delegate's write: addressed to
// them, a delegate, and still open by the server's clock.
func (s *Service) writable(ctx context.Context, m *phonghop.Meeting, by phonghop.User, cid string) (Consultation, phonghop.Participant, error) {
	c, _, err := s.load(ctx, m, by, cid)
	if err != nil {
		return c, phonghop.Participant{}, err
	}
	p, ok := m.Participant(by.ID)
	if !ok || p.Role != phonghop.RoleDelegate {
		return c, p, phonghop.Fail(phonghop.EForbidden, "opinion_delegates_only")
	}
	if c.closed(s.now()) {
		return c, p, phonghop.Fail(phonghop.EConflict, "consultation_closed")
	}
	return c, p, nil
}

// checkComment validates a comment's anchor and text against the document.
func checkComment(m *phonghop.Meeting, docID string, in *OpinionInput) error {
	d, _ := m.Document(docID)
	if in.Page < 0 || (d.Pages > 0 && in.Page > d.Pages) {
		return phonghop.Fail(phonghop.EInvalid, "opinion_page_invalid", "pages", d.Pages)
	}
	if len(in.Rects) > MaxRects || (len(in.Rects) > 0 && in.Page == 0) {
		return phonghop.Fail(phonghop.EInvalid, "opinion_rects_invalid")
	}
	for _, r := range in.Rects {
		ok := r.X >= 0 && r.Y >= 0 && r.W > 0 && r.H > 0 && r.X+r.W <= 1+1e-9 && r.Y+r.H <= 1+1e-9
		for _, v := range []float64{r.X, r.Y, r.W, r.H} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				ok = false
			}
		}
		if !ok {
			return phonghop.Fail(phonghop.EInvalid, "opinion_rects_invalid")
		}
	}
	// Free text (a quote of the draft, the opinion): kept without invisible
	// and direction-changing characters.
	in.Quote = strings.TrimSpace(phonghop.CleanText(in.Quote))
	in.Text = strings.TrimSpace(phonghop.CleanText(in.Text))
	switch {
	case utf8.RuneCountInString(in.Quote) > MaxQuote:
		return phonghop.Fail(phonghop.EInvalid, "opinion_quote_too_long", "max", MaxQuote)
	case in.Text == "":
		return phonghop.Fail(phonghop.EInvalid, "opinion_text_required")
	case utf8.RuneCountInString(in.Text) > MaxText:
		return phonghop.Fail(phonghop.EInvalid, "opinion_text_too_long", "max", MaxText)
	}
	return nil
}

// AddOpinion stores a delegate's new opinion (or agreement).
func (s *Service) AddOpinion(ctx context.Context, m *phonghop.Meeting, by phonghop.User, cid string, in OpinionInput) (Opinion, error) {
	c, p, err := s.writable(ctx, m, by, cid)
	if err != nil {
		return Opinion{}, err
	}
	if !slices.Contains(c.DocumentIDs, in.DocumentID) {
		return Opinion{}, phonghop.Fail(phonghop.EInvalid, "opinion_document_not_in_consultation", "documentId", phonghop.Clip(in.DocumentID))
	}
	if _, ok := m.Document(in.DocumentID); !ok {
		return Opinion{}, phonghop.Fail(phonghop.EInvalid, "opinion_document_not_in_consultation", "documentId", in.DocumentID)
	}
	if in.Agree {
		in = OpinionInput{DocumentID: in.DocumentID, Agree: true}
	} else if err := checkComment(m, in.DocumentID, &in); err != nil {
		return Opinion{}, err
	}
	id, err := newID()
	if err != nil {
		return Opinion{}, err
	}
	var o Opinion
	_, err = storage.UpdateJSON(ctx, s.Store, answerKey(m.ID, cid, by.ID), true, func(a *answer) error {
		now := s.now()
		if now.After(c.Deadline) || now.Equal(c.Deadline) {
			return phonghop.Fail(phonghop.EConflict, "consultation_closed")
		}
		if len(a.Opinions) >= MaxOpinions {
			return phonghop.Fail(phonghop.EConflict, "opinion_too_many", "max", MaxOpinions)
		}
		for _, x := range a.Opinions {
			if x.DocumentID != in.DocumentID {
				continue
			}
			if x.Agree {
				return phonghop.Fail(phonghop.EConflict, "opinion_agreed_already", "documentId", in.DocumentID)
			}
			if in.Agree {
				return phonghop.Fail(phonghop.EConflict, "opinion_agree_has_comments", "documentId", in.DocumentID)
			}
		}
		o = Opinion{ID: id, ConsultationID: cid, DocumentID: in.DocumentID, Page: in.Page, Rects: in.Rects,
			Quote: in.Quote, Text: in.Text, Agree: in.Agree, AuthorID: by.ID, AuthorName: p.DisplayName,
			AuthorTitle: p.Title, CreatedAt: now}
		a.Opinions = append(a.Opinions, o)
		return nil
	})
	if err != nil {
		return Opinion{}, err
	}
	s.publishOpinion(ctx, m, &c, o, "added")
	return o, nil
}

// EditOpinion changes one of the delegate's own comments.
func (s *Service) EditOpinion(ctx context.Context, m *phonghop.Meeting, by phonghop.User, cid, oid string, in OpinionInput) (Opinion, error) {
	c, _, err := s.writable(ctx, m, by, cid)
	if err != nil {
		return Opinion{}, err
	}
	var o Opinion
	_, err = storage.UpdateJSON(ctx, s.Store, answerKey(m.ID, cid, by.ID), false, func(a *answer) error {
		now := s.now()
		i := slices.IndexFunc(a.Opinions, func(x Opinion) bool { return x.ID == oid })
		if i < 0 {
			return phonghop.Fail(phonghop.ENotFound, "opinion_not_found")
		}
		if !now.Before(c.Deadline) {
			return phonghop.Fail(phonghop.EConflict, "consultation_closed")
		}
		o = a.Opinions[i]
		if o.Agree {
			return phonghop.Fail(phonghop.EInvalid, "opinion_agree_not_editable")
		}
		if !slices.Contains(c.DocumentIDs, o.DocumentID) {
			return phonghop.Fail(phonghop.EInvalid, "opinion_document_not_in_consultation", "documentId", o.DocumentID)
		}
		in.DocumentID = o.DocumentID
		if err := checkComment(m, o.DocumentID, &in); err != nil {
			return err
		}
		o.Page, o.Rects, o.Quote, o.Text, o.UpdatedAt = in.Page, in.Rects, in.Quote, in.Text, &now
		a.Opinions[i] = o
		return nil
	})
	if errors.Is(err, storage.ErrNotFound) {
		return Opinion{}, phonghop.Fail(phonghop.ENotFound, "opinion_not_found")
	}
	if err != nil {
		return Opinion{}, err
	}
	s.publishOpinion(ctx, m, &c, o, "changed")
	return o, nil
}

// WithdrawOpinion removes one of the delegate's own opinions.
func (s *Service) WithdrawOpinion(ctx context.Context, m *phonghop.Meeting, by phonghop.User, cid, oid string) error {
	c, _, err := s.writable(ctx, m, by, cid)
	if err != nil {
		return err
	}
	var o Opinion
	_, err = storage.UpdateJSON(ctx, s.Store, answerKey(m.ID, cid, by.ID), false, func(a *answer) error {
		i := slices.IndexFunc(a.Opinions, func(x Opinion) bool { return x.ID == oid })
		if i < 0 {
			return phonghop.Fail(phonghop.ENotFound, "opinion_not_found")
		}
		if !s.now().Before(c.Deadline) {
			return phonghop.Fail(phonghop.EConflict, "consultation_closed")
		}
		o = a.Opinions[i]
		a.Opinions = slices.Delete(a.Opinions, i, i+1)
		return nil
	})
	if errors.Is(err, storage.ErrNotFound) {
		return phonghop.Fail(phonghop.ENotFound, "opinion_not_found")
	}
	if err != nil {
		return err
	}
	s.publishOpinion(ctx, m, &c, o, "withdrawn")
	return nil
}

// answers reads every delegate's opinions on the consultation, by userId.
func (s *Service) answers(ctx context.Context, mid, cid string) (map[string][]Opinion, error) {
	infos, err := s.Store.List(ctx, answersPrefix(mid, cid))
	if err != nil {
		return nil, err
	}
	out := make(map[string][]Opinion, len(infos))
	for _, in := range infos {
		if in.Size <= 2 {
			continue
		}
		var a answer
		if _, err := storage.GetJSON(ctx, s.Store, in.Key, &a); err != nil {
			if errors.Is(err, storage.ErrNotFound) {
				continue
			}
			return nil, err
		}
		if len(a.Opinions) > 0 {
			out[strings.TrimSuffix(strings.TrimPrefix(in.Key, answersPrefix(mid, cid)), ".json")] = a.Opinions
		}
	}
	return out, nil
}

func (s *Service) allOpinions(ctx context.Context, mid, cid string) ([]Opinion, error) {
	by, err := s.answers(ctx, mid, cid)
	if err != nil {
		return nil, err
	}
	var out []Opinion
	for _, os := range by {
		out = append(out, os...)
	}
	return out, nil
}

// sortOpinions orders opinions by the consultation's documents, page (the
// whole document first), then time written.
func sortOpinions(c *Consultation, os []Opinion) {
	rank := map[string]int{}
	for i, id := range c.DocumentIDs {
		rank[id] = i
	}
	sort.SliceStable(os, func(i, j int) bool {
		a, b := os[i], os[j]
		if ra, rb := rank[a.DocumentID], rank[b.DocumentID]; ra != rb {
			return ra < rb
		}
		if a.Page != b.Page {
			return a.Page < b.Page
		}
		if !a.CreatedAt.Equal(b.CreatedAt) {
			return a.CreatedAt.Before(b.CreatedAt)
		}
		return a.ID < b.ID
	})
}

// Opinions returns the opinions the user may read: all for the chair, the
// secretary and admins; else their own, or everyone's when the consultation
// is open. documentID, when not empty, keeps those on that document.
func (s *Service) Opinions(ctx context.Context, m *phonghop.Meeting, u phonghop.User, cid, documentID string) ([]Opinion, error) {
	c, _, err := s.load(ctx, m, u, cid)
	if err != nil {
		return nil, err
	}
	var os []Opinion
	if staff(m, u) || c.Open {
		if os, err = s.allOpinions(ctx, m.ID, cid); err != nil {
			return nil, err
		}
	} else {
		var a answer
		_, err := storage.GetJSON(ctx, s.Store, answerKey(m.ID, cid, u.ID), &a)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return nil, err
		}
		os = a.Opinions
	}
	out := []Opinion{}
	for _, o := range os {
		if documentID == "" || o.DocumentID == documentID {
			out = append(out, o)
		}
	}
	sortOpinions(&c, out)
	return out, nil
}

// Responses is who has and has not answered (the chair, the secretary, admins).
func (s *Service) Responses(ctx context.Context, m *phonghop.Meeting, u phonghop.User, cid string) (Responses, error) {
	c, _, err := s.load(ctx, m, u, cid)
	if err != nil {
		return Responses{}, err
	}
	if !staff(m, u) {
		return Responses{}, phonghop.Fail(phonghop.EForbidden, "consultation_managers_only")
	}
	by, err := s.answers(ctx, m.ID, cid)
	if err != nil {
		return Responses{}, err
	}
	return responses(m, &c, by, s.now()), nil
}

func responses(m *phonghop.Meeting, c *Consultation, by map[string][]Opinion, now time.Time) Responses {
	r := Responses{Time: now, Answered: []Responder{}, NotAnswered: []Responder{}}
	for _, p := range delegates(m, c) {
		r.Addressed++
		who := Responder{UserID: p.UserID, DisplayName: p.DisplayName, Title: p.Title}
		os := by[p.UserID]
		if len(os) == 0 {
			r.NotAnswered = append(r.NotAnswered, who)
			continue
		}
		for _, o := range os {
			if o.Agree {
				who.Agreed = append(who.Agreed, o.DocumentID)
			} else {
				who.Opinions++
			}
			at := o.CreatedAt
			if o.UpdatedAt != nil {
				at = *o.UpdatedAt
			}
			if who.LastAt == nil || at.After(*who.LastAt) {
				who.LastAt = &at
			}
		}
		r.Answered = append(r.Answered, who)
	}
	return r
}
