#!/usr/bin/env bash
# Bring up the local test control plane, on 127.0.0.1 only:
#
#   etcd            Debian's etcd-server (3.4)            127.0.0.1:12379 (peer 12380)
#   kube-apiserver  built from k8s.io/kubernetes          https://127.0.0.1:16443
#                   (hack/kube-apiserver), RBAC, static tokens
#   Chaos Mesh CRDs the 23 of the pinned module (hack/chaos-mesh), created, Established
#   kwok            sigs.k8s.io/kwok/cmd/kwok, fakes       health on 127.0.0.1:10247
#                   the kubelet of the nodes kwok-node-N
#   kube-controller-manager, kube-scheduler               https://127.0.0.1:10257, :10259
#                   same k8s.io/kubernetes module as kube-apiserver; kubectl too (the
#                   scripts' only client)
#   chaos-controller-manager  Chaos Mesh's, built from   webhooks https://127.0.0.1:19443
#                   hack/chaos-mesh; reconciles only the   metrics 127.0.0.1:10080
#                   namespace chaos-real (scripts/cluster-chaos-mesh.sh)
#
# Idempotent: a component that is already running (pid file + matching command line) is
# kept; binaries are rebuilt only when their inputs change (stamp files in .cache/bin).
# State, logs (*.log) and pids (*.pid) live in .cache/cluster/. Stop with cluster-down.sh.
# `eval "$(scripts/cluster-env.sh)"` gives KUBECONFIG and the rest to callers.
#
# The controller manager runs only the controllers in KCM_CONTROLLERS below (hack/README.md
# says what that leaves out and why: no endpoint and no node-lifecycle controllers).
#
# Environment: CLUSTER_*_PORT and CLUSTER_KWOK_NODE_COUNT (see cluster-env.sh),
# CLUSTER_KWOK_POD_CIDR (default 198.18.0.1/16), CLUSTER_KWOK_POD_WORKERS (default 16);
# CLUSTER_WAIT_SECONDS (default 90) bounds each wait; CHAOS_MESH_CRDS overrides the CRD folder.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source-path=SCRIPTDIR source=cluster-env.sh
. "$REPO/scripts/cluster-env.sh"

STATE="$CHAOSRUNNER_CLUSTER_DIR"
BIN="$CHAOSRUNNER_CLUSTER_BIN"
KWOK_VERSION="v0.7.0"
# Pod IPs that kwok writes into pod status: RFC 2544 benchmarking range, so they collide with
# nothing here. Nothing may dial them: never port-forward or proxy to a kwok pod unless the
# test gave it the address of a netns host it created. Nothing here dials an address that is
# neither loopback nor such a host.
KWOK_CIDR="${CLUSTER_KWOK_POD_CIDR:-198.18.0.1/16}"
WAIT="${CLUSTER_WAIT_SECONDS:-90}"
# The CRDs: the pinned Chaos Mesh module's 23 (chaos_mesh_crds), unless CHAOS_MESH_CRDS names a folder.
CRD_DIR=""

log() { printf '[cluster-up] %s\n' "$*"; }
die() { printf '[cluster-up] ERROR: %s\n' "$*" >&2; exit 1; }

T0=$EPOCHREALTIME
step_t=$T0
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1fs", b - a }'; }
step() { step_t=$EPOCHREALTIME; log "$*"; }
done_step() { log "  ... $* ($(elapsed "$step_t"))"; }

mkdir -p "$STATE" "$BIN"
exec 9>"$STATE/.lock"
if ! flock -w 120 9; then die "another cluster-up/cluster-down holds $STATE/.lock"; fi

# --------------------------------------------------------------------------- helpers

# pid_of NAME MATCH: pid of our running NAME, whose command line contains MATCH; else fail.
pid_of() {
    local pidfile="$STATE/$1.pid" pid
    [ -s "$pidfile" ] || return 1
    pid="$(cat "$pidfile")"
    [ -r "/proc/$pid/cmdline" ] || return 1
    tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF -- "$2" || return 1
    printf '%s\n' "$pid"
}

