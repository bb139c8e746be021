package minutes

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/digitorus/pdfsign/verify"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/journal"
	"github.com/phonghop/phonghop/storage"
	"github.com/phonghop/phonghop/storage/fsstore"
)

var (
	secretary = phonghop.User{ID: "u-sec", DisplayName: "Lê Thị Thu Hà"}
	chair     = phonghop.User{ID: "u-chair"}
	delegate  = phonghop.User{ID: "u-tp"}
)

// newService is a Service on a real directory store holding the demo meeting's
// journal.
func newService(t *testing.T) *Service {
	t.Helper()
	st, err := fsstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	j := &journal.Journal{Store: st}
	ctx := context.Background()
	for _, e := range demoJournal() {
		if err := j.Append(ctx, "m1", e); err != nil {
			t.Fatal(err)
		}
	}
	clock := at(200)
	return &Service{Store: st, Journal: j, Meetings: fakeMeetings{"m1": demoMeeting()},
		Polls: fakePolls{demoPoll()}, Now: func() time.Time { return clock }}
}

func TestUpdate(t *testing.T) {
	s := newService(t)
	ctx := context.Background()
	d, err := s.Get(ctx, "m1")
	if err != nil {
		t.Fatal(err)
	}
	if d.Revision != 0 || len(d.Items) != 5 || d.Items[3].Polls[0].Counts[0] != 3 {
		t.Fatalf("fresh draft: %+v", d)
	}
	d.Summary = "Kết luận."
	d.Guests = "Trần Văn Khách – Sở Nội vụ tỉnh"
	d.Items[1].Notes = "Ghi chép."
	d.Items[1].Title = "ignored: assembled fields are not edited"
	d.Items = append(d.Items, Item{AgendaItemID: "nope", Notes: "unknown item: ignored"})
	d2, err := s.Update(ctx, "m1", secretary, d)
	if err != nil {
		t.Fatal(err)
	}
	if d2.Revision != 1 || d2.Summary != "Kết luận." || d2.Items[1].Notes != "Ghi chép." ||
		d2.Items[1].Title != demoMeeting().Agenda[1].Title || len(d2.Items) != 5 || d2.UpdatedBy != "u-sec" {
		t.Fatalf("after update: %+v", d2)
	}
	got, _ := s.Get(ctx, "m1")
	if got.Revision != 1 || got.Items[1].Notes != "Ghi chép." || got.Guests != "Trần Văn Khách – Sở Nội vụ tỉnh" {
		t.Fatalf("not kept: %+v", got)
	}

	// a stale revision is refused and changes nothing
	d.Summary = "overwrite"
	_, err = s.Update(ctx, "m1", chair, d)
	if phonghop.ErrorCode(err) != phonghop.EConflict || phonghop.ErrorMessage(err) != "minutes were changed by someone else; reload" {
		t.Fatalf("stale update: %v", err)
	}
	if got, _ := s.Get(ctx, "m1"); got.Summary != "Kết luận." {
		t.Fatalf("a stale update changed the summary to %q", got.Summary)
	}

	if _, err := s.Update(ctx, "m1", delegate, got); phonghop.ErrorCode(err) != phonghop.EForbidden {
		t.Fatalf("delegate update: %v", err)
	}
	got.Summary = strings.Repeat("x", MaxTextSize+1)
	if _, err := s.Update(ctx, "m1", chair, got); phonghop.ErrorCode(err) != phonghop.EInvalid {
		t.Fatalf("oversized summary: %v", err)
	}
	got.Summary = strings.Repeat("x", MaxTextSize) // exactly the limit is fine
	got.Items[0].Notes = strings.Repeat("y", MaxTextSize)
	if _, err := s.Update(ctx, "m1", chair, got); err != nil {
		t.Fatalf("update at the limit: %v", err)
	}
	got.Revision++
	got.Guests = strings.Repeat("g", MaxTextSize+1)
	if _, err := s.Update(ctx, "m1", chair, got); phonghop.ErrorCode(err) != phonghop.EInvalid {
		t.Fatalf("oversized guests: %v", err)
	}
	got.Guests = ""
	got.Items[0].Conclusion = strings.Repeat("z", MaxTextSize+1)
	if _, err := s.Update(ctx, "m1", chair, got); phonghop.ErrorCode(err) != phonghop.EInvalid {
		t.Fatalf("oversized conclusion: %v", err)
	}
	if _, err := s.Get(ctx, "nope"); phonghop.ErrorCode(err) != phonghop.ENotFound {
		t.Fatalf("unknown meeting: %v", err)
	}
}

