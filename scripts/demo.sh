#!/usr/bin/env bash
# `make demo`: bring the embedded lab up and run the redis-timeout game day against it.
# The lab and Python environment are set up by the Makefile before this runs.
# LAB_PORT_BASE=N puts the lab on ports N..N+5 instead of the defaults; the run finds it there.
set -euo pipefail
cd "$(dirname "$0")/.."
CR=.venv/bin/chaosrunner
PROFILE="${PROFILE:-default}"

$CR lab up --profile "$PROFILE" ${LAB_PORT_BASE:+--port-base "$LAB_PORT_BASE"}
echo
echo "Running the game day: chaosrunner run experiments/redis-timeout.yaml"
set +e
$CR run experiments/redis-timeout.yaml --output-dir "chaosrunner-runs/demo-$PROFILE"
code=$?
set -e
echo
case "$code" in
  0) echo "PASSED (exit 0): the demo rode out 500 ms of Redis latency." ;;
  1) echo "FAILED (exit 1): expected with the '$PROFILE' profile. Read the resilience gaps in"
     echo "  chaosrunner-runs/demo-$PROFILE/summary.md, then try the resilient demo:"
     echo "  make demo PROFILE=resilient" ;;
  *) echo "The run ended with exit code $code; see chaosrunner-runs/demo-$PROFILE/summary.md." ;;
esac
echo "The lab is still up (chaosrunner lab status); stop it with: chaosrunner lab down"
# A FAILED verdict is the demo's expected outcome, not a broken set-up.
[[ $code -le 1 ]]