# alive NAME: the process in NAME.pid exists and is not a zombie. Right after start_daemon
# its command line may still be this script's (fork before exec), so pid_of cannot tell yet.
alive() {
    local pid state
    pid="$(cat "$STATE/$1.pid" 2>/dev/null)" || return 1
    state="$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" || return 1
    [ -n "$state" ] && [ "$state" != Z ]
}

# port_owner PORT: prints a description of whoever listens on TCP PORT (any address).
port_owner() {
    local port="$1" out
    if command -v ss >/dev/null 2>&1; then
        out="$(ss -Hltnp "sport = :$port" 2>/dev/null || true)"
        [ -n "$out" ] && { printf '%s\n' "$out"; return 0; }
        return 1
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "something accepts connections on 127.0.0.1:$port"
        return 0
    fi
    return 1
}

require_free_ports() {
    local name="$1" port owner
    shift
    for port in "$@"; do
        if owner="$(port_owner "$port")"; then
            die "cannot start $name: TCP port $port is already in use:
$owner
Stop that process (a leftover of this cluster whose pid file was lost: scripts/cluster-down.sh),
or pick another port (see scripts/cluster-env.sh, e.g. CLUSTER_APISERVER_PORT)."
        fi
    done
}

# start_daemon NAME CMD...: start detached in its own session, log to NAME.log, pid to NAME.pid.
start_daemon() {
    local name="$1"
    shift
    : >"$STATE/$name.log"
    # 9>&-: the daemon must not inherit (and so hold) the lock of this script.
    setsid "$@" >>"$STATE/$name.log" 2>&1 </dev/null 9>&- &
    echo $! >"$STATE/$name.pid"
}

# wait_for NAME MATCH DESCRIPTION CMD...: poll CMD until it succeeds, the process dies,
# or $WAIT seconds pass.
wait_for() {
    local name="$1" match="$2" what="$3" deadline
    shift 3
    deadline=$((SECONDS + WAIT))
    until "$@" >/dev/null 2>&1; do
        if ! pid_of "$name" "$match" >/dev/null && ! alive "$name"; then
            tail -n 30 "$STATE/$name.log" >&2 || true
            die "$name exited while waiting for $what (log: $STATE/$name.log)"
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            tail -n 30 "$STATE/$name.log" >&2 || true
            die "timed out after ${WAIT}s waiting for $what (log: $STATE/$name.log)"
        fi
        sleep 0.2
    done
}

# restart_if_rebuilt NAME PID: a component whose binary was just rebuilt is stopped, so
# that the new binary is started below.
restart_if_rebuilt() {
    local var="REBUILT_${1//-/_}"
    [ "${!var}" = 1 ] || return 1
    log "  $1 (pid $2) runs an older build: stopping it"
    kill -TERM "$2" 2>/dev/null || true
    for _ in $(seq 150); do
        [ -d "/proc/$2" ] && [ "$(awk '{print $3}' "/proc/$2/stat" 2>/dev/null)" != Z ] || break
        sleep 0.1
    done
    kill -KILL "$2" 2>/dev/null || true
    rm -f "$STATE/$1.pid"
    return 0
}

file_hash() { cat "$@" | sha256sum | cut -c1-16; }

go_env_check() {
    command -v go >/dev/null 2>&1 || die "go is not on PATH (needed to build kube-apiserver and kwok)"
}

# --------------------------------------------------------------------------- 0. prerequisites

step "prerequisites"
for tool in openssl curl flock setsid; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed"
done
if ! command -v etcd >/dev/null 2>&1; then
    [ "$(id -u)" -eq 0 ] || die "etcd is missing and only root can apt-get install etcd-server"
    log "  etcd not found: installing Debian's etcd-server (its own service is kept from starting)"
    created_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 0755 /usr/sbin/policy-rc.d
        created_policy=1
    fi
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -qq --no-install-recommends etcd-server >/dev/null 2>&1; then
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends etcd-server >/dev/null
    fi
    [ "$created_policy" -eq 1 ] && rm -f /usr/sbin/policy-rc.d
    command -v etcd >/dev/null 2>&1 || die "etcd still missing after installing etcd-server"