func TestUpdateRace(t *testing.T) {
	s := newService(t)
	ctx := context.Background()
	base, err := s.Get(ctx, "m1")
	if err != nil {
		t.Fatal(err)
	}
	const editors = 8
	var wg sync.WaitGroup
	var mu sync.Mutex
	var won []string
	conflicts := 0
	for i := 0; i < editors; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			d := base
			d.Summary = fmt.Sprintf("editor %d", i)
			_, err := s.Update(ctx, "m1", secretary, d)
			mu.Lock()
			defer mu.Unlock()
			switch phonghop.ErrorCode(err) {
			case "":
				won = append(won, d.Summary)
			case phonghop.EConflict:
				conflicts++
			default:
				t.Errorf("editor %d: %v", i, err)
			}
		}(i)
	}
	wg.Wait()
	if len(won) != 1 || conflicts != editors-1 {
		t.Fatalf("%d editors won (%v), %d conflicts; want exactly one winner", len(won), won, conflicts)
	}
	got, _ := s.Get(ctx, "m1")
	if got.Revision != 1 || got.Summary != won[0] {
		t.Fatalf("stored %d %q, winner %q", got.Revision, got.Summary, won[0])
	}
}

func readAll(t *testing.T, rc io.ReadCloser) []byte {
	t.Helper()
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestVersions(t *testing.T) {
	s := newService(t)
	ctx := context.Background()
	if _, _, err := s.Open(ctx, "m1", 0); phonghop.ErrorCode(err) != phonghop.ENotFound {
		t.Fatalf("open before any rendering: %v", err)
	}
	v1, err := s.RenderAndStore(ctx, "m1", secretary)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := s.Get(ctx, "m1")
	d.Summary = "Kết luận của chủ trì."
	if _, err := s.Update(ctx, "m1", secretary, d); err != nil {
		t.Fatal(err)
	}
	v2, err := s.RenderAndStore(ctx, "m1", chair)
	if err != nil {
		t.Fatal(err)
	}
	if v1.Version != 1 || v2.Version != 2 || v1.SHA256 == v2.SHA256 || v2.RenderedBy != "u-chair" || !v2.RenderedAt.Equal(at(200)) {
		t.Fatalf("versions %+v %+v", v1, v2)
	}
	rc, v, err := s.Open(ctx, "m1", 0)
	if err != nil {
		t.Fatal(err)
	}
	latest := readAll(t, rc)
	sum := sha256.Sum256(latest)
	if v != v2 || hex.EncodeToString(sum[:]) != v2.SHA256 || int64(len(latest)) != v2.Size {
		t.Fatalf("latest is %+v, want %+v", v, v2)
	}
	if !strings.Contains(flat(pdfText(t, latest)), "Kết luận của chủ trì.") {
		t.Fatal("the latest version lacks the edit")
	}
	rc, v, err = s.Open(ctx, "m1", 1)
	if err != nil || v != v1 {
		t.Fatalf("open 1: %+v %v", v, err)
	}
	readAll(t, rc)
	if _, _, err := s.Open(ctx, "m1", 9); phonghop.ErrorCode(err) != phonghop.ENotFound {
		t.Fatalf("open 9: %v", err)
	}
	// versions are create-only: a version is never overwritten
	_, err = s.Store.Put(ctx, pdfKey("m1", 1), strings.NewReader("x"), 1, storage.PutOptions{IfAbsent: true})
	if !errors.Is(err, storage.ErrPrecondition) {
		t.Fatalf("rewriting version 1: %v", err)
	}

	// racing renderings each get their own number
	var wg sync.WaitGroup
	for i := 0; i < 5; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.RenderAndStore(ctx, "m1", secretary); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	all, err := s.Versions(ctx, "m1")
	if err != nil {
		t.Fatal(err)
	}
	var nums []int
	for _, v := range all {
		nums = append(nums, v.Version)
	}
	if fmt.Sprint(nums) != "[1 2 3 4 5 6 7]" {
		t.Fatalf("versions %v, want 1..7", nums)
	}
}

type fakeDocs map[string][]byte

func (f fakeDocs) OpenDocument(_ context.Context, mid, id string, rng *storage.Range) (io.ReadCloser, storage.Info, error) {
	b, ok := f[id]
	if !ok || rng != nil {
		return nil, storage.Info{}, phonghop.Fail(phonghop.ENotFound, "document_not_found")
	}
	return io.NopCloser(bytes.NewReader(b)), storage.Info{Size: int64(len(b))}, nil
}

func TestWriteArchive(t *testing.T) {
	s := newService(t)
	ctx := context.Background()
	m := demoMeeting()
	// Names as stored before uploads were named .pdf and cleaned: a path, an
	// executable's name, a right-to-left override (shows "Quyet-dinhexe.pdf").
	m.Documents = append(m.Documents, phonghop.Document{ID: "d4", Name: "../Bao-cao-tong-ket-CCHC-2023.pdf"},
		phonghop.Document{ID: "d5", Name: "Bao-cao-tong-ket-CCHC-2023.pdf"},
		phonghop.Document{ID: "d6", Name: "Quyet-dinh.exe"},
		phonghop.Document{ID: "d7", Name: "Quyet-dinh\u202Efdp.exe", Previous: []phonghop.DocumentVersion{{Version: 1, Blob: "d6", Name: "a\u2066\x01b.scr"}}})
	s.Meetings = fakeMeetings{"m1": m}
	docs := fakeDocs{"d1": []byte("one"), "d2": []byte("two"), "d3": []byte("three"), "d4": []byte("four"), "d5": []byte("five"), "d6": []byte("six"), "d7": []byte("seven")}
	v, err := s.RenderAndStore(ctx, "m1", secretary)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := s.WriteArchive(ctx, "m1", &buf, docs); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	var names []string
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		got[f.Name] = string(readAll(t, rc))
		names = append(names, f.Name)
	}
	sort.Strings(names)
	want := []string{"bien-ban-v1.pdf", "documents/Bao-cao-tong-ket-CCHC-2023 (2).pdf", "documents/Bao-cao-tong-ket-CCHC-2023 (3).pdf",
		"documents/Bao-cao-tong-ket-CCHC-2023.pdf", "documents/Du-thao-Quyet-dinh-khen-thuong.pdf", "documents/Mo-hinh-diem-CCHC.pdf",
		"documents/Quyet-dinh.pdf", "documents/Quyet-dinhfdp.pdf", "documents/previous/ab (v1).pdf"}
	if fmt.Sprint(names) != fmt.Sprint(want) {
		t.Fatalf("archive holds %q, want %q", names, want)
	}
	sum := sha256.Sum256([]byte(got["bien-ban-v1.pdf"]))
	if hex.EncodeToString(sum[:]) != v.SHA256 || got["documents/Bao-cao-tong-ket-CCHC-2023 (3).pdf"] != "five" || got["documents/Quyet-dinhfdp.pdf"] != "seven" {
		t.Fatal("archive contents differ")
	}
	// a document that cannot be read fails the archive
	delete(docs, "d2")
	if err := s.WriteArchive(ctx, "m1", io.Discard, docs); phonghop.ErrorCode(err) != phonghop.ENotFound {
		t.Fatalf("missing document: %v", err)
	}
}

