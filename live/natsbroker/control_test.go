package natsbroker

import (
	"context"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phonghop/phonghop/live/natsbroker/natstest"
)

// A logout published while another process is cut off from NATS still reaches
// it when it reconnects: control messages are kept in a stream, and each
// process's ordered consumer resumes after the last one it saw. Process b
// reaches NATS through a proxy the test cuts; a connects directly.
func TestControlMessageReachesAProcessThatWasCutOff(t *testing.T) {
	url := natstest.URL(t)
	proxy := newCutProxy(t, strings.TrimPrefix(url, "nats://"))
	ctx := context.Background()
	a := open(t, url)
	b := open(t, "nats://"+proxy.addr)
	got := make(chan string, 10)
	for name, p := range map[string]*Broker{"a": a, "b": b} {
		cancel, err := p.SubscribeControl(func(kind, id string) { got <- name + ":" + kind + ":" + id })
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(cancel)
	}
	receive := func(want ...string) {
		t.Helper()
		seen := map[string]bool{}
		deadline := time.After(30 * time.Second)
		for len(seen) < len(want) {
			select {
			case m := <-got:
				seen[m] = true
			case <-deadline:
				t.Fatalf("got %v, want %v", seen, want)
			}
		}
		for _, w := range want {
			if !seen[w] {
				t.Fatalf("got %v, want %v", seen, want)
			}
		}
	}
	if err := a.PublishControl(ctx, ControlSession, "s0"); err != nil {
		t.Fatal(err)
	}
	receive("a:session:s0", "b:session:s0")

	proxy.cut()
	waitFor(t, 10*time.Second, "b to notice", func() bool { return !b.nc.IsConnected() })
	if err := a.PublishControl(ctx, ControlSession, "s1"); err != nil {
		t.Fatal(err)
	}
	receive("a:session:s1")
	select {
	case m := <-got:
		t.Fatalf("delivered while cut off: %s", m)
	case <-time.After(300 * time.Millisecond):
	}
	proxy.restore()
	receive("b:session:s1")
}

// cutProxy forwards TCP connections to a server until cut (every connection
// dropped, new ones refused) and again after restore, on the same address.
type cutProxy struct {
	t      *testing.T
	addr   string
	target string
	mu     sync.Mutex
	ln     net.Listener
	conns  []net.Conn
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{t: t, addr: ln.Addr().String(), target: target}
	p.serve(ln)
	t.Cleanup(p.cut)
	return p
}

func (p *cutProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, s)
			p.mu.Unlock()
			go func() { io.Copy(s, c); s.Close() }()
			go func() { io.Copy(c, s); c.Close() }()
		}
	}()
}

func (p *cutProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *cutProxy) restore() {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatal(err)
	}
	p.serve(ln)
}
