package auth

import (
	"context"
	"strings"
	"testing"
	"time"
)

var testParams = Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestHashVerifies(t *testing.T) {
	h := NewHasher(testParams, HashLimits{Concurrency: 1})
	ctx := context.Background()
	enc, err := h.Hash(ctx, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("hash = %q, want PHC argon2id with its parameters", enc)
	}
	for pw, want := range map[string]bool{"correct horse": true, "correct hors": false, "": false} {
		if ok, err := h.Verify(ctx, enc, pw); ok != want || err != nil {
			t.Errorf("Verify(%q) = %v, %v; want %v", pw, ok, err, want)
		}
	}
	if ok, err := h.Verify(ctx, "", "anything"); ok || err != nil {
		t.Errorf("Verify of no hash = %v, %v; want false (after hashing the dummy)", ok, err)
	}
	if !NewHasher(DefaultParams, HashLimits{}).NeedsRehash(enc) || h.NeedsRehash(enc) {
		t.Error("NeedsRehash does not compare parameters")
	}
}

func TestDefaultParamsMeetOWASP(t *testing.T) {
	p := DefaultParams
	if p.Memory < 19*1024 || p.Time < 2 || p.Threads < 1 || p.SaltLen < 16 || p.KeyLen < 32 {
		t.Errorf("DefaultParams %+v below the OWASP minimum (m=19 MiB, t=2, p=1)", p)
	}
}

func TestHostileStoredHashesAreRefused(t *testing.T) {
	for _, enc := range []string{
		"$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5", // 4 GiB
		"$argon2id$v=19$m=64,t=1000,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=64,t=1,p=0$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=16$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$a2V5",
		"$argon2id$v=19$m=64,t=1,p=1$!!!$a2V5a2V5a2V5a2V5a2V5a2V5",
		"plaintext",
	} {
		if _, _, _, err := decodeHash(enc); err == nil {
			t.Errorf("decodeHash(%q) accepted", enc)
		}
	}
}

// TestHashingIsBoundedInWorkAndWaiting: with every slot taken, Queue callers wait, each at most
// Wait; the next is refused at once with rate_limited and a Retry-After.
func TestHashingIsBoundedInWorkAndWaiting(t *testing.T) {
	h := NewHasher(testParams, HashLimits{Concurrency: 1, Queue: 1, Wait: 200 * time.Millisecond})
	ctx := context.Background()
	if err := h.acquire(ctx); err != nil { // a hash in progress holds the only slot
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() {
		_, err := h.Hash(ctx, "waits for the slot")
		waited <- err
	}()
	for {
		if _, w := h.InFlight(); w == 1 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	_, err := h.Verify(ctx, "", "no room in the queue")
	var e *Error
	if ae, ok := err.(*Error); ok {
		e = ae
	}
	if e == nil || e.Code != CodeRateLimited || e.RetryAfter <= 0 {
		t.Fatalf("a call past the queue: %v, want rate_limited with RetryAfter", err)
	}
	if err := <-waited; ErrorCode(err) != CodeRateLimited {
		t.Fatalf("a call that waited past Wait: %v, want rate_limited", err)
	}
	if r, w := h.InFlight(); r != 1 || w != 0 {
		t.Fatalf("in flight = %d running, %d waiting; want 1, 0", r, w)
	}

	// A waiter gets the slot when it frees within Wait.
	go func() {
		time.Sleep(20 * time.Millisecond)
		h.release()
	}()
	if _, err := h.Hash(ctx, "gets the slot"); err != nil {
		t.Fatalf("a waiter whose slot freed in time: %v", err)
	}
	if r, w := h.InFlight(); r != 0 || w != 0 {
		t.Fatalf("in flight after = %d, %d", r, w)
	}

	// A caller that gives up (its request ended) leaves the queue.
	if err := h.acquire(ctx); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := h.Hash(cctx, "gave up"); ErrorCode(err) != CodeRateLimited {
		t.Fatalf("a cancelled waiter: %v", err)
	}
	h.release()
}
