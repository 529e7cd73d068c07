package server_test

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
)

func TestPprofOnlyWhenAsked(t *testing.T) {
	t.Run("off by default", func(t *testing.T) {
		srv := servertest.Start(t, nil)
		if srv.PprofAddr() != "" {
			t.Fatalf("profiles served on %s without --pprof-addr", srv.PprofAddr())
		}
		resp, err := http.Get(srv.URL() + "/debug/pprof/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Fatal("the public listener serves profiles")
		}
	})
	t.Run("served on its own address", func(t *testing.T) {
		srv := servertest.Start(t, func(c *server.Config) { c.PprofAddr = "127.0.0.1:0" })
		resp, err := http.Get("http://" + srv.PprofAddr() + "/debug/pprof/")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "goroutine") {
			t.Fatalf("pprof index: %d %.80s", resp.StatusCode, b)
		}
	})
	t.Run("a bad address exits 2 naming the flag", func(t *testing.T) {
		_, _, err := server.ParseConfig("serve", []string{"--pprof-addr", "6060"}, func(string) string { return "" }, io.Discard)
		var fe *server.FlagError
		if !errors.As(err, &fe) || !strings.Contains(fe.Msg, "pprof-addr") {
			t.Fatalf("err = %v", err)
		}
	})
}
