#!/usr/bin/env bash
# Smoke test of the local control plane (run scripts/cluster-up.sh first):
#   1. a bare Pod bound to the kwok node becomes Running and Ready
#   2. a Chaos Mesh NetworkChaos (the upstream example) is accepted
#   3. a NetworkChaos with spec.mode: bogus is rejected, naming spec.mode
#   4. user "limited" (no RBAC) is forbidden to list pods
#   5. SMOKE_PODS (default 0, e.g. 2000) more pods bound to the kwok node; prints how long
#      until all are Running
# Every object goes into a new namespace smoke-<time> (namespaces never finish terminating
# without a controller-manager, so nothing is deleted; cluster-down.sh wipes etcd).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source-path=SCRIPTDIR source=../../scripts/cluster-env.sh
. "$REPO/scripts/cluster-env.sh"
KA="$CHAOSRUNNER_CLUSTER_BIN/kubeapply"
NS="smoke-$(date +%H%M%S)-$$"
PODS="${SMOKE_PODS:-0}"
EXAMPLE="${CHAOS_MESH_EXAMPLE:-$REPO/../shared/chaos-mesh/examples/network-delay-example.yaml}"
ok() { printf '[smoke] ok: %s\n' "$*"; }
fail() { printf '[smoke] FAIL: %s\n' "$*" >&2; exit 1; }

[ -x "$KA" ] && [ -s "$KUBECONFIG" ] || fail "cluster not up: run scripts/cluster-up.sh"

pod() { # name
    cat <<YAML
---
apiVersion: v1
kind: Pod
metadata:
  name: $1
  namespace: $NS
  labels: {app: smoke}
spec:
  nodeName: $CHAOSRUNNER_KWOK_NODE
  containers:
  - name: main
    image: registry.invalid/smoke:1
YAML
}

printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n' "$NS" | "$KA" create -q -
ok "namespace $NS"

pod smoke-0 | "$KA" create -q -
"$KA" wait-running -timeout 30s -n "$NS" -count 1 -l app=smoke >/dev/null
ok "pod $NS/smoke-0 on $CHAOSRUNNER_KWOK_NODE is Running and Ready"

sed -e "s/^metadata:/metadata:\n  namespace: $NS/" "$EXAMPLE" | "$KA" create -q -
"$KA" get "/apis/chaos-mesh.org/v1alpha1/namespaces/$NS/networkchaos/network-delay-example" >/dev/null
ok "NetworkChaos $NS/network-delay-example accepted"

if err="$(sed -e "s/^metadata:/metadata:\n  namespace: $NS/" -e 's/name: network-delay-example/name: bogus-mode/' \
    -e 's/^  mode: one/  mode: bogus/' "$EXAMPLE" | "$KA" create -q - 2>&1)"; then
    fail "NetworkChaos with spec.mode: bogus was accepted"
fi
grep -q 'spec.mode' <<<"$err" || fail "rejection does not name spec.mode: $err"
grep -q ' 422 ' <<<"$err" || fail "rejection is not a 422: $err"
ok "NetworkChaos with spec.mode: bogus rejected: $(sed -n 's/.* is invalid: //p' <<<"$err" | head -1)"

if "$KA" --kubeconfig "$CHAOSRUNNER_KUBECONFIG_LIMITED" get "/api/v1/namespaces/$NS/pods" >/dev/null 2>"$CHAOSRUNNER_CLUSTER_DIR/smoke-limited.err"; then
    fail "user limited may list pods"
fi
grep -q ' 403 ' "$CHAOSRUNNER_CLUSTER_DIR/smoke-limited.err" || fail "limited: $(cat "$CHAOSRUNNER_CLUSTER_DIR/smoke-limited.err")"
ok "user limited is forbidden to list pods (403)"

if [ "$PODS" -gt 0 ]; then
    t0=$EPOCHREALTIME
    for ((i = 1; i <= PODS; i++)); do pod "bulk-$i"; done |
        sed 's/app: smoke/app: bulk/' | "$KA" create -q -c 8 -
    t1=$EPOCHREALTIME
    "$KA" wait-running -timeout 600s -n "$NS" -count "$PODS" -l app=bulk | tail -1
    t2=$EPOCHREALTIME
    awk -v n="$PODS" -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN {
        printf "[smoke] ok: %d pods created in %.1fs, all Running+Ready %.1fs after the first create\n", n, b - a, c - a }'
fi
echo "[smoke] passed (namespace $NS)"
