package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/convert"
	"github.com/phonghop/phonghop/internal/officetest"
	"github.com/phonghop/phonghop/internal/testtool"
	"github.com/phonghop/phonghop/meetings"
	"github.com/phonghop/phonghop/storage"
)

// liveConn is a participant's live socket, read frame by frame.
type liveConn struct {
	t    *testing.T
	conn *websocket.Conn
}

func (h *harness) live(t *testing.T, mid, as string) *liveConn {
	t.Helper()
	conn, _, err := websocket.DefaultDialer.Dial(wsURL(h, mid), http.Header{"Authorization": {"Bearer " + h.tokens[as]}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	lc := &liveConn{t: t, conn: conn}
	lc.next(5 * time.Second) // the snapshot
	return lc
}

type frame struct {
	Type     string          `json:"type"`
	Seq      uint64          `json:"seq"`
	Document json.RawMessage `json:"document"`
}

func (l *liveConn) next(d time.Duration) (frame, bool) {
	l.conn.SetReadDeadline(time.Now().Add(d))
	_, data, err := l.conn.ReadMessage()
	if err != nil {
		return frame{}, false
	}
	var f frame
	if err := json.Unmarshal(data, &f); err != nil {
		l.t.Fatalf("frame %s: %v", data, err)
	}
	return f, true
}

// documents reads frames until one that is not a document's, or d passes,
// and returns the documents seen.
func (l *liveConn) documents(d time.Duration, until func(phonghop.Document) bool) []phonghop.Document {
	var out []phonghop.Document
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		f, ok := l.next(time.Until(deadline))
		if !ok {
			break
		}
		if f.Type != "document" {
			continue
		}
		var doc phonghop.Document
		json.Unmarshal(f.Document, &doc)
		out = append(out, doc)
		if until != nil && until(doc) {
			break
		}
	}
	return out
}

// withConversions gives the harness a conversion queue on the real
// LibreOffice (scripts/tools.sh office), started by run.
func (h *harness) withConversions(t *testing.T) (q *convert.Queue, run func()) {
	t.Helper()
	soffice, err := testtool.Find("soffice", "office")
	if err != nil {
		t.Fatal(err)
	}
	q = &convert.Queue{Store: h.store, Converter: &convert.Converter{Soffice: soffice, TempDir: t.TempDir()},
		Handler: h.mtg, Lease: 3 * time.Second, Poll: 200 * time.Millisecond}
	h.mtg.Conversions = q
	h.mtg.Events = h.hub
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	started := false
	t.Cleanup(func() {
		cancel()
		if started {
			<-done
		}
	})
	return q, func() {
		started = true
		go func() { defer close(done); q.Run(ctx) }()
	}
}

// TestOfficeDocument: a Word file answers at once as "queued"; its content
// is 409 until the PDF is made; every tablet is told as the conversion moves
// on; the PDF keeps the Vietnamese text and is served like any PDF (page
// index, ETag); the original stays for download. A conversion whose server
// died is taken up again after its lease (attempt 2), and one interrupted
// too often fails and says so, instead of "converting" forever.
func TestOfficeDocument(t *testing.T) {
	h := newHarness(t, nil)
	h.mtg.DocumentLimit = 20 << 20
	f := h.meeting(1)
	q, run := h.withConversions(t)
	ctx := context.Background()
	delegate := h.live(t, f.id, "daibieu01")

	docx := officetest.Docx(officetest.Vietnamese())
	r := h.upload(f.id, "thuky", "Báo cáo tổng kết.docx", docx)
	if r.status != 201 {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	var doc phonghop.Document
	json.Unmarshal(r.body, &doc)
	if doc.Conversion == nil || doc.Conversion.State != "queued" || doc.Original == nil || doc.Original.Size != int64(len(docx)) {
		t.Fatalf("upload answer: %s", r.body)
	}
	if got := delegate.documents(5*time.Second, func(d phonghop.Document) bool { return d.ID == doc.ID }); len(got) != 1 || got[0].Conversion.State != "queued" {
		t.Fatalf("the tablet was not told of the queued document: %+v", got)
	}
	base := "/api/v1/meetings/" + f.id + "/documents/" + doc.ID
	if r := h.do("GET", base+"/content", "daibieu01", nil); r.status != 409 || !strings.Contains(string(r.body), "document_converting") {
		t.Fatalf("content while converting: %d %s", r.status, r.body)
	}
	var item phonghop.AgendaItem
	h.mustDo("POST", "/api/v1/meetings/"+f.id+"/agenda", "thuky", map[string]any{"title": "Báo cáo", "documentIds": []string{doc.ID}}, 201, &item)
	if r := h.do("PUT", "/api/v1/meetings/"+f.id+"/presentation", "chutich", map[string]any{"agendaItemId": item.ID, "documentId": doc.ID, "page": 1}); r.status != 400 || !strings.Contains(string(r.body), "document_not_ready") {
		t.Fatalf("presenting a document being converted: %d %s", r.status, r.body)
	}

	// A worker of a process that then died took the job.
	jobKey := "conversions/" + f.id + "/" + doc.ID + ".json"
	if _, err := storage.UpdateJSON(ctx, h.store, jobKey, false, func(j *convert.Job) error {
		j.Attempts, j.Owner, j.LeaseUntil = 1, "dead", time.Now().Add(2*time.Second)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// A second upload whose conversion was cut short three times already.
	r = h.upload(f.id, "thuky", "Phụ lục.docx", docx)
	var doomed phonghop.Document
	json.Unmarshal(r.body, &doomed)
	if _, err := storage.UpdateJSON(ctx, h.store, "conversions/"+f.id+"/"+doomed.ID+".json", false, func(j *convert.Job) error {
		j.Attempts, j.Owner = 3, "dead"
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	run() // the restarted server
	seen := delegate.documents(90*time.Second, func(d phonghop.Document) bool { return d.ID == doc.ID && d.Ready() })
	var converting, failed bool
	for _, d := range seen {
		if d.ID == doc.ID && d.Conversion != nil && d.Conversion.State == "converting" {
			converting = true
			if d.Conversion.Attempt != 2 || d.Conversion.StartedAt == nil || d.Conversion.EstimateSeconds <= 0 {
				t.Errorf("converting: %+v", d.Conversion)
			}
		}
		if d.ID == doomed.ID && d.Conversion != nil && d.Conversion.State == "failed" {
			failed = true
			if e := d.Conversion.Error; e == nil || e.Reason != "conversion_interrupted" || e.Params["attempts"] != "3" {
				t.Errorf("interrupted job: %+v", e)
			}
		}
	}
	if len(seen) == 0 || !seen[len(seen)-1].Ready() || !converting || !failed {
		t.Fatalf("events: converting=%v failed=%v, %d documents, last %+v", converting, failed, len(seen), seen)
	}
	ready := seen[len(seen)-1]
	if ready.Pages < 1 || ready.Size == 0 || ready.SHA256 == "" || ready.ContentType != "application/pdf" {
		t.Fatalf("ready document: %+v", ready)
	}
	// The job is removed just after the document is made ready.
	for i := 0; ; i++ {
		jobs, _ := q.Pending(ctx)
		if len(jobs) == 0 {
			break
		}
		if i == 50 {
			t.Fatalf("jobs left: %+v", jobs)
		}
		time.Sleep(100 * time.Millisecond)
	}

	r = h.mustDo("GET", base+"/content", "daibieu01", nil, 200, nil)
	if r.header.Get("Content-Type") != "application/pdf" || r.header.Get("ETag") != `"`+ready.SHA256+`"` ||
		!strings.Contains(r.header.Get("Content-Disposition"), "B%C3%A1o%20c%C3%A1o%20t%E1%BB%95ng%20k%E1%BA%BFt.pdf") {
		t.Errorf("content headers: %v", r.header)
	}
	pdf := filepath.Join(t.TempDir(), "out.pdf")
	os.WriteFile(pdf, r.body, 0o600)
	text, err := exec.Command("pdftotext", pdf, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v %s", err, text)
	}
	flat := strings.Join(strings.Fields(string(text)), " ")
	for _, want := range []string{"Ủy ban nhân dân huyện Tháp Mười", "Hồ sơ giải quyết đúng hạn", "86,9%"} {
		if !strings.Contains(flat, want) {
			t.Errorf("the served PDF lost %q: %s", want, flat)
		}
	}
	r = h.mustDo("GET", base+"/original", "daibieu01", nil, 200, nil)
	if !bytes.Equal(r.body, docx) || !strings.HasPrefix(r.header.Get("Content-Disposition"), "attachment") {
		t.Errorf("original: %d bytes, %v", len(r.body), r.header)
	}
	if r := h.do("GET", "/api/v1/meetings/"+f.id+"/documents/"+doomed.ID+"/content", "daibieu01", nil); r.status != 409 || !strings.Contains(string(r.body), "document_conversion_failed") {
		t.Errorf("failed document's content: %d %s", r.status, r.body)
	}

	// A file that is not what its name says is refused at once, and nothing is queued.
	if r := h.upload(f.id, "thuky", "virus.docx", []byte("MZ\x90\x00 not a Word file")); r.status != 415 || !strings.Contains(string(r.body), "office_content_mismatch") {
		t.Errorf("a false .docx: %d %s", r.status, r.body)
	}
	if jobs, _ := q.Pending(ctx); len(jobs) != 0 {
		t.Errorf("jobs after a refused upload: %+v", jobs)
	}
}

// TestOfficeRefusedWithoutLibreOffice: a server with no converter refuses
// office files with 415 and a reason that says so.
func TestOfficeRefusedWithoutLibreOffice(t *testing.T) {
	h := newHarness(t, nil)
	f := h.meeting(0)
	r := h.upload(f.id, "thuky", "Báo cáo.docx", officetest.Docx(officetest.Vietnamese()))
	if r.status != 415 || !strings.Contains(string(r.body), "office_conversion_off") {
		t.Fatalf("%d %s", r.status, r.body)
	}
}

func (h *harness) uploadWith(mid, as, name string, data []byte, fields map[string]string) response {
	h.t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	fw, _ := w.CreateFormFile("file", name)
	fw.Write(data)
	w.Close()
	return h.do("POST", "/api/v1/meetings/"+mid+"/documents", as, b.Bytes(), "Content-Type", w.FormDataContentType())
}

// TestConfidentialDocument: a document limited to one delegate is not
// listed for the other (meeting, list, agenda, minutes), is 404 to them
// (content, notes), cannot be presented to the room, and its live news
// reaches its readers only, in replay too. Opening it to all tells everyone;
// closing it again tells the others to drop it.
func TestConfidentialDocument(t *testing.T) {
	h := newHarness(t, nil)
	f := h.meeting(2)
	h.mtg.Events = h.hub
	reader, other := h.live(t, f.id, "daibieu01"), h.live(t, f.id, "daibieu02")

	r := h.uploadWith(f.id, "thuky", "Tài liệu mật.pdf", testPDF(3), map[string]string{
		"confidential": "true", "readers": h.users["daibieu01"].ID, "watermark": "true"})
	if r.status != 201 {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	var doc phonghop.Document
	json.Unmarshal(r.body, &doc)
	if !doc.Confidential || !doc.Watermark || len(doc.Readers) != 1 {
		t.Fatalf("upload answer: %s", r.body)
	}
	h.mustDo("PUT", "/api/v1/meetings/"+f.id+"/agenda/"+f.item, "thuky", map[string]any{"title": "Báo cáo tổng kết", "documentIds": []string{f.doc, doc.ID}}, 200, nil)
	h.mustDo("POST", "/api/v1/meetings/"+f.id+"/attendance", "chutich", nil, 200, nil)

	if got := reader.documents(3*time.Second, func(d phonghop.Document) bool { return d.ID == doc.ID }); len(got) != 1 {
		t.Errorf("the reader was not told of the document: %+v", got)
	}
	// Up to the check-in, the other delegate hears nothing of the document,
	// not even its id: the agenda's change, yes (it reloads and sees the
	// agenda without it), without the id in the item's documentIds.
	agendaChange := false
	for {
		l := other
		l.conn.SetReadDeadline(time.Now().Add(3 * time.Second))
		_, data, err := l.conn.ReadMessage()
		if err != nil {
			t.Fatalf("no check-in: %v", err)
		}
		if strings.Contains(string(data), `"type":"document"`) || strings.Contains(string(data), "Tài liệu mật") ||
			strings.Contains(string(data), `"confidential"`) || strings.Contains(string(data), doc.ID) {
			t.Errorf("the other delegate got %s", data)
		}
		agendaChange = agendaChange || strings.Contains(string(data), `"action":"agenda.updated"`)
		if strings.Contains(string(data), `"type":"attendance"`) {
			break
		}
	}
	if !agendaChange {
		t.Error("the other delegate was not told of the agenda's change")
	}
	// The journal keeps the change whole for its audience's record: the
	// agenda item's change without the id, and that the document was
	// attached, naming nothing else.
	if c, _ := h.lastChange(f.id, "agenda.updated"); strings.Contains(string(mustJSON(c)), doc.ID) {
		t.Errorf("the public change names the document: %+v", c)
	}
	if c, _ := h.lastChange(f.id, "document.attached"); c.DocumentID != doc.ID || c.ItemID != f.item || c.Details["confidential"] != "true" {
		t.Errorf("the document's own change: %+v", c)
	}

	// Snapshots, replays and the room's state over REST hold the same. A
	// rename of the document is then the newest change: the reader's
	// snapshot carries it, the other delegate's the agenda's change.
	var renamed phonghop.Meeting
	h.mustDo("PATCH", "/api/v1/meetings/"+f.id+"/documents/"+doc.ID, "thuky", map[string]any{"name": "Mật (sửa).pdf"}, 200, nil)
	h.mustDo("GET", "/api/v1/meetings/"+f.id, "daibieu01", nil, 200, &renamed)
	snapshot := func(as string) (setup phonghop.Change, raw string) {
		conn, _, err := websocket.DefaultDialer.Dial(wsURL(h, f.id), http.Header{"Authorization": {"Bearer " + h.tokens[as]}})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, data, err := conn.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		var fr struct {
			State struct {
				Setup phonghop.Change `json:"setup"`
			} `json:"state"`
		}
		json.Unmarshal(data, &fr)
		return fr.State.Setup, string(data)
	}
	if setup, raw := snapshot("daibieu02"); strings.Contains(raw, doc.ID) || setup.Action != "agenda.updated" {
		t.Errorf("the other delegate's snapshot: %s", raw)
	}
	if setup, raw := snapshot("daibieu01"); setup.Action != "document.renamed" || setup.DocumentID != doc.ID || setup.Revision != renamed.Revision {
		t.Errorf("the reader's snapshot: %s", raw)
	}
	if r := h.mustDo("GET", "/api/v1/meetings/"+f.id+"/state", "daibieu02", nil, 200, nil); strings.Contains(string(r.body), doc.ID) {
		t.Errorf("the room's state over REST: %s", r.body)
	}
	replayOf := func(as string) string {
		conn, _, err := websocket.DefaultDialer.Dial(wsURL(h, f.id)+"?since=0", http.Header{"Authorization": {"Bearer " + h.tokens[as]}})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		var all strings.Builder
		for {
			conn.SetReadDeadline(time.Now().Add(2 * time.Second))
			_, data, err := conn.ReadMessage()
			if err != nil {
				return all.String()
			}
			all.Write(data)
		}
	}
	if got := replayOf("daibieu02"); strings.Contains(got, doc.ID) || !strings.Contains(got, `"agenda.updated"`) {
		t.Errorf("the other delegate's replay: %s", got)
	}
	if got := replayOf("daibieu01"); !strings.Contains(got, `"document.attached"`) || !strings.Contains(got, `"document.renamed"`) {
		t.Errorf("the reader's replay: %s", got)
	}

	seesIt := func(as string) bool {
		var m phonghop.Meeting
		h.mustDo("GET", "/api/v1/meetings/"+f.id, as, nil, 200, &m)
		_, listed := m.Document(doc.ID)
		it, _ := m.Item(f.item)
		attached := strings.Contains(strings.Join(it.DocumentIDs, ","), doc.ID)
		var ms []phonghop.Meeting
		h.mustDo("GET", "/api/v1/meetings", as, nil, 200, &ms)
		inList := bytes.Contains(mustJSON(ms), []byte(doc.ID))
		if listed != attached || listed != inList {
			t.Errorf("%s: listed %v, attached %v, in the meeting list %v", as, listed, attached, inList)
		}
		return listed
	}
	for as, want := range map[string]bool{"daibieu01": true, "daibieu02": false, "thuky": true, "chutich": true, "admin": true} {
		if got := seesIt(as); got != want {
			t.Errorf("%s sees the confidential document: %v, want %v", as, got, want)
		}
	}
	base := "/api/v1/meetings/" + f.id + "/documents/" + doc.ID
	for _, path := range []string{"/content", "/content?view=1", "/notes", "/original"} {
		if r := h.do("GET", base+path, "daibieu02", nil); r.status != 404 {
			t.Errorf("%s as a non-reader: %d", path, r.status)
		}
	}
	h.mustDo("GET", base+"/content", "daibieu01", nil, 200, nil)
	if r := h.do("GET", "/api/v1/meetings/"+f.id+"/minutes", "daibieu02", nil); r.status != 200 || strings.Contains(string(r.body), "Tài liệu mật") {
		t.Errorf("the minutes name the confidential document: %d %s", r.status, r.body)
	}
	if r := h.do("PUT", "/api/v1/meetings/"+f.id+"/presentation", "chutich", map[string]any{"agendaItemId": f.item, "documentId": doc.ID, "page": 1}); r.status != 400 || !strings.Contains(string(r.body), "document_confidential_present") {
		t.Errorf("presenting it to the room: %d %s", r.status, r.body)
	}
	if r := h.do("PUT", base+"/access", "daibieu01", map[string]any{"confidential": false}); r.status != 403 {
		t.Errorf("a reader changing access: %d", r.status)
	}
	if r := h.do("PUT", base+"/access", "thuky", map[string]any{"confidential": true, "readers": []string{h.users["outsider"].ID}}); r.status != 400 {
		t.Errorf("an outsider as reader: %d %s", r.status, r.body)
	}

	// Replay skips it for the other delegate.
	conn, _, err := websocket.DefaultDialer.Dial(wsURL(h, f.id)+"?since=0", http.Header{"Authorization": {"Bearer " + h.tokens["daibieu02"]}})
	if err != nil {
		t.Fatal(err)
	}
	replay := &liveConn{t: t, conn: conn}
	for {
		fr, ok := replay.next(time.Second)
		if !ok {
			break
		}
		if fr.Type == "document" {
			t.Errorf("replay gave the other delegate %s", fr.Document)
		}
	}
	conn.Close()

	// Open to all: the other delegate is told, and sees it.
	h.mustDo("PUT", base+"/access", "thuky", map[string]any{"confidential": false}, 200, nil)
	if got := other.documents(3*time.Second, func(d phonghop.Document) bool { return d.ID == doc.ID }); len(got) != 1 || got[0].Confidential {
		t.Errorf("opened to all: %+v", got)
	}
	if !seesIt("daibieu02") {
		t.Error("opened to all, still hidden")
	}
	// Confidential again: the other delegate is told to drop it.
	h.mustDo("PUT", base+"/access", "thuky", map[string]any{"confidential": true, "readers": []string{h.users["daibieu01"].ID}}, 200, nil)
	for {
		fr, ok := other.next(3 * time.Second)
		if !ok {
			t.Fatal("closed again: the other delegate was not told")
		}
		if fr.Type == "document" {
			if !strings.Contains(string(fr.Document), `"gone":true`) || strings.Contains(string(fr.Document), "Tài liệu") {
				t.Errorf("closed again: %s", fr.Document)
			}
			break
		}
	}

	// An item added with it, then deleted, then the document deleted: the
	// reader hears of each; the other delegate of the item, never the id.
	var added phonghop.AgendaItem
	h.mustDo("POST", "/api/v1/meetings/"+f.id+"/agenda", "thuky", map[string]any{"title": "Nhân sự", "documentIds": []string{doc.ID}}, 201, &added)
	h.mustDo("DELETE", "/api/v1/meetings/"+f.id+"/agenda/"+added.ID, "thuky", nil, 204, nil)
	h.mustDo("DELETE", base, "thuky", nil, 204, nil)
	actions := func(l *liveConn, until string) (seen []string) {
		for {
			l.conn.SetReadDeadline(time.Now().Add(3 * time.Second))
			_, data, err := l.conn.ReadMessage()
			if err != nil {
				return seen
			}
			var fr struct {
				Type  string          `json:"type"`
				Setup phonghop.Change `json:"setup"`
			}
			json.Unmarshal(data, &fr)
			if fr.Type == "setup" {
				seen = append(seen, fr.Setup.Action)
				if l == other && strings.Contains(string(data), doc.ID) {
					t.Errorf("the other delegate got %s", data)
				}
			}
			if fr.Setup.Action == until {
				return seen
			}
		}
	}
	if got := actions(reader, "document.deleted"); !slices.Contains(got, "document.deleted") || !slices.Contains(got, "agenda.added") {
		t.Errorf("the reader heard %v", got)
	}
	if got := actions(other, "-"); !slices.Contains(got, "agenda.added") || !slices.Contains(got, "agenda.deleted") || slices.Contains(got, "document.deleted") {
		t.Errorf("the other delegate heard %v", got)
	}
}

// TestOfficeVersion: a new version uploaded as a Word file is converted by
// the job while the document stays as it was (ready, its bytes served);
// another new version meanwhile is refused; when the PDF is made it becomes
// version 2 (same id, version 1 kept with its bytes), tablets are told, and
// its original downloads. Deleting the document then removes every version's
// bytes and originals. On both stores: versions and originals are objects.
func TestOfficeVersion(t *testing.T) { forEachStore(t, testOfficeVersion) }

func testOfficeVersion(t *testing.T, st storage.Store) {
	h := newHarness(t, st)
	h.mtg.DocumentLimit = 20 << 20
	f := h.meeting(1)
	q, run := h.withConversions(t)
	ctx := context.Background()
	mid, did := f.id, f.doc
	base := "/api/v1/meetings/" + mid + "/documents/" + did
	v1 := h.getMeeting(mid)
	old, _ := v1.Document(did)
	tablet := h.live(t, mid, "daibieu01")

	docx := officetest.Docx(officetest.Vietnamese())
	r := h.replace(mid, did, "thuky", "Báo cáo (sửa).docx", docx)
	var doc phonghop.Document
	if r.status != 201 || json.Unmarshal(r.body, &doc) != nil {
		t.Fatalf("replace with Word: %d %s", r.status, r.body)
	}
	if !doc.Ready() || doc.Version > 1 || doc.SHA256 != old.SHA256 || doc.Replacing == nil || doc.Replacing.Conversion.State != "queued" ||
		doc.Replacing.Original.Size != int64(len(docx)) || doc.Replacing.By != h.users["thuky"].ID {
		t.Fatalf("queued version: %s", r.body)
	}
	// Meanwhile the document is version 1, served; another version waits.
	if r := h.mustDo("GET", base+"/content", "daibieu01", nil, 200, nil); r.header.Get("ETag") != `"`+old.SHA256+`"` {
		t.Fatalf("content while the new version converts: %v", r.header)
	}
	if r := h.replace(mid, did, "thuky", "v3.pdf", testPDF(2)); r.status != 409 || reasonOf(r) != "document_version_converting" {
		t.Fatalf("a PDF version while one converts: %d %s", r.status, r.body)
	}
	if r := h.replace(mid, did, "thuky", "v3.docx", docx); r.status != 409 || reasonOf(r) != "document_version_converting" {
		t.Fatalf("a Word version while one converts: %d %s", r.status, r.body)
	}

	run()
	var converting bool
	var setup phonghop.Change
	deadline := time.Now().Add(120 * time.Second)
	for setup.Action != "document.replaced" && time.Now().Before(deadline) {
		tablet.conn.SetReadDeadline(deadline)
		var fr struct {
			Type     string            `json:"type"`
			Document phonghop.Document `json:"document"`
			Setup    phonghop.Change   `json:"setup"`
		}
		if err := tablet.conn.ReadJSON(&fr); err != nil {
			t.Fatalf("waiting for the new version: %v", err)
		}
		if fr.Type == "document" && fr.Document.Replacing != nil && fr.Document.Replacing.Conversion.State == "converting" {
			converting = fr.Document.Ready() && fr.Document.SHA256 == old.SHA256
		}
		if fr.Type == "setup" {
			setup = fr.Setup
		}
	}
	if !converting || setup.DocumentID != did || setup.Version != 2 {
		t.Fatalf("the tablet saw converting=%v, then %+v", converting, setup)
	}
	if _, by := h.lastChange(mid, "document.replaced"); by != h.users["thuky"].ID {
		t.Errorf("journaled as made by %q", by)
	}
	cur := h.getMeeting(mid)
	doc, _ = cur.Document(did)
	if doc.Version != 2 || doc.Replacing != nil || doc.Original == nil || doc.Original.Name != "Báo cáo (sửa).docx" ||
		doc.Name != old.Name || doc.SHA256 == old.SHA256 || len(doc.Previous) != 1 || doc.Previous[0].SHA256 != old.SHA256 ||
		doc.Previous[0].ReplacedBy != h.users["thuky"].ID || doc.UploadedBy != h.users["thuky"].ID {
		t.Fatalf("version 2: %+v", doc)
	}
	r = h.mustDo("GET", base+"/content", "daibieu01", nil, 200, nil)
	pdf := filepath.Join(t.TempDir(), "v2.pdf")
	os.WriteFile(pdf, r.body, 0o600)
	text, err := exec.Command("pdftotext", pdf, "-").CombinedOutput()
	if err != nil || !strings.Contains(strings.Join(strings.Fields(string(text)), " "), "Ủy ban nhân dân huyện Tháp Mười") {
		t.Fatalf("version 2's text: %v %s", err, text)
	}
	if r := h.mustDo("GET", base+"/original", "daibieu01", nil, 200, nil); !bytes.Equal(r.body, docx) {
		t.Errorf("version 2's original: %d bytes", len(r.body))
	}
	for _, key := range []string{meetings.DocumentKey(mid, old.BlobID()), meetings.DocumentKey(mid, doc.Blob), "meetings/" + mid + "/originals/" + doc.Blob} {
		if _, err := h.store.Stat(ctx, key); err != nil {
			t.Errorf("%s: %v", key, err)
		}
	}
	if jobs, _ := q.Pending(ctx); len(jobs) != 0 {
		t.Errorf("jobs left: %+v", jobs)
	}

	// Deleted: every version's bytes and originals go.
	h.mustDo("DELETE", base, "thuky", nil, 204, nil)
	for _, key := range []string{meetings.DocumentKey(mid, old.BlobID()), meetings.DocumentKey(mid, doc.Blob), "meetings/" + mid + "/originals/" + doc.Blob} {
		if _, err := h.store.Stat(ctx, key); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("after delete, %s: %v", key, err)
		}
	}
}

// TestDeleteOfficeDocument: deleting a document still waiting for its
// conversion removes its original and its job (no worker converts it after).
func TestDeleteOfficeDocument(t *testing.T) { forEachStore(t, testDeleteOfficeDocument) }

func testDeleteOfficeDocument(t *testing.T, st storage.Store) {
	h := newHarness(t, st)
	f := h.meeting(0)
	q, _ := h.withConversions(t) // not run: the job waits
	ctx := context.Background()
	r := h.upload(f.id, "thuky", "Tờ trình.docx", officetest.Docx(officetest.Vietnamese()))
	var doc phonghop.Document
	if r.status != 201 || json.Unmarshal(r.body, &doc) != nil {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	original := "meetings/" + f.id + "/originals/" + doc.ID
	if _, err := h.store.Stat(ctx, original); err != nil {
		t.Fatalf("original: %v", err)
	}
	if jobs, _ := q.Pending(ctx); len(jobs) != 1 {
		t.Fatalf("jobs: %+v", jobs)
	}
	h.mustDo("DELETE", "/api/v1/meetings/"+f.id+"/documents/"+doc.ID, "thuky", nil, 204, nil)
	if _, err := h.store.Stat(ctx, original); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("original after delete: %v", err)
	}
	if jobs, _ := q.Pending(ctx); len(jobs) != 0 {
		t.Errorf("jobs after delete: %+v", jobs)
	}
}
