#!/usr/bin/env bash
# make loadtest: the server pinned to CPU 0 with a fresh data folder, the bots pinned to CPU 1,
# measured over the same window. Prints the bots' table and, last, one key=value line:
#   ccu tick_hz snapshot_interval_p99_ms ack_p99_ms server_cpu_pct server_us_per_client_tick
#   server_rss_mib rss_per_conn_kib load_cpu_pct
# Settings (environment): BOTS LOBBY TICK DURATION TTL, SERVER and BOT (the binaries),
# PROFILE=file to also take a CPU profile of the server over the window (go tool pprof -top),
# NICE=-10 (as root) to favour both sides over other work on a shared machine, or RT=10 to run
# both under SCHED_FIFO at that priority (chrt; the kernel still keeps 5% for everyone else).
#
# CLUSTER=1 (make loadtest CLUSTER=1): the same bots against a game node of a cluster. One NATS
# server with JetStream (NATS, the binary; one server is enough to carry a load test's control
# plane, and it keeps the directory's buckets at one replica) and the database node run on CPU 1
# beside the bots; the game node (--role game, no database) takes the single server's place on
# CPU 0, and every bot signs in through it (its guest sign-ups are forwarded to the database
# node). A second game node with no sockets (game-2, on CPU 1) watches the same directory. The
# line is the same, measured on the game node, with more keys from a CPU profile of the game node
# over the window (kept at PROFILE when set; read with GO's pprof):
#   control_plane_share_pct  the share of the game node's samples whose stack passes through
#                            the NATS client or server/cluster (the directory, revocations,
#                            keys, results: everything that speaks NATS)
#   control_plane_cpu_pct    that share of server_cpu_pct, in percent of one CPU
#   control_plane_ms, profile_ms  the samples behind the share (10 ms each): few samples, a
#                            coarse share
#   idle_node_cpu_pct        the whole CPU of game-2 over the window, in percent of one CPU: the
#                            control plane of a node without players, garbage collection included
# What the control plane allocates is collected by the garbage collector's own goroutines, which
# no stack ties to it: the profile's keys leave that part out, idle_node_cpu_pct does not.
set -euo pipefail
BOTS=${BOTS:-1000} LOBBY=${LOBBY:-8} TICK=${TICK:-20} DURATION=${DURATION:-30s} TTL=${TTL:-15m}
SERVER=${SERVER:-bin/tickwire} BOT=${BOT:-bin/tickwire-bot} PROFILE=${PROFILE:-} NICE=${NICE:-0} RT=${RT:-}
CLUSTER=${CLUSTER:-} NATS=${NATS:-bin/nats-server} GO=${GO:-go}
if [ "$CLUSTER" = 0 ]; then CLUSTER=; fi

pin() { # pin CPU command...: run in the background, so that $! is the command's own pid
  local cpu=$1; shift
  if command -v taskset >/dev/null && [ "$(nproc)" -gt "$cpu" ]; then set -- taskset -c "$cpu" "$@"; fi
  if [ -n "$RT" ]; then exec chrt --fifo "$RT" "$@"; fi
  exec nice -n "$NICE" "$@"
}

