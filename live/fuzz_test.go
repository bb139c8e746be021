package live

import (
	"encoding/json"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"
)

// FuzzClientMessage sends arbitrary bytes from the chair's tablet. Whatever
// arrives, the hub answers in the contract's shape, keeps the connection open
// (except for bytes that are not UTF-8: closed with 1007, as RFC 6455 asks),
// and broadcasts only presentations that name a real item, document and page.
func FuzzClientMessage(f *testing.F) {
	for _, seed := range []string{
		`{"type":"present","agendaItemId":"i1","documentId":"doc1","page":3}`,
		`{"type":"present","agendaItemId":"i1","documentId":"doc1","page":-1}`,
		`{"type":"present","agendaItemId":"../i1","documentId":"doc1","page":99999999999999999999}`,
		`{"type":"requestToSpeak"}`, `{"type":"giveFloor","userId":"d00"}`, `{"type":"nextSpeaker"}`,
		`{"type":42}`, `[]`, `null`, `{`, "\x00\xff", `{"type":"present","page":"3"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e := newEnv(t, func(c *Config, _ *envOpts) { c.Burst = 1000; c.MessagesPerSecond = 1000 })
		c := e.dial(chairID, "")
		if fr := read(t, c); fr.Type != "snapshot" {
			t.Fatalf("first frame %q", fr.Type)
		}
		if err := c.WriteMessage(websocket.TextMessage, data); err != nil {
			t.Fatal(err)
		}
		if err := c.WriteMessage(websocket.TextMessage, []byte(`{"type":"ping"}`)); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		for {
			_, msg, err := c.ReadMessage()
			if ce, ok := err.(*websocket.CloseError); ok && ce.Code == websocket.CloseInvalidFramePayloadData && !utf8.Valid(data) {
				return
			}
			if err != nil {
				t.Fatalf("connection lost after %q: %v", data, err)
			}
			var fr frame
			if err := json.Unmarshal(msg, &fr); err != nil || fr.Type == "" {
				t.Fatalf("frame is not a typed JSON object: %q", msg)
			}
			switch fr.Type {
			case "pong":
				return
			case "error":
				if fr.Error == nil || fr.Error.Code == "" || fr.Seq != 0 {
					t.Fatalf("bad error frame %q", msg)
				}
			case "presentation":
				p := fr.Presentation
				doc, ok := e.meeting.Document(p.DocumentID)
				// An item taken up with nothing to show has no document and page 1.
				shown := ok && p.Page >= 1 && (doc.Pages == 0 || p.Page <= doc.Pages) || p.DocumentID == "" && p.Page == 1
				if _, item := e.meeting.Item(p.AgendaItemID); !item || !shown {
					t.Fatalf("invalid presentation broadcast: %+v from %q", p, data)
				}
			}
		}
	})
}
