#!/usr/bin/env bash
# Installs everything ethovid needs on Debian 12: Debian packages through apt-get, and DuckDB's
# library and header from the npm registry (unpacked into third_party/, checked against pinned
# sha256 sums), including the face models of faceplugin-face-recognition-js and playwright-core,
# the client that drives Debian's Chromium in the focus UI's browser test. Idempotent, and
# silent when nothing is missing.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
third_party="$root/third_party"

debian_packages=(
  build-essential cmake pkg-config
  libopencv-dev libeigen3-dev libhdf5-dev libmatio-dev
  libcli11-dev nlohmann-json3-dev libyaml-cpp-dev libspdlog-dev libcpp-httplib-dev
  libgtest-dev libbenchmark-dev
  libssl-dev python3-scipy libfaiss-dev
  ffmpeg python3-numpy python3-h5py
  chromium
)

missing=()
for pkg in "${debian_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup-deps: installing Debian packages: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

# name@version | sha256 of the npm tarball | file or folder (ending in /) inside the tarball |
# where it goes
npm_parts=(
  "@duckdb/node-bindings-linux-x64@1.4.4-r.4|732fac4dc6b8f198870b9c4bb6ddf13544466daca00ad28ba2f1d80de5d7aa4b|package/libduckdb.so|duckdb/lib/libduckdb.so"
  "duckdb@1.4.4|5bb967dcbcd517670ba5f169f238fb9d6787e53752c60ebe24386169d76941ed|package/src/duckdb/src/include/duckdb.h|duckdb/include/duckdb.h"
  "faceplugin-face-recognition-js@0.0.1|7ea06031d9a3f83753254fcff60506a07b81b46fc84d4ee024cd041f260ec1ba|package/model/|faceplugin/model"
  # No dependencies of its own; it drives /usr/bin/chromium, so no browser download.
  "playwright-core@1.65.2|7430e43aaff66666975cef27e2268c670d79ad35da50215e654d9cb7be53643e|package/|playwright-core"
)

for part in "${npm_parts[@]}"; do
  IFS='|' read -r spec sum inner dest <<<"$part"
  stamp="$third_party/$dest.sha256"
  if [ -e "$third_party/$dest" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$sum" ]; then
    continue
  fi
  echo "setup-deps: fetching $spec from the npm registry"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent "$spec" >/dev/null 2>&1)
  tarball="$(ls "$work"/*.tgz)"
  actual="$(sha256sum "$tarball" | cut -d' ' -f1)"
  if [ "$actual" != "$sum" ]; then
    echo "setup-deps: $spec has sha256 $actual, expected $sum" >&2
    exit 1
  fi
  tar -xzf "$tarball" -C "$work" "$inner"
  mkdir -p "$(dirname "$third_party/$dest")"
  rm -rf "${third_party:?}/$dest"
  mv "$work/${inner%/}" "$third_party/$dest"
  echo "$sum" >"$stamp"
  rm -rf "$work"
  trap - EXIT
done
