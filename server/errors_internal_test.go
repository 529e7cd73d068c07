package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/tickwire/tickwire/server/wire"
)

// declaredCodes reads every error code of the protocol from server/wire/testdata/vocabulary.json,
// which server/wire's TestVocabulary keeps equal to the constants it declares.
func declaredCodes(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile("wire/testdata/vocabulary.json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		ErrorCodes map[string]string `json:"error_codes"`
		CloseCodes map[string]int    `json:"close_codes"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.ErrorCodes) == 0 {
		t.Fatal("vocabulary.json lists no error codes")
	}
	return v.ErrorCodes
}

// TestEveryCodeHasAnOutcome: every declared code has an HTTP status, only declared codes have
// one, and the codes that end a socket are exactly those the protocol closes a socket for.
func TestEveryCodeHasAnOutcome(t *testing.T) {
	codes := declaredCodes(t)
	declared := map[string]bool{}
	for name, code := range codes {
		declared[code] = true
		o, ok := outcomes[code]
		if !ok {
			t.Errorf("%s (%s) has no outcome in errors.go", code, name)
			continue
		}
		if o.status < 400 || o.status > 599 || http.StatusText(o.status) == "" {
			t.Errorf("%s: status %d is not an HTTP error", code, o.status)
		}
	}
	for code := range outcomes {
		if !declared[code] {
			t.Errorf("errors.go maps %q, which server/wire does not declare", code)
		}
	}
	closes := map[string]int{
		wire.CodeTokenExpired:    wire.CloseTokenExpired, // the token's exp passed without a reauth
		wire.CodeTokenRevoked:    wire.CloseRevoked,      // logout, refresh reuse
		wire.CodeAccountDisabled: wire.CloseRevoked,      // ban
		wire.CodeShuttingDown:    wire.CloseGoingAway,
	}
	for code, o := range outcomes {
		if o.close != closes[code] {
			t.Errorf("%s closes a socket with %d, want %d", code, o.close, closes[code])
		}
	}
}

// TestContractCodes: every code the contract names is declared with the contract's spelling
// and answers with the contract's status.
func TestContractCodes(t *testing.T) {
	declared := map[string]bool{}
	for _, code := range declaredCodes(t) {
		declared[code] = true
	}
	for code, status := range map[string]int{
		"invalid_request":      400,
		"invalid_credentials":  401,
		"invalid_token":        401,
		"token_expired":        401,
		"token_revoked":        401,
		"forbidden":            403,
		"account_disabled":     403,
		"username_taken":       409,
		"rate_limited":         429,
		"not_found":            404,
		"provider_unavailable": 503,
		"last_login_method":    409,
		"unavailable":          503,
		"shutting_down":        503,
		"oidc_state":           0, // the callback's auth_error fragment, never a status of its own
		"oidc_denied":          0,
		"oidc_failed":          0,
		"identity_taken":       0,
		"registration_closed":  0,
		"moved":                0, // an error frame only
	} {
		if !declared[code] {
			t.Errorf("the contract's code %q is not declared in server/wire", code)
			continue
		}
		if status != 0 && outcomes[code].status != status {
			t.Errorf("%s answers %d, the contract says %d", code, outcomes[code].status, status)
		}
	}
}

// TestTheEdgeSendsEachCodeAlike: an error of any code reaches an HTTP client as its status and
// the body {"error","message"}, with Retry-After when it carries a wait, and a socket client as
// an error frame of the same code, message and wait.
func TestTheEdgeSendsEachCodeAlike(t *testing.T) {
	s := &Server{log: slog.New(slog.DiscardHandler)}
	e := echo.New()
	for _, code := range declaredCodes(t) {
		err := fmt.Errorf("context: %w", &wire.Error{Code: code, Message: "why, for people", RetryAfter: 7})
		rec := httptest.NewRecorder()
		s.httpErrorHandler(err, e.NewContext(httptest.NewRequest(http.MethodPost, "/api/v1/x", nil), rec))
		var body map[string]string
		if jerr := json.Unmarshal(rec.Body.Bytes(), &body); jerr != nil {
			t.Fatalf("%s: body %q: %v", code, rec.Body, jerr)
		}
		if rec.Code != outcomes[code].status || len(body) != 2 || body["error"] != code || body["message"] != "why, for people" {
			t.Errorf("%s: HTTP %d %v", code, rec.Code, body)
		}
		if got := rec.Header().Get("Retry-After"); got != "7" {
			t.Errorf("%s: Retry-After %q", code, got)
		}
		if f := errorFrame(s.log, "acct", err); f != (wire.Error{Code: code, Message: "why, for people", RetryAfter: 7}) {
			t.Errorf("%s: error frame %+v", code, f)
		}
	}
	// An error without a code is internal, shown as generic; on a socket it is the request's
	// own fault, an invalid request.
	rec := httptest.NewRecorder()
	s.httpErrorHandler(errors.New("disk on fire"), e.NewContext(httptest.NewRequest(http.MethodGet, "/", nil), rec))
	if rec.Code != http.StatusInternalServerError || rec.Body.String() != `{"error":"internal","message":"internal error"}`+"\n" {
		t.Errorf("an uncoded error: %d %s", rec.Code, rec.Body)
	}
	if f := errorFrame(s.log, "acct", errors.New("msgpack: bad")); f.Code != wire.CodeInvalidRequest || f.Message != "msgpack: bad" {
		t.Errorf("an uncoded socket error: %+v", f)
	}
	if c := closeCodeOf(wire.Errorf(wire.CodeAccountDisabled, "banned")); c != wire.CloseRevoked {
		t.Errorf("a banned account's socket closes %d", c)
	}
}
