#!/usr/bin/env bash
# The octopus detector, end to end: one PyTorch workload in three images.
#
#   minimal       zerocve build image.yaml        Debian's PyTorch only, prod variant (no shell), non-root
#   kitchen-sink  zerocve build kitchen-sink.yaml  the same PyTorch plus pip, compilers, git, curl, ssh, vim (root)
#   slim          zerocve slim kitchen-sink         what the training run touched, verified by running it again
#   minimal-slim  zerocve slim minimal              both: the minimal image cut down by the same workload
#
# Each image trains the CNN on freshly drawn pictures and classifies a separately drawn test set (octopus.py
# selftest: exit 1 below 90 % accuracy); then `zerocve compare` puts the kitchen sink beside the other two.
#
# usage: sudo examples/octopus-detector/demo.sh            (any working directory; needs root, mmdebstrap, strace)
#   OUT=DIR       where everything goes (default examples/octopus-detector/out, gitignored)
#   ZEROCVE_DB=F  vulnerability database for the CVE rows of compare (default ~/.cache/zerocve/db/zerocve.db when
#                 present; without one, compare runs with --allow-no-db and shows no CVE counts)
#   SELFTEST="…"  arguments of the workload (default: selftest, i.e. 300 pictures per class, 2 epochs)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
OUT=${OUT:-$HERE/out}
SELFTEST=${SELFTEST:-selftest}
NODE=$REPO/node_modules/.bin/node   # the project pins Node 24 (the CLI needs it); `npm ci` puts it here

die() { echo "demo: $*" >&2; exit 2; }
[[ $(id -u) == 0 ]] || die "needs root (mmdebstrap, mount namespaces, chroot); run it with sudo"
for t in mmdebstrap umoci unshare strace jq; do command -v "$t" >/dev/null || die "needs $t (apt-get install -y $t)"; done
[[ -x $NODE ]] || die "no $NODE: run 'npm ci' in $REPO first"

zerocve() { "$NODE" --max-semi-space-size=16 "$REPO/bin/zerocve.js" "$@"; }

mkdir -p "$OUT"
TIMES=$OUT/timings.tsv
: >"$TIMES"
# step NAME CMD…: run CMD, log its output under $OUT/NAME.log (and to the terminal), record its wall time
step() {
  local name=$1; shift
  echo; echo "=== $name: $*"
  local t0=$SECONDS rc
  set +e; "$@" 2>&1 | tee "$OUT/$name.log"; rc=${PIPESTATUS[0]}; set -e
  printf '%s\t%d\n' "$name" $((SECONDS - t0)) >>"$TIMES"
  echo "--- $name: $((SECONDS - t0)) s (exit $rc)"
  return "$rc"
}

# The image config of oci-dir LAYOUT (tag latest), as JSON.
image_config() {
  local layout=$1 manifest
  manifest=$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == "latest") | .digest' "$layout/index.json" | head -1)
  [[ -n $manifest ]] || die "$layout: no image tagged latest"
  jq -r '.config.digest' "$layout/blobs/sha256/${manifest#sha256:}" | { read -r cfg; jq '.config' "$layout/blobs/sha256/${cfg#sha256:}"; }
}

