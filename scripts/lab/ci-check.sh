#!/usr/bin/env bash
# CI: rerun the lab's short set (a healthy cluster and one fault per CNI) into a temporary
# directory and check the fresh captures tell the same story as sample-captures/. Skips, and says
# so, when it cannot build namespaces (not root, no `ip netns`). About a minute.
set -uo pipefail
cd "$(dirname "$0")/../.."

skip() { echo "skipped the lab: $*"; exit 0; }

[ "$(id -u)" = 0 ] || skip "not running as root"
command -v ip >/dev/null 2>&1 || [ -x /usr/sbin/ip ] || skip "no ip command (iproute2)"
export PATH="$PATH:/usr/sbin:/sbin"
probe="hslab-probe-$$"
ip netns add "$probe" >/dev/null 2>&1 || skip "ip netns add does not work here (no CAP_SYS_ADMIN or no namespace support)"
ip netns delete "$probe"

NAMES=$(npx tsx scripts/lab/run.ts --list 2>/dev/null | awk '$2 == "ci" { print $1 }' | paste -sd, -)
[ -n "$NAMES" ] || { echo "lab: no CI scenarios found" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "lab: rerunning ${NAMES//,/ }"
if ! timeout 240 bash scripts/lab/lab.sh --only "$NAMES" --out "$tmp"; then
  echo "lab: the rerun failed" >&2
  exit 1
fi
npx tsx scripts/lab/compare.ts sample-captures "$tmp" ${NAMES//,/ }
