// Package oidctest runs a real OpenID provider (github.com/zitadel/oidc's op package) on
// loopback for tests: discovery, keys, the authorization and token endpoints, a login form,
// users and clients in memory, and switches that make it misbehave the ways a relying party
// must survive (a wrong nonce, an expired ID token, a denied login).
package oidctest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/crypto"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// User is an account at the provider.
type User struct {
	Subject           string
	Username          string // what the login form takes
	Password          string
	PreferredUsername string
	Name              string
	Email             string
}

// Behaviour are the switches of a misbehaving provider; the zero value is a correct one.
type Behaviour struct {
	WrongNonce      bool          // ID tokens carry another nonce than the request's
	IDTokenLifetime time.Duration // ID tokens' lifetime; negative: already expired; zero: 5 min
}

// Provider is a running OpenID provider.
type Provider struct {
	Issuer string // http://127.0.0.1:port

	ln  net.Listener
	srv *http.Server
	st  *storage
	op  *op.Provider
}

// Start runs a provider on addr ("127.0.0.1:0" for any free port) until Close.
func Start(addr string) (*Provider, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		ln.Close()
		return nil, err
	}
	p := &Provider{Issuer: "http://" + ln.Addr().String(), ln: ln}
	p.st = &storage{
		key: key, kid: "k1",
		users: map[string]*User{}, clients: map[string]*client{},
		requests: map[string]*authRequest{}, codes: map[string]string{}, tokens: map[string]string{},
	}
	var cryptoKey [32]byte
	_, _ = rand.Read(cryptoKey[:])
	p.op, err = op.NewProvider(&op.Config{CryptoKey: cryptoKey, CryptoKeyId: "c1", CodeMethodS256: true, AuthMethodPost: true},
		p.st, op.StaticIssuer(p.Issuer), op.WithAllowInsecure(), op.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		ln.Close()
		return nil, err
	}
	p.st.callback = op.AuthCallbackURL(p.op)
	mux := http.NewServeMux()
	login := op.NewIssuerInterceptor(p.op.IssuerFromRequest)
	mux.HandleFunc("GET /login", p.loginForm)
	mux.Handle("POST /login", login.HandlerFunc(p.loginSubmit))
	mux.Handle("/", p.op)
	p.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = p.srv.Serve(ln) }()
	return p, nil
}

// Close stops the provider; its address refuses connections from then on.
func (p *Provider) Close() error { return p.srv.Close() }

// AddUser adds (or replaces) a user.
func (p *Provider) AddUser(u User) {
	p.st.mu.Lock()
	defer p.st.mu.Unlock()
	cp := u
	p.st.users[u.Username] = &cp
}

// AddClient registers a confidential client allowed to redirect to redirectURIs.
func (p *Provider) AddClient(id, secret string, redirectURIs ...string) {
	p.st.mu.Lock()
	defer p.st.mu.Unlock()
	p.st.clients[id] = &client{id: id, secret: secret, redirects: redirectURIs, st: p.st}
}

// Set replaces the provider's behaviour.
func (p *Provider) Set(b Behaviour) {
	p.st.mu.Lock()
	defer p.st.mu.Unlock()
	p.st.behaviour = b
}

// IDToken signs an ID token for the user named username with the provider's own key, as the
// provider would issue it to a native client whose client id is audience.
func (p *Provider) IDToken(username, audience string, lifetime time.Duration) (string, error) {
	p.st.mu.Lock()
	u, ok := p.st.users[username]
	p.st.mu.Unlock()
	if !ok {
		return "", fmt.Errorf("no user %q", username)
	}
	now := time.Now()
	c := oidc.NewIDTokenClaims(p.Issuer, u.Subject, []string{audience}, now.Add(lifetime), now, "", "", []string{"pwd"}, audience, 0)
	c.SetUserInfo(userInfo(u))
	signer, err := op.SignerFromKey(p.st.signingKey())
	if err != nil {
		return "", err
	}
	return crypto.Sign(c, signer)
}

func userInfo(u *User) *oidc.UserInfo {
	info := &oidc.UserInfo{Subject: u.Subject}
	info.PreferredUsername = u.PreferredUsername
	info.Name = u.Name
	info.Email = u.Email
	info.EmailVerified = true
	return info
}

