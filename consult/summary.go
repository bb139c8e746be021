package consult

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/minutes"
)

// The summary report, "Báo cáo tổng hợp ý kiến góp ý": drawn in the minutes'
// Decree 30 form by minutes' writers; what it says is built here.

type summaryWords struct {
	kind, symbol, subject, meeting, deadline, counts, compiledAt, document, whole, page,
	quote, agreeHead, agreeNone, noComments, commentsCount, notAnswered, nobody, compiler, chair,
	recipientChair, recipientDrafters string
}

var viSummary = summaryWords{
	kind: "BÁO CÁO", symbol: "BC", subject: "Tổng hợp ý kiến góp ý: %s",
	meeting: "Cuộc họp", deadline: "Thời hạn góp ý",
	counts:     "Số đại biểu được lấy ý kiến: %d; đã góp ý: %d; chưa góp ý: %d.",
	compiledAt: "Số liệu tổng hợp đến %s, trước khi hết thời hạn góp ý.",
	document:   "%d. Dự thảo: %s", whole: "Ý kiến về toàn văn dự thảo", page: "Trang %d",
	quote: "Đoạn được đánh dấu: “%s”", agreeHead: "Nhất trí với dự thảo, không có ý kiến: %d đại biểu",
	agreeNone: "Nhất trí với dự thảo, không có ý kiến: không có.", noComments: "Không có ý kiến góp ý cụ thể.",
	commentsCount: "Số ý kiến góp ý: %d.",
	notAnswered:   "Đại biểu chưa gửi ý kiến", nobody: "không có",
	compiler: "NGƯỜI TỔNG HỢP", chair: "CHỦ TỌA",
	recipientChair: "- Chủ tọa;", recipientDrafters: "- Cơ quan soạn thảo;",
}

var enSummary = summaryWords{
	kind: "REPORT", symbol: "RP", subject: "Opinions received on: %s",
	meeting: "Meeting", deadline: "Deadline for opinions",
	counts:     "Delegates consulted: %d; answered: %d; not answered: %d.",
	compiledAt: "Compiled at %s, before the deadline.",
	document:   "%d. Draft: %s", whole: "On the draft as a whole", page: "Page %d",
	quote: "Marked passage: “%s”", agreeHead: "Agree with the draft, no comment: %d delegates",
	agreeNone: "Agree with the draft, no comment: none.", noComments: "No specific comments.",
	commentsCount: "Comments: %d.",
	notAnswered:   "Delegates who did not answer", nobody: "none",
	compiler: "COMPILED BY", chair: "CHAIR",
	recipientChair: "- The chair;", recipientDrafters: "- The drafting body;",
}

// Summary renders the report as "pdf" or "docx" (the chair, the secretary,
// admins).
func (s *Service) Summary(ctx context.Context, m *phonghop.Meeting, u phonghop.User, cid, format string) ([]byte, error) {
	c, _, err := s.load(ctx, m, u, cid)
	if err != nil {
		return nil, err
	}
	if !staff(m, u) {
		return nil, phonghop.Fail(phonghop.EForbidden, "consultation_managers_only")
	}
	by, err := s.answers(ctx, m.ID, cid)
	if err != nil {
		return nil, err
	}
	r := summaryReport(m, &c, by, s.now())
	if format == "docx" {
		return minutes.RenderReportDocx(m, r)
	}
	return minutes.RenderReport(m, r)
}

// person is "Nguyễn Văn An (Đại biểu HĐND huyện)".
func person(name, title string) string {
	if strings.TrimSpace(title) != "" {
		return name + " (" + title + ")"
	}
	return name
}

func summaryReport(m *phonghop.Meeting, c *Consultation, by map[string][]Opinion, now time.Time) minutes.Report {
	isVi := m.Language != "en"
	w := viSummary
	if !isVi {
		w = enSummary
	}
	resp := responses(m, c, by, now)
	r := minutes.Report{Kind: w.kind, Symbol: w.symbol, Subject: fmt.Sprintf(w.subject, c.Title), At: now}
	add := func(b minutes.ReportBlock) { r.Blocks = append(r.Blocks, b) }
	add(minutes.ReportBlock{Label: w.meeting, Text: m.Title + "."})
	add(minutes.ReportBlock{Label: w.deadline, Text: minutes.ReportDateTime(c.Deadline, isVi) + "."})
	add(minutes.ReportBlock{Text: fmt.Sprintf(w.counts, resp.Addressed, len(resp.Answered), len(resp.NotAnswered))})
	if !c.closed(now) {
		add(minutes.ReportBlock{Text: fmt.Sprintf(w.compiledAt, minutes.ReportDateTime(now, isVi)), Style: "I"})
	}

	var all []Opinion
	for _, os := range by {
		all = append(all, os...)
	}
	sortOpinions(c, all)
	names := map[string]string{}
	for _, p := range m.Participants {
		names[p.UserID] = person(p.DisplayName, p.Title)
	}
	for i, did := range c.DocumentIDs {
		name := did
		if d, ok := m.Document(did); ok {
			name = d.Name
		}
		add(minutes.ReportBlock{Text: fmt.Sprintf(w.document, i+1, name), Style: "B", Heading: true})
		var agreed []string
		comments, lastPage := 0, -1
		for _, o := range all {
			if o.DocumentID != did {
				continue
			}
			if o.Agree {
				agreed = append(agreed, person(o.AuthorName, o.AuthorTitle))
				continue
			}
			if o.Page != lastPage {
				head := w.whole
				if o.Page > 0 {
					head = fmt.Sprintf(w.page, o.Page)
				}
				add(minutes.ReportBlock{Text: head, Style: "I", Heading: true})
				lastPage = o.Page
			}
			comments++
			if o.Quote != "" {
				add(minutes.ReportBlock{Label: person(o.AuthorName, o.AuthorTitle), Text: fmt.Sprintf(w.quote, o.Quote)})
				add(minutes.ReportBlock{Text: o.Text})
			} else {
				add(minutes.ReportBlock{Label: person(o.AuthorName, o.AuthorTitle), Text: o.Text})
			}
		}
		if comments == 0 {
			add(minutes.ReportBlock{Text: w.noComments})
		} else {
			add(minutes.ReportBlock{Text: fmt.Sprintf(w.commentsCount, comments)})
		}
		if len(agreed) == 0 {
			add(minutes.ReportBlock{Text: w.agreeNone})
		} else {
			add(minutes.ReportBlock{Text: fmt.Sprintf(w.agreeHead, len(agreed)) + ": " + strings.Join(agreed, "; ") + "."})
		}
	}
	missing := []string{}
	for _, p := range resp.NotAnswered {
		missing = append(missing, names[p.UserID])
	}
	text := w.nobody + "."
	if len(missing) > 0 {
		text = strings.Join(missing, "; ") + "."
	}
	add(minutes.ReportBlock{Label: fmt.Sprintf("%s (%d)", w.notAnswered, len(missing)), Text: text})

	var chair, secretary string
	for _, p := range m.Participants {
		switch p.Role {
		case phonghop.RoleChair:
			chair = p.DisplayName
		case phonghop.RoleSecretary:
			secretary = p.DisplayName
		}
	}
	r.Signers = []minutes.ReportSigner{{Role: w.compiler, Name: orDots(secretary)}, {Role: w.chair, Name: orDots(chair)}}
	r.Recipients = []string{w.recipientChair, w.recipientDrafters}
	return r
}

func orDots(s string) string {
	if strings.TrimSpace(s) == "" {
		return "......"
	}
	return s
}
