// Package roster brings people in from spreadsheets and lists them out: it
// reads lists of users or of a meeting's participants from .xlsx and .csv
// files (Vietnamese or English headers), plans what an import would do row by
// row (create, update, leave unchanged, refuse and why), applies a plan only
// when every row is valid, and writes a meeting's participants with their
// attendance as .xlsx. The spreadsheet format is excelize's (BSD-3); nothing
// here parses it by hand.
package roster

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/meetings"
)

// Limits of an imported file.
const (
	MaxFileBytes = 10 << 20
	MaxRows      = 10000
	// maxUnzip bounds what a .xlsx may unpack to, so a small zip bomb cannot
	// fill memory or disk.
	maxUnzip = 64 << 20
	// headerScan is how many rows from the top may hold the header (a title
	// such as "DANH SÁCH ĐẠI BIỂU" often sits above it).
	headerScan = 10
	// MaxColumns bounds a row: a spreadsheet row is as wide as its last cell
	// (one cell at column XFD is 16,384 strings), so 10,000 rows each with
	// one far cell, a few hundred KB zipped, held 2.6 GB.
	MaxColumns = 64
)

// wide refuses a row longer than MaxColumns (line counts from 1).
func wide(cols []string, line int) error {
	if len(cols) > MaxColumns {
		return phonghop.Fail(phonghop.EInvalid, "import_too_many_columns", "row", line, "max", MaxColumns)
	}
	return nil
}

// Row is one person read from a file. Line is the row's number as the
// spreadsheet shows it (1 = the first row).
type Row struct {
	Line        int    `json:"row"`
	Username    string `json:"username"`
	DisplayName string `json:"displayName,omitempty"`
	Position    string `json:"position,omitempty"`
	Unit        string `json:"unit,omitempty"`
	Phone       string `json:"phone,omitempty"`
	Email       string `json:"email,omitempty"`
	Role        string `json:"role,omitempty"`
	Password    string `json:"-"`
}

// Columns of a file, by field name, as the headers named them.
const (
	colUsername    = "username"
	colDisplayName = "displayName"
	colPosition    = "position"
	colUnit        = "unit"
	colPhone       = "phone"
	colEmail       = "email"
	colRole        = "role"
	colPassword    = "password"
	colIgnore      = "-"
)

// headers maps folded header texts (lowercase, no diacritics) to columns.
// The export's own headers are here, so an exported list imports again.
var headers = map[string]string{
	"username": colUsername, "user name": colUsername, "login": colUsername, "ten dang nhap": colUsername,
	"tai khoan": colUsername, "ten tai khoan": colUsername,
	"display name": colDisplayName, "displayname": colDisplayName, "full name": colDisplayName, "name": colDisplayName,
	"ho va ten": colDisplayName, "ho ten": colDisplayName, "ho va ten dem": colDisplayName,
	"position": colPosition, "title": colPosition, "chuc vu": colPosition, "chuc danh": colPosition,
	"unit": colUnit, "organization": colUnit, "don vi": colUnit, "co quan": colUnit, "don vi cong tac": colUnit,
	"co quan, don vi": colUnit, "co quan don vi": colUnit,
	"phone": colPhone, "telephone": colPhone, "dien thoai": colPhone, "so dien thoai": colPhone, "sdt": colPhone,
	"email": colEmail, "e-mail": colEmail, "thu dien tu": colEmail,
	"role": colRole, "vai tro": colRole, "thanh phan": colRole,
	"password": colPassword, "mat khau": colPassword,
	// Read and ignored: numbering and the export's attendance columns.
	"stt": colIgnore, "#": colIgnore, "no.": colIgnore, "no": colIgnore, "so thu tu": colIgnore,
	"attendance": colIgnore, "checked in at": colIgnore, "diem danh": colIgnore, "thoi diem diem danh": colIgnore,
}

// Read reads the people of a .xlsx (its first sheet) or .csv (UTF-8, comma or
// semicolon) file, told apart by content. The header row is the first of the
// top rows that has a username column; rows after it that are empty are
// skipped. Cells are trimmed.
func Read(r io.Reader) ([]Row, error) {
	br := bufio.NewReaderSize(io.LimitReader(r, MaxFileBytes+1), 64<<10)
	head, _ := br.Peek(8)
	var (
		table [][]string
		err   error
	)
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		table, err = readXLSX(br)
	case bytes.HasPrefix(head, []byte{0xD0, 0xCF, 0x11, 0xE0}):
		return nil, phonghop.Fail(phonghop.EUnsupportedType, "import_xls_unsupported")
	default:
		table, err = readCSV(br)
	}
	if err != nil {
		return nil, err
	}
	return rowsOf(table)
}