fi
# Fail now, not after a long build, if a port we need is taken by someone else.
ETCD_MATCH="--data-dir=$STATE/etcd"
KAS_MATCH="$BIN/kube-apiserver"
KWOK_MATCH="$BIN/kwok"
KCM_MATCH="$BIN/kube-controller-manager"
SCHED_MATCH="$BIN/kube-scheduler"
pid_of etcd "$ETCD_MATCH" >/dev/null || require_free_ports etcd "$CLUSTER_ETCD_CLIENT_PORT" "$CLUSTER_ETCD_PEER_PORT"
pid_of kube-apiserver "$KAS_MATCH" >/dev/null || require_free_ports kube-apiserver "$CLUSTER_APISERVER_PORT"
pid_of kwok "$KWOK_MATCH" >/dev/null || require_free_ports kwok "$CLUSTER_KWOK_PORT"
pid_of kube-controller-manager "$KCM_MATCH" >/dev/null ||
    require_free_ports kube-controller-manager "$CLUSTER_KCM_PORT"
pid_of kube-scheduler "$SCHED_MATCH" >/dev/null || require_free_ports kube-scheduler "$CLUSTER_SCHEDULER_PORT"
CM_MATCH_EARLY="$BIN/chaos-controller-manager --kubeconfig=$STATE/"
pid_of chaos-controller-manager "$CM_MATCH_EARLY" >/dev/null ||
    require_free_ports chaos-controller-manager "$CLUSTER_CHAOS_WEBHOOK_PORT" "$CLUSTER_CHAOS_METRICS_PORT"
# shellcheck source-path=SCRIPTDIR source=cluster-chaos-mesh.sh
. "$REPO/scripts/cluster-chaos-mesh.sh"
chaos_mesh_crds
[ -n "$CRD_DIR" ] && [ -d "$CRD_DIR" ] || die "Chaos Mesh CRDs not found in ${CRD_DIR:-(unset)}"
done_step "etcd $(etcd --version 2>/dev/null | sed -n 's/^etcd Version: //p'), CRDs from $CRD_DIR"

# --------------------------------------------------------------------------- 1. binaries

K8S_VERSION="$(sed -n 's/^[[:space:]]*k8s.io\/kubernetes \(v[0-9.]*\)$/\1/p; s/^require k8s.io\/kubernetes \(v[0-9.]*\)$/\1/p' \
    "$REPO/hack/kube-apiserver/go.mod" | head -1)"
[ -n "$K8S_VERSION" ] || die "cannot read the Kubernetes version from hack/kube-apiserver/go.mod"
K8S_MINOR="${K8S_VERSION#v1.}"
K8S_MINOR="${K8S_MINOR%%.*}"

# build_if_stale NAME STAMP-INPUT CMD...: run CMD unless BIN/NAME exists and was built
# from the same inputs (BIN/NAME.stamp).
# CMD must write its binary to $BIN/.build/NAME; it replaces BIN/NAME only on success (a
# rename, so a running copy is never overwritten in place). Sets REBUILT_NAME=1.
build_if_stale() {
    local name="$1" stamp="$2"
    shift 2
    if [ -x "$BIN/$name" ] && [ "$(cat "$BIN/$name.stamp" 2>/dev/null)" = "$stamp" ]; then
        log "  $name: cached ($BIN/$name)"
        return 0
    fi
    if [ -x "$BIN/$name" ] && ! command -v go >/dev/null 2>&1; then
        log "  $name: WARNING: go is not on PATH, using the existing $BIN/$name as it is"
        return 0
    fi
    go_env_check
    local t=$EPOCHREALTIME
    log "  $name: building (a cold build takes minutes; later runs reuse the Go build cache)"
    mkdir -p "$BIN/.build"
    rm -f "$BIN/.build/$name"
    if ! "$@" >"$STATE/build-$name.log" 2>&1; then
        tail -n 40 "$STATE/build-$name.log" >&2
        die "building $name failed (log: $STATE/build-$name.log)"
    fi
    [ -x "$BIN/.build/$name" ] || die "building $name left no $BIN/.build/$name"
    mv -f "$BIN/.build/$name" "$BIN/$name"
    printf '%s\n' "$stamp" >"$BIN/$name.stamp"
    printf -v "REBUILT_${name//-/_}" 1
    log "  $name: built in $(elapsed "$t")"
}

