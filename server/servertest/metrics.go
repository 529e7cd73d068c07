package servertest

import (
	"bufio"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// pollEvery is how often Eventually checks its condition.
const pollEvery = 20 * time.Millisecond

// Metric returns the value of the series name{labels} (labels as `k="v",...`, "" for none)
// from /metrics on --metrics-addr, or on the public address without one; 0 when it is absent.
func (s *Server) Metric(t testing.TB, name, labels string) float64 {
	t.Helper()
	base := s.MetricsURL()
	if base == "" {
		base = s.URL()
	}
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	want := name
	if labels != "" {
		want += "{" + labels + "}"
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		i := strings.LastIndexByte(line, ' ')
		if series, value := line[:max(i, 0)], line[i+1:]; i > 0 && series == want {
			v, err := strconv.ParseFloat(value, 64)
			if err != nil {
				t.Fatalf("metric line %q: %v", line, err)
			}
			return v
		}
	}
	return 0
}

// Eventually checks cond every 20 ms until it holds, and fails the test, naming what, when it
// does not hold within. It is for state the server exposes only by polling (a metric, a log
// line, a row); where an event exists, wait for the event.
func Eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(pollEvery)
	}
}