func readXLSX(r io.Reader) ([][]string, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, phonghop.Fail(phonghop.EInvalid, "upload_interrupted")
	}
	if len(data) > MaxFileBytes {
		return nil, phonghop.Fail(phonghop.ETooLarge, "import_too_large", "limit", "10 MiB")
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: maxUnzip, UnzipXMLSizeLimit: maxUnzip})
	if err != nil {
		return nil, phonghop.Fail(phonghop.EInvalid, "import_unreadable")
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, phonghop.Fail(phonghop.EInvalid, "import_empty")
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		return nil, phonghop.Fail(phonghop.EInvalid, "import_unreadable")
	}
	defer rows.Close()
	var table [][]string
	for rows.Next() {
		cols, err := rows.Columns()
		if err != nil {
			return nil, phonghop.Fail(phonghop.EInvalid, "import_unreadable")
		}
		if err := wide(cols, len(table)+1); err != nil {
			return nil, err
		}
		table = append(table, cols)
		if len(table) > MaxRows+headerScan {
			return nil, phonghop.Fail(phonghop.EInvalid, "import_too_many_rows", "max", MaxRows)
		}
	}
	if rows.Error() != nil {
		return nil, phonghop.Fail(phonghop.EInvalid, "import_unreadable")
	}
	return table, nil
}

func readCSV(r *bufio.Reader) ([][]string, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, phonghop.Fail(phonghop.EInvalid, "upload_interrupted")
	}
	if len(data) > MaxFileBytes {
		return nil, phonghop.Fail(phonghop.ETooLarge, "import_too_large", "limit", "10 MiB")
	}
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF")) // Excel's "CSV UTF-8" starts with a BOM
	if !utf8.Valid(data) {
		return nil, phonghop.Fail(phonghop.EInvalid, "import_not_utf8")
	}
	first, _, _ := bytes.Cut(data, []byte("\n"))
	cr := csv.NewReader(bytes.NewReader(data))
	// Spreadsheets set to a locale whose decimal mark is a comma write ';'.
	if bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")) {
		cr.Comma = ';'
	}
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	var table [][]string
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, phonghop.Fail(phonghop.EInvalid, "import_unreadable")
		}
		if err := wide(rec, len(table)+1); err != nil {
			return nil, err
		}
		table = append(table, rec)
		if len(table) > MaxRows+headerScan {
			return nil, phonghop.Fail(phonghop.EInvalid, "import_too_many_rows", "max", MaxRows)
		}
	}
	return table, nil
}

// rowsOf finds the header and reads the rows under it.
func rowsOf(table [][]string) ([]Row, error) {
	hdr, cols := -1, []string(nil)
	for i := 0; i < len(table) && i < headerScan; i++ {
		cs := make([]string, len(table[i]))
		found := false
		for j, h := range table[i] {
			cs[j] = headers[meetings.Fold(strings.Trim(strings.TrimSpace(h), "*:"))]
			found = found || cs[j] == colUsername
		}
		if found {
			hdr, cols = i, cs
			break
		}
	}
	if hdr < 0 {
		if len(table) == 0 {
			return nil, phonghop.Fail(phonghop.EInvalid, "import_empty")
		}
		return nil, phonghop.Fail(phonghop.EInvalid, "import_no_username_column")
	}
	seen := map[string]bool{}
	for _, c := range cols {
		if c != "" && c != colIgnore && seen[c] {
			return nil, phonghop.Fail(phonghop.EInvalid, "import_column_twice", "column", c)
		}
		seen[c] = true
	}
	var out []Row
	for i := hdr + 1; i < len(table); i++ {
		row := Row{Line: i + 1}
		empty := true
		for j, v := range table[i] {
			if j >= len(cols) {
				break
			}
			// A cell wrapped in Excel (Alt+Enter), or with a tab or a no-break
			// space pasted in, is one line with single spaces: a name or a
			// unit is one line everywhere it is shown.
			v = strings.Join(strings.Fields(v), " ")
			if v != "" && cols[j] != colIgnore && cols[j] != "" {
				empty = false
			}
			switch cols[j] {
			case colUsername:
				row.Username = v
			case colDisplayName:
				row.DisplayName = v
			case colPosition:
				row.Position = v
			case colUnit:
				row.Unit = v
			case colPhone:
				row.Phone = v
			case colEmail:
				row.Email = v
			case colRole:
				row.Role = v
			case colPassword:
				row.Password = v
			}
		}
		if empty {
			continue
		}
		out = append(out, row)
	}
	if len(out) == 0 {
		return nil, phonghop.Fail(phonghop.EInvalid, "import_empty")
	}
	if len(out) > MaxRows {
		return nil, phonghop.Fail(phonghop.EInvalid, "import_too_many_rows", "max", MaxRows)
	}
	return out, nil
}

// roles maps folded role texts to roles.
var roles = map[string]phonghop.Role{
	"chair": phonghop.RoleChair, "chu toa": phonghop.RoleChair, "chu tri": phonghop.RoleChair, "chu toa hoi nghi": phonghop.RoleChair,
	"secretary": phonghop.RoleSecretary, "thu ky": phonghop.RoleSecretary,
	"delegate": phonghop.RoleDelegate, "dai bieu": phonghop.RoleDelegate, "thanh vien": phonghop.RoleDelegate,
	"observer": phonghop.RoleObserver, "khach moi": phonghop.RoleObserver, "quan sat": phonghop.RoleObserver,
	"quan sat vien": phonghop.RoleObserver, "du thinh": phonghop.RoleObserver, "dai bieu du thinh": phonghop.RoleObserver,
}

// ParseRole reads a role in English or Vietnamese, with or without
// diacritics; "" is a delegate.
func ParseRole(s string) (phonghop.Role, bool) {
	if strings.TrimSpace(s) == "" {
		return phonghop.RoleDelegate, true
	}
	r, ok := roles[meetings.Fold(s)]
	return r, ok
}
