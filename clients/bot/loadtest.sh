#!/usr/bin/env bash
# make loadtest: the server pinned to CPU 0 with a fresh data folder, the bots pinned to CPU 1,
# measured over the same window. Prints the bots' table and, last, one key=value line:
#   ccu tick_hz snapshot_interval_p99_ms ack_p99_ms server_cpu_pct server_us_per_client_tick
#   server_rss_mib rss_per_conn_kib load_cpu_pct
# Settings (environment): BOTS LOBBY TICK DURATION TTL, SERVER and BOT (the binaries),
# PROFILE=file to also take a CPU profile of the server over the window (go tool pprof -top),
# NICE=-10 (as root) to favour both sides over other work on a shared machine, or RT=10 to run
# both under SCHED_FIFO at that priority (chrt; the kernel still keeps 5% for everyone else).
set -euo pipefail
BOTS=${BOTS:-1000} LOBBY=${LOBBY:-8} TICK=${TICK:-20} DURATION=${DURATION:-30s} TTL=${TTL:-15m}
SERVER=${SERVER:-bin/tickwire} BOT=${BOT:-bin/tickwire-bot} PROFILE=${PROFILE:-} NICE=${NICE:-0} RT=${RT:-}

pin() { # pin CPU command...: run in the background, so that $! is the command's own pid
  local cpu=$1; shift
  if command -v taskset >/dev/null && [ "$(nproc)" -gt "$cpu" ]; then set -- taskset -c "$cpu" "$@"; fi
  if [ -n "$RT" ]; then exec chrt --fifo "$RT" "$@"; fi
  exec nice -n "$NICE" "$@"
}

tmp=$(mktemp -d)
spid=
cleanup() {
  if [ -n "$spid" ]; then kill "$spid" 2>/dev/null || true; wait "$spid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# Every bot comes from 127.0.0.1: lift the per-address limits (sockets, guests, lobbies and
# lobby creation) above what BOTS bots in lobbies of LOBBY need.
pin 0 "$SERVER" serve --addr 127.0.0.1:0 --data "$tmp/data" --tick-rate "$TICK" --access-ttl "$TTL" \
  --max-conns-per-addr $((BOTS + 100)) --guest-addr-burst $((BOTS + 100)) \
  --max-lobbies-per-addr $((BOTS / LOBBY + 100)) --lobby-addr-burst $((BOTS / LOBBY + 100)) --log-level warn --public-metrics --pprof-addr 127.0.0.1:0 >"$tmp/server.out" 2>"$tmp/server.err" &
spid=$!
for _ in $(seq 100); do grep -q 'serving at' "$tmp/server.out" 2>/dev/null && break; sleep 0.1; done
url=$(grep -o 'http://[^ ]*' "$tmp/server.out" | head -1 || true)
if [ -z "$url" ]; then echo "loadtest: the server did not start:" >&2; cat "$tmp/server.err" >&2; exit 1; fi
paddr=$(grep -o 'pprof=[^ ]*' "$tmp/server.err" | head -1 | cut -d= -f2 || true)

pin 1 "$BOT" --server "$url" --bots "$BOTS" --lobby-size "$LOBBY" --duration "$DURATION" \
  --server-pid "$spid" --server-pprof "$paddr" --progress 5s >"$tmp/bot.out" 2>"$tmp/bot.err" &
bpid=$!
if [ -n "$PROFILE" ]; then
  for _ in $(seq 1200); do grep -q 'window open' "$tmp/bot.err" && break; kill -0 $bpid 2>/dev/null || break; sleep 0.1; done
  secs=20
  if [[ $DURATION =~ ^([0-9]+)s$ ]]; then secs=$((BASH_REMATCH[1] > 4 ? BASH_REMATCH[1] - 2 : 2)); fi
  curl -sf -o "$PROFILE" "http://$paddr/debug/pprof/profile?seconds=$secs" || echo "loadtest: no profile" >&2
fi
status=0
wait $bpid || status=$?
# Where snapshots went missing, over the whole run: the server's own counters.
sum() { curl -sf "$url/metrics" | awk -v m="$1" '$1 == m || index($1, m "{") == 1 { s += $2 } END { printf "%d", s }'; }
counters="snapshots superseded $(sum tickwire_snapshots_superseded_total), ticks late $(sum tickwire_lobby_ticks_late_total), ticks skipped $(sum tickwire_lobby_ticks_skipped_total), inputs dropped $(sum tickwire_inputs_dropped_total)"
grep '^bot: t=' "$tmp/bot.err" >&2 || true
grep -v '^bot: t=' "$tmp/bot.err" >&2 || true
head -n -1 "$tmp/bot.out"
printf '%-30s%s\n' "server counters (whole run)" "$counters"
line=$(tail -n 1 "$tmp/bot.out")
get() { echo "$line" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
echo "ccu=$(get connected) tick_hz=$(get tick_hz) snapshot_interval_p99_ms=$(get snapshot_interval_p99_ms)" \
  "ack_p99_ms=$(get ack_p99_ms) server_cpu_pct=$(get server_cpu_pct)" \
  "server_us_per_client_tick=$(get server_us_per_client_tick) server_rss_mib=$(get server_rss_mib)" \
  "rss_per_conn_kib=$(get rss_per_conn_kib) load_cpu_pct=$(get load_cpu_pct) live_per_conn_kib=$(get live_per_conn_kib)"
exit $status
