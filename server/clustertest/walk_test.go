package clustertest_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tickwire/tickwire/server/servertest"
)

// The machinery of the API walk (api_test.go): the two sides it asks, what it compares of
// their answers, a browser for the OpenID Connect flows, and the route table it must cover.

// side is one node the walk asks, with what its steps made: each side signs up accounts of
// its own and speaks from client addresses of its own (X-Forwarded-For, the test being a
// trusted proxy of both nodes), so that the sides share the database and no budget.
type side struct {
	name string
	base string
	ip   string // the client address its requests come from
	c    *servertest.Client

	user, target string // an account with a password; one the admin bans
	tok          servertest.Tokens
	rotated      string // a refresh token already used
	admin        servertest.Tokens
	invite       string
	browser      *browser
	asked        map[string]bool // "METHOD /path" of every request sent to the node
}

// asking records on its side every request sent to the side's node.
type asking struct {
	next http.RoundTripper
	s    *side
}

func (a *asking) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host == a.s.host() {
		a.s.asked[r.Method+" "+r.URL.Path] = true
	}
	return a.next.RoundTrip(r)
}

// routePattern finds the routes in the server's route table: the group of the API, the
// routes of the root, and the browser client's pages.
var routePattern = regexp.MustCompile(`\b(api|e)\.(GET|POST|DELETE|PUT|PATCH|Match)\((getHead, )?"([^"]+)"`)

// routesOf lists the routes of the server's source files, as "METHOD /path" with :params and
// * as they are written.
func routesOf(t *testing.T, files ...string) []string {
	t.Helper()
	var out []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range routePattern.FindAllStringSubmatch(string(b), -1) {
			method, path := m[2], m[4]
			if method == "Match" {
				method = "GET"
			}
			if m[1] == "api" {
				path = "/api/v1" + path
			}
			out = append(out, method+" "+path)
		}
	}
	return out
}

// walked fails for each route of the server's table that the walk did not send to s, but
// for the socket, which the moved and revocation tests take through game nodes.
func walked(t *testing.T, s *side) {
	t.Helper()
	routes := routesOf(t, "../api.go", "../api_assets.go")
	if len(routes) < 25 {
		t.Fatalf("found %d routes in the route table: %v", len(routes), routes)
	}
	for _, r := range routes {
		if r == "GET /ws" {
			continue
		}
		re := regexp.MustCompile("^" + regexp.MustCompile(`:[a-z]+`).ReplaceAllString(strings.ReplaceAll(regexp.QuoteMeta(r), `\*`, ".*"), "[^/]+") + "$")
		if !slices.ContainsFunc(slices.Collect(maps.Keys(s.asked)), re.MatchString) {
			t.Errorf("the walk sends nothing to %s through the %s node", r, s.name)
		}
	}
	t.Logf("the walk sent %d routes of the route table through the %s node", len(routes)-1, s.name)
}

// call sends a request as a browser or bot of this side would; hdr are header names and
// values, a "Cookie" among them set as is.
func (s *side) call(t *testing.T, method, path, token string, body any, hdr ...string) servertest.Reply {
	t.Helper()
	return s.c.Do(method, path, token, body, func(r *http.Request) {
		r.Header.Set("X-Forwarded-For", s.ip)
		for i := 0; i+1 < len(hdr); i += 2 {
			r.Header.Set(hdr[i], hdr[i+1])
		}
	})
}

func (s *side) host() string { return strings.TrimPrefix(s.base, "http://") }

// step is one request of the walk, sent to each side in turn.
type step struct {
	name string
	do   func(t *testing.T, s *side) servertest.Reply
}

// until429 repeats do until it answers 429, and returns that answer.
func until429(t *testing.T, do func() servertest.Reply) servertest.Reply {
	t.Helper()
	for range 60 {
		if r := do(); r.Status == http.StatusTooManyRequests {
			return r
		}
	}
	t.Errorf("no 429 in 60 requests")
	return servertest.Reply{}
}

// answer is what the walk compares of an HTTP answer: everything a client reads of it, with
// the values that differ by nature (ids, tokens, times, the node's own address) reduced to
// their kinds.
type answer struct {
	Status     int
	Error      string // the error body's code
	Body       any    // the JSON body's shape
	Headers    map[string]string
	RetryAfter bool // a positive Retry-After
	Cookies    []string
	Location   string
}

