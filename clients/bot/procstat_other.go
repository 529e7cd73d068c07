//go:build !linux

package main

import (
	"errors"
	"time"
)

// Process CPU time and memory come from Linux's /proc (procstat_linux.go); on other systems the
// load report leaves them out.
var errNoProcStat = errors.New("process CPU and memory figures not supported on this system")

func cpuTime(int) (time.Duration, error) { return 0, errNoProcStat }

func rss(int) (int64, error) { return 0, errNoProcStat }
