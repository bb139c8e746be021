package demo_test

import (
	"context"
	"sync"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/phonghop/phonghop/accounts"
	"github.com/phonghop/phonghop/demo"
	"github.com/phonghop/phonghop/meetings"
	"github.com/phonghop/phonghop/storage/fsstore"
)

func TestSeedTwiceDuplicatesNothing(t *testing.T) {
	ctx := context.Background()
	st, err := fsstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	acc := &accounts.Service{Store: st, BcryptCost: bcrypt.MinCost}
	mtg := &meetings.Service{Store: st, Users: acc}
	// Two seeds at once (two processes starting together) and one after.
	var wg sync.WaitGroup
	infos := make([]demo.Info, 3)
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			var err error
			if infos[i], err = demo.Seed(ctx, acc, mtg); err != nil {
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	if infos[2], err = demo.Seed(ctx, acc, mtg); err != nil {
		t.Fatal(err)
	}
	if infos[0].MeetingID != infos[1].MeetingID || infos[1].MeetingID != infos[2].MeetingID {
		t.Fatalf("seeds made different meetings: %v", infos)
	}
	all, err := mtg.List(ctx, "", true)
	if err != nil || len(all) != 1 {
		t.Fatalf("meetings listed: %d %v", len(all), err)
	}
	m := all[0]
	if len(m.Agenda) != 6 || len(m.Documents) < 2 || len(m.Voters()) < 12 {
		t.Fatalf("agenda %d, documents %d, delegates %d", len(m.Agenda), len(m.Documents), len(m.Voters()))
	}
	for _, d := range m.Documents {
		if d.Pages < 2 {
			t.Errorf("document %s has %d pages", d.Name, d.Pages)
		}
	}
	users, _ := acc.List(ctx)
	if len(users) != len(infos[0].Accounts) {
		t.Fatalf("%d users for %d accounts", len(users), len(infos[0].Accounts))
	}
	chair, err := acc.ByUsername(ctx, "chutich")
	if err != nil {
		t.Fatal(err)
	}
	mine, _ := mtg.List(ctx, chair.ID, false)
	if len(mine) != 1 {
		t.Fatalf("the chair lists %d meetings", len(mine))
	}
}
