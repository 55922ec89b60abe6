#!/usr/bin/env bash
# Install the Debian packages the integration / cluster / e2e tests need:
#   prometheus     real Prometheus server (tests run their own instance on a free loopback port)
#   redis-server   real backing service for lab experiments
#   etcd-server    real etcd (cluster tests)
#   stress-ng      CPU / memory stressor used as a fault injector
#   iproute2       `ip netns` for the network-namespace test hosts of the pod-proxy tests
#   chromium       headless browser that opens report.html from disk (tests/integration)
#
# Idempotent: does nothing (no apt-get update) when everything is already installed.
# Must run as root on Debian 12 (or derivative). Tests never use the system services these
# packages ship: they start their own processes on their own 127.0.0.1 ports. To keep a
# fresh machine clean, this script prevents postinst scripts from starting daemons
# (temporary /usr/sbin/policy-rc.d) unless one already exists.
set -euo pipefail

PACKAGES=(prometheus redis-server etcd-server stress-ng iproute2 chromium)
# binary each package must provide, same order as PACKAGES
BINARIES=(prometheus redis-server etcd stress-ng ip chromium)

log() { printf '[install-system-deps] %s\n' "$*"; }

is_installed() {
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" = "installed" ]
}

missing=()
for pkg in "${PACKAGES[@]}"; do
    if is_installed "$pkg"; then
        log "already installed: $pkg"
    else
        missing+=("$pkg")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    log "nothing to install"
else
    if [ "$(id -u)" -ne 0 ]; then
        log "ERROR: must run as root to install: ${missing[*]}" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive

    created_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\n# temporary, created by install-system-deps.sh\nexit 101\n' \
            > /usr/sbin/policy-rc.d
        chmod 0755 /usr/sbin/policy-rc.d
        created_policy=1
        log "temporarily disabled service start-up during install (policy-rc.d)"
    fi
    cleanup() {
        if [ "$created_policy" -eq 1 ]; then
            rm -f /usr/sbin/policy-rc.d
        fi
    }
    trap cleanup EXIT

    log "apt-get update"
    apt-get update -qq
    log "installing: ${missing[*]}"
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    log "installed: ${missing[*]}"
fi

# Verify the binaries the tests call are on PATH.
status=0
for i in "${!PACKAGES[@]}"; do
    bin="${BINARIES[$i]}"
    if path="$(command -v "$bin")"; then
        log "ok: $bin -> $path"
    else
        log "ERROR: $bin not found on PATH after installing ${PACKAGES[$i]}" >&2
        status=1
    fi
done
exit "$status"
