#!/usr/bin/env bash
# make cluster: three NATS servers (clustered, JetStream on) and three Tickwire nodes on this
# machine, one database node and two game nodes, until Ctrl-C stops everything.
# Settings (environment): SERVER and NATS (the binaries), DIR (where stores and the database
# live; default bin/cluster, kept between runs), HOST (default 127.0.0.1).
set -euo pipefail
SERVER=${SERVER:-bin/tickwire} NATS=${NATS:-bin/nats-server} DIR=${DIR:-bin/cluster} HOST=${HOST:-127.0.0.1}
mkdir -p "$DIR"
pids=()
cleanup() {
  trap - INT TERM EXIT
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "stopped"
}
trap cleanup INT TERM EXIT

routes="nats://$HOST:6222,nats://$HOST:6223,nats://$HOST:6224"
for i in 1 2 3; do
  "$NATS" --name "nats-$i" --addr "$HOST" --port $((4221 + i)) --cluster_name tickwire \
    --cluster "nats://$HOST:$((6221 + i))" --routes "$routes" --jetstream --store_dir "$DIR/nats-$i" \
    >"$DIR/nats-$i.log" 2>&1 &
  pids+=($!)
done
nats="nats://$HOST:4222,nats://$HOST:4223,nats://$HOST:4224"

node() { # node ID PORT ROLE
  local id=$1 port=$2 role=$3
  "$SERVER" serve --nats "$nats" --node-id "$id" --role "$role" --addr "$HOST:$port" \
    --public-url "http://$HOST:$port" --data "$DIR/$id" >"$DIR/$id.out" 2>"$DIR/$id.log" &
  pids+=($!)
}
node db 8080 all
# The game nodes wait for the database node's public keys, which it publishes once it serves.
node game-1 8081 game
node game-2 8082 game

for f in db game-1 game-2; do
  for _ in $(seq 100); do grep -q "serving at" "$DIR/$f.out" 2>/dev/null && break; sleep 0.1; done
  grep "serving at" "$DIR/$f.out" >/dev/null || { echo "$f did not start:"; cat "$DIR/$f.log"; exit 1; }
done
echo "NATS:      $nats"
echo "database:  http://$HOST:8080   (role all, data in $DIR/db)"
echo "game-1:    http://$HOST:8081   (role game)"
echo "game-2:    http://$HOST:8082   (role game)"
echo "logs in $DIR/*.log; Ctrl-C stops everything"
wait
