package vote

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/phonghop/phonghop"
)

// Ballots with questions: elections (bầu cử), confidence votes (lấy phiếu tín
// nhiệm) and approvals of nominees. See doc.go for the ballot's shape and the
// rules; this file holds their definitions and checks.

// Limits of a ballot with questions.
const (
	MaxQuestions        = 20
	MaxCandidates       = 100 // per question
	MaxBallotCandidates = 200 // over all questions
	MaxNameRunes        = 200 // a candidate's name or position
	MinLevels           = 2
	MaxLevels           = 5
	MaxLevelRunes       = 60
)

// Default scales, the highest level first, in the meeting's language.
var (
	DefaultConfidenceLevels   = []string{"Tín nhiệm cao", "Tín nhiệm", "Tín nhiệm thấp"}
	DefaultConfidenceLevelsEn = []string{"High confidence", "Confidence", "Low confidence"}
	DefaultApprovalLevels     = []string{"Đồng ý", "Không đồng ý", "Không ý kiến"}
	DefaultApprovalLevelsEn   = []string{"In favour", "Against", "Abstain"}
)

// NoMark is the mark of a candidate left unmarked in a confidence or approval
// answer.
const NoMark = -1

func isMotion(kind string) bool { return kind == "" || kind == phonghop.PollMotion }

func defaultLevels(kind, lang string) []string {
	switch {
	case kind == phonghop.PollConfidence && lang == "en":
		return DefaultConfidenceLevelsEn
	case kind == phonghop.PollConfidence:
		return DefaultConfidenceLevels
	case lang == "en":
		return DefaultApprovalLevelsEn
	}
	return DefaultApprovalLevels
}

// UnmarshalJSON notes whether "secret" was given: a ballot with questions is
// secret unless the request says "secret": false. Fields the JSON leaves out
// keep their values (an edit of a draft starts from the draft).
func (r *CreateRequest) UnmarshalJSON(b []byte) error {
	type plain CreateRequest
	v := struct {
		plain
		Secret *bool `json:"secret"`
	}{plain: plain(*r)}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*r = CreateRequest(v.plain)
	if v.Secret != nil {
		r.Secret, r.SecretSet = *v.Secret, true
	}
	return nil
}

// cleanQuestions checks and completes the definition of a ballot with
// questions (every kind but a motion); lang is the meeting's language, which
// picks the default scales.
func cleanQuestions(req CreateRequest, lang string) (CreateRequest, error) {
	switch req.Kind {
	case phonghop.PollElection, phonghop.PollConfidence, phonghop.PollApproval:
	default:
		return req, phonghop.Fail(phonghop.EInvalid, "poll_kind_invalid")
	}
	if len(req.Options) > 0 {
		return req, phonghop.Fail(phonghop.EInvalid, "poll_options_not_for_kind")
	}
	req.Options = []string{}
	if !req.SecretSet {
		req.Secret = true
	}
	var err error
	if req.Majority, err = majorityOr(req.Majority, phonghop.MajorityAbsolute); err != nil {
		return req, err
	}
	if len(req.Questions) == 0 || len(req.Questions) > MaxQuestions {
		return req, phonghop.Fail(phonghop.EInvalid, "poll_questions_count", "max", MaxQuestions)
	}
	total := 0
	qs := make([]phonghop.Question, len(req.Questions))
	for i, q := range req.Questions {
		n := i + 1
		q.Title = strings.TrimSpace(q.Title)
		if !utf8.ValidString(q.Title) || utf8.RuneCountInString(q.Title) > MaxTitleRunes {
			return req, phonghop.Fail(phonghop.EInvalid, "poll_question_title_too_long", "n", n, "max", MaxTitleRunes)
		}
		if err := phonghop.CheckVisible("title", q.Title); err != nil {
			return req, err
		}
		if len(q.Candidates) == 0 || len(q.Candidates) > MaxCandidates {
			return req, phonghop.Fail(phonghop.EInvalid, "poll_candidates_count", "n", n, "max", MaxCandidates)
		}
		total += len(q.Candidates)
		cs := make([]phonghop.Candidate, len(q.Candidates))
		seen := map[string]bool{}
		for j, c := range q.Candidates {
			c.Name, c.Position = strings.TrimSpace(c.Name), strings.TrimSpace(c.Position)
			if c.Name == "" || !utf8.ValidString(c.Name) || utf8.RuneCountInString(c.Name) > MaxNameRunes {
				return req, phonghop.Fail(phonghop.EInvalid, "poll_candidate_name", "n", n, "c", j+1, "max", MaxNameRunes)
			}
			if !utf8.ValidString(c.Position) || utf8.RuneCountInString(c.Position) > MaxNameRunes {
				return req, phonghop.Fail(phonghop.EInvalid, "poll_candidate_position_too_long", "n", n, "c", j+1, "max", MaxNameRunes)
			}
			if err := phonghop.CheckVisible("candidate", c.Name); err != nil {
				return req, err
			}
			if err := phonghop.CheckVisible("position", c.Position); err != nil {
				return req, err
			}
			if (c.UserID != "" && !validID(c.UserID)) || (c.Photo != "" && !validID(c.Photo)) {
				return req, phonghop.Fail(phonghop.EInvalid, "poll_candidate_ref_invalid", "n", n, "c", j+1)
			}
			// A person twice on one question would take two marks from one
			// ballot (two of an election's seats) and split their count.
			for _, k := range candidateKeys(c) {
				if seen[k] {
					return req, phonghop.Fail(phonghop.EInvalid, "poll_candidate_twice", "n", n, "c", j+1)
				}
				seen[k] = true
			}
			cs[j] = c
		}
		q.Candidates = cs
		switch req.Kind {
		case phonghop.PollElection:
			if len(q.Levels) > 0 {
				return req, phonghop.Fail(phonghop.EInvalid, "poll_levels_not_for_election", "n", n)
			}
			if q.Seats == 0 {
				q.Seats = 1
			}
			if q.Seats < 1 || q.Seats > len(q.Candidates) {
				return req, phonghop.Fail(phonghop.EInvalid, "poll_seats_range", "n", n, "max", len(q.Candidates))
			}
		default:
			if q.Seats != 0 {
				return req, phonghop.Fail(phonghop.EInvalid, "poll_seats_only_for_election", "n", n)
			}
			if len(q.Levels) == 0 {
				q.Levels = slices.Clone(defaultLevels(req.Kind, lang))
			}
			if len(q.Levels) < MinLevels || len(q.Levels) > MaxLevels {
				return req, phonghop.Fail(phonghop.EInvalid, "poll_levels_count", "n", n, "min", MinLevels, "max", MaxLevels)
			}
			ls := make([]string, len(q.Levels))
			for k, l := range q.Levels {
				l = strings.TrimSpace(l)
				if l == "" || !utf8.ValidString(l) || utf8.RuneCountInString(l) > MaxLevelRunes {
					return req, phonghop.Fail(phonghop.EInvalid, "poll_level_length", "n", n, "l", k+1, "max", MaxLevelRunes)
				}
				if err := phonghop.CheckVisible("level", l); err != nil {
					return req, err
				}
				ls[k] = l
			}
			q.Levels = ls
		}
		qs[i] = q
	}
	if total > MaxBallotCandidates {
		return req, phonghop.Fail(phonghop.EInvalid, "poll_ballot_too_long", "max", MaxBallotCandidates)
	}
	req.Questions = qs
	return req, nil
}

