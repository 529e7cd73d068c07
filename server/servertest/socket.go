package servertest

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tickwire/tickwire/auth"
	"github.com/tickwire/tickwire/server/wire"
)

// readWithin bounds how long ReadAny waits for a frame.
const readWithin = 10 * time.Second

// WSURL returns the socket endpoint of the server at base (http:// or https://).
func WSURL(base string) string {
	if rest, ok := strings.CutPrefix(base, "https://"); ok {
		return "wss://" + rest + "/ws"
	}
	return "ws://" + strings.TrimPrefix(base, "http://") + "/ws"
}

// Bearer is a header that carries token as the bearer, as a native client sends it.
func Bearer(token string) http.Header {
	return http.Header{"Authorization": {"Bearer " + token}}
}

// DialRaw opens a socket with a bare gorilla dialer and reads nothing. header may carry
// Authorization and Origin; protocols are offered as Sec-WebSocket-Protocol.
func DialRaw(url string, header http.Header, protocols ...string) (*websocket.Conn, *http.Response, error) {
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second, Subprotocols: protocols}
	return d.Dial(url, header)
}

// Dial opens a socket with token in the Authorization header, offering the protocol's
// subprotocol, and reads its welcome; any other first frame fails the test. The socket
// closes when the test ends.
func (s *Server) Dial(t testing.TB, token string) *websocket.Conn {
	t.Helper()
	return s.DialFrom(t, token, "")
}

// DialFrom is Dial with the connection coming from the loopback address from (like
// "127.0.0.2"; "" for the default), so that per-address limits can be tested.
func (s *Server) DialFrom(t testing.TB, token, from string) *websocket.Conn {
	t.Helper()
	nd := &net.Dialer{Timeout: 5 * time.Second}
	if from != "" {
		nd.LocalAddr = &net.TCPAddr{IP: net.ParseIP(from)}
	}
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second, Subprotocols: []string{wire.Subprotocol}, NetDialContext: nd.DialContext}
	ws, resp, err := d.Dial(s.WSURL(), Bearer(token))
	if err != nil {
		if from != "" {
			t.Fatalf("dial from %s: %v (%s)", from, err, RespStatus(resp))
		}
		t.Fatalf("dial: %v (%s)", err, RespStatus(resp))
	}
	t.Cleanup(func() { ws.Close() })
	if env := ReadEnvelope(t, ws); env.T != wire.TypeWelcome {
		t.Fatalf("first frame is %s, not welcome", env.T)
	}
	return ws
}

// DialWelcome opens wsURL with d (nil for a default dialer), token in the Authorization
// header when not "", and hdr's other headers, and reads the welcome frame. Unlike Dial it
// returns the error, for tests of refusals; the caller closes the socket.
func DialWelcome(t testing.TB, d *websocket.Dialer, wsURL, token string, hdr http.Header) (*websocket.Conn, *http.Response, error) {
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

// RespStatus is a handshake answer's status line, for messages, or "no response".
func RespStatus(resp *http.Response) string {
	if resp == nil {
		return "no response"
	}
	return resp.Status
}

// ReadEnvelope reads the next frame that is neither a snapshot nor an event.
func ReadEnvelope(t testing.TB, ws *websocket.Conn) wire.Envelope {
	t.Helper()
	for {
		env := ReadAny(t, ws)
		if env.T != wire.TypeSnapshot && env.T != wire.TypeEvent {
			return env
		}
	}
}

// ReadAny reads the next frame, whatever it is, within 10 s; a text frame, an undecodable
// frame or a read error fails the test.
func ReadAny(t testing.TB, ws *websocket.Conn) wire.Envelope {
	t.Helper()
	_ = ws.SetReadDeadline(time.Now().Add(readWithin))
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

// WriteEnvelope sends one frame of type typ with request id id and payload.
func WriteEnvelope(t testing.TB, ws *websocket.Conn, typ string, id uint64, payload any) {
	t.Helper()
	b, err := wire.Encode(typ, id, payload)
	if err != nil {
		t.Fatal(err)
	}
	if err := ws.WriteMessage(websocket.BinaryMessage, b); err != nil {
		t.Fatalf("write %s: %v", typ, err)
	}
}

// DecodePayload decodes an envelope's payload into v, failing the test when it cannot.
func DecodePayload(t testing.TB, env wire.Envelope, v any) {
	t.Helper()
	if err := wire.DecodePayload(env.D, v); err != nil {
		t.Fatalf("%s payload: %v", env.T, err)
	}
}

// WaitClose reads until the server closes the socket and returns the close code it sent and
// how long that took, waiting at most within. A socket that ends without a close frame
// fails the test.
func WaitClose(t testing.TB, ws *websocket.Conn, within time.Duration) (int, time.Duration) {
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

// CloseCode reads until the socket closes, within d, and returns its close code, or -1 when
// it ended without a close frame or stayed open: for tests that a socket is not closed too.
func CloseCode(ws *websocket.Conn, d time.Duration) int {
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

// Claims reads a token's claims without checking it.
func Claims(t testing.TB, token string) *auth.Claims {
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

// Mint signs an access token with the server's own key, for claims the API does not hand
// out: like's subject and session, issued at now for ttl, with scope (an expired token, one
// without the play scope).
func (s *Server) Mint(t testing.TB, like string, now time.Time, ttl time.Duration, scope string) string {
	t.Helper()
	keys, err := auth.OpenKeySet(filepath.Join(s.Config.Data, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	c := Claims(t, like)
	tokens := &auth.Tokens{Keys: keys, AccessTTL: ttl, RefreshTTL: time.Hour, Now: func() time.Time { return now }}
	signed, err := tokens.IssueAccess(auth.Subject{AccountID: c.Subject, Username: c.Name, SessionID: c.SID, Scope: scope})
	if err != nil {
		t.Fatal(err)
	}
	return signed.Token
}
