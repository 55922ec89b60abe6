#!/usr/bin/env bash
# Where the local test control plane (scripts/cluster-up.sh) lives and how to reach it.
#
#   eval "$(scripts/cluster-env.sh)"     # executed: prints `export ...` lines
#   . scripts/cluster-env.sh             # sourced: exports the same variables
#
# This file is also the single source of the ports and paths that cluster-up.sh and
# cluster-down.sh use. Every listener is on 127.0.0.1. Override a port by exporting the
# variable before calling cluster-up.sh (and use the same value for the other scripts).
#
# Exported:
#   KUBECONFIG                         admin kubeconfig (token user, group system:masters)
#   CHAOSRUNNER_KUBECONFIG_LIMITED     kubeconfig of user "limited" (no groups, no RBAC)
#   CHAOSRUNNER_KUBE_SERVER            https://127.0.0.1:<apiserver port>
#   CHAOSRUNNER_KUBE_CA_FILE           the API server's self-signed serving cert (+ its CA)
#   CHAOSRUNNER_KUBE_ADMIN_TOKEN       bearer token of user "admin"
#   CHAOSRUNNER_KUBE_LIMITED_TOKEN     bearer token of user "limited"
#   CHAOSRUNNER_ETCD_ENDPOINT          http://127.0.0.1:<etcd client port>
#   CHAOSRUNNER_KWOK_NODE              name of the first fake node (kube-scheduler binds
#                                      pods to the fake nodes; spec.nodeName still works)
#   CHAOSRUNNER_KWOK_NODES             space-separated names of all fake nodes
#   CHAOSRUNNER_KWOK_NODE_ANNOTATION   annotation that makes kwok manage a node (key=value)
#   CHAOSRUNNER_CLUSTER_DIR            state folder (logs *.log, pids *.pid, etcd data, pki)
#   CHAOSRUNNER_CLUSTER_BIN            built binaries (kube-apiserver, kube-controller-manager,
#                                      kube-scheduler, kubectl, kwok, chaos-controller-manager)
#   CHAOSRUNNER_KUBECTL                kubectl built from the same Kubernetes release
#   CHAOSRUNNER_CHAOS_MESH_NAMESPACE   the one namespace Chaos Mesh's real controller-manager
#                                      reconciles (CLUSTER_SCOPED=false); chaos objects elsewhere
#                                      are left to the tests' stand-in controller
#   CHAOSRUNNER_CHAOS_MESH_CRDS        the 23 CRDs of the pinned Chaos Mesh module, as installed
#                                      (with the NetworkChaos fix, see hack/README.md)
#   CHAOSRUNNER_CHAOS_MESH_DNS_SERVICE the Service (in that namespace) whose pods the controller
#                                      calls as Chaos Mesh's DNS server for a DNSChaos, on port
#   CHAOSRUNNER_CHAOS_MESH_DNS_PORT    (the cluster tests' stand-in serves it: daemon_host.py)
#   CLUSTER_CHAOS_WEBHOOK_PORT         the controller's admission webhooks (https, 127.0.0.1)
#   CLUSTER_CHAOS_METRICS_PORT         the controller's /metrics (http, 127.0.0.1)

# shellcheck disable=SC2034 # the variables below are exported through _cluster_env_vars
_cluster_env_repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

CHAOSRUNNER_CLUSTER_DIR="${CHAOSRUNNER_CLUSTER_DIR:-${_cluster_env_repo}/.cache/cluster}"
CHAOSRUNNER_CLUSTER_BIN="${CHAOSRUNNER_CLUSTER_BIN:-${_cluster_env_repo}/.cache/bin}"

CLUSTER_ETCD_CLIENT_PORT="${CLUSTER_ETCD_CLIENT_PORT:-12379}"
CLUSTER_ETCD_PEER_PORT="${CLUSTER_ETCD_PEER_PORT:-12380}"
CLUSTER_APISERVER_PORT="${CLUSTER_APISERVER_PORT:-16443}"
CLUSTER_KWOK_PORT="${CLUSTER_KWOK_PORT:-10247}"
CLUSTER_KCM_PORT="${CLUSTER_KCM_PORT:-10257}"
CLUSTER_SCHEDULER_PORT="${CLUSTER_SCHEDULER_PORT:-10259}"
CLUSTER_KWOK_NODE_COUNT="${CLUSTER_KWOK_NODE_COUNT:-1}"
CLUSTER_CHAOS_WEBHOOK_PORT="${CLUSTER_CHAOS_WEBHOOK_PORT:-19443}"
CLUSTER_CHAOS_METRICS_PORT="${CLUSTER_CHAOS_METRICS_PORT:-10080}"
CHAOSRUNNER_CHAOS_MESH_NAMESPACE="${CHAOSRUNNER_CHAOS_MESH_NAMESPACE:-chaos-real}"
CHAOSRUNNER_CHAOS_MESH_CRDS="${CHAOSRUNNER_CHAOS_MESH_CRDS:-${CHAOSRUNNER_CLUSTER_BIN}/chaos-mesh-crds}"
CHAOSRUNNER_CHAOS_MESH_DNS_SERVICE="${CHAOSRUNNER_CHAOS_MESH_DNS_SERVICE:-chaos-mesh-dns-server}"
CHAOSRUNNER_CHAOS_MESH_DNS_PORT="${CHAOSRUNNER_CHAOS_MESH_DNS_PORT:-9288}"

