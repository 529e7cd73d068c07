package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/wire"
)

// syncBuffer is a bytes.Buffer safe for a server writing while a test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// mainRun is server.Main running `tickwire serve` in the background.
type mainRun struct {
	URL    string
	Stdout *syncBuffer
	Stderr *syncBuffer
	cancel context.CancelFunc
	done   chan struct{} // closed when Main has returned
	code   int
}

// stop cancels the run, as SIGTERM does, and returns Main's exit status.
func (m *mainRun) stop(t *testing.T) int {
	t.Helper()
	m.cancel()
	select {
	case <-m.done:
		return m.code
	case <-time.After(20 * time.Second):
		t.Fatal("Main did not return within 20 s of its context ending")
		return -1
	}
}

// startMain runs server.Main with args (after "serve") and env, and waits until it prints the
// URL it serves at.
func startMain(t *testing.T, args []string, env map[string]string) *mainRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	m := &mainRun{Stdout: &syncBuffer{}, Stderr: &syncBuffer{}, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(m.done)
		m.code = server.Main(ctx, server.Env{Args: append([]string{"serve"}, args...), Stdin: strings.NewReader(""),
			Stdout: m.Stdout, Stderr: m.Stderr, Getenv: func(k string) string { return env[k] }})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-m.done:
		case <-time.After(20 * time.Second):
			t.Error("Main did not return within 20 s of its context ending")
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		sc := bufio.NewScanner(strings.NewReader(m.Stdout.String()))
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "Tickwire is serving at "); ok {
				m.URL = u
				return m
			}
		}
		select {
		case <-m.done:
			t.Fatalf("Main exited %d before serving: %s", m.code, m.Stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("Main did not serve within 20 s: %s", m.Stderr.String())
	return nil
}

// runCmd runs one tickwire command through server.Main and returns its status and output.
func runCmd(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := server.Main(context.Background(), server.Env{Args: args, Stdin: strings.NewReader(stdin),
		Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }})
	return code, out.String(), errOut.String()
}

// apiCall sends a JSON request and decodes a JSON answer (when there is one) into a map.
func apiCall(t *testing.T, hc *http.Client, method, url, token string, body any, hdr ...string) (int, map[string]any, http.Header) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	var m map[string]any
	b, _ := io.ReadAll(resp.Body)
	if len(b) > 0 {
		_ = json.Unmarshal(b, &m)
	}
	return resp.StatusCode, m, resp.Header
}

// mustStatus fails unless an API call answered want.
func mustStatus(t *testing.T, what string, got, want int, body map[string]any) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: status %d, want %d (body %v)", what, got, want, body)
	}
}

// registerAndLogin makes an account through the API and returns its access and refresh tokens.
func registerAndLogin(t *testing.T, hc *http.Client, base, name, password string) (string, string) {
	t.Helper()
	st, body, _ := apiCall(t, hc, "POST", base+"/api/v1/auth/register", "", map[string]string{"username": name, "password": password})
	mustStatus(t, "register "+name, st, http.StatusCreated, body)
	return login(t, hc, base, name, password)
}

func login(t *testing.T, hc *http.Client, base, name, password string) (string, string) {
	t.Helper()
	st, body, _ := apiCall(t, hc, "POST", base+"/api/v1/auth/login", "", map[string]string{"username": name, "password": password})
	mustStatus(t, "login "+name, st, http.StatusOK, body)
	return body["access_token"].(string), body["refresh_token"].(string)
}

// dialSocket opens /ws with the token in the Authorization header and reads the welcome frame.
func dialSocket(t *testing.T, d *websocket.Dialer, wsURL, token string, hdr http.Header) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	if hdr == nil {
		hdr = http.Header{}
	}
	if token != "" {
		hdr.Set("Authorization", "Bearer "+token)
	}
	if d == nil {
		d = &websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	}
	ws, resp, err := d.Dial(wsURL, hdr)
	if err != nil {
		return nil, resp, err
	}
	_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, b, err := ws.ReadMessage()
	if err != nil {
		ws.Close()
		return nil, resp, err
	}
	env, err := wire.Decode(b, wire.Limits{})
	if err != nil || env.T != wire.TypeWelcome {
		ws.Close()
		return nil, resp, errors.New("first frame is not welcome")
	}
	_ = ws.SetReadDeadline(time.Time{})
	return ws, resp, nil
}

// closeCode reads until the socket closes, within d, and returns its close code (or -1).
func closeCode(ws *websocket.Conn, d time.Duration) int {
	_ = ws.SetReadDeadline(time.Now().Add(d))
	for {
		if _, _, err := ws.ReadMessage(); err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				return ce.Code
			}
			return -1
		}
	}
}

func wsURL(base string) string {
	if rest, ok := strings.CutPrefix(base, "https://"); ok {
		return "wss://" + rest + "/ws"
	}
	return "ws://" + strings.TrimPrefix(base, "http://") + "/ws"
}