// selfSigned makes a document-signing certificate and its key.
func selfSigned(t *testing.T) (*ecdsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "Văn phòng HĐND và UBND huyện", Organization: []string{"UBND huyện Thanh Sơn"}},
		NotBefore:    time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		// Document Signing (RFC 9336), which pdfsign's verifier expects by default
		UnknownExtKeyUsage: []asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 36}},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return key, cert
}

func verifyPDF(data []byte) (*verify.Response, error) {
	opts := verify.DefaultVerifyOptions()
	opts.AllowUntrustedRoots = true // self-signed in the test
	return verify.VerifyWithOptions(bytes.NewReader(data), int64(len(data)), opts)
}

func TestSignedVersion(t *testing.T) {
	s := newService(t)
	key, cert := selfSigned(t)
	// through PEM files, as an operator configures it
	dir := t.TempDir()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	if s.Signer, s.Certificate, err = LoadSigner(certFile, keyFile); err != nil {
		t.Fatal(err)
	}
	other, _ := selfSigned(t)
	der2, _ := x509.MarshalECPrivateKey(other)
	os.WriteFile(keyFile+"2", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der2}), 0o600)
	if _, _, err := LoadSigner(certFile, keyFile+"2"); err == nil {
		t.Fatal("LoadSigner accepted a key that does not match the certificate")
	}
	ctx := context.Background()
	v, err := s.RenderAndStore(ctx, "m1", secretary)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Signed {
		t.Fatal("version not marked signed")
	}
	rc, _, err := s.Open(ctx, "m1", v.Version)
	if err != nil {
		t.Fatal(err)
	}
	data := readAll(t, rc)
	resp, err := verifyPDF(data)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if len(resp.Signers) != 1 || !resp.Signers[0].ValidSignature {
		t.Fatalf("signature not valid: %+v", resp)
	}
	if !strings.Contains(flat(pdfText(t, data)), "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM") {
		t.Fatal("the signed PDF lost its text")
	}

	// flip one byte of the signed content: verification must fail
	tampered := bytes.Clone(data)
	i := bytes.Index(tampered, []byte("/Producer"))
	if i < 0 {
		t.Fatal("no /Producer in the PDF")
	}
	tampered[i+len("/Producer (")] ^= 0x01
	resp, err = verifyPDF(tampered)
	if err == nil && len(resp.Signers) > 0 && resp.Signers[0].ValidSignature {
		t.Fatal("a tampered PDF verified")
	}
}