func answerOf(t *testing.T, s *side, r servertest.Reply) answer {
	t.Helper()
	a := answer{Status: r.Status, Headers: map[string]string{}}
	if len(r.Body) > 0 && strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var v any
		if err := json.Unmarshal(r.Body, &v); err != nil {
			t.Errorf("%s: body %q: %v", s.name, r.Body, err)
		}
		a.Body = shape(v)
		if m, ok := v.(map[string]any); ok && r.Status >= 400 {
			a.Error, _ = m["error"].(string)
		}
	}
	for _, h := range []string{"Content-Type", "Cache-Control", "WWW-Authenticate", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy", "Strict-Transport-Security"} {
		a.Headers[h] = r.Header.Get(h)
	}
	if ra := r.Header.Get("Retry-After"); ra != "" {
		var n int
		_, err := fmt.Sscan(ra, &n)
		a.RetryAfter = err == nil && n > 0
	}
	if r.Resp != nil {
		for _, c := range r.Resp.Cookies() {
			a.Cookies = append(a.Cookies, fmt.Sprintf("%s path=%s httponly=%v secure=%v samesite=%v maxage>0=%v empty=%v",
				c.Name, c.Path, c.HttpOnly, c.Secure, c.SameSite, c.MaxAge > 0, c.Value == ""))
		}
	}
	slices.Sort(a.Cookies)
	a.Location = location(t, s, r.Header.Get("Location"))
	return a
}

// location is a redirect's target as the walk compares it: this node's own address shown as
// "self", and of a redirect to the provider its path, its query's names, and where it sends
// the browser back to.
func location(t *testing.T, s *side, loc string) string {
	if loc == "" {
		return ""
	}
	u, err := url.Parse(loc)
	if err != nil {
		t.Errorf("%s: Location %q: %v", s.name, loc, err)
		return loc
	}
	if u.Host == "" || u.Host == s.host() {
		u.Scheme, u.Host = "", "self"
		return u.String()
	}
	q := u.Query()
	var names []string
	for k := range q {
		names = append(names, k)
	}
	slices.Sort(names)
	back := q.Get("redirect_uri")
	if b, err := url.Parse(back); err == nil && b.Host == s.host() {
		back = "self" + b.Path
	}
	return fmt.Sprintf("%s%s?%s redirect_uri=%s", u.Host, u.Path, strings.Join(names, ","), back)
}

// shape is a JSON value with its strings, numbers and booleans replaced by their kinds and
// each array by its first element's shape.
func shape(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = shape(e)
		}
		return out
	case []any:
		if len(x) == 0 {
			return "[]"
		}
		return []any{shape(x[0])}
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	}
	return "null"
}

// sameAnswer fails unless every side answered a step as the first side (the database node).
func sameAnswer(t *testing.T, name string, sides []*side, replies []servertest.Reply) {
	t.Helper()
	want := answerOf(t, sides[0], replies[0])
	for i := 1; i < len(sides); i++ {
		if got := answerOf(t, sides[i], replies[i]); !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n  %s answered %+v (%s)\n  %s answered %+v (%s)", name,
				sides[i].name, got, replies[i].Body, sides[0].name, want, replies[0].Body)
		}
	}
	t.Logf("%s: %d %s", name, want.Status, want.Error)
}

// browser is a cookie jar with the side's address that follows redirects back to a node's
// pages outside the API.
type browser struct {
	s      *side
	hc     *http.Client
	nodes  []string
	landed *url.URL
}

func newBrowser(t *testing.T, s *side, nodes []string) *browser {
	jar, _ := cookiejar.New(nil)
	b := &browser{s: s, nodes: nodes}
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	b.hc = &http.Client{Jar: jar, Timeout: 20 * time.Second, Transport: &asking{next: tr, s: s}, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		for _, n := range b.nodes {
			if strings.TrimPrefix(n, "http://") == req.URL.Host && !strings.HasPrefix(req.URL.Path, "/api/") {
				b.landed = req.URL
				return http.ErrUseLastResponse
			}
		}
		return nil
	}}
	return b
}

// do sends a bodiless POST or GET to the side's node with the browser's cookies.
func (b *browser) do(t *testing.T, method, path, token string) servertest.Reply {
	t.Helper()
	c := servertest.NewClient(t, b.s.base, "")
	c.HTTP = b.hc
	return c.Do(method, path, token, nil)
}

// follow opens u (a start or a link URL), signs in at the provider's form as user, and
// returns the node's page the browser lands on.
func (b *browser) follow(t *testing.T, u, user, password string) *url.URL {
	t.Helper()
	resp, err := b.hc.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	form := resp.Request.URL
	if resp.StatusCode != http.StatusOK || form.Path != "/login" {
		t.Fatalf("%s ended at %s with %d, not the provider's form", u, form, resp.StatusCode)
	}
	b.landed = nil
	resp, err = b.hc.PostForm(form.Scheme+"://"+form.Host+"/login", url.Values{"id": {form.Query().Get("id")}, "username": {user}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if b.landed == nil {
		t.Fatalf("the provider's login ended at %s with %d, not on a node", resp.Request.URL, resp.StatusCode)
	}
	return b.landed
}
