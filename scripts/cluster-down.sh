#!/usr/bin/env bash
# Stop the local test control plane started by scripts/cluster-up.sh and leave no process
# of it behind. Idempotent: stopping a stopped cluster is a no-op.
#
#   scripts/cluster-down.sh              stop chaos-controller-manager, kube-scheduler,
#                                        kube-controller-manager, kwok, kube-apiserver, etcd;
#                                        delete etcd's data
#                                        (the next cluster-up starts from an empty cluster)
#   scripts/cluster-down.sh --keep-data  stop, but keep etcd's data (objects survive)
#   scripts/cluster-down.sh --purge      stop and delete all of .cache/cluster (keys, certs,
#                                        kubeconfigs, logs); built binaries stay in .cache/bin
#
# Only processes of this cluster are stopped: those named in .cache/cluster/*.pid whose
# command line still matches, and any other process that runs this cluster's binaries with
# this cluster's state folder (e.g. one whose pid file was lost). A second cluster started
# from the same binaries with another CHAOSRUNNER_CLUSTER_DIR is left alone. Each gets SIGTERM, then
# SIGKILL after a grace period.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source-path=SCRIPTDIR source=cluster-env.sh
. "$REPO/scripts/cluster-env.sh"
STATE="$CHAOSRUNNER_CLUSTER_DIR"
BIN="$CHAOSRUNNER_CLUSTER_BIN"
GRACE="${CLUSTER_STOP_GRACE_SECONDS:-15}"

mode=wipe-data
case "${1:-}" in
    "") ;;
    --keep-data) mode=keep-data ;;
    --purge) mode=purge ;;
    -h | --help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "usage: $0 [--keep-data|--purge]" >&2; exit 2 ;;
esac

log() { printf '[cluster-down] %s\n' "$*"; }

if [ ! -d "$STATE" ]; then
    log "nothing to do: $STATE does not exist"
    exit 0
fi
exec 9>"$STATE/.lock"
flock -w 300 9 || { log "ERROR: another cluster-up/cluster-down holds $STATE/.lock" >&2; exit 1; }

cmdline() { tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline"; }

# Pids whose command line contains one of our markers (our own processes only).
find_ours() {
    local p c
    for p in /proc/[0-9]*; do
        p="${p#/proc/}"
        [ "$p" = "$$" ] && continue
        c="$(cmdline "$p")" || continue
        case "$c" in
            "$BIN/kube-apiserver "*" --cert-dir=$STATE/"* | "$BIN/kwok "*"$STATE/"*) echo "$p" ;;
            "$BIN/kube-controller-manager "*"$STATE/"* | "$BIN/kube-scheduler "*"$STATE/"*) echo "$p" ;;
            "$BIN/chaos-controller-manager --kubeconfig=$STATE/"*) echo "$p" ;;
            *etcd\ *" --data-dir=$STATE/etcd "*) echo "$p" ;;
        esac
    done
}

# stop NAME MATCH
stop() {
    local name="$1" match="$2" pidfile="$STATE/$1.pid" pid waited=0
    if [ -s "$pidfile" ]; then
        pid="$(cat "$pidfile")"
        if cmdline "$pid" | grep -qF -- "$match"; then
            kill -TERM "$pid" 2>/dev/null || true
            while [ -d "/proc/$pid" ] && [ "$waited" -lt $((GRACE * 10)) ]; do
                # A zombie (already exited, not yet reaped) counts as stopped.
                [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = Z ] && break
                sleep 0.1
                waited=$((waited + 1))
            done
            if [ -d "/proc/$pid" ] && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]; then
                log "$name (pid $pid) ignored SIGTERM for ${GRACE}s: SIGKILL"
                kill -KILL "$pid" 2>/dev/null || true
            fi
            # Give init a moment to reap it, so that ps shows no <defunct> entry after us.
            for _ in $(seq 30); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
            log "stopped $name (pid $pid, $(awk -v t="$waited" 'BEGIN { printf "%.1fs", t / 10 }'))"
        else
            log "$name: pid file is stale (pid $pid is not ours), removing it"
        fi
        rm -f "$pidfile"
    else
        log "$name: not running"
    fi
}

# stop_chaos_mesh: chaos-controller-manager exits only on a second SIGTERM (the first starts
# a graceful shutdown that waits for its runnables); SIGKILL after GRACE.
stop_chaos_mesh() {
    local pidfile="$STATE/chaos-controller-manager.pid" pid t=$EPOCHREALTIME
    [ -s "$pidfile" ] || { log "chaos-controller-manager: not running"; return 0; }
    pid="$(cat "$pidfile")"
    if cmdline "$pid" | grep -qF -- "$BIN/chaos-controller-manager --kubeconfig=$STATE/"; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 10); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq $((GRACE * 10))); do
            [ -d "/proc/$pid" ] && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ] || break
            sleep 0.1
        done
        if [ -d "/proc/$pid" ] && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]; then
            log "chaos-controller-manager (pid $pid) ignored two SIGTERMs for ${GRACE}s: SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
        fi
        for _ in $(seq 30); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
        log "stopped chaos-controller-manager (pid $pid, $(awk -v a="$t" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1fs", b - a }'))"
    else
        log "chaos-controller-manager: pid file is stale (pid $pid is not ours), removing it"
    fi
    rm -f "$pidfile"
}

# Reverse order of start: Chaos Mesh's controller, the scheduler, the controller manager and
# kwok need the API server, the API server needs etcd.
stop_chaos_mesh
stop kube-scheduler "$BIN/kube-scheduler"
stop kube-controller-manager "$BIN/kube-controller-manager"
stop kwok "$BIN/kwok"
stop kube-apiserver "$BIN/kube-apiserver"
stop etcd "--data-dir=$STATE/etcd"

# Anything of ours that lost its pid file.
strays="$(find_ours | tr '\n' ' ')"
if [ -n "${strays// /}" ]; then
    log "stray processes of this cluster: $strays: SIGTERM"
    # shellcheck disable=SC2086
    kill -TERM $strays 2>/dev/null || true
    for _ in $(seq $((GRACE * 10))); do
        [ -z "$(find_ours)" ] && break
        sleep 0.1
    done
    strays="$(find_ours | tr '\n' ' ')"
    if [ -n "${strays// /}" ]; then
        log "still alive: $strays: SIGKILL"
        # shellcheck disable=SC2086
        kill -KILL $strays 2>/dev/null || true
        sleep 0.5
    fi
fi
left="$(find_ours | tr '\n' ' ')"
if [ -n "${left// /}" ]; then
    log "ERROR: processes still running: $left" >&2
    exit 1
fi

case "$mode" in
    wipe-data)
        rm -rf "$STATE/etcd"
        log "deleted etcd data (keep it next time with --keep-data)"
        ;;
    keep-data) log "kept etcd data in $STATE/etcd" ;;
    purge)
        exec 9>&-
        rm -rf "$STATE"
        log "deleted $STATE"
        ;;
esac
log "down: no process of this cluster remains (etcd, kube-apiserver, kwok, kube-controller-manager, kube-scheduler, chaos-controller-manager)"
