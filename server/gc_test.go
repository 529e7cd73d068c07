package server_test

import (
	"io"
	"net/http"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/tickwire/tickwire/server/servertest"
)

// TestServeTunesTheCollector: serve collects garbage at 25% heap growth unless GOGC is set, in
// which case the runtime's own reading of GOGC stands.
func TestServeTunesTheCollector(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	gogc := func(m *servertest.Main) string {
		t.Helper()
		resp, err := http.Get(m.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		for line := range strings.Lines(string(b)) {
			if v, ok := strings.CutPrefix(line, "go_gc_gogc_percent "); ok {
				return strings.TrimSpace(v)
			}
		}
		t.Fatal("no go_gc_gogc_percent in /metrics")
		return ""
	}
	m := servertest.StartMain(t, []string{"--addr", "127.0.0.1:0", "--data", t.TempDir(), "--public-metrics"}, nil)
	if got := gogc(m); got != "25" {
		t.Fatalf("GOGC unset: the collector's target is %s%%, want 25", got)
	}
	m.Stop()
	debug.SetGCPercent(100)
	m = servertest.StartMain(t, []string{"--addr", "127.0.0.1:0", "--data", t.TempDir(), "--public-metrics"}, map[string]string{"GOGC": "100"})
	if got := gogc(m); got != "100" {
		t.Fatalf("GOGC=100 set: the collector's target is %s%%, want it left alone", got)
	}
}
