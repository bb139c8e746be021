package audit

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/phonghop/phonghop"
	"github.com/xuri/excelize/v2"
)

// exportHead are the columns of an export, in Vietnamese and English.
var exportHead = map[string][]string{
	"vi": {"STT", "Thời gian", "Thao tác", "Tên đăng nhập", "Mã người dùng", "Cuộc họp", "Đối tượng", "Địa chỉ", "Thiết bị", "Mã phản hồi", "Chi tiết", "Thay đổi"},
	"en": {"Seq", "Time", "Action", "Username", "User id", "Meeting", "Target", "Address", "Device", "Status", "Details", "Changes"},
}

var exportSheet = map[string]string{"vi": "Nhật ký lưu vết", "en": "Audit trail"}

// Row is an entry as an export's cells: times in zone (RFC 3339, so the
// offset is printed), maps as key=value pairs sorted, changes as JSON.
func Row(e Entry, zone *time.Location) []string {
	status := ""
	if e.Status != 0 {
		status = strconv.Itoa(e.Status)
	}
	changes := ""
	if len(e.Changes) > 0 {
		b, _ := json.Marshal(e.Changes)
		changes = string(b)
	}
	return []string{strconv.FormatUint(e.Seq, 10), e.Time.In(zone).Format(time.RFC3339), e.Action, e.Username, e.Actor,
		e.Meeting, pairs(e.Target), e.Address, e.Device, status, pairs(e.Details), changes}
}

func pairs(m map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		b.WriteString(k + "=" + m[k])
	}
	return b.String()
}

// WriteCSV writes entries as CSV (UTF-8 with a byte-order mark, which
// spreadsheets need to read Vietnamese), headed in lang ("vi" or "en"). A
// cell a spreadsheet would evaluate as a formula (a username a failed
// sign-in tried, say) gets a leading apostrophe.
func WriteCSV(w io.Writer, entries []Entry, lang string, zone *time.Location) error {
	head, ok := exportHead[lang]
	if !ok {
		head = exportHead["vi"]
	}
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(head); err != nil {
		return err
	}
	for _, e := range entries {
		row := Row(e, zone)
		for i, c := range row {
			row[i] = phonghop.SpreadsheetText(c)
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteXLSX writes entries as a workbook of one sheet, headed in lang. Every
// cell is a string cell (never a formula), the sequence number and status
// numbers.
func WriteXLSX(w io.Writer, entries []Entry, lang string, zone *time.Location) error {
	head, ok := exportHead[lang]
	if !ok {
		lang, head = "vi", exportHead["vi"]
	}
	f := excelize.NewFile()
	defer f.Close()
	sheet := exportSheet[lang]
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"E6EBF1"}}})
	if err != nil {
		return err
	}
	for i, width := range []float64{8, 26, 24, 18, 28, 28, 30, 16, 30, 8, 30, 50} {
		if err := sw.SetColWidth(i+1, i+1, width); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	cells := make([]any, len(head))
	for i, h := range head {
		cells[i] = excelize.Cell{StyleID: bold, Value: h}
	}
	if err := sw.SetRow("A1", cells); err != nil {
		return err
	}
	for n, e := range entries {
		row := Row(e, zone)
		cells := make([]any, len(row))
		for i, c := range row {
			cells[i] = c
		}
		cells[0] = e.Seq
		if e.Status != 0 {
			cells[9] = e.Status
		}
		cell, _ := excelize.CoordinatesToCellName(1, n+2)
		if err := sw.SetRow(cell, cells); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("audit: writing the workbook: %w", err)
	}
	return nil
}
