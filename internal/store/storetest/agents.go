package storetest

import (
	"bytes"
	"crypto/sha256"
	"sync"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

func agentHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// testAgents covers agents created at run time: created once, found by
// their token until revoked, replaced after a revocation, and their last
// contact recorded without ever moving back, concurrently too.
func testAgents(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	for name, a := range map[string]store.Agent{
		"no id":       {Location: "x", TokenHash: agentHash("a")},
		"no location": {ID: "db-01", TokenHash: agentHash("a")},
		"no hash":     {ID: "db-01", Location: "x"},
	} {
		_, err := s.CreateAgent(ctx, a)
		wantCode(t, err, errs.EINVALID, "CreateAgent "+name)
	}
	a, err := s.CreateAgent(ctx, store.Agent{ID: "db-01", Location: "campus", TokenHash: agentHash("one")})
	must(t, err, "CreateAgent")
	if !a.CreatedAt.Equal(clk.Now().Truncate(time.Millisecond)) {
		t.Errorf("CreatedAt = %v, want %v", a.CreatedAt, clk.Now())
	}
	_, err = s.CreateAgent(ctx, store.Agent{ID: "db-01", Location: "campus", TokenHash: agentHash("two")})
	wantCode(t, err, errs.ECONFLICT, "CreateAgent twice")
	_, err = s.CreateAgent(ctx, store.Agent{ID: "web-01", Location: "campus", TokenHash: agentHash("one")})
	if err == nil {
		t.Error("CreateAgent with a token hash another agent holds: no error")
	}
	got, err := s.AgentByTokenHash(ctx, agentHash("one"))
	if err != nil || got.ID != "db-01" || got.Location != "campus" || !bytes.Equal(got.TokenHash, agentHash("one")) {
		t.Errorf("AgentByTokenHash = %+v, %v", got, err)
	}
	_, err = s.AgentByTokenHash(ctx, agentHash("other"))
	wantCode(t, err, errs.ENOTFOUND, "AgentByTokenHash unknown")

	wantCode(t, s.RevokeAgent(ctx, "nobody", clk.Now()), errs.ENOTFOUND, "RevokeAgent unknown")
	must(t, s.RevokeAgent(ctx, "db-01", clk.Now()), "RevokeAgent")
	wantCode(t, s.RevokeAgent(ctx, "db-01", clk.Now()), errs.ENOTFOUND, "RevokeAgent twice")
	_, err = s.AgentByTokenHash(ctx, agentHash("one"))
	wantCode(t, err, errs.ENOTFOUND, "AgentByTokenHash revoked")
	list, err := s.Agents(ctx)
	if err != nil || len(list) != 1 || list[0].RevokedAt.IsZero() {
		t.Fatalf("Agents after revoke = %+v, %v; want db-01 revoked", list, err)
	}
	_, err = s.CreateAgent(ctx, store.Agent{ID: "db-01", Location: "dc-2", TokenHash: agentHash("three")})
	must(t, err, "CreateAgent after revoke")
	if got, err := s.AgentByTokenHash(ctx, agentHash("three")); err != nil || got.Location != "dc-2" || !got.RevokedAt.IsZero() {
		t.Errorf("replaced agent = %+v, %v", got, err)
	}

	t1 := clk.Now().Add(time.Minute)
	must(t, s.TouchAgents(ctx, map[string]time.Time{"db-01": t1, "file-agent": t1}), "TouchAgents")
	must(t, s.TouchAgents(ctx, map[string]time.Time{"db-01": t1.Add(-time.Hour)}), "TouchAgents older")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.TouchAgents(ctx, map[string]time.Time{"file-agent": t1.Add(time.Duration(i) * time.Second)}); err != nil {
				t.Errorf("concurrent TouchAgents: %v", err)
			}
		}()
	}
	wg.Wait()
	seen, err := s.AgentsLastSeen(ctx)
	if err != nil || !seen["db-01"].Equal(t1.Truncate(time.Millisecond)) || !seen["file-agent"].Equal(t1.Add(7*time.Second).Truncate(time.Millisecond)) {
		t.Errorf("AgentsLastSeen = %v, %v", seen, err)
	}
	list, _ = s.Agents(ctx)
	if len(list) != 1 || !list[0].LastSeen.Equal(t1.Truncate(time.Millisecond)) {
		t.Errorf("Agents LastSeen = %+v", list)
	}
	_, err = s.CreateAgent(ctx, store.Agent{ID: "bad\xff", Location: "x\x00", TokenHash: agentHash("four")})
	if err != nil && errs.Code(err) != errs.EINVALID {
		t.Errorf("CreateAgent with invalid text = %v, want stored or EINVALID", err)
	}
}
