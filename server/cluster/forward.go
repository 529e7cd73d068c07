package cluster

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
)

// Forwarding limits. A forwarded request waits at most forwardWait for its answer (a login
// may queue for a hashing slot); the database node serves at most forwardConcurrency at once
// and answers the rest 503 at once.
const (
	forwardWait        = 30 * time.Second
	forwardConcurrency = 256
)

// ErrNoDatabase reports that no database node answers: it is down or unreachable.
var ErrNoDatabase = errors.New("cluster: the database node does not answer")

// httpRequest is an HTTP request as a game node forwards it: what the database node's
// routes read of it, the client's address as the game node resolved it among them.
type httpRequest struct {
	Method   string      `json:"method"`
	URI      string      `json:"uri"` // path and query
	Host     string      `json:"host"`
	Header   http.Header `json:"header"`
	Body     []byte      `json:"body,omitempty"`
	ClientIP string      `json:"client_ip"`
	TLS      bool        `json:"tls,omitempty"`     // the client's connection to the game node is TLS
	HTTPS    bool        `json:"https,omitempty"`   // the client used HTTPS, to the node or a trusted proxy
	From     string      `json:"from,omitempty"`    // the forwarding node's public URL
	Origins  []string    `json:"origins,omitempty"` // the forwarding node's --origins
}

// Client is what a game node resolved of a request's client before forwarding it, its own
// --trusted-proxies applied: the address, and whether the client came over HTTPS (to the node
// itself, or to a trusted TLS proxy in front of it).
type Client struct {
	IP    string
	HTTPS bool
}

// httpResponse is the database node's answer.
type httpResponse struct {
	Status int         `json:"status"`
	Header http.Header `json:"header"`
	Body   []byte      `json:"body,omitempty"`
}

func (n *Node) httpSubject() string { return n.name("tickwire.db.http") }

// ServeDatabase answers the requests game nodes forward, with h, as a NATS micro service in
// a queue group (so that a second database node, were there one, would share them). The
// request is rebuilt as the client sent it: h sees the client's address as its peer and
// HTTPS when the client used it, and no proxy header a client could have forged.
func (n *Node) ServeDatabase(h http.Handler) error {
	if err := n.onlyDatabase(); err != nil {
		return err
	}
	slots := make(chan struct{}, forwardConcurrency)
	svc, err := micro.AddService(n.nc, micro.Config{Name: n.name("tickwire_db"), Version: "1.0.0",
		Description: "the HTTP routes of Tickwire that need the database", Metadata: map[string]string{"node": n.cfg.NodeID}})
	if err != nil {
		return err
	}
	n.svc = svc
	return svc.AddEndpoint("http", micro.HandlerFunc(func(req micro.Request) {
		select {
		case slots <- struct{}{}:
		default:
			n.counts.servedBusy.Add(1)
			_ = req.Error("503", "busy", nil)
			return
		}
		// Each request on a goroutine of its own: the subscription delivers one at a time.
		go func() {
			defer func() { <-slots }()
			n.counts.serving.Add(1)
			defer n.counts.serving.Add(-1)
			b, _ := json.Marshal(serveForwarded(h, req.Data()))
			if err := req.Respond(b); err != nil {
				// Over NATS's payload limit, say: answer that at once, rather than leave the game
				// node waiting out forwardWait.
				b, _ = json.Marshal(tooLarge(err))
				_ = req.Respond(b)
			}
			n.counts.served.Add(1)
		}()
	}), micro.WithEndpointSubject(n.httpSubject()))
}

// ErrDatabaseTaken is ServeDatabase's answer when another database node serves the cluster.
var ErrDatabaseTaken = errors.New("another database node serves this cluster")

// databaseProbeWait bounds how long onlyDatabase waits for another database node to answer.
const databaseProbeWait = 500 * time.Millisecond

// onlyDatabase makes sure no other database node serves the cluster: two would split the
// forwarded requests and the results between two databases. It pings the service the
// database node serves; "no responders" is the answer of a cluster without one, at once. (Two
// database nodes that start within the same instant both find none; this catches the
// mistake of a second node left without --role game, not a race of two starts.)
func (n *Node) onlyDatabase() error {
	subj, err := micro.ControlSubject(micro.PingVerb, n.name("tickwire_db"), "")
	if err != nil {
		return err
	}
	m, err := n.nc.Request(subj, nil, databaseProbeWait)
	switch {
	case errors.Is(err, nats.ErrNoResponders), errors.Is(err, nats.ErrTimeout):
		return nil
	case err != nil:
		return fmt.Errorf("ask for another database node: %w", err)
	}
	var ping micro.Ping
	_ = json.Unmarshal(m.Data, &ping)
	return fmt.Errorf("%w (node %q answers for it): start every node but one with --role game", ErrDatabaseTaken, ping.Metadata["node"])
}