CHAOSRUNNER_KUBE_SERVER="https://127.0.0.1:${CLUSTER_APISERVER_PORT}"
CHAOSRUNNER_ETCD_ENDPOINT="http://127.0.0.1:${CLUSTER_ETCD_CLIENT_PORT}"
CHAOSRUNNER_KUBE_CA_FILE="${CHAOSRUNNER_CLUSTER_DIR}/pki/apiserver/apiserver.crt"
CHAOSRUNNER_KUBE_ADMIN_TOKEN="chaosrunner-admin"
CHAOSRUNNER_KUBE_LIMITED_TOKEN="chaosrunner-limited"
CHAOSRUNNER_KWOK_NODE="kwok-node-0"
CHAOSRUNNER_KWOK_NODES="$(for ((_i = 0; _i < CLUSTER_KWOK_NODE_COUNT; _i++)); do printf 'kwok-node-%d ' "$_i"; done)"
CHAOSRUNNER_KWOK_NODES="${CHAOSRUNNER_KWOK_NODES% }"
CHAOSRUNNER_KWOK_NODE_ANNOTATION="kwok.x-k8s.io/node=fake"
CHAOSRUNNER_KUBECONFIG_LIMITED="${CHAOSRUNNER_CLUSTER_DIR}/kubeconfig-limited"
CHAOSRUNNER_KUBECTL="${CHAOSRUNNER_CLUSTER_BIN}/kubectl"
_cluster_env_kubeconfig="${CHAOSRUNNER_CLUSTER_DIR}/kubeconfig"
unset _i

_cluster_env_vars=(
    CHAOSRUNNER_CLUSTER_DIR CHAOSRUNNER_CLUSTER_BIN
    CLUSTER_ETCD_CLIENT_PORT CLUSTER_ETCD_PEER_PORT CLUSTER_APISERVER_PORT CLUSTER_KWOK_PORT
    CLUSTER_KCM_PORT CLUSTER_SCHEDULER_PORT CLUSTER_KWOK_NODE_COUNT
    CHAOSRUNNER_KUBE_SERVER CHAOSRUNNER_ETCD_ENDPOINT CHAOSRUNNER_KUBE_CA_FILE
    CHAOSRUNNER_KUBE_ADMIN_TOKEN CHAOSRUNNER_KUBE_LIMITED_TOKEN
    CHAOSRUNNER_KWOK_NODE CHAOSRUNNER_KWOK_NODES CHAOSRUNNER_KWOK_NODE_ANNOTATION
    CHAOSRUNNER_KUBECONFIG_LIMITED CHAOSRUNNER_KUBECTL
    CLUSTER_CHAOS_WEBHOOK_PORT CLUSTER_CHAOS_METRICS_PORT
    CHAOSRUNNER_CHAOS_MESH_NAMESPACE CHAOSRUNNER_CHAOS_MESH_CRDS
    CHAOSRUNNER_CHAOS_MESH_DNS_SERVICE CHAOSRUNNER_CHAOS_MESH_DNS_PORT
)

if [[ "${BASH_SOURCE[0]}" != "$0" ]]; then
    # Sourced: export into the caller's shell.
    # shellcheck disable=SC2163
    for _v in "${_cluster_env_vars[@]}"; do export "$_v"; done
    export KUBECONFIG="$_cluster_env_kubeconfig"
    unset _v _cluster_env_vars _cluster_env_repo _cluster_env_kubeconfig
else
    for _v in "${_cluster_env_vars[@]}"; do
        printf 'export %s=%q\n' "$_v" "${!_v}"
    done
    printf 'export KUBECONFIG=%q\n' "$_cluster_env_kubeconfig"
    if [ ! -s "$_cluster_env_kubeconfig" ]; then
        echo "# note: $_cluster_env_kubeconfig does not exist yet: run scripts/cluster-up.sh" >&2
    fi
fi
