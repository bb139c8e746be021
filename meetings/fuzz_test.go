package meetings_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"testing"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/accounts"
	"github.com/phonghop/phonghop/meetings"
	"github.com/phonghop/phonghop/storage/fsstore"
)

// FuzzAddDocument feeds arbitrary bytes and names to the upload path: a PDF is
// stored byte for byte with its hash (and its view, when it has a page index,
// starts with those bytes); anything else is refused with a client
// error and leaves no object behind; nothing panics.
func FuzzAddDocument(f *testing.F) {
	f.Add("Báo cáo.pdf", []byte("%PDF-1.7\n1 0 obj << /Type /Pages /Count 3 >> endobj %%EOF"))
	f.Add("../../etc/passwd", []byte("root:x:0:0"))
	f.Add("a\x00b.pdf", []byte("junk %PDF- after junk /Type /Page /Type/Page"))
	f.Add("", []byte{})
	f.Add(`C:\x\y.pdf`, []byte("%PDF-/Type /Pages /Count 99999999999999999999"))
	st, err := fsstore.New(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	ctx := context.Background()
	spool := f.TempDir()
	svc := &meetings.Service{Store: st, Users: &accounts.Service{Store: st}, DocumentLimit: 1 << 20, SpoolDir: spool}
	m, err := svc.Create(ctx, meetings.NewMeeting{Title: "fuzz"})
	if err != nil {
		f.Fatal(err)
	}
	by := phonghop.User{ID: "u1"}
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		before, _ := st.List(ctx, "meetings/"+m.ID+"/documents/")
		doc, err := svc.AddDocument(ctx, m.ID, name, bytes.NewReader(data), by)
		if left, _ := os.ReadDir(spool); len(left) != 0 {
			t.Fatalf("spool files left: %v", left)
		}
		if err != nil {
			code := phonghop.ErrorCode(err)
			if code != phonghop.EUnsupportedType && code != phonghop.ETooLarge && code != phonghop.EInvalid {
				t.Fatalf("refused with %v", err)
			}
			after, _ := st.List(ctx, "meetings/"+m.ID+"/documents/")
			if len(after) != len(before) {
				t.Fatalf("a refused upload left an object")
			}
			return
		}
		sum := sha256.Sum256(data)
		if doc.Size != int64(len(data)) || doc.SHA256 != hex.EncodeToString(sum[:]) || doc.Pages < 0 {
			t.Fatalf("doc = %+v for %d bytes", doc, len(data))
		}
		if doc.Name == "" || bytes.ContainsAny([]byte(doc.Name), "/\\\x00\"") {
			t.Fatalf("unsafe name %q from %q", doc.Name, name)
		}
		rc, _, err := svc.OpenDocument(ctx, m.ID, doc.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(rc)
		rc.Close()
		if !bytes.Equal(got, data) {
			t.Fatal("stored bytes differ")
		}
		if doc.ViewSHA256 != "" {
			rc, err := svc.OpenView(ctx, m.ID, doc, nil)
			if err != nil {
				t.Fatal(err)
			}
			view, _ := io.ReadAll(rc)
			rc.Close()
			vsum := sha256.Sum256(view)
			if int64(len(view)) != doc.ViewSize || hex.EncodeToString(vsum[:]) != doc.ViewSHA256 || !bytes.HasPrefix(view, data) {
				t.Fatal("view differs")
			}
		}
	})
}