step "binaries"
GOVER="$(go env GOVERSION 2>/dev/null || echo none)"
chaos_mesh_build_start
# shellcheck disable=SC2034 # read through ${!var} in restart_if_rebuilt
REBUILT_kube_apiserver=0 REBUILT_kwok=0
REBUILT_kube_controller_manager=0 REBUILT_kube_scheduler=0 REBUILT_kubectl=0
KAS_LDFLAGS="-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION"
KAS_LDFLAGS+=" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$K8S_MINOR"
KAS_LDFLAGS+=" -X k8s.io/component-base/version.gitTreeState=clean"
build_if_stale kube-apiserver \
    "$GOVER $(file_hash "$REPO"/hack/kube-apiserver/{go.mod,go.sum,main.go}) $KAS_LDFLAGS" \
    env -C "$REPO/hack/kube-apiserver" nice -n 10 \
    go build -mod=readonly -buildvcs=false -trimpath -ldflags="$KAS_LDFLAGS" -o "$BIN/.build/kube-apiserver" .
build_if_stale kwok "$GOVER $KWOK_VERSION" \
    env GOBIN="$BIN/.build" GOFLAGS=-buildvcs=false nice -n 10 \
    go install -trimpath -ldflags="-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
# The rest of the control plane and kubectl: packages of the same module as kube-apiserver,
# so they share its go.mod, its version and most of its Go build cache.
for k8s_cmd in kube-controller-manager kube-scheduler kubectl; do
    build_if_stale "$k8s_cmd" \
        "$GOVER $(file_hash "$REPO"/hack/kube-apiserver/{go.mod,go.sum,"$k8s_cmd"/main.go}) $KAS_LDFLAGS" \
        env -C "$REPO/hack/kube-apiserver" nice -n 10 \
        go build -mod=readonly -buildvcs=false -trimpath -ldflags="$KAS_LDFLAGS" \
        -o "$BIN/.build/$k8s_cmd" "./$k8s_cmd"
done
KUBECTL=("$CHAOSRUNNER_KUBECTL" --kubeconfig="$KUBECONFIG")
done_step "kube-apiserver, kube-controller-manager, kube-scheduler, kubectl $K8S_VERSION, kwok $KWOK_VERSION"

# --------------------------------------------------------------------------- 2. credentials

KCM_TOKEN="chaosrunner-kube-controller-manager"
SCHED_TOKEN="chaosrunner-kube-scheduler"

step "credentials"
mkdir -p "$STATE/pki/apiserver"
chmod 0700 "$STATE/pki"
if [ ! -s "$STATE/pki/sa.key" ] || [ ! -s "$STATE/pki/sa.pub" ]; then
    openssl genrsa -out "$STATE/pki/sa.key" 2048 2>/dev/null
    openssl rsa -in "$STATE/pki/sa.key" -pubout -out "$STATE/pki/sa.pub" 2>/dev/null
    log "  generated service-account key pair"
fi
# Static tokens (token,user,uid,"group1,group2"). Fixed values: this cluster only ever
# listens on loopback, and tests can name them without reading files.
cat >"$STATE/tokens.csv" <<EOF
$CHAOSRUNNER_KUBE_ADMIN_TOKEN,admin,admin,"system:masters"
$CHAOSRUNNER_KUBE_LIMITED_TOKEN,limited,limited
$KCM_TOKEN,system:kube-controller-manager,system:kube-controller-manager
$SCHED_TOKEN,system:kube-scheduler,system:kube-scheduler
EOF
chmod 0600 "$STATE/tokens.csv"
# The controller manager and the scheduler are the users that Kubernetes' bootstrap RBAC
# grants their roles to (system:kube-controller-manager, system:kube-scheduler).
done_step "tokens.csv: admin (system:masters), limited (no groups), controller manager, scheduler"

