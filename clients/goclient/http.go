package goclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client talks to one Tickwire server's HTTP API.
type Client struct {
	// BaseURL is the server's address, like http://localhost:8080.
	BaseURL string
	// HTTP is the client used for requests; nil means a client with a 10 s timeout.
	HTTP *http.Client
}

// New returns a client for the server at baseURL.
func New(baseURL string) *Client {
	return &Client{BaseURL: strings.TrimSuffix(baseURL, "/")}
}

// Tokens is a token pair from login, guest or refresh.
type Tokens struct {
	AccessToken      string `json:"access_token"`
	RefreshToken     string `json:"refresh_token"`
	TokenType        string `json:"token_type"`
	ExpiresIn        int64  `json:"expires_in"`
	RefreshExpiresIn int64  `json:"refresh_expires_in"`
}

// Account is an account as the API shows it.
type Account struct {
	ID       string   `json:"id"`
	Username string   `json:"username"`
	Scopes   []string `json:"scopes,omitempty"`
}

// APIError is an error answer from the HTTP API.
type APIError struct {
	Status     int
	Code       string `json:"error"`
	Message    string `json:"message"`
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	return fmt.Sprintf("tickwire: %d %s: %s", e.Status, e.Code, e.Message)
}

// defaultHTTP is shared by every Client without its own, so that keep-alive connections are
// reused across clients (a load test runs thousands).
var defaultHTTP = &http.Client{Timeout: 10 * time.Second}

func (c *Client) http() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return defaultHTTP
}

// do sends a JSON request and decodes a JSON answer into out (when not nil).
func (c *Client) do(ctx context.Context, method, path, token string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.http().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		e := &APIError{Status: resp.StatusCode}
		_ = json.Unmarshal(data, e)
		e.RetryAfter = retryAfter(resp.Header.Get("Retry-After"))
		return e
	}
	if out != nil && len(data) > 0 {
		return json.Unmarshal(data, out)
	}
	return nil
}

// retryAfter reads a Retry-After header given in seconds.
func retryAfter(h string) time.Duration {
	secs, err := strconv.Atoi(strings.TrimSpace(h))
	if err != nil || secs < 0 {
		return 0
	}
	return time.Duration(secs) * time.Second
}

// Register creates an account.
func (c *Client) Register(ctx context.Context, username, password string) (Account, error) {
	var a Account
	err := c.do(ctx, http.MethodPost, "/api/v1/auth/register", "", map[string]string{"username": username, "password": password}, &a)
	return a, err
}

// Login signs in and returns a token pair.
func (c *Client) Login(ctx context.Context, username, password string) (Tokens, error) {
	var t Tokens
	err := c.do(ctx, http.MethodPost, "/api/v1/auth/login", "", map[string]string{"username": username, "password": password}, &t)
	return t, err
}

// Guest creates a guest account (named after name, when set) and signs it in.
func (c *Client) Guest(ctx context.Context, name string) (Tokens, error) {
	var t Tokens
	body := map[string]string{}
	if name != "" {
		body["name"] = name
	}
	err := c.do(ctx, http.MethodPost, "/api/v1/auth/guest", "", body, &t)
	return t, err
}

// Refresh trades a refresh token for a new pair. Each refresh token works once.
func (c *Client) Refresh(ctx context.Context, refreshToken string) (Tokens, error) {
	var t Tokens
	err := c.do(ctx, http.MethodPost, "/api/v1/auth/refresh", "", map[string]string{"refresh_token": refreshToken}, &t)
	return t, err
}

// Logout ends the session of accessToken everywhere.
func (c *Client) Logout(ctx context.Context, accessToken string) error {
	return c.do(ctx, http.MethodPost, "/api/v1/auth/logout", accessToken, map[string]string{}, nil)
}

// Me returns the account of accessToken.
func (c *Client) Me(ctx context.Context, accessToken string) (Account, error) {
	var a Account
	err := c.do(ctx, http.MethodGet, "/api/v1/me", accessToken, nil, &a)
	return a, err
}

// Provider is an OpenID Connect provider the server signs in with.
type Provider struct {
	Name        string `json:"name"`
	DisplayName string `json:"display_name"`
}

// Providers lists the server's OpenID Connect providers.
func (c *Client) Providers(ctx context.Context) ([]Provider, error) {
	var out struct {
		Providers []Provider `json:"providers"`
	}
	err := c.do(ctx, http.MethodGet, "/api/v1/auth/providers", "", nil, &out)
	return out.Providers, err
}

// LoginWithIDToken signs in with an ID token that the game got from the provider named
// provider itself (its own authorization code flow, with the client id the server is
// configured with for that provider). The server checks the token's signature, issuer,
// audience and expiry, and answers a token pair; the first login makes the account.
func (c *Client) LoginWithIDToken(ctx context.Context, provider, idToken string) (Tokens, error) {
	var t Tokens
	err := c.do(ctx, http.MethodPost, "/api/v1/auth/oidc/"+url.PathEscape(provider)+"/token", "", map[string]string{"id_token": idToken}, &t)
	return t, err
}

// Lobby is one public lobby as the lobby list shows it.
type Lobby struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Game       string `json:"game"`
	Players    int    `json:"players"`
	MaxPlayers int    `json:"max_players"`
	State      string `json:"state"`
	TickRate   int    `json:"tick_rate"`
}

// Lobbies lists the server's public lobbies.
func (c *Client) Lobbies(ctx context.Context, accessToken string) ([]Lobby, error) {
	var out struct {
		Lobbies []Lobby `json:"lobbies"`
	}
	err := c.do(ctx, http.MethodGet, "/api/v1/lobbies", accessToken, nil, &out)
	return out.Lobbies, err
}

// Game is one game the server offers, as GET /api/v1/games lists it: its name (what
// wire.Create.Game and wire.Join.Game ask for), the bounds on a lobby's max_players, and the
// options create takes for it.
type Game struct {
	Name        string                `json:"name"`
	DisplayName string                `json:"display_name"`
	MinPlayers  int                   `json:"min_players"`
	MaxPlayers  int                   `json:"max_players"`
	Options     map[string]GameOption `json:"options"`
}

// GameOption describes one create option of a game: its type (int, bool, string or enum), the
// default taken when create leaves it out, an int's bounds or a string's length bounds (absent:
// none), an enum's values.
type GameOption struct {
	Type        string   `json:"type"`
	Default     any      `json:"default"`
	Min         *int     `json:"min,omitempty"`
	Max         *int     `json:"max,omitempty"`
	Values      []string `json:"values,omitempty"`
	Description string   `json:"description,omitempty"`
}

// Games lists the server's games, its default game first.
func (c *Client) Games(ctx context.Context, accessToken string) ([]Game, error) {
	var out struct {
		Games []Game `json:"games"`
	}
	err := c.do(ctx, http.MethodGet, "/api/v1/games", accessToken, nil, &out)
	return out.Games, err
}
