package server

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/tickwire/tickwire/auth/oidc"
	"github.com/tickwire/tickwire/server/cluster"
	"github.com/tickwire/tickwire/server/wire"
)

// bindingCookie ties an authorization request to the browser that started it: its value's
// hash is stored with the state, and the callback must bring the value back.
const bindingCookie = "tickwire_oidc"

// stateTTL is how long an authorization request waits for its callback.
const stateTTL = 10 * time.Minute

// oidcRP is the server's side of OpenID Connect sign-in: the providers in config order, the
// accounts they sign in to, and the per-address budget of starts and native logins.
type oidcRP struct {
	order  []*oidc.Provider
	byName map[string]*oidc.Provider
	acct   *oidc.Accounts
	budget *keyedBudget // starts, links and native logins per client address
}

// warm fetches every provider's discovery document in the background; one that is down is
// asked again on first use.
func (rp *oidcRP) warm(ctx context.Context, s *Server) {
	for _, p := range rp.order {
		s.bg.Add(1)
		go func() {
			defer s.bg.Done()
			if err := p.Warm(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("OpenID provider unavailable at start", "provider", p.Name(), "issuer", p.Issuer())
			}
		}()
	}
}

func (s *Server) oidcProvider(c echo.Context) (*oidc.Provider, error) {
	p, ok := s.oidc.byName[c.Param("name")]
	if !ok {
		return nil, apiErr(wire.CodeNotFound, "no such sign-in provider")
	}
	return p, nil
}

func (s *Server) oidcThrottle(c echo.Context) error {
	if wait := s.oidc.budget.take(s.now(), clientKey(c.RealIP())); wait > 0 {
		return &wire.Error{Code: wire.CodeRateLimited, Message: "too many sign-in attempts; try again later", RetryAfter: wire.RetrySeconds(wait)}
	}
	return nil
}

// redirectURI is the provider's callback to us: from --public-url, else from the request. In
// a cluster it is the node the browser is on: for a request a game node forwarded, that
// node's --public-url, so that the callback, the binding cookie and the refresh cookie it
// sets all belong to the node the browser asked.
func (s *Server) redirectURI(c echo.Context, name string) string {
	base := s.cfg.PublicURL
	if f, ok := cluster.ForwardedBy(c.Request().Context()); ok && f.PublicURL != "" {
		base = f.PublicURL
	}
	if base == "" {
		base = s.requestScheme(c.Request()) + "://" + c.Request().Host
	}
	return base + "/api/v1/auth/oidc/" + name + "/callback"
}

func (s *Server) handleProviders(c echo.Context) error {
	type entry struct {
		Name        string `json:"name"`
		DisplayName string `json:"display_name"`
	}
	out := make([]entry, 0, len(s.oidc.order))
	for _, p := range s.oidc.order {
		out = append(out, entry{p.Name(), p.DisplayName()})
	}
	return c.JSON(http.StatusOK, map[string]any{"providers": out})
}

// validReturnTo reports whether p is a same-origin path: one leading slash, no scheme or
// authority, no backslash or control character, bounded in length.
func validReturnTo(p string) bool {
	if p == "" || len(p) > 512 || p[0] != '/' || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\") {
		return false
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// begin stores a new authorization request for p and sets the binding cookie; it returns the
// URL to send the browser to.
func (s *Server) begin(c echo.Context, p *oidc.Provider, intent, accountID, returnTo string) (string, error) {
	ctx := c.Request().Context()
	req, err := p.Begin(ctx, s.redirectURI(c, p.Name()))
	if err != nil {
		return "", err
	}
	binding := oidc.Random()
	st := oidc.State{Hash: oidc.HashValue(req.State), Provider: p.Name(), Verifier: req.Verifier, Nonce: req.Nonce, Intent: intent,
		AccountID: accountID, ReturnTo: returnTo, Binding: oidc.HashValue(binding), ExpiresAt: s.now().Add(stateTTL)}
	if err := s.db.SaveState(ctx, st, s.now(), s.cfg.OIDCMaxPending); err != nil {
		return "", err
	}
	s.setBindingCookie(c, binding, int(stateTTL/time.Second))
	c.Response().Header().Set("Cache-Control", "no-store")
	return req.URL, nil
}

func (s *Server) setBindingCookie(c echo.Context, value string, maxAge int) {
	c.SetCookie(&http.Cookie{
		Name: bindingCookie, Value: value, Path: "/api/v1/auth/oidc", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.requestScheme(c.Request()) == "https",
	})
}

func (s *Server) handleOIDCStart(c echo.Context) error {
	p, err := s.oidcProvider(c)
	if err != nil {
		return err
	}
	returnTo := "/"
	if q := c.QueryParam("return_to"); q != "" {
		if !validReturnTo(q) {
			return apiErr(wire.CodeInvalidRequest, "return_to must be a path on this server, like /play")
		}
		returnTo = q
	}
	if err := s.oidcThrottle(c); err != nil {
		return err
	}
	u, err := s.begin(c, p, oidc.IntentLogin, "", returnTo)
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusFound, u)
}

