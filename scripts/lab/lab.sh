#!/usr/bin/env bash
# npm run lab [-- --only NAME,NAME | --ci | --list | --cleanup | --out DIR | --verbose]
# Builds every scenario's cluster from network namespaces, breaks it, records tcpdump at every
# interface of the path and rewrites sample-captures/. Needs root, iproute2, iptables, tcpdump,
# ping (iputils) and python3 (the user-space forwarders and test clients); installs the Debian
# packages when they are missing. fragments-dropped also needs nft (nftables).
set -euo pipefail
cd "$(dirname "$0")/../.."

die() { echo "lab: $*" >&2; exit 1; }

case " $* " in
  *" --list "*|*" --help "*|*" -h "*) exec node --import tsx scripts/lab/run.ts "$@" ;;
esac

[ "$(id -u)" = 0 ] || die "needs root (network namespaces, veth/vxlan/TUN devices, iptables, tcpdump). Run: sudo npm run lab"

# command → Debian package
declare -A PKG=([ip]=iproute2 [bridge]=iproute2 [iptables]=iptables [tcpdump]=tcpdump [ping]=iputils-ping [python3]=python3)
missing=()
for cmd in ip bridge iptables tcpdump ping python3; do
  command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || missing+=("${PKG[$cmd]}")
done
if [ "${#missing[@]}" -gt 0 ]; then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  if command -v apt-get >/dev/null 2>&1; then
    echo "lab: installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update </dev/null >/dev/null \
      && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" </dev/null >/dev/null \
      || die "could not install ${missing[*]}; install them and rerun"
  else
    die "missing ${missing[*]} (Debian package names); install them and rerun"
  fi
fi
[ -c /dev/net/tun ] || die "missing /dev/net/tun (flannel0 and tunl0 are TUN devices): modprobe tun"
ip netns list >/dev/null 2>&1 || die "ip netns does not work here (no network namespace support?)"
export PATH="$PATH:/usr/sbin:/sbin"

exec node --import tsx scripts/lab/run.ts "$@"
