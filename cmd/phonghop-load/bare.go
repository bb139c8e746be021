package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// bareServer is the floor the issue asks for beside both servers: plain
// gorilla sockets (default upgrader, one reader goroutine each for control
// frames) and, per publication, one PreparedMessage written to every socket in
// turn by the publishing request. No queue, no batching, no protocol.
type bareServer struct {
	mu    sync.Mutex // the sockets, and one publication at a time
	conns map[*websocket.Conn]struct{}
}

func (b *bareServer) handler() http.Handler {
	var up websocket.Upgrader
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	mux.HandleFunc("GET /ws", func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		b.mu.Lock()
		b.conns[c] = struct{}{}
		b.mu.Unlock()
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				break
			}
		}
		b.mu.Lock()
		delete(b.conns, c)
		b.mu.Unlock()
		c.Close()
	})
	mux.HandleFunc("POST /publish", func(w http.ResponseWriter, r *http.Request) {
		data, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		pm, err := websocket.NewPreparedMessage(websocket.TextMessage, data)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		b.mu.Lock()
		for c := range b.conns {
			c.SetWriteDeadline(time.Now().Add(10 * time.Second))
			c.WritePreparedMessage(pm)
		}
		b.mu.Unlock()
	})
	return mux
}

// serveBare runs the bare write loop's server on addr until it is killed.
func serveBare(addr string) error {
	b := &bareServer{conns: map[*websocket.Conn]struct{}{}}
	return http.ListenAndServe(addr, b.handler())
}

// bare drives bareServer: a socket is a plain dial, a page turn one publication
// carrying phonghop's payload with seq = turn number.
type bare struct{ c *config }

func (t *bare) setup(ctx context.Context) error { return nil }

func (t *bare) dial(ctx context.Context, d *websocket.Dialer, i int) (*websocket.Conn, int64, error) {
	u := strings.Replace(strings.Replace(t.c.url, "http://", "ws://", 1), "https://", "wss://", 1) + "/ws"
	conn, _, err := d.DialContext(ctx, u, nil)
	if err != nil {
		return nil, 0, err
	}
	return conn, 0, nil
}

func (t *bare) frame(_ *websocket.Conn, b []byte, emit func(string, int64)) error {
	typ, seq, ok, err := scanTypeSeq(b)
	if err != nil {
		return err
	}
	if ok {
		emit(typ, seq)
	}
	return nil
}

func (t *bare) turn(ctx context.Context, k int) (int64, error) {
	seq := int64(k + 1)
	body, _ := json.Marshal(map[string]any{"type": "presentation", "seq": seq,
		"presentation": map[string]any{"agendaItemId": "item-1", "documentId": "doc-1", "page": k + 1}})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.c.url+"/publish", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("publish: %s", resp.Status)
	}
	return seq, nil
}