// tooLarge is the answer in place of one NATS would not carry.
func tooLarge(err error) httpResponse {
	body, _ := json.Marshal(map[string]string{"error": "internal", "message": "the answer could not be forwarded: " + err.Error()})
	return httpResponse{Status: http.StatusInternalServerError, Header: http.Header{"Content-Type": {"application/json"}}, Body: body}
}

func serveForwarded(h http.Handler, data []byte) httpResponse {
	var in httpRequest
	if err := json.Unmarshal(data, &in); err != nil {
		return httpResponse{Status: http.StatusBadRequest}
	}
	ctx, cancel := context.WithTimeout(context.WithValue(context.Background(), forwardedKey{}, Forwarded{PublicURL: in.From, Origins: in.Origins, HTTPS: in.HTTPS}), forwardWait)
	defer cancel()
	r, err := http.NewRequestWithContext(ctx, in.Method, in.URI, bytes.NewReader(in.Body))
	if err != nil {
		return httpResponse{Status: http.StatusBadRequest}
	}
	r.Header = in.Header
	if r.Header == nil {
		r.Header = http.Header{}
	}
	for _, h := range []string{"X-Forwarded-For", "X-Real-Ip", "X-Forwarded-Proto", "Forwarded"} {
		r.Header.Del(h)
	}
	r.Host = in.Host
	r.RemoteAddr = net.JoinHostPort(in.ClientIP, "0")
	if in.TLS {
		r.TLS = &tls.ConnectionState{}
	}
	w := &recorder{header: http.Header{}}
	h.ServeHTTP(w, r)
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return httpResponse{Status: w.status, Header: w.header, Body: w.body.Bytes()}
}

type forwardedKey struct{}

// Forwarded is what the database node knows, while it serves a forwarded request, of the
// game node that forwarded it: the node the client is on, whose settings of the browser's
// side (where it sends the browser back to, which pages it takes as its own) the answer
// follows rather than the database node's.
type Forwarded struct {
	PublicURL string   // the node's --public-url
	Origins   []string // the node's --origins; empty: its own origin alone
	// HTTPS is whether the client used HTTPS, to the node or to a TLS proxy in the node's
	// --trusted-proxies; the request's TLS field says only whether it reached the node itself
	// over TLS, as for a request of the database node's own.
	HTTPS bool
}

// ForwardedBy returns the game node that forwarded the request of ctx, and false for a
// request the database node got itself.
func ForwardedBy(ctx context.Context) (Forwarded, bool) {
	f, ok := ctx.Value(forwardedKey{}).(Forwarded)
	return f, ok
}

// recorder is the answer of a forwarded request, as the routes write it.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *recorder) Header() http.Header { return w.header }
func (w *recorder) WriteHeader(s int) {
	if w.status == 0 {
		w.status = s
	}
}
func (w *recorder) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(p)
}

// Forward sends r, from client, to the database node and writes its answer to w. It returns
// ErrNoDatabase, having written nothing, when no database node answers: at once when none is
// subscribed.
func (n *Node) Forward(w http.ResponseWriter, r *http.Request, client Client, body []byte) error {
	b, err := json.Marshal(httpRequest{Method: r.Method, URI: r.URL.RequestURI(), Host: r.Host, Header: r.Header,
		Body: body, ClientIP: client.IP, TLS: r.TLS != nil, HTTPS: client.HTTPS, From: n.cfg.PublicURL, Origins: n.cfg.Origins})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(r.Context(), forwardWait)
	defer cancel()
	m, err := n.nc.RequestWithContext(ctx, n.httpSubject(), b)
	if err != nil {
		if errors.Is(err, nats.ErrNoResponders) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) || !n.nc.IsConnected() {
			return ErrNoDatabase
		}
		return err
	}
	if m.Header.Get(micro.ErrorCodeHeader) != "" {
		return ErrNoDatabase
	}
	var out httpResponse
	if err := json.Unmarshal(m.Data, &out); err != nil {
		return err
	}
	for k, v := range out.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(out.Status)
	_, _ = w.Write(out.Body)
	return nil
}
