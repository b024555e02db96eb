#!/usr/bin/env bash
# The packaged service under a real systemd (PID 1 of a container): the
# postinst enables and starts it; with the store's deployment in
# /etc/checkout-edge it rings items up as user checkout-edge under its
# hardening; killed, systemd restarts it and the basket is still there;
# `apt-get purge` stops and removes it.
#   service_test.sh BUILD_DIR SHARED_DIR
set -euo pipefail
build="$1" shared="$2"
here="$(cd "$(dirname "$0")" && pwd)"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$here/../../packaging/containers.conf}"
source "$here/../expect.sh"
deb="$(basename "$(ls "$build"/packages/checkout-edge_*.deb)")"
cache=()
[ -w /var/cache/apt/archives ] && cache=(--volume /var/cache/apt/archives:/var/cache/apt/archives)
base=localhost/debian:bookworm-minbase-systemd
if ! podman image exists "$base"; then
  printf 'FROM localhost/debian:bookworm-minbase\nRUN apt-get update && apt-get install -y --no-install-recommends systemd systemd-sysv && rm -rf /var/lib/apt/lists/*\n' |
    podman build --quiet "${cache[@]}" -t "$base" -f - "$build/packages" >/dev/null
fi
name="checkout-edge-service-test-$$"
podman run -d --name "$name" --systemd=always "${cache[@]}" \
  --volume "$build/packages:/packages:ro" --volume "$shared:/shared:ro" "$base" /lib/systemd/systemd >/dev/null
trap 'podman rm -f -t 0 "$name" >/dev/null 2>&1 || true' EXIT
on() { podman exec "$name" "$@"; }
for _ in $(seq 50); do on systemctl is-system-running >/dev/null 2>&1 && break
  [ "$(on systemctl is-system-running 2>/dev/null)" = degraded ] && break; sleep 0.2; done

on apt-get update -qq
on sh -c "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends /packages/$deb >/tmp/install.log 2>&1" ||
  { on cat /tmp/install.log; exit 1; }
expect "the package enabled the service" on systemctl is-enabled --quiet checkout-edge
expect "and started it" on systemctl is-active --quiet checkout-edge

# The store's deployment: the examples' demo lane, its photos from /shared.
on sh -c 'cp /usr/share/checkout-edge/examples/*.json /etc/checkout-edge/ &&
  mkdir -p /etc/systemd/system/checkout-edge.service.d &&
  printf "[Service]\nEnvironment=CHECKOUT_EDGE_SHARED=/shared\n" >/etc/systemd/system/checkout-edge.service.d/shared.conf &&
  systemctl daemon-reload && systemctl restart checkout-edge'
lines=0
basket() { on runuser -u checkout-edge -- checkout-edge call checkout basket '{}' 2>/dev/null || true; }
for _ in $(seq 1 90); do
  lines="$(basket | grep -o '"line":' | wc -l || true)"
  [ "$lines" -ge 2 ] && break
  sleep 1
done
expect "the service rings items up (basket: $lines lines)" [ "$lines" -ge 2 ]
pid="$(on systemctl show -p MainPID --value checkout-edge)"
expect "it runs as checkout-edge" on sh -c "grep -q \"^Uid:.*\$(id -u checkout-edge)\" /proc/$pid/status"
expect "with no new privileges" on sh -c "grep -q '^NoNewPrivs:.*1' /proc/$pid/status"
expect "and no capabilities" on sh -c "grep -q '^CapBnd:.*0000000000000000' /proc/$pid/status"
expect "state in /var/lib/checkout-edge, 0700" on sh -c \
  "[ \"\$(stat -c '%U %a' /var/lib/checkout-edge)\" = 'checkout-edge 700' ]"

# kill -9: systemd restarts it, and the lines are where they were.
before="$lines"
on systemctl kill -s KILL checkout-edge
for _ in $(seq 1 60); do
  [ "$(on systemctl show -p NRestarts --value checkout-edge)" -ge 1 ] &&
    on systemctl is-active --quiet checkout-edge && break
  sleep 1
done
expect "killed, systemd restarted it (Restart=on-failure)" \
  [ "$(on systemctl show -p NRestarts --value checkout-edge)" -ge 1 ]
for _ in $(seq 1 60); do
  lines="$(basket | grep -o '"line":' | wc -l || true)"
  [ "$lines" -ge "$before" ] && break
  sleep 1
done
expect "no basket line lost across the kill ($before before, $lines after)" [ "$lines" -ge "$before" ]

on sh -c "DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq checkout-edge >/dev/null 2>&1"
expect "purge stopped the service and took its unit" on sh -c \
  '! systemctl is-active --quiet checkout-edge && ! [ -e /lib/systemd/system/checkout-edge.service ]'
expect "and the lane's state; only the store's own file stays in /etc" on sh -c \
  '! [ -e /var/lib/checkout-edge ] && [ "$(ls /etc/checkout-edge)" = demo-scenario.json ]'
[ "$failures" -eq 0 ] || on journalctl -u checkout-edge --no-pager -n 40 || true
finish