// handleOIDCCallback finishes a browser's sign-in or link. Every failure is a redirect to
// /#auth_error=<code>, with the binding cookie cleared and nothing else set.
func (s *Server) handleOIDCCallback(c echo.Context) error {
	name := c.Param("name")
	s.setBindingCookie(c, "", -1)
	c.Response().Header().Set("Cache-Control", "no-store")
	fail := func(code string, cause error) error {
		s.log.Info("OpenID sign-in refused", "provider", name, "code", code, "cause", causeText(cause))
		return c.Redirect(http.StatusFound, "/#auth_error="+code)
	}
	p, ok := s.oidc.byName[name]
	if !ok {
		return fail(wire.CodeOIDCState, errors.New("unknown provider"))
	}
	q := c.Request().URL.Query()
	state := q.Get("state")
	if state == "" || len(state) > 512 {
		return fail(wire.CodeOIDCState, errors.New("no state"))
	}
	ctx := c.Request().Context()
	st, err := s.db.TakeState(ctx, oidc.HashValue(state), s.now())
	if err != nil {
		if oidc.IsNotFound(err) {
			return fail(wire.CodeOIDCState, errors.New("unknown, expired or used state"))
		}
		return fail(wire.CodeInternal, err)
	}
	ck, cerr := c.Cookie(bindingCookie)
	if st.Provider != name || cerr != nil || !oidc.SameBinding(ck.Value, st.Binding) {
		return fail(wire.CodeOIDCState, errors.New("state not bound to this browser"))
	}
	if e := q.Get("error"); e != "" {
		return fail(wire.CodeOIDCDenied, errors.New("provider answered an error"))
	}
	code := q.Get("code")
	if code == "" || len(code) > 4096 {
		return fail(wire.CodeOIDCFailed, errors.New("no code"))
	}
	claims, err := p.Finish(ctx, s.redirectURI(c, name), code, st.Verifier, st.Nonce)
	if err != nil {
		return fail(wire.ErrorCode(err), err)
	}
	if st.Intent == oidc.IntentLink {
		if err := s.oidc.acct.Link(ctx, st.AccountID, name, claims); err != nil {
			return fail(wire.ErrorCode(err), err)
		}
		return c.Redirect(http.StatusFound, "/#linked="+name)
	}
	pair, err := s.oidc.acct.Login(ctx, name, claims, s.cfg.Registration == RegistrationOpen)
	if err != nil {
		return fail(wire.ErrorCode(err), err)
	}
	now := pair.Access.Claims.IssuedAt.Time
	exp := pair.Refresh.Claims.ExpiresAt.Time
	s.setRefreshCookie(c, pair.Refresh.Token, exp, int(exp.Sub(now)/time.Second))
	return c.Redirect(http.StatusFound, st.ReturnTo)
}

// causeText is an error as the log may show it: our own messages, never a code or token.
func causeText(err error) string {
	if err == nil {
		return ""
	}
	return oneLine(err.Error())
}

// handleOIDCToken signs in a native client that ran the provider's flow itself and presents
// the ID token it got: the token must verify for that provider, audience its client_id.
func (s *Server) handleOIDCToken(c echo.Context) error {
	p, err := s.oidcProvider(c)
	if err != nil {
		return err
	}
	if err := s.oidcThrottle(c); err != nil {
		return err
	}
	var req struct {
		IDToken string `json:"id_token"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	if req.IDToken == "" {
		return apiErr(wire.CodeInvalidRequest, "id_token is required")
	}
	claims, err := p.VerifyIDToken(c.Request().Context(), req.IDToken)
	if err != nil {
		if errors.Is(err, oidc.ErrFailed) {
			s.log.Info("OpenID token refused", "provider", p.Name(), "cause", causeText(err))
			return apiErr(wire.CodeInvalidToken, "the ID token does not verify for this provider")
		}
		return err
	}
	pair, err := s.oidc.acct.Login(c.Request().Context(), p.Name(), claims, s.cfg.Registration == RegistrationOpen)
	if err != nil {
		return err
	}
	return s.sendPair(c, pair)
}

// handleLinkStart answers the URL that links an identity at the provider to the caller's
// account, and binds it to this browser with the binding cookie.
func (s *Server) handleLinkStart(c echo.Context) error {
	p, err := s.oidcProvider(c)
	if err != nil {
		return err
	}
	if err := s.oidcThrottle(c); err != nil {
		return err
	}
	u, err := s.begin(c, p, oidc.IntentLink, claimsOf(c).Subject, "/")
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"url": u})
}

func (s *Server) handleUnlink(c echo.Context) error {
	if err := s.db.UnlinkIdentity(c.Request().Context(), claimsOf(c).Subject, c.Param("name")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// identitiesOf lists an account's identities as GET /me shows them.
func (s *Server) identitiesOf(ctx context.Context, accountID string) ([]map[string]string, error) {
	ids, err := s.db.Identities(ctx, accountID)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]string, 0, len(ids))
	for _, id := range ids {
		out = append(out, map[string]string{"provider": id.Provider})
	}
	return out, nil
}
