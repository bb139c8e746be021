package phonghop

import (
	"fmt"
	"slices"
	"testing"
)

// An indexed meeting answers every participant lookup as a search would, and
// a copy whose participants were replaced is not answered from the old index.
func TestMeetingIndex(t *testing.T) {
	m := &Meeting{Participants: []Participant{
		{UserID: "c", Role: RoleChair}, {UserID: "s", Role: RoleSecretary}, {UserID: "o", Role: RoleObserver},
	}}
	for i := 0; i < 50; i++ {
		m.Participants = append(m.Participants, Participant{UserID: fmt.Sprint("d", i), Role: RoleDelegate, Title: fmt.Sprint("t", i)})
	}
	plain := *m
	m.Index()
	ids := []string{"c", "s", "o", "d0", "d49", "d50", "", "x"}
	for _, id := range ids {
		p1, ok1 := plain.Participant(id)
		p2, ok2 := m.Participant(id)
		if p1 != p2 || ok1 != ok2 {
			t.Fatalf("%q: search %v %v, index %v %v", id, p1, ok1, p2, ok2)
		}
		if plain.IsVoter(id) != m.IsVoter(id) || plain.HasRole(id, RoleChair, RoleDelegate) != m.HasRole(id, RoleChair, RoleDelegate) {
			t.Fatalf("%q: roles differ", id)
		}
	}
	if !slices.Equal(plain.Voters(), m.Voters()) || m.VoterCount() != 50 || plain.VoterCount() != 50 {
		t.Fatalf("voters %v / %v", plain.Voters(), m.Voters())
	}
	// Voters is the caller's to change.
	v := m.Voters()
	v[0] = "changed"
	if m.Voters()[0] != "d0" {
		t.Fatal("Voters shares the index")
	}

	// A copy with other participants (a set-up change on a copy) searches.
	cp := *m
	cp.Participants = []Participant{{UserID: "d7", Role: RoleObserver}}
	if _, ok := cp.Participant("c"); ok || cp.IsVoter("d7") || cp.VoterCount() != 0 {
		t.Fatal("a copy with new participants answered from the old index")
	}
	cp.Participants = append(slices.Clone(m.Participants[:2]), m.Participants[3:]...) // same length - 1, new array
	if _, ok := cp.Participant("o"); ok {
		t.Fatal("a removed participant found through the old index")
	}
}
