#!/usr/bin/env bash
# Builds starling and starling-bench in release mode, then runs `starling-bench services` with the arguments given
# (e.g. --quick, --runs 3, --interval 20). Figures go to standard output; build output and progress to standard error.
set -euo pipefail
cd "$(dirname "$0")/.."
for product in starling starling-bench; do swift build -c release --product "$product" >&2; done
exec .build/release/starling-bench services "$@"