# --------------------------------------------------------------------------- 3. etcd

step "etcd on 127.0.0.1:$CLUSTER_ETCD_CLIENT_PORT"
etcd_healthy() { curl -fsS --max-time 2 --noproxy '*' "$CHAOSRUNNER_ETCD_ENDPOINT/health" | grep -q '"health":"true"'; }
if pid="$(pid_of etcd "$ETCD_MATCH")"; then
    log "  already running (pid $pid)"
else
    require_free_ports etcd "$CLUSTER_ETCD_CLIENT_PORT" "$CLUSTER_ETCD_PEER_PORT"
    start_daemon etcd etcd \
        --name=chaosrunner \
        "$ETCD_MATCH" \
        --listen-client-urls="http://127.0.0.1:$CLUSTER_ETCD_CLIENT_PORT" \
        --advertise-client-urls="http://127.0.0.1:$CLUSTER_ETCD_CLIENT_PORT" \
        --listen-peer-urls="http://127.0.0.1:$CLUSTER_ETCD_PEER_PORT" \
        --initial-advertise-peer-urls="http://127.0.0.1:$CLUSTER_ETCD_PEER_PORT" \
        --initial-cluster="chaosrunner=http://127.0.0.1:$CLUSTER_ETCD_PEER_PORT" \
        --initial-cluster-token=chaosrunner \
        --initial-cluster-state=new \
        --logger=zap --log-outputs=stderr
fi
wait_for etcd "$ETCD_MATCH" "etcd /health" etcd_healthy
done_step "etcd pid $(cat "$STATE/etcd.pid"), data in $STATE/etcd"

# --------------------------------------------------------------------------- 4. kube-apiserver

step "kube-apiserver on $CHAOSRUNNER_KUBE_SERVER"
apiserver_ready() {
    curl -fsS --max-time 3 --noproxy '*' --cacert "$CHAOSRUNNER_KUBE_CA_FILE" \
        -H "Authorization: Bearer $CHAOSRUNNER_KUBE_ADMIN_TOKEN" \
        "$CHAOSRUNNER_KUBE_SERVER/readyz" | grep -qx ok
}
if pid="$(pid_of kube-apiserver "$KAS_MATCH")" && ! restart_if_rebuilt kube-apiserver "$pid"; then
    log "  already running (pid $pid)"
else
    require_free_ports kube-apiserver "$CLUSTER_APISERVER_PORT"
    start_daemon kube-apiserver "$BIN/kube-apiserver" \
        --bind-address=127.0.0.1 \
        --advertise-address=127.0.0.1 \
        --secure-port="$CLUSTER_APISERVER_PORT" \
        --cert-dir="$STATE/pki/apiserver" \
        --etcd-servers="$CHAOSRUNNER_ETCD_ENDPOINT" \
        --token-auth-file="$STATE/tokens.csv" \
        --authorization-mode=Node,RBAC \
        --service-account-key-file="$STATE/pki/sa.pub" \
        --service-account-signing-key-file="$STATE/pki/sa.key" \
        --service-account-issuer=https://kubernetes.default.svc \
        --service-cluster-ip-range=10.96.0.0/16 \
        --disable-admission-plugins=TaintNodesByCondition \
        --endpoint-reconciler-type=none \
        --allow-privileged=true \
        --profiling=false \
        --watch-cache=false \
        --v=0
fi
# The serving cert appears in --cert-dir a moment after start.
wait_for kube-apiserver "$KAS_MATCH" "the serving certificate" test -s "$CHAOSRUNNER_KUBE_CA_FILE"
wait_for kube-apiserver "$KAS_MATCH" "$CHAOSRUNNER_KUBE_SERVER/readyz" apiserver_ready

