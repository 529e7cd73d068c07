package server_test

import (
	"net/http"
	"testing"

	"github.com/tickwire/tickwire/server/servertest"
)

// TestHeadAnswersLikeGet: monitors and caches ask with HEAD; the page and the bundle's files
// answer it with GET's status and headers.
func TestHeadAnswersLikeGet(t *testing.T) {
	srv := servertest.Start(t, nil)
	for _, path := range []string{"/", "/web/no-such-file.js"} {
		get, err := http.Get(srv.URL() + path)
		if err != nil {
			t.Fatal(err)
		}
		get.Body.Close()
		head, err := http.Head(srv.URL() + path)
		if err != nil {
			t.Fatal(err)
		}
		head.Body.Close()
		if head.StatusCode != get.StatusCode {
			t.Errorf("HEAD %s = %d, GET = %d", path, head.StatusCode, get.StatusCode)
		}
		if path == "/" && head.Header.Get("Content-Security-Policy") == "" {
			t.Error("HEAD / lacks the page's Content-Security-Policy")
		}
	}
}
