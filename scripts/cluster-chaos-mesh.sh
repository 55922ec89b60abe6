# shellcheck shell=bash
# Chaos Mesh's real chaos-controller-manager in the local test control plane. Sourced by
# scripts/cluster-up.sh (after its helpers: log, die, step, done_step, start_daemon, wait_for,
# pid_of, require_free_ports, file_hash, go_env_check, elapsed), never run on its own.
#
#   chaos_mesh_crds         the 23 CRDs of the pinned module version, with the NetworkChaos
#                           fix, into $CHAOSRUNNER_CHAOS_MESH_CRDS (sets CRD_DIR)
#   chaos_mesh_build_start  builds the controller in the background when its inputs changed
#                           (Go version, hack/chaos-mesh/go.mod + go.sum): a cold build is
#                           ~4.5 min, so it starts before kube-apiserver's build and runs
#                           beside it
#   chaos_mesh_build_wait   waits for that build
#   chaos_mesh_start        serving certificate, namespace, the controller on 127.0.0.1,
#                           the webhook configurations (by URL, with our CA); waits until the
#                           API server reaches the webhooks
#
# Why each setting is what it is: hack/README.md, "Chaos Mesh's controller".

CM_MOD_DIR="$REPO/hack/chaos-mesh"
CM_MODULE="github.com/chaos-mesh/chaos-mesh"
CM_NS="$CHAOSRUNNER_CHAOS_MESH_NAMESPACE"
CM_MATCH="$BIN/chaos-controller-manager --kubeconfig=$STATE/"
CM_PKI="$STATE/pki/chaos-mesh"
CM_BUILD_PID=""
# The checksum database 404s on this module (the proxy serves it): trust go.sum for it only.
CM_GOENV=(env -C "$CM_MOD_DIR" GONOSUMDB=github.com/chaos-mesh/fx-logr GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=0)
# The kinds that have admission webhooks: the chart's webhook.CRDS list (helm/chaos-mesh/
# values.yaml) less remotecluster, whose paths this version does not serve (404); the paths
# are /mutate-chaos-mesh-org-v1alpha1-KIND and /validate-...-KIND. /validate-auth is off
# with SECURITY_MODE=false.
CM_WEBHOOK_KINDS=(podchaos iochaos timechaos networkchaos kernelchaos stresschaos awschaos
    azurechaos gcpchaos dnschaos jvmchaos schedule workflow httpchaos blockchaos
    physicalmachinechaos physicalmachine statuscheck)

cm_plural() {
    case "$1" in
        schedule | workflow | physicalmachine | statuscheck) echo "${1}s" ;;
        *) echo "$1" ;;
    esac
}

