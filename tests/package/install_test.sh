#!/usr/bin/env bash
# The lane's .deb on a fresh Debian 12 machine (a container of the minbase
# image scripts/package.sh made): apt-get install, the service's unit
# verified, `checkout-edge check`, a lane run from the installed files,
# an upgrade that keeps the store's edits, then remove and purge.
#   install_test.sh BUILD_DIR SHARED_DIR
set -euo pipefail
build="$1" shared="$2"
here="$(cd "$(dirname "$0")" && pwd)"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$here/../../packaging/containers.conf}"
deb="$(basename "$(ls "$build"/packages/checkout-edge_*.deb)")"
version="$(dpkg-deb -f "$build/packages/$deb" Version)"
name="checkout-edge-install-test-$$"
cache=()
[ -w /var/cache/apt/archives ] && cache=(--volume /var/cache/apt/archives:/var/cache/apt/archives)
podman run -d --name "$name" "${cache[@]}" --volume "$build/packages:/packages:ro" \
  --volume "$shared:/shared:ro" localhost/debian:bookworm-minbase sleep 900 >/dev/null
trap 'podman rm -f -t 0 "$name" >/dev/null 2>&1 || true' EXIT
on() { podman exec "$name" "$@"; }
as_lane() { podman exec --user checkout-edge --env CHECKOUT_EDGE_SHARED=/shared "$name" "$@"; }
source "$here/../expect.sh"

on apt-get update -qq
on sh -c "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends /packages/$deb >/tmp/install.log 2>&1" ||
  { on cat /tmp/install.log; exit 1; }
expect "installed" on sh -c "dpkg-query -W -f='\${Status}' checkout-edge | grep -q 'install ok installed'"
expect "the CLI is on PATH, at its version" on sh -c "checkout-edge --version | grep -q '$version'"
expect "a system user in the devices' groups" on sh -c \
  "id -nG checkout-edge | tr ' ' '\n' | sort | tr '\n' ' ' | grep -q 'audio checkout-edge dialout input video'"
expect "the user cannot log in" on sh -c "getent passwd checkout-edge | grep -q ':/usr/sbin/nologin$'"
expect "state under /var/lib, the lane's alone" on sh -c \
  "[ \"\$(stat -c '%U %a' /var/lib/checkout-edge)\" = 'checkout-edge 700' ]"
expect "deployment and catalogue are conffiles" on sh -c \
  "dpkg-query -W -f='\${Conffiles}' checkout-edge | grep -q /etc/checkout-edge/deployment.json &&
   dpkg-query -W -f='\${Conffiles}' checkout-edge | grep -q /etc/checkout-edge/catalogue.json"
expect "udev rules for scales and keypads" on grep -q 'checkout-edge/scale' /lib/udev/rules.d/60-checkout-edge.rules

# The unit, as systemd reads it (its binary and user must exist).
on sh -c "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends systemd >/dev/null 2>&1"
expect "systemd-analyze verify passes" on systemd-analyze verify /lib/systemd/system/checkout-edge.service
unit=/lib/systemd/system/checkout-edge.service
for key in Restart=on-failure NoNewPrivileges=yes ProtectSystem=strict PrivateTmp=yes User=checkout-edge; do
  expect "the unit says $key" on grep -q "^$key\$" "$unit"
done

# `check` on the default deployment names what this machine lacks, with the fix.
check="$(as_lane checkout-edge check --manifest /etc/checkout-edge/deployment.json --verbose 2>&1 || true)"
expect "check reads the installed deployment" grep -q 'ok  *manifest  *.*8 modules' <<<"$check"
expect "check names the missing camera and its fix" grep -q 'error  *camera source  */dev/video0 is not there' <<<"$check"
expect "check looks in the service's state folder" grep -q '/var/lib/checkout-edge' <<<"$check"

# A lane from the installed files: the examples' deployment on the shared photos.
podman exec -d --user checkout-edge --env CHECKOUT_EDGE_SHARED=/shared "$name" \
  sh -c 'echo $$ >/tmp/lane.pid; exec checkout-edge run --manifest /usr/share/checkout-edge/examples/deployment.json >/tmp/lane.log 2>&1' >/dev/null
lines=0
for _ in $(seq 1 90); do
  basket="$(as_lane checkout-edge call checkout basket '{}' 2>/dev/null || true)"
  lines="$(grep -o '"line":' <<<"$basket" | wc -l || true)"
  [ "$lines" -ge 2 ] && break
  sleep 1
done
expect "the installed lane rings items up (basket: $lines lines)" [ "$lines" -ge 2 ]
expect "list, as staff runs it, sees the service's modules" sh -c \
  "podman exec --user checkout-edge $name checkout-edge list | grep -q 'checkout  *running'"
[ "$failures" -eq 0 ] || { on tail -30 /tmp/lane.log; on sh -c 'tail -5 /var/lib/checkout-edge/logs/*.log'; }
on sh -c 'kill -TERM "$(cat /tmp/lane.pid)"; while kill -0 "$(cat /tmp/lane.pid)" 2>/dev/null; do sleep 0.2; done'
expect "the lane stopped and journalled on SIGTERM" on test -s /var/lib/checkout-edge/data/checkout/journal.db

# An upgrade (here: the same package again) keeps the store's edits.
on sed -i 's/"pricePerKg": 299/"pricePerKg": 349/' /etc/checkout-edge/catalogue.json
on sh -c "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --reinstall /packages/$deb >/dev/null 2>&1"
expect "the store's catalogue edit survives the upgrade" on grep -q '"pricePerKg": 349' /etc/checkout-edge/catalogue.json

files="$(on dpkg-query -L checkout-edge | sort)"
on sh -c "DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq checkout-edge >/dev/null 2>&1"
expect "remove takes the program" on sh -c '! [ -e /usr/bin/checkout-edge ]'
expect "remove keeps the store's files and the lane's state" on sh -c \
  '[ -f /etc/checkout-edge/catalogue.json ] && [ -d /var/lib/checkout-edge ]'
on sh -c "DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq checkout-edge >/dev/null 2>&1"
expect "purge leaves no trace in dpkg" on sh -c '! dpkg-query -W checkout-edge >/dev/null 2>&1'
expect "purge takes /etc/checkout-edge and /var/lib/checkout-edge" on sh -c \
  '! [ -e /etc/checkout-edge ] && ! [ -e /var/lib/checkout-edge ]'
left=""
while read -r f; do
  [ -n "$f" ] && [ ! -d "$f" ] && on test -e "$f" && left="$left $f"
done <<<"$(grep -v '^/\.$' <<<"$files")"
expect "none of the package's files remain${left:+ (left:$left)}" [ -z "$left" ]
expect "the system user stays, as Debian's policy asks" on sh -c 'getent passwd checkout-edge >/dev/null'

finish
