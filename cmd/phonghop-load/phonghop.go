package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"mime/multipart"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"github.com/gorilla/websocket"
)

// phonghop drives the project's own server through its public API (CONTRACT.md).
type phonghop struct {
	c *config

	meeting    string
	agendaItem string
	document   string
	pages      int
	chairToken string
	tokens     []string // delegate i's bearer token

	// With -present socket: the chair's live socket and what it hears back.
	chairConn   *websocket.Conn
	chairEvents chan chairEvent
}

// chairEvent is a presentation change, or an error answer, seen on the chair's socket.
type chairEvent struct {
	seq  int64
	page int
	err  error
}

func newPhonghop(c *config) *phonghop { return &phonghop{c: c} }

// apiError is a non-2xx answer of the API.
type apiError struct {
	status int
	body   string
}

func (e *apiError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.status, e.body) }

// call sends a JSON (or pre-encoded) request and decodes a JSON answer into out.
func (t *phonghop) call(ctx context.Context, method, path, token string, in, out any) error {
	var body io.Reader
	ctype := "application/json"
	switch v := in.(type) {
	case nil:
	case *multipartBody:
		body, ctype = bytes.NewReader(v.data), v.ctype
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, t.c.url+path, body)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return &apiError{status: resp.StatusCode, body: strings.TrimSpace(string(b))}
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return nil
}

type multipartBody struct {
	data  []byte
	ctype string
}

func (t *phonghop) login(ctx context.Context, user, pass string) (string, error) {
	var out struct {
		Token string `json:"token"`
	}
	if err := t.call(ctx, http.MethodPost, "/api/v1/auth/login", "", map[string]string{"username": user, "password": pass}, &out); err != nil {
		return "", fmt.Errorf("login %s: %w", user, err)
	}
	if out.Token == "" {
		return "", fmt.Errorf("login %s: no token in the answer", user)
	}
	return out.Token, nil
}

func (t *phonghop) delegateName(i int) string { return fmt.Sprintf("%s%05d", t.c.userPrefix, i+1) }

func (t *phonghop) chairCreds() (string, string) {
	u, p, ok := strings.Cut(t.c.chair, ":")
	if !ok {
		log.Fatalf("-chair must be user:password")
	}
	return u, p
}

