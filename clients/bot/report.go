package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
)

// report prints the table and, last, the key=value line that scripts read.
func (r *run) report(res result) {
	perConnKiB := 0.0
	usPerClientTick := 0.0
	if res.connected > 0 {
		perConnKiB = float64(res.serverRSS-res.baseRSS) / 1024 / float64(res.connected)
		if res.tickRate > 0 {
			usPerClientTick = res.serverCPU / 100 / float64(int64(res.connected)*res.tickRate) * 1e6
		}
	}
	tw := tabwriter.NewWriter(r.out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "bots\t%d in %d lobbies of up to %d, %s, %d Hz, inputs on %s\n", res.bots, res.lobbies, r.cfg.lobbySize, r.cfg.behaviour, res.tickRate, map[string]string{inputsClock: "their own clocks", inputsReply: "each snapshot"}[r.cfg.inputs])
	fmt.Fprintf(tw, "window\t%.1f s\n", res.secs)
	fmt.Fprintf(tw, "connected at the end\t%d\n", res.connected)
	fmt.Fprintf(tw, "snapshots per bot\tmean %.2f/s, lowest %.2f/s\n", res.hzMean, res.hzMin)
	fmt.Fprintf(tw, "snapshot interval\tp50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
		ms(r.interval.quantile(0.5)), ms(r.interval.quantile(0.99)), ms(r.interval.maxDur()))
	fmt.Fprintf(tw, "input to ack\tp50 %.1f ms, p99 %.1f ms, max %.1f ms (%d inputs)\n",
		ms(r.ack.quantile(0.5)), ms(r.ack.quantile(0.99)), ms(r.ack.maxDur()), r.ack.count.Load())
	fmt.Fprintf(tw, "reauths, disconnects, errors\t%d, %d, %d\n", res.reauths, res.disconnect, res.errors)
	fmt.Fprintf(tw, "rounds finished\t%d (%s)\n", res.matches, r.cfg.game)
	fmt.Fprintf(tw, "bots' CPU\t%.1f%% of one core, %.2f heap allocations per snapshot\n", res.loadCPU, res.allocsPerSnap)
	if res.hasServer {
		fmt.Fprintf(tw, "server CPU\t%.1f%% of one core, %.1f µs per client-tick\n", res.serverCPU, usPerClientTick)
		fmt.Fprintf(tw, "server memory\tRSS %.1f MiB, %.1f MiB before the bots: %.1f KiB per connected bot\n",
			float64(res.serverRSS)/(1<<20), float64(res.baseRSS)/(1<<20), perConnKiB)
	}
	livePerConn := 0.0
	if res.live > 0 && res.connected > 0 {
		livePerConn = float64(res.live-res.baseLive) / 1024 / float64(res.connected)
		fmt.Fprintf(tw, "server live memory\theap and stacks after a collection %.1f MiB, %.1f MiB before the bots: %.1f KiB per connected bot\n",
			float64(res.live)/(1<<20), float64(res.baseLive)/(1<<20), livePerConn)
	}
	tw.Flush()

	kv := []string{
		fmt.Sprintf("bots=%d", res.bots),
		fmt.Sprintf("connected=%d", res.connected),
		fmt.Sprintf("snapshot_hz=%.2f", res.hzMean),
		fmt.Sprintf("ack_p50_ms=%.1f", ms(r.ack.quantile(0.5))),
		fmt.Sprintf("ack_p99_ms=%.1f", ms(r.ack.quantile(0.99))),
		fmt.Sprintf("reauths=%d", res.reauths),
		fmt.Sprintf("disconnects=%d", res.disconnect),
		fmt.Sprintf("errors=%d", res.errors),
		fmt.Sprintf("matches=%d", res.matches),
		fmt.Sprintf("snapshot_hz_min=%.2f", res.hzMin),
		fmt.Sprintf("snapshot_interval_p99_ms=%.1f", ms(r.interval.quantile(0.99))),
		fmt.Sprintf("tick_hz=%d", res.tickRate),
		fmt.Sprintf("load_cpu_pct=%.1f", res.loadCPU),
	}
	if res.hasServer {
		kv = append(kv,
			fmt.Sprintf("server_cpu_pct=%.1f", res.serverCPU),
			fmt.Sprintf("server_us_per_client_tick=%.1f", usPerClientTick),
			fmt.Sprintf("server_rss_mib=%.1f", float64(res.serverRSS)/(1<<20)),
			fmt.Sprintf("rss_per_conn_kib=%.1f", perConnKiB))
	}
	if res.live > 0 {
		kv = append(kv, fmt.Sprintf("live_per_conn_kib=%.1f", livePerConn))
	}
	fmt.Fprintln(r.out, strings.Join(kv, " "))
}