var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Test ID: sign in</title></head>
<body><h1>Test ID</h1>{{if .Error}}<p id="error">{{.Error}}</p>{{end}}
<form method="post" action="/login">
<input type="hidden" name="id" value="{{.ID}}">
<label>Username <input id="username" name="username" autocomplete="username"></label>
<label>Password <input id="password" name="password" type="password"></label>
<button id="submit" type="submit">Sign in</button>
<button id="deny" type="submit" name="deny" value="1">Cancel</button>
</form></body></html>`))

func (p *Provider) loginForm(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = loginPage.Execute(w, map[string]string{"ID": r.URL.Query().Get("id")})
}

func (p *Provider) loginSubmit(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	id := r.FormValue("id")
	p.st.mu.Lock()
	req, ok := p.st.requests[id]
	var u *User
	if ok {
		u = p.st.users[r.FormValue("username")]
	}
	deny := r.FormValue("deny") != ""
	if ok && !deny && u != nil && u.Password == r.FormValue("password") {
		req.subject, req.done, req.authTime = u.Subject, true, time.Now()
	}
	p.st.mu.Unlock()
	switch {
	case !ok:
		http.Error(w, "unknown login request", http.StatusBadRequest)
	case deny:
		q := url.Values{"error": {"access_denied"}, "error_description": {"the user cancelled"}, "state": {req.req.State}}
		http.Redirect(w, r, req.req.RedirectURI+"?"+q.Encode(), http.StatusFound)
	case !req.done:
		w.WriteHeader(http.StatusUnauthorized)
		_ = loginPage.Execute(w, map[string]string{"ID": id, "Error": "wrong username or password"})
	default:
		http.Redirect(w, r, p.st.callback(r.Context(), id), http.StatusFound)
	}
}

// storage is the provider's memory: users, clients, requests in flight, codes and tokens.
type storage struct {
	key      *ecdsa.PrivateKey
	kid      string
	callback func(context.Context, string) string

	mu        sync.Mutex
	behaviour Behaviour
	users     map[string]*User
	clients   map[string]*client
	requests  map[string]*authRequest
	codes     map[string]string // code to request id
	tokens    map[string]string // access token id to subject
	seq       int
}

var errNotFound = errors.New("not found")

func (s *storage) CreateAuthRequest(_ context.Context, r *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	if r.CodeChallenge == "" || r.CodeChallengeMethod != oidc.CodeChallengeMethodS256 {
		return nil, oidc.ErrInvalidRequest().WithDescription("this provider requires PKCE with S256")
	}
	if r.Nonce == "" {
		return nil, oidc.ErrInvalidRequest().WithDescription("this provider requires a nonce")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	id := fmt.Sprintf("req%d-%s", s.seq, rand.Text()[:8])
	s.requests[id] = &authRequest{id: id, req: *r, st: s, created: time.Now()}
	return s.requests[id], nil
}

func (s *storage) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.requests[id]; ok {
		return r, nil
	}
	return nil, errNotFound
}

func (s *storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	id, ok := s.codes[code]
	s.mu.Unlock()
	if !ok {
		return nil, errNotFound
	}
	return s.AuthRequestByID(ctx, id)
}

func (s *storage) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[code] = id
	return nil
}

func (s *storage) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.requests, id)
	for c, rid := range s.codes {
		if rid == id {
			delete(s.codes, c)
		}
	}
	return nil
}

func (s *storage) CreateAccessToken(_ context.Context, r op.TokenRequest) (string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := rand.Text()
	s.tokens[id] = r.GetSubject()
	return id, time.Now().Add(5 * time.Minute), nil
}

func (s *storage) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, errors.New("no refresh tokens here")
}

func (s *storage) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, op.ErrInvalidRefreshToken
}

func (s *storage) TerminateSession(context.Context, string, string) error { return nil }

func (s *storage) RevokeToken(context.Context, string, string, string) *oidc.Error { return nil }

func (s *storage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}

func (s *storage) signingKey() op.SigningKey { return signingKey{s.key, s.kid} }

func (s *storage) SigningKey(context.Context) (op.SigningKey, error) { return s.signingKey(), nil }

func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.ES256}, nil
}

func (s *storage) KeySet(context.Context) ([]op.Key, error) {
	return []op.Key{publicKey{s.key, s.kid}}, nil
}

func (s *storage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.clients[id]; ok {
		return c, nil
	}
	return nil, errNotFound
}

func (s *storage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.clients[id]; ok && c.secret == secret {
		return nil
	}
	return errors.New("wrong client credentials")
}

func (s *storage) userBySubject(sub string) *User {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.users {
		if u.Subject == sub {
			return u
		}
	}
	return nil
}

func (s *storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest puts the user's profile in the ID token.
func (s *storage) SetUserinfoFromRequest(_ context.Context, info *oidc.UserInfo, r op.IDTokenRequest, _ []string) error {
	if u := s.userBySubject(r.GetSubject()); u != nil {
		*info = *userInfo(u)
	}
	return nil
}

func (s *storage) SetUserinfoFromToken(_ context.Context, info *oidc.UserInfo, _, subject, _ string) error {
	if u := s.userBySubject(subject); u != nil {
		*info = *userInfo(u)
		return nil
	}
	return errNotFound
}

func (s *storage) SetIntrospectionFromToken(context.Context, *oidc.IntrospectionResponse, string, string, string) error {
	return errors.New("no introspection here")
}

func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errNotFound
}

func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("no JWT profile here")
}

func (s *storage) Health(context.Context) error { return nil }

type signingKey struct {
	key *ecdsa.PrivateKey
	kid string
}

func (k signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.ES256 }
func (k signingKey) Key() any                                    { return k.key }
func (k signingKey) ID() string                                  { return k.kid }

type publicKey struct {
	key *ecdsa.PrivateKey
	kid string
}

func (k publicKey) ID() string                         { return k.kid }
func (k publicKey) Algorithm() jose.SignatureAlgorithm { return jose.ES256 }
func (k publicKey) Use() string                        { return "sig" }
func (k publicKey) Key() any                           { return &k.key.PublicKey }
