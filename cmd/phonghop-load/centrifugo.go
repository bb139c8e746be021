package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/gorilla/websocket"
)

// centrifugo drives Centrifugo v6 over its JSON client protocol: connect, then
// subscribe to one channel; the chair's page turns are publications made through
// the HTTP API, carrying the same payload phonghop sends, with seq = turn number.
type centrifugo struct {
	c *config
}

func newCentrifugo(c *config) *centrifugo { return &centrifugo{c: c} }

func (t *centrifugo) setup(ctx context.Context) error {
	if t.c.apiKey == "" {
		return fmt.Errorf("-api-key is required for centrifugo")
	}
	// A publication to the channel before anyone subscribes checks the API key
	// and the address at once; it reaches no socket.
	return t.publish(ctx, map[string]any{"type": "hello"})
}

func (t *centrifugo) wsURL() string {
	u := t.c.url
	u = strings.Replace(u, "http://", "ws://", 1)
	u = strings.Replace(u, "https://", "wss://", 1)
	return u + "/connection/websocket"
}

func (t *centrifugo) dial(ctx context.Context, d *websocket.Dialer, i int) (*websocket.Conn, int64, error) {
	conn, _, err := d.DialContext(ctx, t.wsURL(), nil)
	if err != nil {
		return nil, 0, err
	}
	fail := func(err error) (*websocket.Conn, int64, error) {
		conn.Close()
		return nil, 0, err
	}
	if err := conn.WriteMessage(websocket.TextMessage, []byte(`{"id":1,"connect":{"name":"phonghop-load"}}`)); err != nil {
		return fail(err)
	}
	if err := t.await(conn, 1, "connect"); err != nil {
		return fail(err)
	}
	sub := fmt.Sprintf(`{"id":2,"subscribe":{"channel":%q}}`, t.c.channel)
	if err := conn.WriteMessage(websocket.TextMessage, []byte(sub)); err != nil {
		return fail(err)
	}
	if err := t.await(conn, 2, "subscribe"); err != nil {
		return fail(err)
	}
	// Publications carry seq 1, 2, ... for the turns: the next one must be 1.
	return conn, 0, nil
}

// await reads frames until the reply to command id arrives.
func (t *centrifugo) await(conn *websocket.Conn, id int, what string) error {
	for {
		_, b, err := conn.ReadMessage()
		if err != nil {
			return fmt.Errorf("centrifugo %s: %w", what, err)
		}
		for line := range bytes.Lines(b) {
			var r struct {
				ID    int             `json:"id"`
				Error json.RawMessage `json:"error"`
			}
			if err := json.Unmarshal(line, &r); err != nil {
				return fmt.Errorf("centrifugo %s: %w", what, err)
			}
			if r.ID != id {
				continue
			}
			if len(r.Error) > 0 {
				return fmt.Errorf("centrifugo %s: %s", what, r.Error)
			}
			return nil
		}
	}
}

// frame handles one frame, which may hold several newline-separated replies.
// An empty object is the server's ping, answered with an empty object.
func (t *centrifugo) frame(conn *websocket.Conn, b []byte, emit func(string, int64)) error {
	var bad error
	for line := range bytes.Lines(b) {
		line = bytes.TrimSpace(line)
		if string(line) == "{}" {
			if err := conn.WriteMessage(websocket.TextMessage, []byte("{}")); err != nil {
				return err
			}
			continue
		}
		data := memberAt(line, "push", "pub", "data")
		if data == nil {
			continue // a reply or a push other than a publication
		}
		typ, seq, ok, err := scanTypeSeq(data)
		if err != nil || !ok {
			bad = errFrame
			continue
		}
		emit(typ, seq)
	}
	return bad
}

func (t *centrifugo) turn(ctx context.Context, k int) (int64, error) {
	seq := int64(k + 1)
	err := t.publish(ctx, map[string]any{
		"type": "presentation",
		"seq":  seq,
		"presentation": map[string]any{
			"agendaItemId": "item-1", "documentId": "doc-1", "page": k + 1,
		},
	})
	return seq, err
}

func (t *centrifugo) publish(ctx context.Context, data any) error {
	body, _ := json.Marshal(map[string]any{"channel": t.c.channel, "data": data})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.c.url+"/api/publish", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", t.c.apiKey)
	resp, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("publish: %s: %s", resp.Status, bytes.TrimSpace(b))
	}
	var r struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(b, &r) == nil && len(r.Error) > 0 {
		return fmt.Errorf("publish: %s", r.Error)
	}
	return nil
}
