#!/usr/bin/env bash
# A real dumpcap capture whose pcapng carries Interface Statistics Blocks (isb_starttime,
# isb_endtime): two network namespaces joined by a veth, dumpcap on one end for about five
# seconds, three pings in its first half, a silent tail. Beside the capture, the wall-clock
# times around it (measured here, not by Hopscope): when dumpcap was launched, when the pings
# ended, when it was told to stop and when it had exited.
#   sudo bash scripts/lab/dumpcap-window.sh lib/capture/testdata/dumpcap-window
set -euo pipefail
out="${1:?usage: dumpcap-window.sh OUT_PREFIX}"
command -v dumpcap >/dev/null || { echo "dumpcap is missing (apt-get install tshark)" >&2; exit 1; }
a=hsisb-a; b=hsisb-b
cleanup() { ip netns delete "$a" 2>/dev/null || true; ip netns delete "$b" 2>/dev/null || true; }
trap cleanup EXIT
cleanup
ip netns add "$a"; ip netns add "$b"
ip link add veth-isb-a netns "$a" type veth peer name veth-isb-b netns "$b"
ip -n "$a" addr add 10.99.0.1/24 dev veth-isb-a; ip -n "$a" link set veth-isb-a up; ip -n "$a" link set lo up
ip -n "$b" addr add 10.99.0.2/24 dev veth-isb-b; ip -n "$b" link set veth-isb-b up; ip -n "$b" link set lo up
now() { date +%s.%N; }
rm -f "$out.pcapng"
launched=$(now)
ip netns exec "$a" dumpcap -q -i veth-isb-a -w "$out.pcapng" 2>/dev/null &
pid=$!
sleep 1.5
ip netns exec "$a" ping -c 3 -i 0.2 -q 10.99.0.2 >/dev/null
pings_done=$(now)
sleep 2.5
stop=$(now)
kill -INT "$pid"
wait "$pid" || true
exited=$(now)
chmod 644 "$out.pcapng"
printf '{\n  "tool": "dumpcap %s",\n  "launched": "%s",\n  "pingsDone": "%s",\n  "stopSignalled": "%s",\n  "exited": "%s"\n}\n' \
  "$(dumpcap --version 2>/dev/null | head -1 | sed 's/^Dumpcap (Wireshark) //; s/ .*//')" "$launched" "$pings_done" "$stop" "$exited" > "$out.json"
echo "wrote $out.pcapng and $out.json"
