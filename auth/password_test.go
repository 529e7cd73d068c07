package auth

import (
	"context"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tickwire/tickwire/server/wire"
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
	if err := h.acquire(ctx, false); err != nil { // a hash in progress holds the only slot
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
	var e *wire.Error
	if ae, ok := err.(*wire.Error); ok {
		e = ae
	}
	if e == nil || e.Code != wire.CodeRateLimited || e.RetryAfter <= 0 {
		t.Fatalf("a call past the queue: %v, want rate_limited with RetryAfter", err)
	}
	if err := <-waited; wire.ErrorCode(err) != wire.CodeRateLimited {
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
	if err := h.acquire(ctx, false); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := h.Hash(cctx, "gave up"); wire.ErrorCode(err) != wire.CodeRateLimited {
		t.Fatalf("a cancelled waiter: %v", err)
	}
	h.release()
}

// TestSignupsNeverTakeMoreThanHalfTheSlots floods the hasher with sign-ups from more
// goroutines than it has slots and queue together, and checks that no more than half of the
// slots ever hash a sign-up, while logins started during the flood all get their turn.
func TestSignupsNeverTakeMoreThanHalfTheSlots(t *testing.T) {
	p := Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	h := NewHasher(p, HashLimits{Concurrency: 4, Queue: 8, Wait: 5 * time.Second})
	ctx := context.Background()
	stored, err := h.hash([]byte("correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var flood, sampler sync.WaitGroup
	var hashed, refused atomic.Int64
	for range 24 {
		flood.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := h.HashSignup(ctx, "a new password"); err != nil {
					refused.Add(1)
					time.Sleep(time.Millisecond) // a refused client tries again soon, not at once
				} else {
					hashed.Add(1)
				}
			}
		})
	}
	var most atomic.Int64
	sampler.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if n := h.signupsRunning.Load(); n > most.Load() {
				most.Store(n)
			}
			time.Sleep(50 * time.Microsecond)
		}
	})
	for hashed.Load() < 20 || refused.Load() == 0 { // the flood is on: sign-ups hash and overflow
		runtime.Gosched()
	}
	var logins sync.WaitGroup
	var failed atomic.Int64
	for range 4 {
		logins.Go(func() {
			for range 10 {
				if ok, err := h.Verify(ctx, stored, "correct horse"); err != nil || !ok {
					failed.Add(1)
				}
			}
		})
	}
	logins.Wait()
	close(stop)
	flood.Wait()
	sampler.Wait()
	if n := failed.Load(); n > 0 {
		t.Errorf("%d of 40 logins during a sign-up flood failed", n)
	}
	if n := most.Load(); n > 2 {
		t.Errorf("%d sign-ups hashed at once on 4 slots, want at most 2", n)
	}
	t.Logf("sign-ups: %d hashed, %d refused; at most %d at once", hashed.Load(), refused.Load(), most.Load())
	if r, w := h.InFlight(); r != 0 || w != 0 || len(h.signups) != 0 {
		t.Errorf("after the flood %d run, %d wait, %d sign-up tokens held", r, w, len(h.signups))
	}
}