tmp=$(mktemp -d)
pids=() # every process started here, the server (or game node) last
cleanup() {
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null || true; wait "${pids[i]}" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

# served NAME: wait until the node whose output is $tmp/NAME.out serves, and print its URL.
served() {
  for _ in $(seq 300); do grep -q 'serving at' "$tmp/$1.out" 2>/dev/null && break; sleep 0.1; done
  local u
  u=$(grep -o 'http://[^ ]*' "$tmp/$1.out" | head -1 || true)
  if [ -z "$u" ]; then echo "loadtest: $1 did not start:" >&2; cat "$tmp/$1.err" >&2; exit 1; fi
  echo "$u"
}

# freeport: a loopback port nothing listens on (a cluster node must know its public URL, and so
# its port, before it starts).
freeport() {
  local p
  for _ in $(seq 100); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  echo "loadtest: no free port" >&2; exit 1
}

# Every bot comes from 127.0.0.1: lift the per-address limits (sockets, guests, lobbies and
# lobby creation) above what BOTS bots in lobbies of LOBBY need.
limits=(--max-conns-per-addr $((BOTS + 100)) --guest-addr-burst $((BOTS + 100))
  --max-lobbies-per-addr $((BOTS / LOBBY + 100)) --lobby-addr-burst $((BOTS / LOBBY + 100)))
game=(--tick-rate "$TICK" --access-ttl "$TTL" "${limits[@]}" --log-level warn --public-metrics --pprof-addr 127.0.0.1:0)
if [ -z "$CLUSTER" ]; then
  pin 0 "$SERVER" serve --addr 127.0.0.1:0 --data "$tmp/data" "${game[@]}" >"$tmp/server.out" 2>"$tmp/server.err" &
  spid=$!
  pids+=("$spid")
else
  pin 1 "$NATS" --addr 127.0.0.1 --port -1 --jetstream --store_dir "$tmp/nats" >"$tmp/nats.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do grep -q 'Server is ready' "$tmp/nats.log" 2>/dev/null && break; sleep 0.1; done
  nats=$(grep -o 'client connections on [^ ]*' "$tmp/nats.log" | head -1 | sed 's/.* on /nats:\/\//' || true)
  if [ -z "$nats" ]; then echo "loadtest: NATS did not start:" >&2; cat "$tmp/nats.log" >&2; exit 1; fi
  dbport=$(freeport)
  pin 1 "$SERVER" serve --nats "$nats" --node-id db --addr "127.0.0.1:$dbport" --public-url "http://127.0.0.1:$dbport" \
    --data "$tmp/data" --access-ttl "$TTL" "${limits[@]}" --log-level warn >"$tmp/db.out" 2>"$tmp/db.err" &
  pids+=($!)
  served db >/dev/null
  gport=$(freeport)
  iport=$(freeport)
  while [ "$iport" = "$gport" ]; do iport=$(freeport); done
  pin 1 "$SERVER" serve --nats "$nats" --node-id game-2 --role game --addr "127.0.0.1:$iport" \
    --public-url "http://127.0.0.1:$iport" --tick-rate "$TICK" --access-ttl "$TTL" --log-level warn >"$tmp/idle.out" 2>"$tmp/idle.err" &
  ipid=$!
  pids+=("$ipid")
  served idle >/dev/null
  pin 0 "$SERVER" serve --nats "$nats" --node-id game-1 --role game --addr "127.0.0.1:$gport" \
    --public-url "http://127.0.0.1:$gport" "${game[@]}" >"$tmp/server.out" 2>"$tmp/server.err" &
  spid=$!
  pids+=("$spid")
  PROFILE=${PROFILE:-$tmp/game.pprof}
fi
url=$(served server)
paddr=$(grep -o 'pprof=[^ ]*' "$tmp/server.err" | head -1 | cut -d= -f2 || true)

# ticks PID: the CPU time (user and system, in clock ticks) process PID has used.
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

pin 1 "$BOT" --server "$url" --bots "$BOTS" --lobby-size "$LOBBY" --duration "$DURATION" \
  --server-pid "$spid" --server-pprof "$paddr" --progress 5s >"$tmp/bot.out" 2>"$tmp/bot.err" &
bpid=$!
if [ -n "$PROFILE" ]; then
  for _ in $(seq 1200); do grep -q 'window open' "$tmp/bot.err" && break; kill -0 $bpid 2>/dev/null || break; sleep 0.1; done
  secs=20
  if [[ $DURATION =~ ^([0-9]+)s$ ]]; then secs=$((BASH_REMATCH[1] > 4 ? BASH_REMATCH[1] - 2 : 2)); fi
  if [ -n "$CLUSTER" ]; then idle0=$(ticks "$ipid") t0=$(date +%s%N); fi
  curl -sf -o "$PROFILE" "http://$paddr/debug/pprof/profile?seconds=$secs" || echo "loadtest: no profile" >&2
fi
status=0
wait $bpid || status=$?
if [ -n "$CLUSTER" ]; then idle1=$(ticks "$ipid") t1=$(date +%s%N); fi
# Where snapshots went missing, over the whole run: the server's own counters.
sum() { curl -sf "$url/metrics" | awk -v m="$1" '$1 == m || index($1, m "{") == 1 { s += $2 } END { printf "%d", s }'; }
counters="snapshots superseded $(sum tickwire_snapshots_superseded_total), ticks late $(sum tickwire_lobby_ticks_late_total), ticks skipped $(sum tickwire_lobby_ticks_skipped_total), inputs dropped $(sum tickwire_inputs_dropped_total)"
grep '^bot: t=' "$tmp/bot.err" >&2 || true
grep -v '^bot: t=' "$tmp/bot.err" >&2 || true
head -n -1 "$tmp/bot.out"
printf '%-30s%s\n' "server counters (whole run)" "$counters"
line=$(tail -n 1 "$tmp/bot.out")
get() { echo "$line" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
out="ccu=$(get connected) tick_hz=$(get tick_hz) snapshot_interval_p99_ms=$(get snapshot_interval_p99_ms)"
out+=" ack_p99_ms=$(get ack_p99_ms) server_cpu_pct=$(get server_cpu_pct)"
out+=" server_us_per_client_tick=$(get server_us_per_client_tick) server_rss_mib=$(get server_rss_mib)"
out+=" rss_per_conn_kib=$(get rss_per_conn_kib) load_cpu_pct=$(get load_cpu_pct) live_per_conn_kib=$(get live_per_conn_kib)"
if [ -n "$CLUSTER" ]; then
  # pprof's focus keeps the samples with a frame (function or file) in the NATS client or in
  # server/cluster, and gives their sum as a share of every sample of the profile.
  shown=$("$GO" tool pprof -top -unit=ms -nodefraction=0 -focus='github\.com/nats-io/|tickwire/server/cluster[./]' "$SERVER" "$PROFILE" 2>/dev/null |
    sed -n 's/^Showing nodes accounting for \([0-9.]*\)ms, \([0-9.]*\)% of \([0-9.]*\)ms total.*/\1 \2 \3/p' || true)
  if [ -z "$shown" ]; then # no sample passed through the control plane
    total=$("$GO" tool pprof -top -unit=ms "$SERVER" "$PROFILE" 2>/dev/null | sed -n 's/.*Total samples = \([0-9.]*\)ms.*/\1/p' || true)
    shown="0 0 ${total:-0}"
  fi
  read -r cpms share pms <<<"$shown"
  cpu=$(get server_cpu_pct)
  out+=" control_plane_share_pct=$share control_plane_cpu_pct=$(awk -v s="$share" -v c="${cpu:-0}" 'BEGIN { printf "%.2f", s * c / 100 }')"
  out+=" control_plane_ms=$cpms profile_ms=$pms"
  out+=" idle_node_cpu_pct=$(awk -v a="${idle0:-0}" -v b="${idle1:-0}" -v t0="${t0:-0}" -v t1="${t1:-1}" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { printf "%.2f", (t1 > t0) ? (b - a) / hz / ((t1 - t0) / 1e9) * 100 : 0 }')"
fi
echo "$out"
exit $status
