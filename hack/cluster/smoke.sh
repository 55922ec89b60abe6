#!/usr/bin/env bash
# Smoke test of the local control plane (run scripts/cluster-up.sh first), all with kubectl:
#   1. a Deployment's pod, created by its ReplicaSet and bound by kube-scheduler to a kwok
#      node, becomes Running and Ready, and carries the namespace's default ServiceAccount
#   2. a Chaos Mesh NetworkChaos (the upstream example) is accepted
#   3. a NetworkChaos with spec.mode: bogus is rejected, naming spec.mode
#   4. user "limited" (no RBAC) is forbidden to list pods
#   5. SMOKE_PODS (default 0, e.g. 2000): a Deployment scaled to that many replicas; prints
#      how long until all are Running and Ready (ReplicaSet controller, scheduler and kwok)
#   6. the namespace is deleted and finishes terminating (namespace controller)
# Everything goes into a new namespace smoke-<time>.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source-path=SCRIPTDIR source=../../scripts/cluster-env.sh
. "$REPO/scripts/cluster-env.sh"
K=("$CHAOSRUNNER_KUBECTL" --kubeconfig="$KUBECONFIG")
NS="smoke-$(date +%H%M%S)-$$"
PODS="${SMOKE_PODS:-0}"
EXAMPLE="${CHAOS_MESH_EXAMPLE:-$REPO/../shared/chaos-mesh/examples/network-delay-example.yaml}"
ok() { printf '[smoke] ok: %s\n' "$*"; }
fail() { printf '[smoke] FAIL: %s\n' "$*" >&2; exit 1; }

[ -x "$CHAOSRUNNER_KUBECTL" ] && [ -s "$KUBECONFIG" ] || fail "cluster not up: run scripts/cluster-up.sh"

deployment() { # name replicas
    cat <<YAML
apiVersion: apps/v1
kind: Deployment
metadata:
  name: $1
  namespace: $NS
spec:
  replicas: $2
  selector:
    matchLabels: {app: $1}
  template:
    metadata:
      labels: {app: $1}
    spec:
      containers:
      - name: main
        image: registry.invalid/smoke:1
YAML
}

"${K[@]}" create namespace "$NS" >/dev/null
ok "namespace $NS"

deployment smoke 1 | "${K[@]}" create -f - >/dev/null
"${K[@]}" wait --namespace="$NS" --for=create pod --selector=app=smoke --timeout=30s >/dev/null ||
    fail "the ReplicaSet created no pod within 30s (kube-controller-manager running?)"
"${K[@]}" wait --namespace="$NS" --for=condition=Ready pod --selector=app=smoke --timeout=30s >/dev/null ||
    fail "the pod is not Ready within 30s (kube-scheduler and kwok running?)"
where="$("${K[@]}" get pod --namespace="$NS" --selector=app=smoke \
    -o 'jsonpath={.items[0].spec.nodeName} {.items[0].spec.serviceAccountName} {.items[0].metadata.ownerReferences[0].kind}')"
[ "$where" = "$CHAOSRUNNER_KWOK_NODE default ReplicaSet" ] || fail "pod: node, ServiceAccount, owner = $where"
ok "Deployment $NS/smoke: its ReplicaSet's pod is bound to $CHAOSRUNNER_KWOK_NODE, Running and Ready, ServiceAccount default"

sed -e "s/^metadata:/metadata:\n  namespace: $NS/" "$EXAMPLE" | "${K[@]}" create -f - >/dev/null
"${K[@]}" get networkchaos --namespace="$NS" network-delay-example >/dev/null
ok "NetworkChaos $NS/network-delay-example accepted"

if err="$(sed -e "s/^metadata:/metadata:\n  namespace: $NS/" -e 's/name: network-delay-example/name: bogus-mode/' \
    -e 's/^  mode: one/  mode: bogus/' "$EXAMPLE" | "${K[@]}" create -f - 2>&1)"; then
    fail "NetworkChaos with spec.mode: bogus was accepted"
fi
grep -q 'spec.mode' <<<"$err" || fail "rejection does not name spec.mode: $err"
ok "NetworkChaos with spec.mode: bogus rejected: $(sed -n 's/.* is invalid: //p' <<<"$err" | head -1)"

if err="$("$CHAOSRUNNER_KUBECTL" --kubeconfig="$CHAOSRUNNER_KUBECONFIG_LIMITED" get pods --namespace="$NS" 2>&1)"; then
    fail "user limited may list pods"
fi
grep -q '(Forbidden)' <<<"$err" || fail "limited: $err"
ok "user limited is forbidden to list pods"

if [ "$PODS" -gt 0 ]; then
    t0=$EPOCHREALTIME
    deployment bulk "$PODS" | "${K[@]}" create -f - >/dev/null
    "${K[@]}" wait --namespace="$NS" --for=condition=Available deployment/bulk --timeout=600s >/dev/null ||
        fail "not all $PODS pods Ready within 600s"
    awk -v n="$PODS" -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {
        printf "[smoke] ok: Deployment of %d replicas: all Running+Ready %.1fs after its create\n", n, b - a }'
fi

t0=$EPOCHREALTIME
"${K[@]}" delete namespace "$NS" --wait=true --timeout=120s >/dev/null ||
    fail "namespace $NS did not finish terminating within 120s (kube-controller-manager running?)"
ok "namespace $NS deleted and gone after $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1fs", b - a }')"
echo "[smoke] passed"