// parallel runs f(0..n-1) on at most k goroutines and returns the first error.
func parallel(ctx context.Context, n, k int, f func(i int) error) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		next  = make(chan int)
	)
	for range max(k, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := f(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		mu.Lock()
		stop := first != nil
		mu.Unlock()
		if stop || ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}

func (t *phonghop) setup(ctx context.Context) error {
	chairUser, chairPass := t.chairCreds()
	if t.c.adminPassword != "" {
		if err := t.create(ctx, chairUser, chairPass); err != nil {
			return err
		}
	} else if t.c.meeting == "" {
		return errors.New("give -meeting (with existing accounts) or -admin-password (to create them)")
	} else {
		t.meeting = t.c.meeting
	}
	if err := t.loginAll(ctx, chairUser, chairPass); err != nil {
		return err
	}
	// The agenda item and document to present come from the meeting itself, so an
	// existing meeting works as well as one made above.
	var m struct {
		Agenda []struct {
			ID          string   `json:"id"`
			DocumentIDs []string `json:"documentIds"`
		} `json:"agenda"`
		Documents []struct {
			ID    string `json:"id"`
			Pages int    `json:"pages"`
		} `json:"documents"`
	}
	if err := t.call(ctx, http.MethodGet, "/api/v1/meetings/"+t.meeting, t.chairToken, nil, &m); err != nil {
		return fmt.Errorf("get meeting: %w", err)
	}
	if len(m.Agenda) == 0 || len(m.Documents) == 0 {
		return fmt.Errorf("meeting %s has no agenda item or no document to present", t.meeting)
	}
	t.agendaItem = m.Agenda[0].ID
	t.document, t.pages = m.Documents[0].ID, m.Documents[0].Pages
	if len(m.Agenda[0].DocumentIDs) > 0 {
		for _, d := range m.Documents {
			if d.ID == m.Agenda[0].DocumentIDs[0] {
				t.document, t.pages = d.ID, d.Pages
			}
		}
	}
	if t.pages < 2 {
		t.pages = 2
	}
	switch t.c.present {
	case "rest":
	case "socket":
		return t.openChairSocket(ctx)
	default:
		return fmt.Errorf("-present must be rest or socket")
	}
	return nil
}

// openChairSocket opens the chair's own live socket; its reader decodes every
// frame fully (one socket only) and reports presentation changes and errors.
func (t *phonghop) openChairSocket(ctx context.Context) error {
	d := &websocket.Dialer{HandshakeTimeout: 30 * time.Second}
	h := http.Header{"Authorization": {"Bearer " + t.chairToken}}
	conn, _, err := d.DialContext(ctx, t.wsURL(), h)
	if err != nil {
		return fmt.Errorf("chair's live socket: %w", err)
	}
	t.chairConn = conn
	t.chairEvents = make(chan chairEvent, 64)
	go func() {
		for {
			_, b, err := conn.ReadMessage()
			if err != nil {
				t.chairEvents <- chairEvent{err: err}
				close(t.chairEvents)
				return
			}
			var f struct {
				Type         string `json:"type"`
				Seq          int64  `json:"seq"`
				Presentation *struct {
					Page int `json:"page"`
				} `json:"presentation"`
				Error *struct {
					Code    string `json:"code"`
					Message string `json:"message"`
				} `json:"error"`
			}
			if json.Unmarshal(b, &f) != nil {
				continue
			}
			switch {
			case f.Type == "presentation" && f.Presentation != nil:
				t.chairEvents <- chairEvent{seq: f.Seq, page: f.Presentation.Page}
			case f.Type == "error" && f.Error != nil:
				t.chairEvents <- chairEvent{err: fmt.Errorf("%s: %s", f.Error.Code, f.Error.Message)}
			}
		}
	}()
	return nil
}

// create makes the chair and delegate accounts (an existing one is reused: the
// usernames do not change between runs), a meeting named after the run, its
// participants, a document and an agenda item.
func (t *phonghop) create(ctx context.Context, chairUser, chairPass string) error {
	admin, err := t.login(ctx, t.c.adminUser, t.c.adminPassword)
	if err != nil {
		return err
	}
	ids, err := t.ensureUsers(ctx, admin, chairUser, chairPass)
	if err != nil {
		return err
	}
	body, err := pdfUpload(20)
	if err != nil {
		return err
	}
	m, err := t.newMeeting(ctx, admin, "Kiểm tra tải "+t.c.runID, ids, body)
	if err != nil {
		return err
	}
	t.meeting = m.id
	if !t.c.quiet {
		log.Printf("meeting %s with %d participants", t.meeting, len(ids))
	}
	return nil
}

// ensureUsers makes the delegate accounts and the chair's unless they exist,
// and returns their ids: the delegates' in order, then the chair's.
func (t *phonghop) ensureUsers(ctx context.Context, admin, chairUser, chairPass string) ([]string, error) {
	type user struct {
		ID       string `json:"id"`
		Username string `json:"username"`
	}
	n := t.c.accountCount()
	// Accounts from an earlier run or seeded into the store are looked up first:
	// creating them again would cost a password hash each before the conflict.
	var list []user
	if err := t.call(ctx, http.MethodGet, "/api/v1/users", admin, nil, &list); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	byName := make(map[string]string, len(list))
	for _, u := range list {
		byName[u.Username] = u.ID
	}
	ids := make([]string, n+1) // [n] is the chair
	var todo []int
	for i := range ids {
		name := chairUser
		if i < n {
			name = t.delegateName(i)
		}
		if ids[i] = byName[name]; ids[i] == "" {
			todo = append(todo, i)
		}
	}
	t0 := time.Now()
	err := parallel(ctx, len(todo), t.c.loginConcurrency, func(j int) error {
		i := todo[j]
		name, pass, display := chairUser, chairPass, "Chủ tọa"
		if i < n {
			name, pass, display = t.delegateName(i), t.c.password, fmt.Sprintf("Đại biểu %05d", i+1)
		}
		var u user
		err := t.call(ctx, http.MethodPost, "/api/v1/users", admin,
			map[string]string{"username": name, "password": pass, "displayName": display}, &u)
		if err != nil {
			return fmt.Errorf("create user %s: %w", name, err)
		}
		ids[i] = u.ID
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !t.c.quiet {
		log.Printf("%d accounts ready in %.1fs (%d existed)", n+1, time.Since(t0).Seconds(), n+1-len(todo))
	}
	return ids, nil
}

// meetingRef is a meeting made for a run: what a page turn in it names.
type meetingRef struct {
	id, agendaItem, document string
}

// newMeeting makes a meeting with ids as participants (the last one chairs),
// the document body and an agenda item presenting it.
func (t *phonghop) newMeeting(ctx context.Context, admin, title string, ids []string, body *multipartBody) (meetingRef, error) {
	var m struct {
		ID string `json:"id"`
	}
	err := t.call(ctx, http.MethodPost, "/api/v1/meetings", admin, map[string]string{
		"title":    title,
		"startsAt": time.Now().UTC().Format(time.RFC3339),
		"location": "phonghop-load",
		"language": "vi",
	}, &m)
	if err != nil {
		return meetingRef{}, fmt.Errorf("create meeting: %w", err)
	}
	n := len(ids) - 1
	parts := make([]map[string]string, 0, n+1)
	parts = append(parts, map[string]string{"userId": ids[n], "role": "chair"})
	for _, id := range ids[:n] {
		parts = append(parts, map[string]string{"userId": id, "role": "delegate"})
	}
	if err := t.call(ctx, http.MethodPut, "/api/v1/meetings/"+m.ID+"/participants", admin, parts, nil); err != nil {
		return meetingRef{}, fmt.Errorf("set participants: %w", err)
	}
	var doc, item struct {
		ID string `json:"id"`
	}
	if err := t.call(ctx, http.MethodPost, "/api/v1/meetings/"+m.ID+"/documents", admin, body, &doc); err != nil {
		return meetingRef{}, fmt.Errorf("upload document: %w", err)
	}
	err = t.call(ctx, http.MethodPost, "/api/v1/meetings/"+m.ID+"/agenda", admin, map[string]any{
		"title": "Báo cáo tải", "presenter": ids[n], "durationMinutes": 10, "documentIds": []string{doc.ID},
	}, &item)
	if err != nil {
		return meetingRef{}, fmt.Errorf("add agenda item: %w", err)
	}
	return meetingRef{id: m.ID, agendaItem: item.ID, document: doc.ID}, nil
}

// pdfUpload makes a multipart body with a small PDF of the given page count.
func pdfUpload(pages int) (*multipartBody, error) {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetFont("Helvetica", "", 24)
	for p := 1; p <= pages; p++ {
		pdf.AddPage()
		pdf.Cell(40, 10, fmt.Sprintf("phonghop-load page %d", p))
	}
	var doc bytes.Buffer
	if err := pdf.Output(&doc); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	h := make(map[string][]string)
	h["Content-Disposition"] = []string{`form-data; name="file"; filename="phonghop-load.pdf"`}
	h["Content-Type"] = []string{"application/pdf"}
	part, err := w.CreatePart(h)
	if err != nil {
		return nil, err
	}
	part.Write(doc.Bytes())
	if err := w.Close(); err != nil {
		return nil, err
	}
	return &multipartBody{data: buf.Bytes(), ctype: w.FormDataContentType()}, nil
}

// loginAll logs the chair and every delegate in. Password hashing makes logins
// slow on purpose, so tokens may be kept in -token-cache between runs against
// the same server; a cached token that no longer works is replaced.
func (t *phonghop) loginAll(ctx context.Context, chairUser, chairPass string) error {
	cache := map[string]string{}
	if t.c.tokenCache != "" {
		if b, err := os.ReadFile(t.c.tokenCache); err == nil {
			_ = json.Unmarshal(b, &cache)
		}
	}
	valid := func(tok string) bool {
		return tok != "" && t.call(ctx, http.MethodGet, "/api/v1/me", tok, nil, nil) == nil
	}
	// One probe decides for the whole cache: a restarted server drops them all.
	if len(cache) > 0 && !valid(cache[chairUser]) {
		cache = map[string]string{}
	}
	n := t.c.accountCount()
	t.tokens = make([]string, n)
	var mu sync.Mutex
	t0 := time.Now()
	err := parallel(ctx, n+1, t.c.loginConcurrency, func(i int) error {
		name, pass := chairUser, chairPass
		if i < n {
			name, pass = t.delegateName(i), t.c.password
		}
		mu.Lock()
		tok := cache[name]
		mu.Unlock()
		if tok == "" {
			var err error
			if tok, err = t.login(ctx, name, pass); err != nil {
				return err
			}
			mu.Lock()
			cache[name] = tok
			mu.Unlock()
		}
		if i < n {
			t.tokens[i] = tok
		} else {
			t.chairToken = tok
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !t.c.quiet {
		log.Printf("%d logins in %.1fs", n+1, time.Since(t0).Seconds())
	}
	if t.c.tokenCache != "" {
		b, _ := json.Marshal(cache)
		if err := os.WriteFile(t.c.tokenCache, b, 0o600); err != nil {
			return err
		}
	}
	return nil
}

func (t *phonghop) wsURL() string { return t.liveURL(t.meeting) }

func (t *phonghop) liveURL(meeting string) string {
	u := t.c.url
	u = strings.Replace(u, "http://", "ws://", 1)
	u = strings.Replace(u, "https://", "wss://", 1)
	u += "/api/v1/meetings/" + meeting + "/live"
	if t.c.attendance == "delta" {
		u += "?features=attendanceDelta"
	}
	return u
}

// token is socket i's bearer token: the sockets are dealt over the accounts.
func (t *phonghop) token(i int) string { return t.tokens[i%len(t.tokens)] }

// dial opens delegate i's live socket the way a tablet app without a browser
// does: bearer header, no Origin. The first frame must be the snapshot.
func (t *phonghop) dial(ctx context.Context, d *websocket.Dialer, i int) (*websocket.Conn, int64, error) {
	return t.dialLive(ctx, d, t.meeting, t.token(i))
}

// dialLive opens a live socket of meeting with token and reads its snapshot.
func (t *phonghop) dialLive(ctx context.Context, d *websocket.Dialer, meeting, token string) (*websocket.Conn, int64, error) {
	h := http.Header{"Authorization": {"Bearer " + token}}
	conn, resp, err := d.DialContext(ctx, t.liveURL(meeting), h)
	if err != nil {
		if resp != nil {
			return nil, 0, fmt.Errorf("live: %w (HTTP %d)", err, resp.StatusCode)
		}
		return nil, 0, fmt.Errorf("live: %w", err)
	}
	_, b, err := conn.ReadMessage()
	if err != nil {
		conn.Close()
		return nil, 0, fmt.Errorf("live: first frame: %w", err)
	}
	typ, seq, ok, err := scanTypeSeq(b)
	if err != nil || !ok || typ != "snapshot" {
		conn.Close()
		return nil, 0, fmt.Errorf("live: first frame is not a snapshot: %.80s", b)
	}
	return conn, seq, nil
}

func (t *phonghop) frame(_ *websocket.Conn, b []byte, emit func(string, int64)) error {
	typ, seq, ok, err := scanTypeSeq(b)
	if err != nil {
		return err
	}
	if ok {
		emit(typ, seq)
	}
	return nil
}

// turn moves the presentation through REST, which answers with the event's seq,
// or with a present message on the chair's socket, whose event the chair hears
// back like every delegate.
func (t *phonghop) turn(ctx context.Context, k int) (int64, error) {
	page := k%t.pages + 1
	if t.chairConn != nil {
		msg, _ := json.Marshal(map[string]any{"type": "present", "agendaItemId": t.agendaItem, "documentId": t.document, "page": page})
		if err := t.chairConn.WriteMessage(websocket.TextMessage, msg); err != nil {
			return 0, err
		}
		timeout := time.After(10 * time.Second)
		for {
			select {
			case ev, ok := <-t.chairEvents:
				if !ok {
					return 0, errors.New("the chair's socket is closed")
				}
				if ev.err != nil {
					return 0, ev.err
				}
				if ev.page == page {
					return ev.seq, nil
				}
			case <-timeout:
				return 0, errors.New("the chair did not hear its own page turn within 10s")
			case <-ctx.Done():
				return 0, ctx.Err()
			}
		}
	}
	return t.present(ctx, meetingRef{t.meeting, t.agendaItem, t.document}, page)
}

// present turns meeting m's presentation to page over REST, as the chair, and
// returns the event's seq.
func (t *phonghop) present(ctx context.Context, m meetingRef, page int) (int64, error) {
	var out struct {
		Seq int64 `json:"seq"`
	}
	err := t.call(ctx, http.MethodPut, "/api/v1/meetings/"+m.id+"/presentation", t.chairToken, map[string]any{
		"agendaItemId": m.agendaItem, "documentId": m.document, "page": page,
	}, &out)
	if err != nil {
		return 0, err
	}
	if out.Seq == 0 {
		return 0, errors.New("presentation: no seq in the answer")
	}
	return out.Seq, nil
}

// checkIn checks delegate i in over REST, as its tablet does, and returns the
// attendance event's seq.
func (t *phonghop) checkIn(ctx context.Context, i int) (int64, error) {
	var out struct {
		Seq int64 `json:"seq"`
	}
	if err := t.call(ctx, http.MethodPost, "/api/v1/meetings/"+t.meeting+"/attendance", t.token(i), nil, &out); err != nil {
		return 0, fmt.Errorf("check-in %d: %w", i, err)
	}
	return out.Seq, nil
}

// checkOut checks delegate i out over REST and returns the event's seq.
func (t *phonghop) checkOut(ctx context.Context, i int) (int64, error) {
	var out struct {
		Seq int64 `json:"seq"`
	}
	if err := t.call(ctx, http.MethodDelete, "/api/v1/meetings/"+t.meeting+"/attendance", t.token(i), nil, &out); err != nil {
		return 0, fmt.Errorf("check-out %d: %w", i, err)
	}
	return out.Seq, nil
}

// dialSince opens delegate i's live socket with ?since=since (since < 0:
// without); what arrives first (a snapshot or the replay, or nothing when
// nothing was missed) is the reader's.
func (t *phonghop) dialSince(ctx context.Context, d *websocket.Dialer, i int, since int64) (*websocket.Conn, error) {
	u := t.wsURL()
	if since >= 0 {
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		u += fmt.Sprintf("%ssince=%d", sep, since)
	}
	conn, resp, err := d.DialContext(ctx, u, http.Header{"Authorization": {"Bearer " + t.token(i)}})
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("live: %w (HTTP %d)", err, resp.StatusCode)
		}
		return nil, fmt.Errorf("live: %w", err)
	}
	return conn, nil
}

// openPoll creates a motion on the presented agenda item and opens it.
func (t *phonghop) openPoll(ctx context.Context, k int) (string, error) {
	var p struct {
		ID string `json:"id"`
	}
	base := "/api/v1/meetings/" + t.meeting + "/polls"
	if err := t.call(ctx, http.MethodPost, base, t.chairToken, map[string]any{
		"agendaItemId": t.agendaItem, "title": fmt.Sprintf("Biểu quyết %d", k+1),
		"options": []string{"Đồng ý", "Không đồng ý", "Không ý kiến"}, "secret": false, "majority": "simple",
	}, &p); err != nil {
		return "", fmt.Errorf("create poll: %w", err)
	}
	if err := t.call(ctx, http.MethodPost, base+"/"+p.ID+"/open", t.chairToken, nil, nil); err != nil {
		return "", fmt.Errorf("open poll: %w", err)
	}
	return p.ID, nil
}

func (t *phonghop) closePoll(ctx context.Context, id string) error {
	if err := t.call(ctx, http.MethodPost, "/api/v1/meetings/"+t.meeting+"/polls/"+id+"/close", t.chairToken, nil, nil); err != nil {
		return fmt.Errorf("close poll: %w", err)
	}
	return nil
}
