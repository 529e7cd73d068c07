package server

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

func TestPageSecurityPolicy(t *testing.T) {
	s, err := Open(t.Context(), withData(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	get := func(host string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Host = host
		rec := httptest.NewRecorder()
		s.echo.ServeHTTP(rec, req)
		return rec
	}

	t.Run("the page allows only its own scripts and its socket", func(t *testing.T) {
		rec := get("play.example.com:8080")
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d", rec.Code)
		}
		csp := rec.Header().Get("Content-Security-Policy")
		for _, want := range []string{
			"default-src 'none'", "script-src 'self';", "style-src 'self';",
			"connect-src 'self' ws://play.example.com:8080 wss://play.example.com:8080",
			"frame-ancestors 'none'", "require-trusted-types-for 'script'",
		} {
			if !strings.Contains(csp, want) {
				t.Errorf("CSP %q lacks %q", csp, want)
			}
		}
		if strings.Contains(csp, "unsafe") || strings.Contains(csp, "*") {
			t.Errorf("CSP %q allows too much", csp)
		}
		if !strings.Contains(rec.Body.String(), `src="/web/app.js"`) {
			t.Error("the page does not load the bundle")
		}
	})

	t.Run("the page says how to build the client", func(t *testing.T) {
		if body := get("localhost").Body.String(); !strings.Contains(body, "make web") {
			t.Error("the page does not mention make web")
		}
	})

	t.Run("a forged Host is not echoed into the policy", func(t *testing.T) {
		csp := get("evil.example; script-src *").Header().Get("Content-Security-Policy")
		if !strings.HasSuffix(csp, "connect-src 'self'") || strings.Contains(csp, "evil") {
			t.Errorf("CSP %q", csp)
		}
	})

	t.Run("an unknown bundle file is a JSON 404", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodGet, "/web/nope.js", nil)
		rec := httptest.NewRecorder()
		s.echo.ServeHTTP(rec, req)
		if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), `"error"`) {
			t.Errorf("status %d body %s", rec.Code, rec.Body)
		}
	})
}

func TestStaticFiles(t *testing.T) {
	js := []byte("console.log(" + strings.Repeat(`"tickwire",`, 200) + ");")
	files := loadStatic(fstest.MapFS{
		"app.js":     {Data: js},
		"app.css":    {Data: []byte("body{}")},
		"README.txt": {Data: []byte("not served")},
	})
	if _, ok := files["README.txt"]; ok {
		t.Error("the folder's README is served")
	}
	serve := func(name string, hdr map[string]string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "/web/"+name, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		files[name].serve(rec, req)
		return rec
	}

	plain := serve("app.js", nil)
	if plain.Code != http.StatusOK || !bytes.Equal(plain.Body.Bytes(), js) {
		t.Fatalf("status %d", plain.Code)
	}
	if ct := plain.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
		t.Errorf("Content-Type %q", ct)
	}
	if cc := plain.Header().Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("Cache-Control %q", cc)
	}

	t.Run("an unchanged file revalidates with 304", func(t *testing.T) {
		rec := serve("app.js", map[string]string{"If-None-Match": plain.Header().Get("ETag")})
		if rec.Code != http.StatusNotModified {
			t.Errorf("status %d", rec.Code)
		}
	})

	t.Run("gzip when the browser takes it", func(t *testing.T) {
		rec := serve("app.js", map[string]string{"Accept-Encoding": "br, gzip"})
		if rec.Header().Get("Content-Encoding") != "gzip" || rec.Header().Get("ETag") == plain.Header().Get("ETag") {
			t.Fatalf("headers %v", rec.Header())
		}
		zr, err := gzip.NewReader(rec.Body)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(zr)
		if !bytes.Equal(got, js) {
			t.Error("the gzipped body differs")
		}
		if rec := serve("app.js", map[string]string{"Accept-Encoding": "gzip;q=0"}); rec.Header().Get("Content-Encoding") != "" {
			t.Error("gzip sent although refused")
		}
	})

	t.Run("a tiny file is not compressed", func(t *testing.T) {
		if rec := serve("app.css", map[string]string{"Accept-Encoding": "gzip"}); rec.Header().Get("Content-Encoding") != "" {
			t.Error("a 6-byte file was gzipped")
		}
	})
}

func withData(t *testing.T) Config {
	cfg := DefaultConfig()
	cfg.Data = t.TempDir()
	return cfg
}
