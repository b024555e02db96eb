#!/usr/bin/env bash
# Builds the lane's Debian package and its container image from the build:
#   build/packages/checkout-edge_<version>_<arch>.deb   (CPack, dpkg-shlibdeps)
#   localhost/checkout-edge:<version>                   (podman, from that .deb)
# The image's base is Debian's own packages: mmdebstrap --variant=minbase,
# imported once as localhost/debian:bookworm-minbase. scripts/test.sh runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="$(realpath "${BUILD_DIR:-build}")"
version="$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build_dir/CMakeCache.txt")"
[ -n "$version" ] || { echo "package: no build in $build_dir; run scripts/build.sh" >&2; exit 1; }

rm -rf "$build_dir/packages"
(cd "$build_dir" && cpack -G DEB -B "$build_dir/packages" >/dev/null)
rm -rf "$build_dir/packages/_CPack_Packages"
deb="$(ls "$build_dir"/packages/checkout-edge_*.deb)"
echo "package: $deb ($(du -h "$deb" | cut -f1))"

# Podman's defaults fail on machines like these; a store's own is used as it is.
export CONTAINERS_CONF="${CONTAINERS_CONF:-$PWD/packaging/containers.conf}"
base=localhost/debian:bookworm-minbase
if ! podman image exists "$base"; then
  rootfs="$(mktemp -d)/rootfs.tar"
  mmdebstrap --quiet --variant=minbase bookworm "$rootfs"
  podman import --quiet "$rootfs" "$base" >/dev/null
  rm -rf "$(dirname "$rootfs")"
fi
# The host's package cache, when it has the .debs, saves downloading them again.
cache=()
[ -d /var/cache/apt/archives ] && [ -w /var/cache/apt/archives ] &&
  cache=(--volume /var/cache/apt/archives:/var/cache/apt/archives)
podman build --quiet "${cache[@]}" -t "localhost/checkout-edge:$version" \
  -f packaging/Containerfile "$build_dir/packages" >/dev/null
echo "package: image localhost/checkout-edge:$version" \
  "($(podman image inspect --format '{{.Size}}' "localhost/checkout-edge:$version" |
    awk '{printf "%.0f MB", $1 / 1e6}'))"
