#!/usr/bin/env bash
# A local Redis Cluster for development and CI: three masters and three
# replicas of the machine's redis-server (>= 7, for sharded pub/sub) on
# 127.0.0.1, ports BASE..BASE+5 (BASE defaults to 7001). No persistence;
# node files and logs live in a temp dir. Idempotent: `start` on a running,
# healthy cluster only prints its seeds; `stop` on a stopped one does nothing.
#
#   scripts/redis-cluster.sh start   # prints REDIS_CLUSTER_NODES=127.0.0.1:7001,...
#   scripts/redis-cluster.sh stop
#   scripts/redis-cluster.sh status
#
# The api then runs on it with REDIS_CLUSTER_NODES set (instead of REDIS_URL).
set -euo pipefail

base=${REDIS_CLUSTER_BASE_PORT:-7001}
ports=$(seq "$base" $((base + 5)))
dir=${REDIS_CLUSTER_DIR:-${TMPDIR:-/tmp}/collab-redis-cluster-$base}

log() { echo "redis-cluster: $*" >&2; }
cli() { redis-cli -h 127.0.0.1 -p "$1" "${@:2}"; }
up() { cli "$1" ping 2>/dev/null | grep -q PONG; }
state_ok() { cli "$1" cluster info 2>/dev/null | grep -q '^cluster_state:ok'; }
seeds() { local s=""; for p in $ports; do s="$s${s:+,}127.0.0.1:$p"; done; echo "$s"; }

# Whole: every node knows all six and sees every slot served, three of them
# are replicas, and each replica's link to its master is up (a failover
# needs a replica in sync).
whole() {
  local replicas=0
  for p in $ports; do
    state_ok "$p" || return 1
    [ "$(cli "$p" cluster info | tr -d '\r' | sed -n 's/^cluster_known_nodes://p')" = 6 ] || return 1
    [ "$(cli "$p" cluster nodes | grep -cE '[ ,]slave ')" = 3 ] || return 1
    if cli "$p" info replication | grep -q '^role:slave'; then
      cli "$p" info replication | grep -q '^master_link_status:up' || return 1
      replicas=$((replicas + 1))
    fi
  done
  [ "$replicas" = 3 ]
}

start() {
  command -v redis-server >/dev/null || { log "redis-server is not installed"; exit 1; }
  major=$(redis-server --version | sed -n 's/.* v=\([0-9]*\)\..*/\1/p')
  [ "${major:-0}" -ge 7 ] || { log "redis-server $major is too old: sharded pub/sub needs 7 or later"; exit 1; }
  if whole 2>/dev/null; then
    seeds | sed 's/^/REDIS_CLUSTER_NODES=/'
    return
  fi
  # A half-made cluster (a crash, an earlier failed start) is not repaired: start over.
  stop
  mkdir -p "$dir"
  for p in $ports; do
    redis-server --port "$p" --bind 127.0.0.1 --daemonize yes \
      --cluster-enabled yes --cluster-config-file "$dir/nodes-$p.conf" --cluster-node-timeout 5000 \
      --save "" --appendonly no --dir "$dir" --logfile "$dir/redis-$p.log" --pidfile "$dir/redis-$p.pid"
  done
  for p in $ports; do
    for _ in $(seq 1 100); do up "$p" && break; sleep 0.1; done
    up "$p" || { log "node $p did not come up (see $dir/redis-$p.log)"; exit 1; }
  done
  # shellcheck disable=SC2046
  redis-cli --cluster create $(for p in $ports; do echo "127.0.0.1:$p"; done) --cluster-replicas 1 --cluster-yes >"$dir/create.log" 2>&1 \
    || { cat "$dir/create.log" >&2; exit 1; }
  for _ in $(seq 1 300); do whole && break; sleep 0.1; done
  whole || { log "cluster_state did not become ok"; for p in $ports; do cli "$p" cluster info | head -3 >&2; done; exit 1; }
  log "up: $(seeds) (data in $dir)"
  seeds | sed 's/^/REDIS_CLUSTER_NODES=/'
}

stop() {
  for p in $ports; do
    if up "$p"; then cli "$p" shutdown nosave >/dev/null 2>&1 || true; fi
  done
  for p in $ports; do
    for _ in $(seq 1 50); do up "$p" || break; sleep 0.1; done
  done
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if whole; then log "ok: $(seeds)"; else log "not running (or not whole)"; exit 1; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
