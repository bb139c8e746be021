package server_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/consult"
)

// Issue #11: a hostile user's name with U+202E read "A năV nễyugN" on every
// tablet, on the wall and in the minutes; an isolate left open pulled the
// names after it around, a zero-width space made two equal-looking names
// differ. Every way a one-line text comes in refuses such a character with
// 400 text_invisible_char (the field and the character named, translated);
// free text (opinions, notes) is kept without it. Before, all were stored.
func TestInvisibleCharactersRefusedOnEveryPath(t *testing.T) {
	h := newHarness(t, nil)
	f := h.meeting(2)
	base := "/api/v1/meetings/" + f.id
	uid := h.users["daibieu01"].ID

	refused := []struct {
		what, method, path, as string
		body                   any
		field, char            string
	}{
		{"a new user's name", "POST", "/api/v1/users", "admin", map[string]any{"username": "moi01", "password": "Hoi-dong-2026!", "displayName": "\u202eNguyễn Văn A"}, "displayName", "U+202E"},
		{"a position", "PATCH", "/api/v1/users/" + uid, "admin", map[string]any{"position": "Trưởng\u200b phòng"}, "position", "U+200B"},
		{"a unit", "PATCH", "/api/v1/users/" + uid, "admin", map[string]any{"unit": "UBND\u2066 xã"}, "unit", "U+2066"},
		{"a line break in a name", "PATCH", "/api/v1/users/" + uid, "admin", map[string]any{"displayName": "Lê Văn\nBình"}, "displayName", "U+000A"},
		{"a C1 control", "PATCH", "/api/v1/users/" + uid, "admin", map[string]any{"displayName": "Lê\u0085Văn"}, "displayName", "U+0085"},
		{"a meeting's title", "POST", "/api/v1/meetings", "admin", map[string]any{"title": "Kỳ họp\ufeff thứ 7", "startsAt": "2024-01-12T08:00:00+07:00", "location": "Hội trường", "language": "vi"}, "title", "U+FEFF"},
		{"a meeting's place", "PATCH", base, "admin", map[string]any{"location": "Phòng\u200f 2"}, "location", "U+200F"},
		{"the issuing body in the minutes' heading", "PATCH", base, "admin", map[string]any{"organization": "UBND HUYỆN\n\u202eVĂN PHÒNG"}, "organization", "U+202E"},
		{"an agenda item's title", "POST", base + "/agenda", "thuky", map[string]any{"title": "Tờ trình\u202d số 5", "durationMinutes": 10}, "title", "U+202D"},
		{"a participant's title in the meeting", "PUT", base + "/participants", "admin", []map[string]string{{"userId": h.users["chutich"].ID, "role": "chair", "title": "Chủ\u2069 tọa"}}, "title", "U+2069"},
		{"a poll's title", "POST", base + "/polls", "chutich", map[string]any{"agendaItemId": f.item, "title": "Thông qua\u202a tờ trình"}, "title", "U+202A"},
		{"a poll's option", "POST", base + "/polls", "chutich", map[string]any{"agendaItemId": f.item, "title": "Thông qua", "options": []string{"Đồng ý", "Không\u202e đồng ý"}}, "option", "U+202E"},
		{"a candidate's name", "POST", base + "/polls", "thuky", map[string]any{"agendaItemId": f.item, "title": "Bầu Phó Chủ tịch", "kind": "election",
			"questions": []map[string]any{{"seats": 1, "candidates": []map[string]any{{"name": "Phạm Văn Cường"}, {"name": "Hoàng\u202e Thị Dung"}}}}}, "candidate", "U+202E"},
		{"a consultation's title", "POST", base + "/consultations", "thuky", map[string]any{"title": "Góp ý\u2067 dự thảo", "documentIds": []string{f.doc},
			"deadline": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}, "title", "U+2067"},
	}
	for _, c := range refused {
		r := h.do(c.method, c.path, c.as, c.body)
		var e struct{ Error phonghop.Error }
		_ = json.Unmarshal(r.body, &e)
		if r.status != 400 || e.Error.Reason != "text_invisible_char" || e.Error.Params["field"] != c.field || e.Error.Params["char"] != c.char {
			t.Errorf("%s: %d %s, want 400 text_invisible_char naming %s and %s", c.what, r.status, r.body, c.field, c.char)
		}
	}
	if u, err := h.acc.User(context.Background(), uid); err != nil || u.Position != "" || u.Unit != "" {
		t.Errorf("a refused change was kept: %+v", u)
	}

	// A body's name may be set on two lines (the heading's own), nothing else.
	h.mustDo("PATCH", base, "admin", map[string]any{"organization": "UBND HUYỆN THÁP MƯỜI\nVĂN PHÒNG"}, 200, nil)

	// An import names the row, and imports nothing.
	csv := []byte("Tên đăng nhập,Họ và tên\nmoi01,Người Mới\nmoi02,Lê\u202eVăn\n")
	r := h.importFile("/api/v1/users/import", "admin", "ds.csv", csv)
	var res struct {
		Result struct {
			Rows []struct {
				Row   int             `json:"row"`
				Error *phonghop.Error `json:"error"`
			} `json:"rows"`
			Applied bool
		}
	}
	if r.status != 400 || json.Unmarshal(r.body, &res) != nil || res.Result.Applied || len(res.Result.Rows) != 2 ||
		res.Result.Rows[1].Error == nil || res.Result.Rows[1].Error.Reason != "text_invisible_char" {
		t.Errorf("import: %d %s", r.status, r.body)
	}

	// Free text: kept, without what draws nothing or turns it; lines kept.
	var c consult.Consultation
	h.mustDo("POST", base+"/consultations", "thuky", map[string]any{"title": "Góp ý dự thảo", "documentIds": []string{f.doc},
		"note": "Hạn\u202e cuối", "deadline": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}, 201, &c)
	var o consult.Opinion
	h.mustDo("POST", base+"/consultations/"+c.ID+"/opinions", "daibieu01", map[string]any{"documentId": f.doc,
		"text": "Đề nghị\u202e bổ sung\u200b số liệu\r\nquý IV.\u2066", "quote": "\ufeffsố liệu"}, 201, &o)
	if o.Text != "Đề nghị bổ sung số liệu\nquý IV." || o.Quote != "số liệu" || c.Note != "Hạn cuối" {
		t.Errorf("free text kept as %q, %q, %q", o.Text, o.Quote, c.Note)
	}
	nr := h.mustDo("PUT", base+"/documents/"+f.doc+"/notes/1", "daibieu01", map[string]string{"text": "Hỏi\u202e thêm\nvề quỹ"}, 200, nil)
	if string(nr.body) != `{"page":1,"text":"Hỏi thêm\nvề quỹ"}` {
		t.Errorf("a note kept as %s", nr.body)
	}
}
