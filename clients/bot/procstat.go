package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// liveMemory asks a server's profiling endpoint (--pprof-addr) for a garbage collection and
// returns the heap and goroutine stacks in use after it: the memory that live objects hold,
// which RSS alone hides (a heap reuses what it freed before growing).
func liveMemory(ctx context.Context, addr string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/debug/pprof/heap?gc=1&debug=1", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("%s: %s", req.URL, resp.Status)
	}
	var heap, stack int64 = -1, -1
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "# HeapInuse = "); ok {
			heap, _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		} else if v, ok := strings.CutPrefix(line, "# Stack = "); ok {
			stack, _ = strconv.ParseInt(strings.TrimSpace(strings.Split(v, "/")[0]), 10, 64)
		}
	}
	if heap < 0 || stack < 0 {
		return 0, errors.New("no HeapInuse and Stack in the heap profile")
	}
	return heap + stack, sc.Err()
}