chaos_mesh_crds() {
    if [ -n "${CHAOS_MESH_CRDS:-}" ]; then
        CRD_DIR="$CHAOS_MESH_CRDS"
        return 0
    fi
    local dir stamp out="$CHAOSRUNNER_CHAOS_MESH_CRDS" tmp
    stamp="$(file_hash "$CM_MOD_DIR/go.mod" "$REPO/scripts/cluster-chaos-mesh.sh")"
    CRD_DIR="$out"
    if [ -s "$out/.stamp" ] && [ "$(cat "$out/.stamp")" = "$stamp" ]; then
        return 0
    fi
    go_env_check
    dir="$("${CM_GOENV[@]}" go list -m -f '{{.Dir}}' "$CM_MODULE" 2>/dev/null)" || dir=""
    if [ -z "$dir" ] || [ ! -d "$dir/config/crd/bases" ]; then
        "${CM_GOENV[@]}" go mod download "$CM_MODULE" >"$STATE/build-chaos-mesh-crds.log" 2>&1 ||
            { tail -n 20 "$STATE/build-chaos-mesh-crds.log" >&2; die "cannot download $CM_MODULE (log: $STATE/build-chaos-mesh-crds.log)"; }
        dir="$("${CM_GOENV[@]}" go list -m -f '{{.Dir}}' "$CM_MODULE")"
    fi
    tmp="$(mktemp -d "$BIN/.crds.XXXXXX")"
    cp "$dir"/config/crd/bases/chaos-mesh.org_*.yaml "$tmp/"
    chmod u+w "$tmp"/*.yaml
    # The api module the controller is built with (v0.0.0-20260906172039-d70b66ad97ac) has
    # NetworkChaos spec.partitionBehavior (its mutating webhook defaults it to "drop"), the
    # main module's CRD of 2026-09-02 does not: the API server prunes the field, and every
    # later update by the controller is then denied by its own webhook ("Cannot update chaos
    # spec"). Declare it, as the api module's kubebuilder markers say.
    local nc="$tmp/chaos-mesh.org_networkchaos.yaml"
    if ! grep -q 'partitionBehavior:' "$nc"; then
        awk '
            /^          spec:$/ { in_spec = 1 }
            in_spec && !done && /^              rate:$/ {
                print "              partitionBehavior:"
                print "                default: drop"
                print "                description: |-"
                print "                  PartitionBehavior defines how matched packets are handled for the partition"
                print "                  action (added by chaosrunner'"'"'s cluster-up: see hack/README.md)."
                print "                enum:"
                print "                - drop"
                print "                - reject"
                print "                type: string"
                done = 1
            }
            { print }
            END { if (!done) exit 3 }
        ' "$nc" >"$nc.new" || die "cannot add spec.partitionBehavior to $nc: its layout changed"
        mv -f "$nc.new" "$nc"
    fi
    printf '%s\n' "$stamp" >"$tmp/.stamp"
    rm -rf "$out"
    mv -f "$tmp" "$out"
    log "  Chaos Mesh CRDs: $(find "$out" -name '*.yaml' | wc -l) from $dir (+ NetworkChaos spec.partitionBehavior)"
}

chaos_mesh_build_start() {
    local stamp
    stamp="$GOVER $(file_hash "$CM_MOD_DIR/go.mod" "$CM_MOD_DIR/go.sum")"
    REBUILT_chaos_controller_manager=0
    if [ -x "$BIN/chaos-controller-manager" ] && [ "$(cat "$BIN/chaos-controller-manager.stamp" 2>/dev/null)" = "$stamp" ]; then
        log "  chaos-controller-manager: cached ($BIN/chaos-controller-manager)"
        return 0
    fi
    go_env_check
    log "  chaos-controller-manager: building in the background (cold: ~4.5 min, ~3.4 GB; log $STATE/build-chaos-controller-manager.log)"
    mkdir -p "$BIN/.build"
    # Renamed into place and stamped by the build itself, so that a build outlives a
    # cluster-up that fails meanwhile. 9>&-: it must not hold this script's lock.
    (
        t=$EPOCHREALTIME
        rm -f "$BIN/.build/chaos-controller-manager"
        "${CM_GOENV[@]}" nice -n 10 go build -trimpath -ldflags='-s -w' \
            -o "$BIN/.build/chaos-controller-manager" "$CM_MODULE/cmd/chaos-controller-manager" &&
            mv -f "$BIN/.build/chaos-controller-manager" "$BIN/chaos-controller-manager" &&
            printf '%s\n' "$stamp" >"$BIN/chaos-controller-manager.stamp" &&
            echo "built in $(elapsed "$t")"
    ) >"$STATE/build-chaos-controller-manager.log" 2>&1 9>&- &
    CM_BUILD_PID=$!
    REBUILT_chaos_controller_manager=1
}

chaos_mesh_build_wait() {
    [ -n "$CM_BUILD_PID" ] || return 0
    local t=$EPOCHREALTIME
    log "  chaos-controller-manager: waiting for its build"
    if ! wait "$CM_BUILD_PID"; then
        tail -n 40 "$STATE/build-chaos-controller-manager.log" >&2
        die "building chaos-controller-manager failed (log: $STATE/build-chaos-controller-manager.log)"
    fi
    CM_BUILD_PID=""
    log "  chaos-controller-manager: $(tail -n 1 "$STATE/build-chaos-controller-manager.log") (waited $(elapsed "$t"))"
}

cm_certs() {
    mkdir -p "$CM_PKI"
    [ -s "$CM_PKI/ca.crt" ] && [ -s "$CM_PKI/tls.crt" ] && [ -s "$CM_PKI/tls.key" ] &&
        openssl x509 -checkend 86400 -noout -in "$CM_PKI/tls.crt" >/dev/null 2>&1 && return 0
    openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=chaosrunner-chaos-mesh-ca" \
        -keyout "$CM_PKI/ca.key" -out "$CM_PKI/ca.crt" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
        -keyout "$CM_PKI/tls.key" -out "$CM_PKI/tls.csr" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$CM_PKI/ext.cnf"
    openssl x509 -req -in "$CM_PKI/tls.csr" -CA "$CM_PKI/ca.crt" -CAkey "$CM_PKI/ca.key" \
        -CAcreateserial -days 365 -extfile "$CM_PKI/ext.cnf" -out "$CM_PKI/tls.crt" 2>/dev/null
    chmod 0600 "$CM_PKI"/*.key
    log "  generated the webhook serving certificate (IP:127.0.0.1) and its CA in $CM_PKI"
}

cm_api() { # METHOD PATH [curl args...]
    local method="$1" path="$2"
    shift 2
    curl -sS --max-time 10 --noproxy '*' --cacert "$CHAOSRUNNER_KUBE_CA_FILE" \
        -H "Authorization: Bearer $CHAOSRUNNER_KUBE_ADMIN_TOKEN" -X "$method" \
        "$CHAOSRUNNER_KUBE_SERVER$path" "$@"
}

cm_webhook_configs() {
    local ca kind out="$STATE/chaos-mesh-webhooks.yaml" plural type
    ca="$(base64 -w0 <"$CM_PKI/ca.crt")"
    : >"$out"
    for type in Mutating Validating; do
        printf -- '---\napiVersion: admissionregistration.k8s.io/v1\nkind: %sWebhookConfiguration\nmetadata:\n  name: chaosrunner-chaos-mesh-%s\nwebhooks:\n' \
            "$type" "$([ "$type" = Mutating ] && echo mutation || echo validation)" >>"$out"
        for kind in "${CM_WEBHOOK_KINDS[@]}"; do
            plural="$(cm_plural "$kind")"
            cat >>"$out" <<EOF
- name: $([ "$type" = Mutating ] && echo m || echo v)$kind.kb.io
  clientConfig:
    url: https://127.0.0.1:$CLUSTER_CHAOS_WEBHOOK_PORT/$([ "$type" = Mutating ] && echo mutate || echo validate)-chaos-mesh-org-v1alpha1-$kind
    caBundle: $ca
  failurePolicy: Fail
  timeoutSeconds: 5
  sideEffects: None
  admissionReviewVersions: ["v1", "v1beta1"]
  rules:
  - apiGroups: [chaos-mesh.org]
    apiVersions: [v1alpha1]
    operations: [CREATE, UPDATE]
    resources: [$plural]
EOF
        done
    done
    # Replaced on every start: the CA may have been renewed, and a stale configuration with
    # failurePolicy Fail would refuse every chaos object.
    cm_api DELETE /apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/chaosrunner-chaos-mesh-mutation -o /dev/null
    cm_api DELETE /apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/chaosrunner-chaos-mesh-validation -o /dev/null
    "${KUBECTL[@]}" create -f "$out" >/dev/null
}

# The webhook server answers TLS with our CA (its root path is a quiet 404; probing a webhook
# path with a GET would log a stack trace per probe).
cm_webhook_tls() {
    curl -s -o /dev/null --max-time 3 --noproxy '*' --cacert "$CM_PKI/ca.crt" \
        "https://127.0.0.1:$CLUSTER_CHAOS_WEBHOOK_PORT/"
}

cm_metrics_up() { curl -fsS --max-time 2 --noproxy '*' -o /dev/null "http://127.0.0.1:$CLUSTER_CHAOS_METRICS_PORT/metrics"; }

# A dry-run create goes through both webhooks: the API server reaches the controller.
cm_admits() {
    cm_api POST "/apis/chaos-mesh.org/v1alpha1/namespaces/$CM_NS/podchaos?dryRun=All" \
        -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
        -d '{"apiVersion":"chaos-mesh.org/v1alpha1","kind":"PodChaos","metadata":{"name":"cluster-up-probe"},"spec":{"action":"pod-kill","mode":"one","selector":{"labelSelectors":{"app":"none"}}}}' |
        grep -qx 201
}

# As restart_if_rebuilt, with the two SIGTERMs the controller needs to exit.
cm_restart_if_rebuilt() {
    [ "$REBUILT_chaos_controller_manager" = 1 ] || return 1
    log "  chaos-controller-manager (pid $1) runs an older build: stopping it"
    kill -TERM "$1" 2>/dev/null || true
    sleep 0.5
    kill -TERM "$1" 2>/dev/null || true
    for _ in $(seq 150); do
        [ -d "/proc/$1" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ] || break
        sleep 0.1
    done
    kill -KILL "$1" 2>/dev/null || true
    rm -f "$STATE/chaos-controller-manager.pid"
    return 0
}

chaos_mesh_start() {
    step "Chaos Mesh chaos-controller-manager, webhooks on https://127.0.0.1:$CLUSTER_CHAOS_WEBHOOK_PORT, namespace $CM_NS"
    chaos_mesh_build_wait
    cm_certs
    "${KUBECTL[@]}" get namespace "$CM_NS" >/dev/null 2>&1 ||
        "${KUBECTL[@]}" create namespace "$CM_NS" >/dev/null
    local pid
    if pid="$(pid_of chaos-controller-manager "$CM_MATCH")" && ! cm_restart_if_rebuilt "$pid"; then
        log "  already running (pid $pid)"
    else
        require_free_ports chaos-controller-manager "$CLUSTER_CHAOS_WEBHOOK_PORT" "$CLUSTER_CHAOS_METRICS_PORT"
        mkdir -p "$STATE/chaos-mesh-home"
        start_daemon chaos-controller-manager env -i PATH=/usr/bin:/bin HOME="$STATE/chaos-mesh-home" \
            ENABLE_LEADER_ELECTION=false \
            ENABLED_CONTROLLERS='*' ENABLED_WEBHOOKS='*' \
            WEBHOOK_HOST=127.0.0.1 WEBHOOK_PORT="$CLUSTER_CHAOS_WEBHOOK_PORT" CERTS_DIR="$CM_PKI" \
            METRICS_HOST=127.0.0.1 METRICS_PORT="$CLUSTER_CHAOS_METRICS_PORT" PPROF_ADDR=0 \
            CLUSTER_SCOPED=false TARGET_NAMESPACE="$CM_NS" NAMESPACE="$CM_NS" \
            SECURITY_MODE=false CHAOSD_SECURITY_MODE=false \
            CHAOS_DNS_SERVICE_NAME="$CHAOSRUNNER_CHAOS_MESH_DNS_SERVICE" \
            CHAOS_DNS_SERVICE_PORT="$CHAOSRUNNER_CHAOS_MESH_DNS_PORT" \
            "$BIN/chaos-controller-manager" --kubeconfig="$STATE/kubeconfig"
    fi
    wait_for chaos-controller-manager "$CM_MATCH" "chaos-controller-manager /metrics" cm_metrics_up
    wait_for chaos-controller-manager "$CM_MATCH" "its webhook server on :$CLUSTER_CHAOS_WEBHOOK_PORT" cm_webhook_tls
    cm_webhook_configs
    wait_for chaos-controller-manager "$CM_MATCH" "the API server to call the webhooks (dry-run PodChaos)" cm_admits
    done_step "chaos-controller-manager pid $(cat "$STATE/chaos-controller-manager.pid"), ${#CM_WEBHOOK_KINDS[@]} kinds x 2 webhooks"
}
