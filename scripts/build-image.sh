#!/usr/bin/env bash
# Builds zerocve's own container image with `zerocve build deploy/image.yaml` (needs root and mmdebstrap, as any
# `zerocve build`). First stages the runtime npm packages (`npm ci --omit=dev`) under .cache/image/stage, which the
# image.yaml copies in. Usage: scripts/build-image.sh [OUTPUT] [more zerocve build flags…]
#   OUTPUT defaults to oci-dir:.cache/image/layout:latest; e.g. `scripts/build-image.sh oci-dir:out:latest --push REF`
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-oci-dir:.cache/image/layout:latest}
shift || true
stage=.cache/image/stage
rm -rf "$stage"
mkdir -p "$stage"
cp package.json package-lock.json "$stage/"
(cd "$stage" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
exec npx zerocve build deploy/image.yaml -o "$out" "$@"
