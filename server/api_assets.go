package server

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/tickwire/tickwire/assets"
)

// pageCSP is the Content-Security-Policy of the page at /, less its connect-src: scripts and
// styles only from this server's own files (no inline code at all), no plugins, frames, forms
// or base changes, and the DOM's markup sinks locked by Trusted Types.
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'; " +
	"require-trusted-types-for 'script'; trusted-types 'none'; "

// assetRoutes serves the browser client: the page at / and its built bundle under /web/. A
// binary built before the bundle (a fresh clone) serves the page alone, which then says how to
// build the client.
func (s *Server) assetRoutes(e *echo.Echo) {
	page, err := fs.ReadFile(assets.Files, "index.html")
	if err != nil {
		panic("assets: index.html is not embedded: " + err.Error())
	}
	web, _ := fs.Sub(assets.Files, "web")
	files := loadStatic(web)
	_, built := files["app.js"]
	s.webMissing = !built
	// HEAD answers as GET does, without the body (net/http drops it), for monitors and caches.
	getHead := []string{http.MethodGet, http.MethodHead}
	e.Match(getHead, "/", func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", pageCSP+"connect-src "+s.connectSrc(c.Request()))
		h.Set("Cache-Control", "no-cache")
		return c.HTMLBlob(http.StatusOK, page)
	})
	e.Match(getHead, "/web/*", func(c echo.Context) error {
		f, ok := files[c.Param("*")]
		if !ok {
			return echo.ErrNotFound
		}
		f.serve(c.Response(), c.Request())
		return nil
	})
}

// connectSrc allows the page's own origin and its socket: CSP's 'self' covers ws: and wss: on
// the same host in current browsers, and the explicit entries cover older ones. A Host header
// that is not a plain host[:port] is left out rather than echoed into the policy. In a
// cluster it allows the sockets of every live node too, where moved sends the page (a node
// that joins later is allowed from the page's next load).
func (s *Server) connectSrc(r *http.Request) string {
	src := "'self'"
	if host := r.Host; plainHost(host) {
		if r.TLS != nil {
			src += " wss://" + host
		} else {
			src += " ws://" + host + " wss://" + host
		}
	}
	if s.cluster == nil {
		return src
	}
	seen := strings.Fields(src)
	for _, n := range s.cluster.Nodes() {
		if ws := socketOrigin(n.PublicURL); ws != "" && !slices.Contains(seen, ws) {
			seen = append(seen, ws)
			src += " " + ws
		}
	}
	return src
}

// plainHost reports whether host is a plain host[:port], safe to write into a policy.
func plainHost(host string) bool {
	return host != "" && !strings.ContainsFunc(host, func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune(".-:[]", c))
	})
}

// socketOrigin is the ws:// or wss:// origin of a node's public URL, or "" for one that is
// not a plain http(s)://host[:port].
func socketOrigin(public string) string {
	u, err := url.Parse(public)
	if err != nil || !plainHost(u.Host) {
		return ""
	}
	switch u.Scheme {
	case "https":
		return "wss://" + u.Host
	case "http":
		return "ws://" + u.Host
	}
	return ""
}

// staticFile is one embedded file of the bundle, with its validator and, where it pays, a
// gzipped copy made once at start.
type staticFile struct {
	name, ctype, etag string
	body, gz          []byte
}

func loadStatic(dir fs.FS) map[string]*staticFile {
	out := map[string]*staticFile{}
	_ = fs.WalkDir(dir, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || p == "README.txt" {
			return nil
		}
		body, err := fs.ReadFile(dir, p)
		if err != nil {
			return nil
		}
		sum := sha256.Sum256(body)
		f := &staticFile{name: p, body: body, etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`}
		f.ctype = mime.TypeByExtension(path.Ext(p))
		if f.ctype == "" {
			f.ctype = "application/octet-stream"
		}
		if len(body) > 512 && (strings.HasPrefix(f.ctype, "text/") || strings.Contains(f.ctype, "javascript") || strings.Contains(f.ctype, "json")) {
			var b bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
			_, _ = zw.Write(body)
			_ = zw.Close()
			if b.Len() < len(body) {
				f.gz = b.Bytes()
			}
		}
		out[p] = f
		return nil
	})
	return out
}

// serve answers with the file: revalidated on every load (no-cache) so that a new binary's
// bundle is picked up at once, cheaply thanks to the ETag.
func (f *staticFile) serve(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", f.ctype)
	h.Set("Cache-Control", "no-cache")
	body, etag := f.body, f.etag
	if f.gz != nil {
		h.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			body, etag = f.gz, f.etag[:len(f.etag)-1]+`-gz"`
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("ETag", etag)
	http.ServeContent(w, r, f.name, time.Time{}, bytes.NewReader(body))
}

func acceptsGzip(r *http.Request) bool {
	for part := range strings.SplitSeq(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.ReplaceAll(strings.TrimSpace(q), " ", "") != "q=0" {
			return true
		}
	}
	return false
}
