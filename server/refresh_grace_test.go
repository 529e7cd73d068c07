package server_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/server/wire"
)

func presentRefresh(h *servertest.Client, token string) servertest.Reply {
	return h.Do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": token})
}

// TestRefreshRetryWithinGrace: a refresh retried from the same address right after (its
// reply lost) is answered the very same pair, once; a third presentation is reuse and ends
// the session. From another address, even within the grace, it is reuse at once.
func TestRefreshRetryWithinGrace(t *testing.T) {
	srv := servertest.Start(t, nil)
	h := servertest.NewClient(t, srv.URL(), "")
	var p servertest.Tokens
	h.Do("POST", "/api/v1/auth/guest", "", `{}`).Decode(t, &p)
	first := refreshAt(t, h, p)
	retry := refreshAt(t, h, p)
	if retry != first {
		t.Fatalf("the retry was answered another pair")
	}
	if r := h.Do("GET", "/api/v1/me", first.AccessToken, nil); r.Status != http.StatusOK {
		t.Fatalf("the pair after a retry: %d %s", r.Status, r.Body)
	}
	servertest.WantError(t, "a third presentation", presentRefresh(h, p.RefreshToken), 401, wire.CodeTokenRevoked)
	servertest.WantError(t, "the pair after reuse", h.Do("GET", "/api/v1/me", first.AccessToken, nil), 401, wire.CodeTokenRevoked)

	// Another address presenting a token just rotated is a thief, or a copy: reuse.
	var q servertest.Tokens
	h.Do("POST", "/api/v1/auth/guest", "", `{}`).Decode(t, &q)
	q2 := refreshAt(t, h, q)
	other := servertest.NewClient(t, srv.URL(), "127.0.0.7")
	servertest.WantError(t, "a retry from another address", presentRefresh(other, q.RefreshToken), 401, wire.CodeTokenRevoked)
	servertest.WantError(t, "the pair after reuse from another address", h.Do("GET", "/api/v1/me", q2.AccessToken, nil), 401, wire.CodeTokenRevoked)
}

// TestRefreshReuseAfterGraceEndsSession: the same retry, --refresh-grace and a second after
// the rotation, is reuse: refused, and the session's tokens with it.
func TestRefreshReuseAfterGraceEndsSession(t *testing.T) {
	clk := &authClock{now: time.Now().Truncate(time.Second)}
	srv := servertest.Start(t, func(c *server.Config) { c.Now = clk.Now })
	h := servertest.NewClient(t, srv.URL(), "")
	var p servertest.Tokens
	h.Do("POST", "/api/v1/auth/guest", "", `{}`).Decode(t, &p)
	next := refreshAt(t, h, p)
	clk.Step(11 * time.Second)
	servertest.WantError(t, "a retry after the grace", presentRefresh(h, p.RefreshToken), 401, wire.CodeTokenRevoked)
	servertest.WantError(t, "the pair after reuse", h.Do("GET", "/api/v1/me", next.AccessToken, nil), 401, wire.CodeTokenRevoked)
	servertest.WantError(t, "the refresh token after reuse", presentRefresh(h, next.RefreshToken), 401, wire.CodeTokenRevoked)
}

// TestRefreshRetryOvertakingTheFirst: the retry is sent while the first refresh is still
// being answered, over and over; both are answered the same pair and the session lives on.
func TestRefreshRetryOvertakingTheFirst(t *testing.T) {
	srv := servertest.Start(t, nil)
	h := servertest.NewClient(t, srv.URL(), "")
	var p servertest.Tokens
	h.Do("POST", "/api/v1/auth/guest", "", `{}`).Decode(t, &p)
	for round := range 20 {
		var got [2]servertest.Reply
		var wg sync.WaitGroup
		for i := range got {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got[i] = presentRefresh(h, p.RefreshToken)
			}()
		}
		wg.Wait()
		var a, b servertest.Tokens
		for i, r := range got {
			if r.Status != http.StatusOK {
				t.Fatalf("round %d, request %d: %d %s", round, i, r.Status, r.Body)
			}
		}
		got[0].Decode(t, &a)
		got[1].Decode(t, &b)
		if a != b {
			t.Fatalf("round %d: the two presentations were answered different pairs", round)
		}
		p = a
	}
	if r := h.Do("GET", "/api/v1/me", p.AccessToken, nil); r.Status != http.StatusOK {
		t.Fatalf("the session after the retries: %d %s", r.Status, r.Body)
	}
}

// TestRefreshGraceIsBounded: with --refresh-grace-max 2, a third refresh pushes out the
// memory of the first: that one's retry is reuse and ends its session, while the latest
// rotation's retry is still answered.
func TestRefreshGraceIsBounded(t *testing.T) {
	srv := servertest.Start(t, func(c *server.Config) { c.RefreshGraceMax = 2 })
	h := servertest.NewClient(t, srv.URL(), "")
	var ps [3]servertest.Tokens
	var next [3]servertest.Tokens
	for i := range ps {
		h.Do("POST", "/api/v1/auth/guest", "", `{}`).Decode(t, &ps[i])
	}
	for i := range ps {
		next[i] = refreshAt(t, h, ps[i])
	}
	servertest.WantError(t, "the retry of a forgotten rotation", presentRefresh(h, ps[0].RefreshToken), 401, wire.CodeTokenRevoked)
	if retry := refreshAt(t, h, ps[2]); retry != next[2] {
		t.Fatal("the retry of the latest rotation was answered another pair")
	}
}
