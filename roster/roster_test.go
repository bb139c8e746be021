package roster_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/crypto/bcrypt"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/accounts"
	"github.com/phonghop/phonghop/journal"
	"github.com/phonghop/phonghop/meetings"
	"github.com/phonghop/phonghop/roster"
	"github.com/phonghop/phonghop/storage"
	"github.com/phonghop/phonghop/storage/fsstore"
	"github.com/phonghop/phonghop/storage/s3test"
)

func TestMain(m *testing.M) { s3test.Main(m) }

// forEachStore runs a test on the directory store and on a real S3 server.
func forEachStore(t *testing.T, test func(t *testing.T, st storage.Store)) {
	t.Run("dir", func(t *testing.T) {
		st, err := fsstore.New(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		test(t, st)
	})
	t.Run("s3", func(t *testing.T) { test(t, s3test.NewStore(t)) })
}

// failingStore fails every Put of a key containing failOn once armed: the
// faults a real store cannot make on demand.
type failingStore struct {
	storage.Store
	failOn string
	armed  atomic.Bool
}

func (f *failingStore) Put(ctx context.Context, key string, r io.Reader, size int64, o storage.PutOptions) (storage.Info, error) {
	if f.armed.Load() && strings.Contains(key, f.failOn) {
		return storage.Info{}, storage.ErrUnavailable
	}
	return f.Store.Put(ctx, key, r, size, o)
}

type fixture struct {
	store *failingStore
	acc   *accounts.Service
	mtg   *meetings.Service
	svc   *roster.Service
	jr    *journal.Journal
}

func newFixture(t *testing.T, st storage.Store) *fixture {
	fs := &failingStore{Store: st}
	acc := &accounts.Service{Store: fs, BcryptCost: bcrypt.MinCost}
	mtg := &meetings.Service{Store: fs, Users: acc}
	jr := &journal.Journal{Store: fs}
	return &fixture{store: fs, acc: acc, mtg: mtg, jr: jr,
		svc: &roster.Service{Accounts: acc, Meetings: mtg, History: jr}}
}

func xlsx(t *testing.T, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if _, err := f.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func read(t *testing.T, data []byte) []roster.Row {
	t.Helper()
	rows, err := roster.Read(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func reasonOf(err error) string {
	if e := phonghop.Public(err); e != nil {
		return e.Reason
	}
	return ""
}

// A council's list as a secretariat keeps it: a title above the header,
// Vietnamese headers, a numbering column, empty rows.
func TestReadXLSXAndCSV(t *testing.T) {
	data := xlsx(t, [][]any{
		{"DANH SÁCH ĐẠI BIỂU HĐND HUYỆN"},
		{},
		{"STT", "Tên đăng nhập", "Họ và tên", "Chức vụ", "Đơn vị", "Vai trò", "Số điện thoại"},
		{1, "nguyenvana", "Nguyễn Văn A", "Chủ tịch HĐND huyện", "HĐND huyện", "Chủ toạ", "0912 345 678"},
		{},
		{2, " TranThiB ", "Trần Thị B", "", "UBND xã Mỹ An", "đại biểu", ""},
	})
	rows := read(t, data)
	if len(rows) != 2 {
		t.Fatalf("rows = %+v", rows)
	}
	if r := rows[0]; r.Line != 4 || r.Username != "nguyenvana" || r.DisplayName != "Nguyễn Văn A" || r.Position != "Chủ tịch HĐND huyện" ||
		r.Unit != "HĐND huyện" || r.Role != "Chủ toạ" || r.Phone != "0912 345 678" {
		t.Fatalf("row 1 = %+v", r)
	}
	if r := rows[1]; r.Line != 6 || r.Username != "TranThiB" || r.Unit != "UBND xã Mỹ An" {
		t.Fatalf("row 2 = %+v", r)
	}

	// CSV from Excel: a BOM, semicolons, headers typed without diacritics.
	csv := "\xEF\xBB\xBFTen dang nhap;Ho va ten;Chuc vu;Don vi;Vai tro\r\nlevanc;Lê Văn C;\"Phó Chủ tịch; kiêm Trưởng ban\";UBND huyện;thu ky\r\n"
	rows = read(t, []byte(csv))
	if len(rows) != 1 || rows[0].Username != "levanc" || rows[0].Position != "Phó Chủ tịch; kiêm Trưởng ban" || rows[0].Role != "thu ky" {
		t.Fatalf("csv rows = %+v", rows)
	}
	if role, ok := roster.ParseRole(rows[0].Role); !ok || role != phonghop.RoleSecretary {
		t.Fatalf("role %q → %q %v", rows[0].Role, role, ok)
	}
	// A cell wrapped in Excel (Alt+Enter), a tab or a no-break space pasted
	// in: one line, single spaces (a stored line break would be refused as an
	// invisible character and stop the whole import).
	rows = read(t, xlsx(t, [][]any{
		{"Tên đăng nhập", "Họ và tên", "Chức vụ", "Đơn vị"},
		{"ngod", "Ngô\u00a0 Thị D", "Phó Chủ tịch\nUBND huyện", "Phòng\tTài chính –\r\n Kế hoạch"},
	}))
	if len(rows) != 1 || rows[0].DisplayName != "Ngô Thị D" || rows[0].Position != "Phó Chủ tịch UBND huyện" || rows[0].Unit != "Phòng Tài chính – Kế hoạch" {
		t.Fatalf("wrapped cells = %+v", rows)
	}
	// English headers, commas.
	rows = read(t, []byte("username,display name,position,unit,role\nphamd,Phạm D,,,observer\n"))
	if len(rows) != 1 || rows[0].DisplayName != "Phạm D" || rows[0].Role != "observer" {
		t.Fatalf("english csv = %+v", rows)
	}

	for name, c := range map[string]struct {
		data   []byte
		reason string
	}{
		"xls":        {append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 100)...), "import_xls_unsupported"},
		"not utf-8":  {[]byte("T\xean \xf0\xe3ng nh\xe2p\nabc\n"), "import_not_utf8"},
		"no header":  {[]byte("Họ và tên,Chức vụ\nA,B\n"), "import_no_username_column"},
		"empty":      {[]byte(""), "import_empty"},
		"only head":  {[]byte("username\n\n"), "import_empty"},
		"twice":      {[]byte("username,họ tên,display name\na,b,c\n"), "import_column_twice"},
		"broken zip": {append([]byte("PK\x03\x04"), make([]byte, 200)...), "import_unreadable"},
	} {
		if _, err := roster.Read(bytes.NewReader(c.data)); reasonOf(err) != c.reason {
			t.Errorf("%s: %v, want %s", name, err, c.reason)
		}
	}
}

func TestImportUsers(t *testing.T) { forEachStore(t, testImportUsers) }

func testImportUsers(t *testing.T, st storage.Store) {
	ctx := context.Background()
	f := newFixture(t, st)
	old, err := f.acc.Create(ctx, accounts.NewUser{Username: "chutich", Password: "mat-khau-thu-nghiem", DisplayName: "Nguyễn Văn An", Unit: "UBND huyện"})
	if err != nil {
		t.Fatal(err)
	}
	file := xlsx(t, [][]any{
		{"Tên đăng nhập", "Họ và tên", "Chức vụ", "Đơn vị", "Mật khẩu"},
		{"chutich", "", "Chủ tịch UBND huyện", "", ""},
		{"thuky", "Trần Thị Bình", "Chánh Văn phòng", "Văn phòng HĐND-UBND", "thu-ky-van-phong-2026"},
		{"daibieu01", "Lê Văn Cường", "", "UBND xã Mỹ An", ""},
	})

	// The preview writes nothing.
	res, err := f.svc.ImportUsers(ctx, read(t, file), true)
	if err != nil {
		t.Fatal(err)
	}
	if res.Applied || res.Created != 2 || res.Updated != 1 || res.Refused != 0 {
		t.Fatalf("preview = %+v", res)
	}
	if r := res.Rows[0]; r.Action != roster.Update || r.Changes["position"] != (phonghop.Diff{To: "Chủ tịch UBND huyện"}) || len(r.Changes) != 1 {
		t.Fatalf("row chutich = %+v", r)
	}
	if _, err := f.acc.ByUsername(ctx, "thuky"); phonghop.ErrorCode(err) != phonghop.ENotFound {
		t.Fatalf("the preview created a user: %v", err)
	}

	res, err = f.svc.ImportUsers(ctx, read(t, file), false)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Applied || res.Created != 2 || res.Updated != 1 {
		t.Fatalf("import = %+v", res)
	}
	if res.Rows[1].Password != "" || len(res.Rows[2].Password) < 12 {
		t.Fatalf("passwords: given %q, generated %q", res.Rows[1].Password, res.Rows[2].Password)
	}
	if _, _, _, err := f.acc.Login(ctx, "daibieu01", res.Rows[2].Password); err != nil {
		t.Fatalf("the generated password does not sign in: %v", err)
	}
	if _, _, _, err := f.acc.Login(ctx, "thuky", "thu-ky-van-phong-2026"); err != nil {
		t.Fatalf("the given password does not sign in: %v", err)
	}
	// Both passed through the admin's hands: each must be changed at the
	// first sign-in (as after a reset); the updated user's is untouched.
	for _, name := range []string{"daibieu01", "thuky"} {
		if u, err := f.acc.ByUsername(ctx, name); err != nil || !u.MustChangePassword {
			t.Errorf("imported %s: must change password %v (%v)", name, u.MustChangePassword, err)
		}
	}
	if u, _ := f.acc.User(ctx, old.ID); u.MustChangePassword {
		t.Error("an updated user must change their password")
	}
	u, _ := f.acc.User(ctx, old.ID)
	if u.Position != "Chủ tịch UBND huyện" || u.Unit != "UBND huyện" || u.DisplayName != "Nguyễn Văn An" {
		t.Fatalf("updated user = %+v (empty cells must keep values)", u)
	}

	// Again: nothing changes, nothing is written.
	before, _ := st.List(ctx, "")
	res, err = f.svc.ImportUsers(ctx, read(t, file), false)
	if err != nil {
		t.Fatal(err)
	}
	if res.Unchanged != 3 || res.Created+res.Updated+res.Refused != 0 {
		t.Fatalf("re-import = %+v", res)
	}
	after, _ := st.List(ctx, "")
	if len(before) != len(after) {
		t.Fatalf("re-import wrote objects: %d → %d", len(before), len(after))
	}
	for i := range before {
		if before[i].ETag != after[i].ETag {
			t.Fatalf("re-import rewrote %s", before[i].Key)
		}
	}

	// One bad row: refused with the reason; nothing written.
	bad := xlsx(t, [][]any{
		{"username", "display name", "email"},
		{"moi01", "Người mới", ""},
		{"moi02", "", ""},
		{"moi03", "Người mới 3", "not-an-email"},
		{"moi01", "Trùng", ""},
		{"x", "Tên quá ngắn", ""},
	})
	res, err = f.svc.ImportUsers(ctx, read(t, bad), false)
	if reasonOf(err) != "import_refused" || res.Refused != 4 || res.Applied {
		t.Fatalf("bad file: %v %+v", err, res)
	}
	want := []string{"", "text_required", "email_invalid", "import_duplicate_row", "username_length"}
	for i, r := range res.Rows {
		got := ""
		if r.Error != nil {
			got = r.Error.Reason
		}
		if got != want[i] {
			t.Errorf("row %d: %s %+v, want %q", r.Line, r.Action, r.Error, want[i])
		}
	}
	if res.Rows[3].Error.Params["row"] != "2" {
		t.Errorf("duplicate names the first row: %+v", res.Rows[3].Error)
	}
	if _, err := f.acc.ByUsername(ctx, "moi01"); phonghop.ErrorCode(err) != phonghop.ENotFound {
		t.Fatalf("a refused import created moi01: %v", err)
	}
}

// A store failure half-way through leaves nothing of the import: users it
// created are gone (their names free), profiles it changed are as they were.
func TestImportAllOrNothing(t *testing.T) { forEachStore(t, testImportAllOrNothing) }

func testImportAllOrNothing(t *testing.T, st storage.Store) {
	ctx := context.Background()
	f := newFixture(t, st)
	old, err := f.acc.Create(ctx, accounts.NewUser{Username: "chutich", Password: "mat-khau-thu-nghiem", DisplayName: "Nguyễn Văn An", Position: "Phó Chủ tịch"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := f.mtg.Create(ctx, meetings.NewMeeting{Title: "Kỳ họp thứ 7 HĐND huyện"})
	if err != nil {
		t.Fatal(err)
	}
	file := xlsx(t, [][]any{
		{"Tên đăng nhập", "Họ và tên", "Chức vụ", "Vai trò"},
		{"chutich", "", "Chủ tịch UBND huyện", "Chủ toạ"},
		{"thuky", "Trần Thị Bình", "", "Thư ký"},
		{"daibieu01", "Lê Văn Cường", "", ""},
	})
	// The meeting record is written last: fail it.
	f.store.failOn = "meeting.json"
	f.store.armed.Store(true)
	_, err = f.svc.ImportParticipants(ctx, m.ID, read(t, file), true, false)
	if phonghop.ErrorCode(err) != phonghop.EUnavailable {
		t.Fatalf("import over a failing store: %v", err)
	}
	f.store.armed.Store(false)
	for _, name := range []string{"thuky", "daibieu01"} {
		if _, err := f.acc.ByUsername(ctx, name); phonghop.ErrorCode(err) != phonghop.ENotFound {
			t.Fatalf("%s left behind: %v", name, err)
		}
	}
	if u, _ := f.acc.User(ctx, old.ID); u.Position != "Phó Chủ tịch" {
		t.Fatalf("profile not restored: %+v", u)
	}
	users, _ := f.acc.List(ctx)
	if len(users) != 1 {
		t.Fatalf("users after the failed import: %+v", users)
	}
	got, _ := f.mtg.Meeting(ctx, m.ID)
	if len(got.Participants) != 0 {
		t.Fatalf("participants after the failed import: %+v", got.Participants)
	}

	// The same file once the store is back: everything, once.
	res, err := f.svc.ImportParticipants(ctx, m.ID, read(t, file), true, false)
	if err != nil || !res.Applied || res.Created != 2 || res.Updated != 1 {
		t.Fatalf("import = %v %+v", err, res)
	}
	got, _ = f.mtg.Meeting(ctx, m.ID)
	roles := map[string]phonghop.Role{}
	for _, p := range got.Participants {
		roles[p.DisplayName] = p.Role
	}
	if len(got.Participants) != 3 || roles["Nguyễn Văn An"] != "chair" || roles["Trần Thị Bình"] != "secretary" || roles["Lê Văn Cường"] != "delegate" {
		t.Fatalf("participants = %+v", got.Participants)
	}
	if p, _ := got.Participant(old.ID); p.Title != "Chủ tịch UBND huyện" {
		t.Fatalf("chair's title = %q", p.Title)
	}
}

// A chair imports participants of existing users only; the import merges
// with the list, is idempotent, and the export lists everyone with their
// attendance under headers the import reads again.
func TestImportParticipantsAndExport(t *testing.T) {
	ctx := context.Background()
	st, err := fsstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, st)
	ids := map[string]string{}
	for _, n := range []string{"chutich", "thuky", "daibieu01", "daibieu02", "khach"} {
		u, err := f.acc.Create(ctx, accounts.NewUser{Username: n, Password: "mat-khau-thu-nghiem", DisplayName: "Ông " + n, Unit: "Xã " + n})
		if err != nil {
			t.Fatal(err)
		}
		ids[n] = u.ID
	}
	m, _ := f.mtg.Create(ctx, meetings.NewMeeting{Title: "Họp giao ban", Language: "vi"})
	if _, _, err := f.mtg.SetParticipants(ctx, m.ID, []meetings.ParticipantChange{{UserID: ids["chutich"], Role: "chair"}}); err != nil {
		t.Fatal(err)
	}
	csv := "Tên đăng nhập,Vai trò,Chức vụ\nthuky,Thư ký,\ndaibieu01,,Đại biểu HĐND\ndaibieu02,Đại biểu,\nkhach,Khách mời,\nnguoila,,\n"
	res, err := f.svc.ImportParticipants(ctx, m.ID, read(t, []byte(csv)), false, false)
	if reasonOf(err) != "import_refused" || res.Refused != 1 || res.Rows[4].Error.Reason != "import_user_unknown" {
		t.Fatalf("chair names an unknown user: %v %+v", err, res)
	}
	csv = strings.Replace(csv, "nguoila,,\n", "", 1)
	res, err = f.svc.ImportParticipants(ctx, m.ID, read(t, []byte(csv)), false, false)
	if err != nil || res.Updated != 4 || !res.Applied {
		t.Fatalf("chair's import: %v %+v", err, res)
	}
	got, _ := f.mtg.Meeting(ctx, m.ID)
	if len(got.Participants) != 5 || got.Participants[0].Role != "chair" {
		t.Fatalf("participants = %+v", got.Participants)
	}
	if p, _ := got.Participant(ids["daibieu01"]); p.Role != "delegate" || p.Title != "Đại biểu HĐND" || p.Unit != "Xã daibieu01" {
		t.Fatalf("daibieu01 = %+v", p)
	}
	if u, _ := f.acc.User(ctx, ids["daibieu01"]); u.Position != "" {
		t.Fatalf("a chair's import changed an account: %+v", u)
	}
	res, err = f.svc.ImportParticipants(ctx, m.ID, read(t, []byte(csv)), false, false)
	if err != nil || res.Unchanged != 4 {
		t.Fatalf("again: %v %+v", err, res)
	}
	if again, _ := f.mtg.Meeting(ctx, m.ID); again.Revision != got.Revision {
		t.Fatalf("re-import changed the meeting: revision %d → %d", got.Revision, again.Revision)
	}

	// daibieu01 checked in.
	at := time.Date(2026, 12, 1, 1, 5, 0, 0, time.UTC)
	data, _ := json.Marshal(map[string]any{"present": []string{ids["daibieu01"]}, "expected": 2, "quorum": false})
	if err := f.jr.Append(ctx, m.ID, journal.Entry{Seq: 1, Type: "attendance", Time: at, Data: data}); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := f.svc.ExportParticipants(ctx, m.ID, "", &out); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	sheets := x.GetSheetList()
	table, _ := x.GetRows(sheets[0])
	if len(sheets) != 2 || sheets[0] != "Thành phần" || len(table) != 6 {
		t.Fatalf("sheets %v, rows %v", sheets, table)
	}
	if strings.Join(table[0], "|") != "STT|Họ và tên|Tên đăng nhập|Chức vụ|Đơn vị|Vai trò|Điểm danh|Thời điểm điểm danh" {
		t.Fatalf("header = %v", table[0])
	}
	if strings.Join(table[3], "|") != "3|Ông daibieu01|daibieu01|Đại biểu HĐND|Xã daibieu01|Đại biểu|Có mặt|01/12/2026 08:05" {
		t.Fatalf("daibieu01's row = %v", table[3])
	}
	if table[2][6] != "Vắng" || table[1][5] != "Chủ toạ" {
		t.Fatalf("rows = %v", table)
	}
	// The export imports again and changes nothing.
	res, err = f.svc.ImportParticipants(ctx, m.ID, read(t, out.Bytes()), false, true)
	if err != nil || res.Unchanged != 5 {
		t.Fatalf("export re-imported: %v %+v", err, res)
	}
	out.Reset()
	if err := f.svc.ExportParticipants(ctx, m.ID, "en", &out); err != nil {
		t.Fatal(err)
	}
	x, _ = excelize.OpenReader(bytes.NewReader(out.Bytes()))
	table, _ = x.GetRows("Participants")
	if len(table) != 6 || table[0][1] != "Full name" || table[3][6] != "Present" {
		t.Fatalf("english export = %v", table)
	}
}

// A hostile list: a row is as wide as its farthest cell, so one cell at
// column XFD on each of 10,000 rows (a small zip) made the reader hold 16,384
// strings per row, 2.6 GB. Such a row is refused at once with its number; a
// list as wide as MaxColumns still reads.
func TestImportRefusesFarCells(t *testing.T) {
	// Written by hand: excelize itself would fill every row to XFD.
	var sheet strings.Builder
	sheet.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
	sheet.WriteString(`<row r="1"><c r="A1" t="inlineStr"><is><t>username</t></is></c></row>`)
	for i := 2; i <= 10000; i++ {
		fmt.Fprintf(&sheet, `<row r="%d"><c r="A%d" t="inlineStr"><is><t>u%d</t></is></c><c r="XFD%d" t="inlineStr"><is><t>x</t></is></c></row>`, i, i, i, i)
	}
	sheet.WriteString(`</sheetData></worksheet>`)
	b := replaceZipPart(t, xlsx(t, [][]any{{"username"}}), "xl/worksheets/sheet1.xml", sheet.String())
	_, err := roster.Read(bytes.NewReader(b))
	if reasonOf(err) != "import_too_many_columns" {
		t.Fatalf("far cells: %v", err)
	}
	if e := phonghop.Public(err); e.Params["row"] != "2" || e.Params["max"] != fmt.Sprint(roster.MaxColumns) {
		t.Fatalf("params %v", e.Params)
	}
	// The same in a .csv: a line of 100,000 commas.
	csv := "username,họ tên\nu1," + strings.Repeat(",", 100000) + "\n"
	if _, err := roster.Read(strings.NewReader(csv)); reasonOf(err) != "import_too_many_columns" {
		t.Fatalf("wide csv: %v", err)
	}
	// MaxColumns wide is still a list.
	wide := []any{"username", "display name"}
	for len(wide) < roster.MaxColumns {
		wide = append(wide, "-")
	}
	if rows := read(t, xlsx(t, [][]any{wide, {"u1", "Người Một"}})); len(rows) != 1 || rows[0].DisplayName != "Người Một" {
		t.Fatalf("rows %+v", rows)
	}
}

// replaceZipPart returns the zip data with one part's content replaced.
func replaceZipPart(t *testing.T, data []byte, name, content string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		w, err := zw.Create(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		if f.Name == name {
			_, _ = io.WriteString(w, content)
			continue
		}
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(w, r)
		r.Close()
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// The walk-through's list named its reporter "Quan sát viên", the word on a
// council's lists, and the import refused the row.
func TestParseRoleWordsOnLists(t *testing.T) {
	for text, want := range map[string]phonghop.Role{
		"Quan sát viên": phonghop.RoleObserver, "quan sat vien": phonghop.RoleObserver, "Khách mời": phonghop.RoleObserver,
		"Đại biểu dự thính": phonghop.RoleObserver, "Chủ tọa": phonghop.RoleChair, "Thư ký": phonghop.RoleSecretary, "": phonghop.RoleDelegate,
	} {
		if got, ok := roster.ParseRole(text); !ok || got != want {
			t.Errorf("ParseRole(%q) = %q %v, want %q", text, got, ok, want)
		}
	}
	if _, ok := roster.ParseRole("Phóng viên"); ok {
		t.Error(`ParseRole("Phóng viên") accepted a position as a role`)
	}
}
