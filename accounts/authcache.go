package accounts

import (
	"sync"
	"time"

	"github.com/phonghop/phonghop"
)

// DefaultAuthCacheTTL is how long Authenticate trusts a session and its user
// read from the store before reading them again (Service.AuthCacheTTL).
const DefaultAuthCacheTTL = 10 * time.Second

// authCache keeps what Authenticate read, so a burst of requests (a tablet
// loading a document by range asks dozens of times a second) costs two store
// reads instead of two per request.
//
// Staleness: on this process, everything that changes a session or a user
// through the Service (logout, profile change, delete, and Forget/ForgetUser
// for other changes) takes effect at once. Another process may serve a
// revoked session or a changed user for at most the TTL; a logout also reaches
// every process's cache at once through the cluster's control stream, when
// NATS is reachable (cmd/phonghop wires it).
type authCache struct {
	mu       sync.Mutex
	sessions map[string]cachedSession // by session id
	users    map[string]cachedUser
}

type cachedSession struct {
	s  Session
	at time.Time
}

type cachedUser struct {
	u     phonghop.User
	epoch int // the user's SessionEpoch
	at    time.Time
}

// maxAuthCached bounds each map; past it, it starts afresh.
const maxAuthCached = 50_000

func (s *Service) cacheTTL() time.Duration {
	if s.AuthCacheTTL == 0 {
		return DefaultAuthCacheTTL
	}
	return s.AuthCacheTTL
}

func (s *Service) cachedSession(id string, now time.Time) (Session, bool) {
	ttl := s.cacheTTL()
	if ttl < 0 {
		return Session{}, false
	}
	c := &s.auth
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.sessions[id]
	return e.s, ok && now.Sub(e.at) < ttl
}

func (s *Service) cachedUser(id string, now time.Time) (phonghop.User, int, bool) {
	ttl := s.cacheTTL()
	if ttl < 0 {
		return phonghop.User{}, 0, false
	}
	c := &s.auth
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.users[id]
	return e.u, e.epoch, ok && now.Sub(e.at) < ttl
}

func (s *Service) keep(sess Session, u phonghop.User, epoch int, now time.Time) {
	if s.cacheTTL() < 0 {
		return
	}
	c := &s.auth
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sessions == nil || len(c.sessions) >= maxAuthCached {
		c.sessions = make(map[string]cachedSession)
	}
	if c.users == nil || len(c.users) >= maxAuthCached {
		c.users = make(map[string]cachedUser)
	}
	c.sessions[sess.ID] = cachedSession{sess, now}
	c.users[u.ID] = cachedUser{u, epoch, now}
}

// Forget drops a session from this process's cache: the next request with it
// reads the store. Logout calls it; so does the cluster's control message for
// a logout made on another process.
func (s *Service) Forget(sessionID string) {
	c := &s.auth
	c.mu.Lock()
	delete(c.sessions, sessionID)
	c.mu.Unlock()
}

// ForgetUser drops a user, and every cached session of theirs, from this
// process's cache. Every change of a user record must call it (profile
// changes and Delete do).
func (s *Service) ForgetUser(userID string) {
	c := &s.auth
	c.mu.Lock()
	delete(c.users, userID)
	for id, e := range c.sessions {
		if e.s.UserID == userID {
			delete(c.sessions, id)
		}
	}
	c.mu.Unlock()
}
