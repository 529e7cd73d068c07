package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestPublicReadsWaitBoundedThenAnswer503: with every public read slot taken, the next public
// read waits --public-read-wait and is answered 503 unavailable with Retry-After, while logins
// and /readyz go on at once; once a slot frees, public reads are answered again.
func TestPublicReadsWaitBoundedThenAnswer503(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Data = t.TempDir()
	cfg.Addr = "127.0.0.1:0"
	cfg.PublicReads = 1
	cfg.PublicReadWait = 200 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	s, err := Open(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Serve(ctx, nil); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cancel()
		if err := s.Wait(); err != nil {
			t.Error(err)
		}
	}()
	c := &http.Client{Timeout: 10 * time.Second}
	do := func(method, path, token, body string) (*http.Response, string, time.Duration) {
		t.Helper()
		req, _ := http.NewRequest(method, s.URL()+path, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		start := time.Now()
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b), time.Since(start)
	}
	resp, body, _ := do("POST", "/api/v1/auth/guest", "", "{}")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("guest: %d %s", resp.StatusCode, body)
	}
	var pair struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal([]byte(body), &pair); err != nil {
		t.Fatal(err)
	}

	s.public.slots <- struct{}{} // the one slot is taken, as by a read in flight
	for _, path := range []string{"/api/v1/leaderboard", "/api/v1/me/matches"} {
		resp, body, took := do("GET", path, pair.AccessToken, "")
		if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, `"error":"unavailable"`) {
			t.Errorf("%s with every slot taken: %d %s, want 503 unavailable", path, resp.StatusCode, body)
		}
		if ra := resp.Header.Get("Retry-After"); ra != "1" {
			t.Errorf("%s: Retry-After %q, want 1", path, ra)
		}
		if took < cfg.PublicReadWait || took > cfg.PublicReadWait+2*time.Second {
			t.Errorf("%s answered 503 after %v, want after the %v wait", path, took, cfg.PublicReadWait)
		}
	}
	for _, path := range []string{"/readyz", "/api/v1/me", "/api/v1/lobbies"} {
		if resp, body, took := do("GET", path, pair.AccessToken, ""); resp.StatusCode != http.StatusOK || took >= cfg.PublicReadWait {
			t.Errorf("%s with every public slot taken: %d %s in %v", path, resp.StatusCode, body, took)
		}
	}
	// A read that frees its slot while another waits hands it over.
	go func() {
		time.Sleep(50 * time.Millisecond)
		<-s.public.slots
	}()
	if resp, body, _ := do("GET", "/api/v1/leaderboard", "", ""); resp.StatusCode != http.StatusOK || body != `{"leaders":[]}`+"\n" {
		t.Errorf("leaderboard once a slot frees: %d %q", resp.StatusCode, body)
	}
}
