package roster

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/journal"
	"github.com/phonghop/phonghop/meetings"
)

// History reads a meeting's journal; journal.Journal satisfies it.
type History interface {
	Entries(ctx context.Context, meetingID string) ([]journal.Entry, error)
}

// Attendance is when each participant first checked in, from the journal
// (everyone who checked in at any point counts as present, as in the
// minutes).
func Attendance(entries []journal.Entry) map[string]time.Time {
	first := map[string]time.Time{}
	for _, e := range entries {
		if e.Type != "attendance" {
			continue
		}
		// The whole list (older journals) or a delta's ids that came in
		// (live.AttendanceDelta).
		var a struct {
			Present []string `json:"present"`
			In      []string `json:"in"`
		}
		if json.Unmarshal(e.Data, &a) != nil {
			continue
		}
		for _, id := range append(a.Present, a.In...) {
			if _, ok := first[id]; !ok {
				first[id] = e.Time
			}
		}
	}
	return first
}

var exportText = map[string]map[string]string{
	"vi": {
		"sheet": "Thành phần", "info": "Thông tin",
		"no": "STT", "displayName": "Họ và tên", "username": "Tên đăng nhập", "position": "Chức vụ", "unit": "Đơn vị",
		"role": "Vai trò", "attendance": "Điểm danh", "at": "Thời điểm điểm danh",
		"present": "Có mặt", "absent": "Vắng",
		"chair": "Chủ toạ", "secretary": "Thư ký", "delegate": "Đại biểu", "observer": "Khách mời",
		"meeting": "Cuộc họp", "startsAt": "Thời gian", "location": "Địa điểm", "exported": "Xuất lúc",
		"count": "Có mặt {present}/{all} người",
	},
	"en": {
		"sheet": "Participants", "info": "Meeting",
		"no": "No.", "displayName": "Full name", "username": "Username", "position": "Position", "unit": "Unit",
		"role": "Role", "attendance": "Attendance", "at": "Checked in at",
		"present": "Present", "absent": "Absent",
		"chair": "Chair", "secretary": "Secretary", "delegate": "Delegate", "observer": "Observer",
		"meeting": "Meeting", "startsAt": "Time", "location": "Location", "exported": "Exported at",
		"count": "Present {present}/{all}",
	},
}

// ExportParticipants writes the meeting's participants with their attendance
// (from its journal) as a workbook: see WriteParticipants.
func (s *Service) ExportParticipants(ctx context.Context, meetingID, lang string, w io.Writer) error {
	m, err := s.Meetings.Meeting(ctx, meetingID)
	if err != nil {
		return err
	}
	var entries []journal.Entry
	if s.History != nil {
		if entries, err = s.History.Entries(ctx, meetingID); err != nil {
			return err
		}
	}
	usernames := make(map[string]string, len(m.Participants))
	for _, p := range m.Participants {
		u, err := s.Accounts.User(ctx, p.UserID)
		if phonghop.ErrorCode(err) == phonghop.ENotFound {
			continue
		}
		if err != nil {
			return err
		}
		usernames[p.UserID] = u.Username
	}
	if lang == "" {
		lang = m.Language
	}
	return WriteParticipants(m, usernames, Attendance(entries), lang, time.Now(), w)
}

// WriteParticipants writes a workbook: one row per participant (with the
// usernames given and the first check-in times) under headers the import
// reads again, and a second sheet naming the meeting. lang is "vi" or "en";
// times are in UTC+7.
func WriteParticipants(m *phonghop.Meeting, usernames map[string]string, present map[string]time.Time, lang string, now time.Time, w io.Writer) error {
	tx, ok := exportText[lang]
	if !ok {
		tx = exportText["vi"]
	}
	f := excelize.NewFile()
	defer f.Close()
	sheet := tx["sheet"]
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	head := []any{tx["no"], tx["displayName"], tx["username"], tx["position"], tx["unit"], tx["role"], tx["attendance"], tx["at"]}
	if err := f.SetSheetRow(sheet, "A1", &head); err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"E6EBF1"}}})
	if err != nil {
		return err
	}
	if err := f.SetCellStyle(sheet, "A1", "H1", bold); err != nil {
		return err
	}
	n := 0
	for i, p := range m.Participants {
		att, at := tx["absent"], ""
		if t, ok := present[p.UserID]; ok {
			att, at = tx["present"], t.In(meetings.Zone).Format("02/01/2006 15:04")
			n++
		}
		row := []any{i + 1, p.DisplayName, usernames[p.UserID], p.Title, p.Unit, tx[string(p.Role)], att, at}
		if err := f.SetSheetRow(sheet, fmt.Sprintf("A%d", i+2), &row); err != nil {
			return err
		}
	}
	for col, width := range map[string]float64{"A": 6, "B": 28, "C": 18, "D": 30, "E": 30, "F": 12, "G": 12, "H": 20} {
		if err := f.SetColWidth(sheet, col, col, width); err != nil {
			return err
		}
	}
	if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	info := tx["info"]
	if _, err := f.NewSheet(info); err != nil {
		return err
	}
	starts := ""
	if !m.StartsAt.IsZero() {
		starts = m.StartsAt.In(meetings.Zone).Format("15:04 02/01/2006")
	}
	count := fill(tx["count"], map[string]any{"present": n, "all": len(m.Participants)})
	for i, kv := range [][2]string{{tx["meeting"], m.Title}, {tx["startsAt"], starts}, {tx["location"], m.Location},
		{tx["attendance"], count}, {tx["exported"], now.In(meetings.Zone).Format("15:04 02/01/2006")}} {
		row := []any{kv[0], kv[1]}
		if err := f.SetSheetRow(info, fmt.Sprintf("A%d", i+1), &row); err != nil {
			return err
		}
	}
	if err := f.SetColWidth(info, "A", "A", 22); err != nil {
		return err
	}
	if err := f.SetColWidth(info, "B", "B", 70); err != nil {
		return err
	}
	_, err = f.WriteTo(w)
	return err
}

func fill(s string, params map[string]any) string {
	for k, v := range params {
		s = strings.ReplaceAll(s, "{"+k+"}", fmt.Sprint(v))
	}
	return s
}
