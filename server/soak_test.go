//go:build soak

package server_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The soak runs with `make soak` (DURATION, BOTS, LOBBY_SIZE to change it); it is not part of
// `make test`. It builds the server and the bot CLI, serves with a 20 s access TTL so every bot
// re-authenticates in band many times, and fails when a bot is disconnected for any reason but
// the soak's end, or when goroutines or the heap keep growing.
func TestSoak(t *testing.T) {
	duration := envDuration(t, "SOAK_DURATION", 10*time.Minute)
	bots := envInt(t, "SOAK_BOTS", 40)
	lobbySize := envInt(t, "SOAK_LOBBY_SIZE", 8)
	const accessTTL = 20 * time.Second
	const interval = 5 * time.Second

	bin := buildBinary(t)
	botBin := filepath.Join(t.TempDir(), "bot")
	if _, err := os.Stat("../clients/bot"); err != nil {
		t.Fatalf("the bot CLI (clients/bot) is not in this tree: %v", err)
	}
	if out, err := exec.Command("go", "build", "-o", botBin, "../clients/bot").CombinedOutput(); err != nil {
		t.Fatalf("build the bot CLI: %v\n%s", err, out)
	}
	srv := startProc(t, bin, "--data", t.TempDir(), "--access-ttl", accessTTL.String(), "--log-level", "warn", "--public-metrics")
	defer func() {
		srv.cmd.Process.Signal(syscall.SIGTERM)
		srv.cmd.Wait()
	}()

	var botOut, botErr bytes.Buffer
	bot := exec.Command(botBin, "--server", srv.url, "--bots", strconv.Itoa(bots),
		"--lobby-size", strconv.Itoa(lobbySize), "--duration", duration.String())
	bot.Stdout, bot.Stderr = &botOut, &botErr
	if err := bot.Start(); err != nil {
		t.Fatal(err)
	}
	botDone := make(chan error, 1)
	go func() { botDone <- bot.Wait() }()

	var goroutines, heap []float64
	tick := time.NewTicker(interval)
	defer tick.Stop()
	deadline := time.After(duration + 2*time.Minute)
	var botErrV error
wait:
	for {
		select {
		case botErrV = <-botDone:
			break wait
		case <-deadline:
			bot.Process.Kill()
			t.Fatalf("the bot CLI ran 2 minutes past --duration %s", duration)
		case <-tick.C:
			m, err := scrape(srv.url + "/metrics")
			if err != nil {
				t.Fatalf("scrape /metrics: %v\nserver log:\n%s", err, srv.stderr.String())
			}
			goroutines = append(goroutines, m["go_goroutines"])
			heap = append(heap, m["go_memstats_heap_inuse_bytes"]/(1<<20)) // MiB
		}
	}

	summary := lastLine(botOut.String())
	kv := parseKV(summary)
	report := &strings.Builder{}
	fmt.Fprintf(report, "soak: %s, %d bots, lobbies of %d, access TTL %s, %d samples every %s\n",
		duration, bots, lobbySize, accessTTL, len(goroutines), interval)
	fmt.Fprintf(report, "bot: %s\n", summary)
	gTrend, gGrows := growth(goroutines, interval.Seconds(), 0.2, 0.05, 10, median)
	hTrend, hGrows := growth(heap, interval.Seconds(), 0.2, 0.25, 4, minimum)
	fmt.Fprintf(report, "go_goroutines (median of each third after warm-up): %s\n", gTrend)
	fmt.Fprintf(report, "go_memstats_heap_inuse_bytes, MiB (minimum of each third): %s\n", hTrend)
	t.Log(report.String())
	if out := os.Getenv("SOAK_REPORT"); out != "" {
		os.WriteFile(out, []byte(report.String()+samplesCSV(goroutines, heap, interval)), 0o644)
	}

	if botErrV != nil {
		t.Errorf("the bot CLI failed (%v): a bot was disconnected for a reason other than the end\nstderr:\n%s", botErrV, tail(botErr.String(), 40))
	}
	if kv == nil {
		t.Fatalf("the bot CLI's last line is not key=value: %q", summary)
	}
	for _, k := range []string{"disconnects", "errors"} {
		if kv[k] != 0 {
			t.Errorf("%s=%v", k, kv[k])
		}
	}
	if kv["connected"] < float64(bots) {
		t.Errorf("connected=%v of %d bots", kv["connected"], bots)
	}
	if duration > 3*accessTTL && kv["reauths"] < float64(bots) {
		t.Errorf("reauths=%v: with a %s TTL over %s every bot should have re-authenticated", kv["reauths"], accessTTL, duration)
	}
	if gGrows {
		t.Errorf("goroutines keep growing: %s", gTrend)
	}
	if hGrows {
		t.Errorf("the heap keeps growing: %s", hTrend)
	}
	if len(goroutines) < 6 {
		t.Logf("only %d samples: too short a soak to judge growth", len(goroutines))
	}
}

// scrape reads the untyped values of a Prometheus text page (series without labels only).
func scrape(url string) (map[string]float64, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(io.LimitReader(resp.Body, 8<<20))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.Contains(line, "{") {
			continue
		}
		if name, v, ok := strings.Cut(line, " "); ok {
			if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				out[name] = f
			}
		}
	}
	for _, k := range []string{"go_goroutines", "go_memstats_heap_inuse_bytes"} {
		if _, ok := out[k]; !ok {
			return nil, fmt.Errorf("no %s on %s", k, url)
		}
	}
	return out, sc.Err()
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// parseKV reads "k=v k=v ..." with numeric values; nil when the line is not that.
func parseKV(line string) map[string]float64 {
	out := map[string]float64{}
	for f := range strings.FieldsSeq(line) {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return nil
		}
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil
		}
		out[k] = n
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func samplesCSV(g, h []float64, interval time.Duration) string {
	b := &strings.Builder{}
	b.WriteString("seconds,go_goroutines,heap_inuse_mib\n")
	for i := range g {
		fmt.Fprintf(b, "%.0f,%.0f,%.2f\n", float64(i+1)*interval.Seconds(), g[i], h[i])
	}
	return b.String()
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func envDuration(t *testing.T, k string, def time.Duration) time.Duration {
	v := os.Getenv(k)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		t.Fatalf("%s=%q is not a duration", k, v)
	}
	return d
}

func envInt(t *testing.T, k string, def int) int {
	v := os.Getenv(k)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q is not a positive number", k, v)
	}
	return n
}