// candidateKeys name the person a candidate is: their account when given,
// and their name with their position (case and spacing aside), unless the
// account tells two people of one name and position apart.
func candidateKeys(c phonghop.Candidate) []string {
	person := "n:" + strings.ToLower(strings.Join(strings.Fields(c.Name), " ")) + "|" +
		strings.ToLower(strings.Join(strings.Fields(c.Position), " "))
	if c.UserID != "" {
		return []string{"u:" + c.UserID, person + "|" + c.UserID}
	}
	return []string{person}
}

// checkAnswers checks a ballot's answers against the poll's questions and
// returns them as stored: an election's choices sorted. One answer per
// question:
//   - election: the indexes of the chosen candidates, at most Seats, each once;
//     none is a blank answer;
//   - confidence, approval: one level index per candidate, NoMark (-1) for a
//     candidate left unmarked; an empty list leaves the whole question blank.
func checkAnswers(kind string, qs []phonghop.Question, answers [][]int) ([][]int, error) {
	if len(answers) != len(qs) {
		return nil, phonghop.Fail(phonghop.EInvalid, "ballot_answers_count", "want", len(qs))
	}
	out := make([][]int, len(answers))
	for i, a := range answers {
		q, n := qs[i], i+1
		if kind == phonghop.PollElection {
			if len(a) > q.Seats {
				return nil, phonghop.Fail(phonghop.EInvalid, "ballot_too_many_choices", "n", n, "max", q.Seats)
			}
			a = slices.Clone(a)
			slices.Sort(a)
			for k, c := range a {
				if c < 0 || c >= len(q.Candidates) {
					return nil, phonghop.Fail(phonghop.EInvalid, "ballot_candidate_out_of_range", "n", n, "max", len(q.Candidates)-1)
				}
				if k > 0 && a[k-1] == c {
					return nil, phonghop.Fail(phonghop.EInvalid, "ballot_candidate_twice", "n", n)
				}
			}
			out[i] = a
			continue
		}
		if len(a) != 0 && len(a) != len(q.Candidates) {
			return nil, phonghop.Fail(phonghop.EInvalid, "ballot_marks_count", "n", n, "want", len(q.Candidates))
		}
		for _, l := range a {
			if l < NoMark || l >= len(q.Levels) {
				return nil, phonghop.Fail(phonghop.EInvalid, "ballot_mark_out_of_range", "n", n, "max", len(q.Levels)-1)
			}
		}
		out[i] = slices.Clone(a)
		if out[i] == nil {
			out[i] = []int{}
		}
	}
	return out, nil
}

// questionsText is a ballot's questions as the journal of a draft's edits
// shows them: one line per question, its people and its seats or levels.
func questionsText(qs []phonghop.Question) string {
	var b strings.Builder
	for i, q := range qs {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%d. %s", i+1, q.Title)
		if q.Seats > 0 {
			fmt.Fprintf(&b, " (%d)", q.Seats)
		}
		if len(q.Levels) > 0 {
			fmt.Fprintf(&b, " [%s]", strings.Join(q.Levels, " / "))
		}
		b.WriteString(": ")
		for j, c := range q.Candidates {
			if j > 0 {
				b.WriteString("; ")
			}
			b.WriteString(c.Name)
			if c.Position != "" {
				b.WriteString(", " + c.Position)
			}
		}
	}
	return b.String()
}
