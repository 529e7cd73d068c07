package server_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tickwire/tickwire/auth"
	"github.com/tickwire/tickwire/clients/goclient"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/server/wire"
)

// sockServer is a real server on loopback for the socket tests, with what they need to reach
// into: its data folder (for the signing keys) and, when asked for, its log.
type sockServer struct {
	*server.Server
	cfg server.Config
	log *servertest.Buffer
	api *goclient.Client
}

// startSockServer runs a server like startServer does, logging at debug level into a buffer,
// with /metrics on a loopback address of its own (MetricsURL) unless mutate says otherwise.
func startSockServer(t *testing.T, mutate func(*server.Config)) *sockServer {
	t.Helper()
	s := servertest.Start(t, func(c *server.Config) {
		c.MetricsAddr = "127.0.0.1:0"
		if mutate != nil {
			mutate(c)
		}
	}, servertest.LogText)
	return &sockServer{Server: s.Server, cfg: s.Config, log: s.Log, api: goclient.New(s.URL())}
}

func (s *sockServer) wsURL() string { return goclient.WebSocketURL(s.URL()) }

// guest signs in a new guest account; guests need no password hashing, so tests may make many.
func (s *sockServer) guest(t testing.TB, name string) goclient.Tokens {
	t.Helper()
	tok, err := s.api.Guest(context.Background(), name)
	if err != nil {
		t.Fatalf("guest: %v", err)
	}
	return tok
}

// tokenClaims reads a token's claims without checking it.
func tokenClaims(t testing.TB, token string) *auth.Claims {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", token)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c auth.Claims
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return &c
}

// mint signs an access token with the server's own key, for claims the API does not hand out:
// an expired token, one without the play scope.
func (s *sockServer) mint(t testing.TB, like string, now time.Time, ttl time.Duration, scope string) string {
	t.Helper()
	keys, err := auth.OpenKeySet(filepath.Join(s.cfg.Data, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	c := tokenClaims(t, like)
	tokens := &auth.Tokens{Keys: keys, AccessTTL: ttl, RefreshTTL: time.Hour, Now: func() time.Time { return now }}
	signed, err := tokens.IssueAccess(auth.Subject{AccountID: c.Subject, Username: c.Name, SessionID: c.SID, Scope: scope})
	if err != nil {
		t.Fatal(err)
	}
	return signed.Token
}

// dialRaw opens a socket with a bare gorilla dialer. header may carry Authorization and Origin;
// protocols are offered as Sec-WebSocket-Protocol.
func dialRaw(url string, header http.Header, protocols ...string) (*websocket.Conn, *http.Response, error) {
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second, Subprotocols: protocols}
	return d.Dial(url, header)
}

func bearerHeader(token string) http.Header {
	return http.Header{"Authorization": {"Bearer " + token}}
}

// mustDial opens a raw socket with the Authorization header and reads its welcome.
func (s *sockServer) mustDial(t testing.TB, token string) *websocket.Conn {
	t.Helper()
	ws, resp, err := dialRaw(s.wsURL(), bearerHeader(token), wire.Subprotocol)
	if err != nil {
		t.Fatalf("dial: %v (%s)", err, respStatus(resp))
	}
	t.Cleanup(func() { ws.Close() })
	if env := readEnv(t, ws); env.T != wire.TypeWelcome {
		t.Fatalf("first frame is %s, not welcome", env.T)
	}
	return ws
}

func respStatus(resp *http.Response) string {
	if resp == nil {
		return "no response"
	}
	return resp.Status
}

// readEnv reads the next frame, skipping snapshots and events.
func readEnv(t testing.TB, ws *websocket.Conn) wire.Envelope {
	t.Helper()
	for {
		env := readAny(t, ws)
		if env.T != wire.TypeSnapshot && env.T != wire.TypeEvent {
			return env
		}
	}
}

// readAny reads the next frame, whatever it is.
func readAny(t testing.TB, ws *websocket.Conn) wire.Envelope {
	t.Helper()
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	mt, b, err := ws.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if mt != websocket.BinaryMessage {
		t.Fatalf("server sent message type %d", mt)
	}
	env, err := wire.Decode(b, wire.Limits{})
	if err != nil {
		t.Fatalf("decode %x: %v", b, err)
	}
	return env
}

func writeEnv(t testing.TB, ws *websocket.Conn, typ string, id uint64, payload any) {
	t.Helper()
	b, err := wire.Encode(typ, id, payload)
	if err != nil {
		t.Fatal(err)
	}
	if err := ws.WriteMessage(websocket.BinaryMessage, b); err != nil {
		t.Fatalf("write %s: %v", typ, err)
	}
}

func decodeInto(t testing.TB, env wire.Envelope, v any) {
	t.Helper()
	if err := wire.DecodePayload(env.D, v); err != nil {
		t.Fatalf("%s payload: %v", env.T, err)
	}
}

// readCloseCode reads until the server closes the socket and returns the close code it sent;
// within bounds the wait. A connection that ends without a close frame fails the test.
func readCloseCode(t testing.TB, ws *websocket.Conn, within time.Duration) (int, time.Duration) {
	t.Helper()
	start := time.Now()
	_ = ws.SetReadDeadline(start.Add(within))
	for {
		_, _, err := ws.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code, time.Since(start)
		}
		t.Fatalf("socket ended without a close frame after %v: %v", time.Since(start), err)
	}
}

// metric returns the value of the series name{labels} (labels as `k="v",...`, "" for none)
// from /metrics, 0 when it is absent.
func (s *sockServer) metric(t testing.TB, name, labels string) float64 {
	t.Helper()
	base := s.MetricsURL()
	if base == "" {
		base = s.URL()
	}
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	want := name
	if labels != "" {
		want += "{" + labels + "}"
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		i := strings.LastIndexByte(line, ' ')
		if series, value := line[:max(i, 0)], line[i+1:]; i > 0 && series == want {
			v, err := strconv.ParseFloat(value, 64)
			if err != nil {
				t.Fatalf("metric line %q: %v", line, err)
			}
			return v
		}
	}
	return 0
}

// pollUntil polls cond every 20 ms until it holds or within passes.
func pollUntil(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