# run_image LAYOUT ROOTFS [ARG…]: run the image's entrypoint+cmd (or entrypoint+ARGs) in its unpacked root the way
# a container runtime would: its user, env and working directory; new mount, pid and network namespaces; /proc,
# /dev, read-only /sys and a tmpfs /tmp; then chroot (as src/runtime/sandbox.ts does, plus the user switch).
run_image() {
  local layout=$1 root=$2; shift 2
  local cfg user uid gid wd
  cfg=$(image_config "$layout")
  user=$(jq -r '.User // "0"' <<<"$cfg"); uid=${user%%:*}
  if [[ ! $uid =~ ^[0-9]+$ ]]; then uid=$(awk -F: -v u="$uid" '$1 == u { print $3 }' "$root/etc/passwd"); fi
  gid=${user#*:}; [[ $gid != "$user" ]] || gid=$(awk -F: -v u="$uid" '$3 == u { print $4 }' "$root/etc/passwd")
  [[ -n $uid && -n $gid ]] || die "$layout: cannot resolve user '$user' in $root/etc/passwd"
  wd=$(jq -r '.WorkingDir // "/"' <<<"$cfg"); [[ -n $wd ]] || wd=/
  local -a env argv
  mapfile -t env < <(jq -r '.Env // [] | .[]' <<<"$cfg")
  mapfile -t argv < <(jq -r '.Entrypoint // [] | .[]' <<<"$cfg")
  if (($#)); then argv+=("$@"); else mapfile -t -O "${#argv[@]}" argv < <(jq -r '.Cmd // [] | .[]' <<<"$cfg"); fi
  ((${#argv[@]})) || die "$layout: no entrypoint or cmd"
  mkdir -p "$root/proc" "$root/sys" "$root/dev" "$root/tmp"
  echo "(as uid $uid gid $gid in $wd: ${argv[*]})"
  unshare --mount --pid --fork --net --propagation private sh -c '
    set -e; R=$1; shift
    mount -t proc proc "$R/proc"
    mount --rbind /sys "$R/sys"; mount -o remount,bind,ro "$R/sys" 2>/dev/null || true
    mount --rbind /dev "$R/dev"
    mount -t tmpfs -o mode=1777 tmpfs "$R/tmp"
    exec env -i "$@"' demo-run "$root" "${env[@]}" \
    unshare --root="$root" --wd="$wd" --setgid="$gid" --setuid="$uid" "${argv[@]}"
}

bytes_of() { du -sb --apparent-size "$1" | cut -f1; }
mib() { awk -v b="$1" 'BEGIN { printf "%.0f MiB", b / 1048576 }'; }
accuracy() { grep -o 'selftest [a-zA-Z]*: accuracy [0-9.]*' "$1" | tail -1; }

DB_FLAGS=(--allow-no-db) SLIM_DB=()
DB=${ZEROCVE_DB:-$HOME/.cache/zerocve/db/zerocve.db}
if [[ -f $DB ]]; then DB_FLAGS=(--db "$DB"); SLIM_DB=(--db "$DB"); fi

START=$SECONDS
rm -rf "$OUT/minimal" "$OUT/kitchen-sink" "$OUT/slim" "$OUT/minimal-slim"
step build-minimal zerocve build "$HERE/image.yaml" -o "oci-dir:$OUT/minimal:latest" --keep-rootfs "$OUT/minimal-root"
step build-kitchen-sink zerocve build "$HERE/kitchen-sink.yaml" -o "oci-dir:$OUT/kitchen-sink:latest" --keep-rootfs "$OUT/kitchen-sink-root"

# shellcheck disable=SC2086  # SELFTEST is a word list on purpose
step run-minimal run_image "$OUT/minimal" "$OUT/minimal-root" $SELFTEST
# shellcheck disable=SC2086
step run-kitchen-sink run_image "$OUT/kitchen-sink" "$OUT/kitchen-sink-root" python3 /app/octopus.py $SELFTEST

# --verify-output: the slim image must print exactly what the original printed (same losses, same counts)
step slim zerocve slim "oci-dir:$OUT/kitchen-sink:latest" --run "python3 /app/octopus.py $SELFTEST" --verify-output \
  -o "oci-dir:$OUT/slim:latest" "${SLIM_DB[@]}"
# the two together: the minimal image, slimmed by the same workload
step slim-minimal zerocve slim "oci-dir:$OUT/minimal:latest" --run "python3 /app/octopus.py $SELFTEST" --verify-output \
  -o "oci-dir:$OUT/minimal-slim:latest" "${SLIM_DB[@]}"

for b in minimal slim minimal-slim; do
  step "compare-$b" zerocve compare "oci-dir:$OUT/kitchen-sink:latest" "oci-dir:$OUT/$b:latest" "${DB_FLAGS[@]}" -q --cache-dir "$OUT/cache"
  zerocve compare "oci-dir:$OUT/kitchen-sink:latest" "oci-dir:$OUT/$b:latest" "${DB_FLAGS[@]}" -q --cache-dir "$OUT/cache" -f json --output "$OUT/compare-$b.json"
  zerocve compare "oci-dir:$OUT/kitchen-sink:latest" "oci-dir:$OUT/$b:latest" "${DB_FLAGS[@]}" -q --cache-dir "$OUT/cache" -f markdown --output "$OUT/compare-$b.md"
done

{
  echo "image         layout (compressed)   unpacked root   workload"
  for i in kitchen-sink minimal slim minimal-slim; do
    root="$OUT/$i-root"; unpacked=-
    [[ -d $root ]] && unpacked=$(mib "$(bytes_of "$root")")
    case $i in *slim) acc="verified by zerocve slim (re-run in a fresh extraction)";; *) acc=$(accuracy "$OUT/run-$i.log");; esac
    printf '%-13s %-21s %-15s %s\n' "$i" "$(mib "$(bytes_of "$OUT/$i")")" "$unpacked" "$acc"
  done
  echo
  echo "step timings (s):"; column -t "$TIMES" | sed 's/^/  /'
  echo "total: $((SECONDS - START)) s"
} | tee "$OUT/summary.txt"
