#!/usr/bin/env bash
# Runs Starling's whole test suite on a fresh machine: installs what it needs, builds from scratch with warnings as
# errors, then runs the unit and integration tests (integration tests start real daemons; as root they also use
# network namespaces). Usage: scripts/test.sh   (as root)
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n==> %s\n' "$*"; }

if [ "$(id -u)" = 0 ]; then
  log "installing Debian packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq libsqlite3-dev iproute2 procps psmisc python3-pip docker-registry skopeo busybox-static runc >/dev/null
fi
if ! python3 -c 'import docker' 2>/dev/null; then
  log "installing the python docker SDK"
  pip install -q 'docker>=7,<8'
fi

log "checking the formatting (swift format, .swift-format)"
swift format lint --strict -r Sources Tests

log "building (warnings are errors)"
export STARLING_WERROR=1
swift build --build-tests 2>&1 | tail -n 20

log "running the unit tests (in parallel)"
set +e
swift test --skip-build --skip IntegrationTests 2>&1 | tee .build/unit-output.txt | grep -vE '^(◇|↳|✔ Test .*passed)'
unit=${PIPESTATUS[0]}

log "running the integration tests (real daemons, one test at a time)"
swift test --skip-build --filter IntegrationTests --no-parallel 2>&1 | tee .build/integration-output.txt \
  | grep -vE '^(◇|↳|✔ Test .*passed)'
integration=${PIPESTATUS[0]}
set -e

grep -hE '^(✔|✘) Test run' .build/unit-output.txt .build/integration-output.txt
if [ "$unit" -ne 0 ] || [ "$integration" -ne 0 ]; then
  echo "FAILED: unit tests exit $unit, integration tests exit $integration"
  exit 1
fi
