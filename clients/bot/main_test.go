package main

import (
	"context"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
	"go.uber.org/goleak"
)

// lastLine parses the report's last line of key=value pairs.
func lastLine(t *testing.T, out string) map[string]float64 {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	kv := map[string]float64{}
	for f := range strings.FieldsSeq(lines[len(lines)-1]) {
		k, v, ok := strings.Cut(f, "=")
		n, err := strconv.ParseFloat(v, 64)
		if !ok || err != nil {
			t.Fatalf("last line field %q is not key=number:\n%s", f, out)
		}
		kv[k] = n
	}
	for _, k := range []string{"bots", "connected", "snapshot_hz", "ack_p50_ms", "ack_p99_ms", "reauths", "disconnects", "errors"} {
		if _, ok := kv[k]; !ok {
			t.Fatalf("last line lacks %s:\n%s", k, out)
		}
	}
	return kv
}

func leakCheck(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() {
		http.DefaultTransport.(*http.Transport).CloseIdleConnections()
		goleak.VerifyNone(t, opt)
	})
}

// TestRunReports plays 5 bots in lobbies of 3 with 4 s access tokens, sending inputs on their
// own clocks and in reply to snapshots: all stay connected, get their snapshots, see their
// inputs acknowledged within about a tick, and renew their tokens in band.
func TestRunReports(t *testing.T) {
	for _, c := range []struct {
		inputs      string
		minAck50    float64 // ms
		maxAck50    float64
		explanation string
	}{
		// An input sent at a random moment waits for the next tick: 0 to 50 ms, 25 in the middle.
		{inputsClock, 5, 45, "clock inputs should wait about half a tick"},
		// An input sent on a snapshot is applied at the next tick, 50 ms later.
		{inputsReply, 30, 1000, "reply inputs should wait a whole tick"},
	} {
		t.Run(c.inputs, func(t *testing.T) {
			leakCheck(t)
			url := servertest.Start(t, func(c *server.Config) { c.AccessTTL, c.ReauthLead = 4*time.Second, 2*time.Second }).URL()
			var out, errw servertest.Buffer
			code := Main(context.Background(), []string{"--server", url, "--bots", "5", "--lobby-size", "3", "--inputs", c.inputs,
				"--warmup", "500ms", "--duration", "2500ms", "--progress", "1s", "--server-pid", strconv.Itoa(os.Getpid())}, &out, &errw)
			if code != 0 {
				t.Fatalf("exit %d\n%s\n%s", code, out.String(), errw.String())
			}
			kv := lastLine(t, out.String())
			if kv["bots"] != 5 || kv["connected"] != 5 || kv["disconnects"] != 0 || kv["errors"] != 0 {
				t.Fatalf("report:\n%s", out.String())
			}
			// The bounds catch a broken measurement, not a busy machine (tests share it, under -race).
			if kv["snapshot_hz"] < 2 || kv["snapshot_hz"] > 21 || kv["tick_hz"] != 20 {
				t.Fatalf("snapshot_hz %v at a 20 Hz tick", kv["snapshot_hz"])
			}
			if kv["ack_p50_ms"] < c.minAck50 || kv["ack_p50_ms"] > c.maxAck50 && kv["snapshot_hz"] > 15 {
				t.Fatalf("ack_p50_ms %v: %s", kv["ack_p50_ms"], c.explanation)
			}
			if kv["reauths"] < 1 {
				t.Fatalf("no reauths with 4 s tokens, renewed 2 s ahead, over 3 s:\n%s", out.String())
			}
			if kv["server_cpu_pct"] <= 0 || kv["server_rss_mib"] <= 0 {
				t.Fatalf("--server-pid measured nothing:\n%s", out.String())
			}
			if !strings.Contains(errw.String(), "bot: t=") {
				t.Fatalf("no progress line:\n%s", errw.String())
			}
		})
	}
}

// TestServerShutdownFailsTheRun: bots dropped by a shutdown in the middle of the run are
// disconnects, and the exit status says so.
func TestServerShutdownFailsTheRun(t *testing.T) {
	leakCheck(t)
	srv := servertest.Start(t, nil)
	url, stop := srv.URL(), srv.Stop
	var out, errw servertest.Buffer
	done := make(chan int, 1)
	go func() {
		done <- Main(context.Background(), []string{"--server", url, "--bots", "3", "--warmup", "0s",
			"--duration", "3s", "--progress", "500ms"}, &out, &errw)
	}()
	for !strings.Contains(errw.String(), "window open") {
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	code := <-done
	kv := lastLine(t, out.String())
	if code != 1 || kv["disconnects"] < 3 || kv["connected"] != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errw.String())
	}
}