# write_kubeconfig FILE USER TOKEN
write_kubeconfig() {
    local tmp
    tmp="$(mktemp "$1.XXXXXX")"
    cat >"$tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: chaosrunner
  cluster:
    server: $CHAOSRUNNER_KUBE_SERVER
    certificate-authority-data: $(base64 -w0 <"$CHAOSRUNNER_KUBE_CA_FILE")
users:
- name: $2
  user:
    token: $3
contexts:
- name: $2@chaosrunner
  context:
    cluster: chaosrunner
    user: $2
current-context: $2@chaosrunner
preferences: {}
EOF
    chmod 0600 "$tmp"
    mv -f "$tmp" "$1"
}
write_kubeconfig "$KUBECONFIG" admin "$CHAOSRUNNER_KUBE_ADMIN_TOKEN"
write_kubeconfig "$CHAOSRUNNER_KUBECONFIG_LIMITED" limited "$CHAOSRUNNER_KUBE_LIMITED_TOKEN"
write_kubeconfig "$STATE/kubeconfig-kube-controller-manager" system:kube-controller-manager "$KCM_TOKEN"
write_kubeconfig "$STATE/kubeconfig-kube-scheduler" system:kube-scheduler "$SCHED_TOKEN"
done_step "kube-apiserver pid $(cat "$STATE/kube-apiserver.pid") $("$BIN/kube-apiserver" --version 2>/dev/null), kubeconfig $KUBECONFIG"

# --------------------------------------------------------------------------- 5. CRDs

