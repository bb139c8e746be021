package main

import (
	"context"
	"fmt"
	"log"
	"time"

	"golang.org/x/crypto/bcrypt"

	ph "github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/accounts"
	"github.com/phonghop/phonghop/storage/fsstore"
)

// seedAccounts writes the admin, chair and delegate accounts straight into an
// embedded store directory, before the server is started on it. The hashes use
// bcrypt's minimum cost: at the default cost, 10,000 accounts and their logins
// take the better part of an hour on two cores, and login cost is not what this
// tool measures. The server verifies any cost, as the cost is in the hash.
// An account that exists already is kept.
func seedAccounts(ctx context.Context, dir string, c *config, chairUser, chairPass string) error {
	st, err := fsstore.New(dir)
	if err != nil {
		return err
	}
	acc := &accounts.Service{Store: st, BcryptCost: bcrypt.MinCost}
	p := &phonghop{c: c}
	n := c.accountCount()
	t0 := time.Now()
	err = parallel(ctx, n+2, 16, func(i int) error {
		req := accounts.NewUser{Username: p.delegateName(i), Password: c.password, DisplayName: fmt.Sprintf("Đại biểu %05d", i+1)}
		switch i {
		case n:
			req = accounts.NewUser{Username: chairUser, Password: chairPass, DisplayName: "Chủ tọa"}
		case n + 1:
			req = accounts.NewUser{Username: c.adminUser, Password: c.adminPassword, DisplayName: "Quản trị hệ thống", Admin: true}
		}
		_, err := acc.Create(ctx, req)
		if ph.ErrorCode(err) == ph.EConflict {
			return nil
		}
		if err != nil {
			return fmt.Errorf("seed %s: %w", req.Username, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !c.quiet {
		log.Printf("seeded %d accounts in %s in %.1fs", n+2, dir, time.Since(t0).Seconds())
	}
	return nil
}