// TestBotsPlayOnAfterARestart: a server restart in the middle of the run loses every bot's
// lobby; the bots reconnect, are told their lobbies are gone, and quick-join again, so that
// every one is seated again before the run ends. The exit status still counts the drops.
func TestBotsPlayOnAfterARestart(t *testing.T) {
	leakCheck(t)
	srv := servertest.Start(t, nil)
	var out, errw servertest.Buffer
	done := make(chan int, 1)
	go func() {
		done <- Main(context.Background(), []string{"--server", srv.URL(), "--bots", "4", "--lobby-size", "2", "--warmup", "0s",
			"--duration", "8s", "--progress", "0"}, &out, &errw)
	}()
	for !strings.Contains(errw.String(), "window open") {
		time.Sleep(20 * time.Millisecond)
	}
	srv.Stop()
	srv.Restart()
	tok := srv.Guest(t, "watcher").AccessToken
	servertest.Eventually(t, 6*time.Second, "every bot seated again after the restart", func() bool {
		status, body, _ := servertest.Call(t, nil, "GET", srv.URL()+"/api/v1/lobbies", tok, nil)
		if status != 200 {
			return false
		}
		seated := 0.0
		for _, l := range body["lobbies"].([]any) {
			seated += l.(map[string]any)["players"].(float64)
		}
		return seated == 4
	})
	code := <-done
	kv := lastLine(t, out.String())
	if code != 1 || kv["disconnects"] < 4 || kv["connected"] != 4 {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errw.String())
	}
	if strings.Contains(errw.String(), "quick join after a lost lobby") {
		t.Fatalf("a quick join after the restart failed:\n%s", errw.String())
	}
}

// TestLiarsDiceBotsPlayMatches: bots at two tables of Liar's Dice play matches to their end,
// the tables' hosts dealing again, with no refused input (the strategy is legal) and no drop.
func TestLiarsDiceBotsPlayMatches(t *testing.T) {
	leakCheck(t)
	url := servertest.Start(t, nil).URL()
	var out, errw servertest.Buffer
	code := Main(context.Background(), []string{"--server", url, "--game", "liarsdice", "--options", "dice=1,turn_seconds=5",
		"--bots", "5", "--lobby-size", "3", "--warmup", "0s", "--duration", "10s", "--progress", "0"}, &out, &errw)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errw.String())
	}
	kv := lastLine(t, out.String())
	if kv["bots"] != 5 || kv["connected"] != 5 || kv["disconnects"] != 0 || kv["errors"] != 0 || kv["tick_hz"] != 10 {
		t.Fatalf("report:\n%s\n%s", out.String(), errw.String())
	}
	// A table of three with a die each ends after two challenges, the table of two after one:
	// each finishes a match in a few seconds.
	if kv["matches"] < 2 {
		t.Fatalf("%v matches finished in 10 s:\n%s\n%s", kv["matches"], out.String(), errw.String())
	}
	if kv["ack_p50_ms"] <= 0 {
		t.Fatalf("no input was acknowledged:\n%s", out.String())
	}
	t.Logf("%v matches, inputs acknowledged in %v ms (p50)", kv["matches"], kv["ack_p50_ms"])
}

func TestBadCommandLines(t *testing.T) {
	for _, args := range [][]string{
		{"--bots", "0"},
		{"--lobby-size", "65"},
		{"--duration", "0s"},
		{"--behaviour", "dance"},
		{"--inputs", "sometimes"},
		{"--server", "localhost:8080"},
		{"--game", "chess"},
		{"--game", "liarsdice", "--lobby-size", "8"},
		{"--options", "dice"},
		{"extra"},
	} {
		var out, errw servertest.Buffer
		if code := Main(context.Background(), args, &out, &errw); code != 2 || !strings.Contains(errw.String(), "bot:") {
			t.Errorf("%v: exit %d, stderr %q", args, code, errw.String())
		}
	}
}

func TestHistogramQuantiles(t *testing.T) {
	var h histogram
	for i := 1; i <= 1000; i++ {
		h.add(time.Duration(i) * time.Millisecond / 10) // 0.1 ms to 100 ms
	}
	if q := h.quantile(0.5); q < 49*time.Millisecond || q > 51*time.Millisecond {
		t.Fatalf("p50 %v", q)
	}
	if q := h.quantile(0.99); q < 98*time.Millisecond || q > 100*time.Millisecond {
		t.Fatalf("p99 %v", q)
	}
	h.add(time.Hour)
	if h.maxDur() != time.Hour || h.quantile(1) != 5*time.Second {
		t.Fatalf("max %v, p100 %v", h.maxDur(), h.quantile(1))
	}
}

func TestProcStat(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc here")
	}
	deadline := time.Now().Add(50 * time.Millisecond)
	for time.Now().Before(deadline) { // burn some CPU
	}
	cpu, err := cpuTime(0)
	if err != nil || cpu <= 0 {
		t.Fatalf("cpuTime = %v, %v", cpu, err)
	}
	if n, err := rss(os.Getpid()); err != nil || n < 1<<20 {
		t.Fatalf("rss = %v, %v", n, err)
	}
	if _, err := cpuTime(1 << 30); err == nil {
		t.Fatal("no error for a process that does not exist")
	}
}

// TestRegisteredBots: --register makes password accounts and logs them in.
func TestRegisteredBots(t *testing.T) {
	leakCheck(t)
	url := servertest.Start(t, nil).URL()
	var out, errw servertest.Buffer
	code := Main(context.Background(), []string{"--server", url, "--bots", "2", "--register",
		"--warmup", "0s", "--duration", "500ms", "--progress", "0"}, &out, &errw)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errw.String())
	}
	if kv := lastLine(t, out.String()); kv["connected"] != 2 || kv["errors"] != 0 {
		t.Fatalf("report:\n%s", out.String())
	}
}
