package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tickwire/tickwire/server/wire"
	"golang.org/x/crypto/argon2"
)

// Params are argon2id's cost parameters. They are stored in each hash, so raising them later
// leaves old hashes verifiable.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
	SaltLen uint32
	KeyLen  uint32
}

// DefaultParams meet OWASP's minimum for argon2id: 19 MiB, two passes, one lane.
var DefaultParams = Params{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// HashLimits bound the work and the waiting of password hashing.
type HashLimits struct {
	// Concurrency is how many hashes run at once, each holding Params.Memory KiB; below 1
	// means 1.
	Concurrency int
	// Queue is how many requests may wait for a slot; past it a request is refused at once
	// with rate_limited. Zero means none wait.
	Queue int
	// Wait is the longest a request waits for a slot before it is refused with rate_limited;
	// zero means DefaultHashWait.
	Wait time.Duration
}

// DefaultHashWait is HashLimits.Wait's default.
const DefaultHashWait = 2 * time.Second

// Hasher hashes and verifies passwords with argon2id. At most Concurrency hashes are in flight,
// so that a flood of logins costs bounded memory (Memory KiB each) rather than all of it, and
// at most Queue requests wait, each for at most Wait, so that a flood is refused quickly
// (rate_limited, Retry-After) instead of piling up goroutines and requests.
//
// Sign-ups (HashSignup) never hold more than half of the slots, nor take more than half of the
// queue, so that logins always find slots and room to wait while a sign-up flood runs. With a
// single slot, sign-ups and logins share it.
type Hasher struct {
	Params  Params
	limits  HashLimits
	slots   chan struct{}
	signups chan struct{} // held by a sign-up beside its slot; capacity max(Concurrency/2, 1)
	waiting atomic.Int64
	// signupsRunning counts sign-up hashes being computed, for tests of the half rule.
	signupsRunning atomic.Int64
	dummy          string
}

// NewHasher returns a Hasher with parameters p and limits lim.
func NewHasher(p Params, lim HashLimits) *Hasher {
	lim.Concurrency = max(lim.Concurrency, 1)
	lim.Queue = max(lim.Queue, 0)
	if lim.Wait <= 0 {
		lim.Wait = DefaultHashWait
	}
	h := &Hasher{Params: p, limits: lim, slots: make(chan struct{}, lim.Concurrency), signups: make(chan struct{}, max(lim.Concurrency/2, 1))}
	// An unknown username is checked against this hash, so it costs what a wrong password costs.
	d, err := h.hash([]byte(rand.Text()))
	if err != nil {
		panic(err)
	}
	h.dummy = d
	return h
}

// errBusy is the refusal of a hash that found every slot taken and the queue full, or that
// waited too long.
var errBusy = &wire.Error{Code: wire.CodeRateLimited, Message: "the server is busy checking passwords; try again", RetryAfter: 1}

// acquire takes a slot for a login's hash, or for a sign-up's (a sign-up token first, then a
// slot), waiting in the queue until Wait has passed.
func (h *Hasher) acquire(ctx context.Context, signup bool) error {
	deadline := time.Now().Add(h.limits.Wait)
	if !signup {
		return h.take(ctx, h.slots, h.limits.Queue, deadline)
	}
	queue := h.limits.Queue / 2
	if err := h.take(ctx, h.signups, queue, deadline); err != nil {
		return err
	}
	if err := h.take(ctx, h.slots, queue, deadline); err != nil {
		<-h.signups
		return err
	}
	return nil
}

// take puts a token in ch, at once if there is room, else after waiting until deadline when
// fewer than queue requests wait already.
func (h *Hasher) take(ctx context.Context, ch chan struct{}, queue int, deadline time.Time) error {
	select {
	case ch <- struct{}{}:
		return nil
	default:
	}
	if h.waiting.Add(1) > int64(queue) {
		h.waiting.Add(-1)
		return errBusy
	}
	defer h.waiting.Add(-1)
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case ch <- struct{}{}:
		return nil
	case <-t.C:
		return errBusy
	case <-ctx.Done():
		return errBusy
	}
}

func (h *Hasher) release() { <-h.slots }

// InFlight reports how many hashes are running and how many requests wait for a slot.
func (h *Hasher) InFlight() (running, waiting int) {
	return len(h.slots), int(h.waiting.Load())
}

// Hash returns the PHC-format argon2id hash of password.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	if err := h.acquire(ctx, false); err != nil {
		return "", err
	}
	defer h.release()
	return h.hash([]byte(password))
}

// HashSignup is Hash for a new account's password: it waits for one of the sign-ups' half of
// the slots, so that logins keep the other half however many sign-ups arrive.
func (h *Hasher) HashSignup(ctx context.Context, password string) (string, error) {
	if err := h.acquire(ctx, true); err != nil {
		return "", err
	}
	h.signupsRunning.Add(1)
	defer func() {
		h.signupsRunning.Add(-1)
		h.release()
		<-h.signups
	}()
	return h.hash([]byte(password))
}

func (h *Hasher) hash(password []byte) (string, error) {
	p := h.Params
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey(password, salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// Verify reports whether password matches encoded. An empty encoded (an unknown account, or
// one without a password) is checked against a dummy hash and never matches, in the same time.
func (h *Hasher) Verify(ctx context.Context, encoded, password string) (bool, error) {
	if err := h.acquire(ctx, false); err != nil {
		return false, err
	}
	defer h.release()
	real := encoded != ""
	if !real {
		encoded = h.dummy
	}
	p, salt, key, err := decodeHash(encoded)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	return real && subtle.ConstantTimeCompare(got, key) == 1, nil
}

// NeedsRehash reports whether encoded was made with parameters other than the Hasher's, so
// that a login with the right password should store a fresh hash (raising the cost later
// upgrades every account that signs in).
func (h *Hasher) NeedsRehash(encoded string) bool {
	p, salt, key, err := decodeHash(encoded)
	if err != nil {
		return false
	}
	q := h.Params
	return p.Memory != q.Memory || p.Time != q.Time || p.Threads != q.Threads ||
		uint32(len(salt)) != q.SaltLen || uint32(len(key)) != q.KeyLen
}

// maxMemory bounds the memory a stored hash may ask for, so that a tampered row cannot make a
// login allocate gigabytes.
const maxMemory = 1 << 20 // KiB

func decodeHash(s string) (p Params, salt, key []byte, err error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return p, nil, nil, errors.New("auth: not an argon2id hash")
	}
	var v int
	if _, err = fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, nil, nil, errors.New("auth: unsupported argon2 version")
	}
	if _, err = fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return p, nil, nil, fmt.Errorf("auth: hash parameters: %w", err)
	}
	if p.Memory == 0 || p.Memory > maxMemory || p.Time == 0 || p.Time > 16 || p.Threads == 0 {
		return p, nil, nil, errors.New("auth: hash parameters out of range")
	}
	if salt, err = base64.RawStdEncoding.DecodeString(parts[4]); err != nil {
		return p, nil, nil, fmt.Errorf("auth: hash salt: %w", err)
	}
	if key, err = base64.RawStdEncoding.DecodeString(parts[5]); err != nil || len(key) < 16 {
		return p, nil, nil, errors.New("auth: hash key malformed")
	}
	return p, salt, key, nil
}