step "Chaos Mesh CRDs"
# create_missing FILE: `kubectl create` what does not exist yet. Create, never client-side
# apply: the schedules/workflows CRDs are too large for the last-applied annotation.
create_missing() {
    local err
    err="$("${KUBECTL[@]}" create -f "$1" 2>&1 >/dev/null)" && return 0
    err="$(grep -v '^Error from server (AlreadyExists): ' <<<"$err" || true)"
    [ -z "$err" ] && return 0
    printf '%s\n' "$err" >&2
    die "kubectl create -f $1 failed"
}
crd_files=("$CRD_DIR"/*.yaml)
# Server-side apply (no last-applied annotation, so size is no issue): a CRD already there from
# an earlier cluster-up is brought up to date (e.g. the NetworkChaos partitionBehavior fix).
"${KUBECTL[@]}" apply --server-side --force-conflicts --field-manager=chaosrunner-cluster-up \
    "${crd_files[@]/#/--filename=}" >/dev/null || die "applying the Chaos Mesh CRDs failed"
"${KUBECTL[@]}" wait --for=condition=Established --timeout="${WAIT}s" "${crd_files[@]/#/--filename=}" >/dev/null ||
    die "the Chaos Mesh CRDs did not become Established within ${WAIT}s"
done_step "${#crd_files[@]} CRDs Established"

# --------------------------------------------------------------------------- 6. kwok

step "kwok (fake kubelet), health on 127.0.0.1:$CLUSTER_KWOK_PORT"
kwok_healthy() { curl -fsS --max-time 2 --noproxy '*' "http://127.0.0.1:$CLUSTER_KWOK_PORT/healthz"; }
if pid="$(pid_of kwok "$KWOK_MATCH")" && ! restart_if_rebuilt kwok "$pid"; then
    log "  already running (pid $pid)"
else
    require_free_ports kwok "$CLUSTER_KWOK_PORT"
    # HOME points at an empty folder so that no ~/.kwok/kwok.yaml of the machine is loaded.
    # kwok.log starts with a few "watch stream was requested ... RequestWatchProgress is
    # disabled" warnings: etcd 3.4.23 is too old for streaming lists, and kwok's informers
    # fall back to LIST+WATCH. Harmless.
    mkdir -p "$STATE/kwok-home"
    # Options that have no flag. With kwok's default of 4 pod-stage workers, 2,000 pods
    # took ~45 s to turn Running on 2 cores; with 16, ~16 s.
    cat >"$STATE/kwok.yaml" <<EOF
apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokConfiguration
options:
  podPlayStageParallelism: ${CLUSTER_KWOK_POD_WORKERS:-16}
  nodePlayStageParallelism: 4
  enableProfilingHandler: false
EOF
    start_daemon kwok env HOME="$STATE/kwok-home" "$BIN/kwok" \
        --config="$STATE/kwok.yaml" \
        --kubeconfig="$KUBECONFIG" \
        --manage-all-nodes=false \
        --manage-nodes-with-annotation-selector="$CHAOSRUNNER_KWOK_NODE_ANNOTATION" \
        --cidr="$KWOK_CIDR" \
        --node-ip=127.0.0.1 \
        --server-address="127.0.0.1:$CLUSTER_KWOK_PORT"
    # No --node-lease-duration-seconds: with node leases, a restarted kwok (new identity)
    # waits for the old lease to expire and then missed the pods created meanwhile. Without
    # them kwok heartbeats through node status, and a new instance takes over at once.
fi
wait_for kwok "$KWOK_MATCH" "kwok /healthz" kwok_healthy

nodes_yaml="$STATE/nodes.yaml"
: >"$nodes_yaml"
for node in $CHAOSRUNNER_KWOK_NODES; do
    cat >>"$nodes_yaml" <<EOF
---
apiVersion: v1
kind: Node
metadata:
  name: $node
  annotations:
    ${CHAOSRUNNER_KWOK_NODE_ANNOTATION%%=*}: "${CHAOSRUNNER_KWOK_NODE_ANNOTATION#*=}"
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    kubernetes.io/hostname: $node
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    kubernetes.io/role: agent
    node-role.kubernetes.io/agent: ""
    type: kwok
status:
  allocatable: {cpu: "32", memory: 256Gi, pods: "5000"}
  capacity: {cpu: "32", memory: 256Gi, pods: "5000"}
EOF
done
create_missing "$nodes_yaml"
node_ready() {
    [ "$("${KUBECTL[@]}" get node "$1" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}')" = True ]
}
for node in $CHAOSRUNNER_KWOK_NODES; do
    wait_for kwok "$KWOK_MATCH" "node $node Ready" node_ready "$node"
done
done_step "kwok pid $(cat "$STATE/kwok.pid"), nodes Ready: $CHAOSRUNNER_KWOK_NODES"

# --------------------------------------------------------------------------- 7. controllers

# Controllers for what the tests and manifests/ need: namespaces that finish terminating,
# garbage collection of owned objects, Deployments/ReplicaSets/Jobs/CronJobs creating pods,
# ServiceAccounts (+ tokens, kube-root-ca.crt). Its API rate limit is raised from 20 to 100
# requests/s (loopback): a ReplicaSet of 500 pods took 24 s to run at 20/s. Left out on purpose: endpoints and
# endpointslice (they would publish kwok's fake pod IPs, which nothing here may dial, and
# could clash with EndpointSlices a test writes by hand), node-lifecycle and taint-eviction
# (a kwok heartbeat late on 2 busy cores would taint the node and evict pods), and anything
# for volumes, nodes' CIDRs or clouds.
KCM_CONTROLLERS="namespace-controller,garbage-collector-controller,deployment-controller"
KCM_CONTROLLERS+=",replicaset-controller,job-controller,cronjob-controller,ttl-after-finished-controller"
KCM_CONTROLLERS+=",serviceaccount-controller,serviceaccount-token-controller"
KCM_CONTROLLERS+=",root-ca-certificate-publisher-controller,clusterrole-aggregation-controller"
KCM_CONTROLLERS+=",pod-garbage-collector-controller"

# healthy_https PORT: the component's /healthz on 127.0.0.1 says ok (self-signed cert; the
# path is in --authorization-always-allow-paths, so no credentials are needed).
healthy_https() { curl -fsSk --max-time 2 --noproxy '*' "https://127.0.0.1:$1/healthz" | grep -qx ok; }

# start_component NAME PORT FLAG...: kube-controller-manager or kube-scheduler, as its own user
# (kubeconfig-NAME, also for delegated authn/authz), serving /healthz on 127.0.0.1:PORT with a
# self-signed cert, without leader election (one instance; no wait for an old lease).
start_component() {
    local name="$1" port="$2"
    shift 2
    require_free_ports "$name" "$port"
    mkdir -p "$STATE/pki/$name"
    start_daemon "$name" "$BIN/$name" \
        --kubeconfig="$STATE/kubeconfig-$name" \
        --authentication-kubeconfig="$STATE/kubeconfig-$name" \
        --authorization-kubeconfig="$STATE/kubeconfig-$name" \
        --bind-address=127.0.0.1 --secure-port="$port" --cert-dir="$STATE/pki/$name" \
        --leader-elect=false --profiling=false --v=0 "$@"
}

# The ServiceAccount controller has made the default ServiceAccount (pods need it: the
# ServiceAccount admission plugin is on).
default_service_account() { "${KUBECTL[@]}" get serviceaccount default --namespace=default >/dev/null; }

step "kube-controller-manager on https://127.0.0.1:$CLUSTER_KCM_PORT, kube-scheduler on :$CLUSTER_SCHEDULER_PORT"
if pid="$(pid_of kube-controller-manager "$KCM_MATCH")" && ! restart_if_rebuilt kube-controller-manager "$pid"; then
    log "  kube-controller-manager already running (pid $pid)"
else
    start_component kube-controller-manager "$CLUSTER_KCM_PORT" \
        --controllers="$KCM_CONTROLLERS" \
        --use-service-account-credentials=true \
        --service-account-private-key-file="$STATE/pki/sa.key" \
        --root-ca-file="$CHAOSRUNNER_KUBE_CA_FILE" \
        --kube-api-qps=100 --kube-api-burst=200
fi
if pid="$(pid_of kube-scheduler "$SCHED_MATCH")" && ! restart_if_rebuilt kube-scheduler "$pid"; then
    log "  kube-scheduler already running (pid $pid)"
else
    start_component kube-scheduler "$CLUSTER_SCHEDULER_PORT"
fi
wait_for kube-controller-manager "$KCM_MATCH" "kube-controller-manager /healthz" healthy_https "$CLUSTER_KCM_PORT"
wait_for kube-scheduler "$SCHED_MATCH" "kube-scheduler /healthz" healthy_https "$CLUSTER_SCHEDULER_PORT"
wait_for kube-controller-manager "$KCM_MATCH" "ServiceAccount default/default" default_service_account
done_step "kube-controller-manager pid $(cat "$STATE/kube-controller-manager.pid"), kube-scheduler pid $(cat "$STATE/kube-scheduler.pid")"

# --------------------------------------------------------------------------- 8. Chaos Mesh

chaos_mesh_start

log "up in $(elapsed "$T0"):"
log "  etcd            $CHAOSRUNNER_ETCD_ENDPOINT            pid $(cat "$STATE/etcd.pid")"
log "  kube-apiserver  $CHAOSRUNNER_KUBE_SERVER         pid $(cat "$STATE/kube-apiserver.pid")"
log "  kwok            http://127.0.0.1:$CLUSTER_KWOK_PORT (health)    pid $(cat "$STATE/kwok.pid")"
log "  controller-mgr  https://127.0.0.1:$CLUSTER_KCM_PORT          pid $(cat "$STATE/kube-controller-manager.pid")"
log "  scheduler       https://127.0.0.1:$CLUSTER_SCHEDULER_PORT          pid $(cat "$STATE/kube-scheduler.pid")"
log "  chaos-mesh      https://127.0.0.1:$CLUSTER_CHAOS_WEBHOOK_PORT (webhooks), namespace $CHAOSRUNNER_CHAOS_MESH_NAMESPACE   pid $(cat "$STATE/chaos-controller-manager.pid")"
log "  kubectl         $CHAOSRUNNER_KUBECTL"
log "  kubeconfig      $KUBECONFIG (admin), $CHAOSRUNNER_KUBECONFIG_LIMITED (limited)"
log "  logs            $STATE/{etcd,kube-apiserver,kwok,kube-controller-manager,kube-scheduler,chaos-controller-manager}.log"
log "  use:            eval \"\$(scripts/cluster-env.sh)\"; stop: scripts/cluster-down.sh"