// TestApprove: a rendered version is a draft until the chair approves it;
// the final version is rendered from what the chair read (not from later
// edits), without the draft mark, and is the one the archive holds.
func TestApprove(t *testing.T) {
	s := newService(t)
	ctx := context.Background()
	d, _ := s.Get(ctx, "m1")
	d.Summary = "Bản chủ tọa đã đọc."
	if _, err := s.Update(ctx, "m1", secretary, d); err != nil {
		t.Fatal(err)
	}
	v1, err := s.RenderAndStore(ctx, "m1", secretary)
	if err != nil {
		t.Fatal(err)
	}
	if v1.Final {
		t.Fatal("a rendering is final before the chair approved it")
	}
	// The secretary goes on editing after the chair read version 1.
	d, _ = s.Get(ctx, "m1")
	d.Summary = "Sửa sau khi chủ tọa đã đọc."
	if _, err := s.Update(ctx, "m1", secretary, d); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Approve(ctx, "m1", secretary, v1.Version); phonghop.ErrorCode(err) != phonghop.EForbidden {
		t.Fatalf("the secretary approves: %v", err)
	}
	v2, err := s.Approve(ctx, "m1", chair, v1.Version)
	if err != nil {
		t.Fatal(err)
	}
	if !v2.Final || v2.Approves != 1 || v2.ApprovedBy != "u-chair" || v2.ApprovedAt == nil || v2.Version != 2 {
		t.Fatalf("approved = %+v", v2)
	}
	pdfOf := func(n int) string {
		rc, _, err := s.Open(ctx, "m1", n)
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		return flat(pdfText(t, readAll(t, rc)))
	}
	if f := pdfOf(1); !strings.Contains(f, "DỰ THẢO") {
		t.Error("the draft version has no draft mark")
	}
	f := pdfOf(2)
	if strings.Contains(f, "DỰ THẢO") || !strings.Contains(f, "Bản chủ tọa đã đọc.") || strings.Contains(f, "Sửa sau khi") {
		t.Errorf("the final version is not what the chair read:\n%s", f)
	}
	if _, err := s.Approve(ctx, "m1", chair, 2); phonghop.ErrorCode(err) != phonghop.EConflict {
		t.Fatalf("approving a final version: %v", err)
	}
	if _, err := s.Approve(ctx, "m1", chair, 9); phonghop.ErrorCode(err) != phonghop.ENotFound {
		t.Fatalf("approving a missing version: %v", err)
	}
	// A later draft does not replace the final version in the archive.
	if _, err := s.RenderAndStore(ctx, "m1", secretary); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := s.WriteArchive(ctx, "m1", &buf, fakeDocs{"d1": nil, "d2": nil, "d3": nil}); err != nil {
		t.Fatal(err)
	}
	zr, _ := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if zr.File[0].Name != "bien-ban-v2.pdf" {
		t.Errorf("the archive holds %s, want the approved version 2", zr.File[0].Name)
	}

	// Preview: the edits sent, rendered as a draft, nothing stored.
	d, _ = s.Get(ctx, "m1")
	d.Summary = "Chỉ xem trước."
	pdf, err := s.Preview(ctx, "m1", secretary, d)
	if err != nil {
		t.Fatal(err)
	}
	if f := flat(pdfText(t, pdf)); !strings.Contains(f, "Chỉ xem trước.") || !strings.Contains(f, "DỰ THẢO") {
		t.Errorf("preview:\n%s", f)
	}
	if got, _ := s.Get(ctx, "m1"); got.Summary == "Chỉ xem trước." {
		t.Error("a preview saved the edits")
	}
	if vs, _ := s.Versions(ctx, "m1"); len(vs) != 3 {
		t.Errorf("%d versions after a preview, want 3", len(vs))
	}
	if _, err := s.Preview(ctx, "m1", delegate, d); phonghop.ErrorCode(err) != phonghop.EForbidden {
		t.Errorf("a delegate previews: %v", err)
	}
}
