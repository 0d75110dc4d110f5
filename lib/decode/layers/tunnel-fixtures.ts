/**
 * Packets of the tunnels decoded in this folder, as hex literals laid out like their diagrams,
 * each with its layer stack: the fixtures of their tests (nsh, erspan, fou, gue, vxlan) and
 * seeds for fuzzing them. Checksums are real, so the byte recognisers accept them; tshark 4.0
 * reads them as the tests record.
 */

// NSH (RFC 8300): in VXLAN-GPE and on Ethernet.

// Ethernet[IPv4[UDP 4790[VXLAN-GPE next NSH[NSH MD type 1 next IPv4[IPv4[ICMP]]]]]]
export const GPE_NSH_MD1 = `
  020000000002 020000000001 0800                            # Ethernet
  4500005c 00010000 4011f93c c0a80001 c0a80002              # IPv4 192.168.0.1 > 192.168.0.2, UDP
  9c40 12b6 0048 0000                                       # UDP 40000 > 4790, length 72
  0c 0000 04 000001 00                                      # VXLAN-GPE I+P, next 4 (NSH), VNI 1
  0fc6 01 01 00002a ff 11111111 22222222 33333333 44444444  # NSH TTL 63, length 6, MD type 1, next IPv4; SPI 42, SI 255; context
  45000020 00014000 400121f0 0af40102 0af40203              # inner IPv4 10.244.1.2 > 10.244.2.3
  0800 2104 1234 0001 61626364                              # ICMP echo request id 0x1234 seq 1
`;

// Ethernet[IPv4[UDP 4790[VXLAN-GPE[NSH MD type 2, two TLVs, next Ethernet[Ethernet[IPv4[ICMP]]]]]]]
export const GPE_NSH_MD2 = `
  020000000002 020000000001 0800                               # Ethernet
  4500006a 00010000 4011f92e c0a80001 c0a80002                 # IPv4 192.168.0.1 > 192.168.0.2, UDP
  9c40 12b6 0056 0000                                          # UDP 40000 > 4790, length 86
  0c 0000 04 000001 00                                         # VXLAN-GPE I+P, next NSH, VNI 1
  0fc6 02 03 000100 fe                                         # NSH TTL 63, length 6, MD type 2, next Ethernet; SPI 256, SI 254
  0101 02 05 aabbccddee000000                                  #   TLV class 0x0101 type 2, 5 bytes (+3 padding)
  ffff 80 00                                                   #   TLV class 0xffff type 0x80, 0 bytes
  0a580af40203 0a580af40102 0800                               # inner Ethernet
  45000020 00024000 400121ef 0af40102 0af40203                 # inner IPv4 10.244.1.2 > 10.244.2.3
  0800 2103 1234 0002 61626364                                 # ICMP echo request id 0x1234 seq 2
`;

// Ethernet 0x894F[NSH MD type 1 next IPv4[IPv4[ICMP]]]
export const ETH_NSH = `
  020000000002 020000000001 894f                            # Ethernet, NSH
  0fc6 01 01 00002a ff 11111111 22222222 33333333 44444444  # NSH TTL 63, length 6, MD type 1, next IPv4; SPI 42, SI 255
  45000020 00034000 400121ee 0af40102 0af40203              # inner IPv4 10.244.1.2 > 10.244.2.3
  0800 2102 1234 0003 61626364                              # ICMP echo request id 0x1234 seq 3
`;

// ERSPAN (draft-foschiano-erspan-03) types I, II and III in GRE.

// Ethernet[IPv4[GRE 0x88BE, no sequence number[ERSPAN type I[Ethernet[IPv4[ICMP]]]]]]
export const ERSPAN_I = `
  020000000002 020000000001 0800                # Ethernet
  45000046 00010000 402ff934 c0a80001 c0a80002  # IPv4 192.168.0.1 > 192.168.0.2, GRE
  0000 88be                                     # GRE, ERSPAN; no S: type I, no ERSPAN header
  0a580af40203 0a580af40102 0800                # mirrored Ethernet
  45000020 00014000 400121f0 0af40102 0af40203  # mirrored IPv4 10.244.1.2 > 10.244.2.3
  0800 2104 1234 0001 61626364                  # ICMP echo request id 0x1234 seq 1
`;

// Ethernet[IPv4[GRE S 0x88BE seq 7[ERSPAN type II[Ethernet[IPv4[ICMP]]]]]]
export const ERSPAN_II = `
  020000000002 020000000001 0800                # Ethernet
  45000052 00010000 402ff928 c0a80001 c0a80002  # IPv4 192.168.0.1 > 192.168.0.2, GRE
  1000 88be 00000007                            # GRE S, ERSPAN, sequence 7
  1064 a123 0000abcd                            # ERSPAN II: ver 1, VLAN 100 | COS 5, En 0, T 0, session 291 | index 0xabcd
  0a580af40203 0a580af40102 0800                # mirrored Ethernet
  45000020 00024000 400121ef 0af40102 0af40203  # mirrored IPv4 10.244.1.2 > 10.244.2.3
  0800 2103 1234 0002 61626364                  # ICMP echo request id 0x1234 seq 2
`;

// Ethernet[IPv4[GRE S 0x22EB seq 8[ERSPAN type III[Ethernet[IPv4[ICMP]]]]]]
export const ERSPAN_III = `
  020000000002 020000000001 0800                # Ethernet
  45000056 00010000 402ff924 c0a80001 c0a80002  # IPv4 192.168.0.1 > 192.168.0.2, GRE
  1000 22eb 00000008                            # GRE S, ERSPAN III, sequence 8
  2064 a123 01020304                            # ERSPAN III: ver 2, VLAN 100 | COS 5, BSO 0, T 0, session 291 | timestamp
  0010 803e                                     #   SGT 16 | P 1, FT 0, Hw ID 3, D egress, Gra 3, O 0
  0a580af40203 0a580af40102 0800                # mirrored Ethernet
  45000020 00034000 400121ee 0af40102 0af40203  # mirrored IPv4 10.244.1.2 > 10.244.2.3
  0800 2102 1234 0003 61626364                  # ICMP echo request id 0x1234 seq 3
`;

// Ethernet[IPv4[GRE S 0x22EB seq 9[ERSPAN type III, platform sub-header[Ethernet[IPv4[ICMP]]]]]]
export const ERSPAN_III_PLATFORM = `
  020000000002 020000000001 0800                # Ethernet
  4500005e 00010000 402ff91c c0a80001 c0a80002  # IPv4 192.168.0.1 > 192.168.0.2, GRE
  1000 22eb 00000009                            # GRE S, ERSPAN III, sequence 9
  2064 a123 01020304 0010 803f                  # ERSPAN III as above, O 1
  0c000001 00000002                             #   platform sub-header: Platf ID 3, port index 1, upper timestamp 2
  0a580af40203 0a580af40102 0800                # mirrored Ethernet
  45000020 00044000 400121ed 0af40102 0af40203  # mirrored IPv4 10.244.1.2 > 10.244.2.3
  0800 2101 1234 0004 61626364                  # ICMP echo request id 0x1234 seq 4
`;

// Ethernet[IPv4[GRE K S 0x88BE key 100 seq 10[ERSPAN type II[Ethernet[IPv4[ICMP]]]]]]: a Linux erspan device with a key
export const ERSPAN_II_KEY = `
  020000000002 020000000001 0800                # Ethernet
  45000056 00010000 402ff924 c0a80001 c0a80002  # IPv4 192.168.0.1 > 192.168.0.2, GRE
  3000 88be 00000064 0000000a                   # GRE K S, ERSPAN, key 100, sequence 10
  1064 a123 0000abcd                            # ERSPAN II
  0a580af40203 0a580af40102 0800                # mirrored Ethernet
  45000020 00054000 400121ec 0af40102 0af40203  # mirrored IPv4 10.244.1.2 > 10.244.2.3
  0800 2100 1234 0005 61626364                  # ICMP echo request id 0x1234 seq 5
`;

// Ethernet[IPv4[GRE S 0x22EB[ERSPAN type III, FT 2 (IP)[IPv4[ICMP]]]]]
export const ERSPAN_III_IP = `
  020000000002 020000000001 0800                # Ethernet
  45000048 00010000 402ff932 c0a80001 c0a80002  # IPv4 192.168.0.1 > 192.168.0.2, GRE
  1000 22eb 0000000b                            # GRE S, ERSPAN III, sequence 11
  2064 a123 01020304 0010 883e                  # ERSPAN III, FT 2: an IP packet, no Ethernet header
  45000020 00010000 400161f0 0af40102 0af40203  # mirrored IPv4 10.244.1.2 > 10.244.2.3
  0800 20ff 1234 0006 61626364                  # ICMP echo request id 0x1234 seq 6
`;

// Ethernet[IPv4[GRE S[ERSPAN type II, T set[Ethernet[IPv4 of 1500 bytes, cut at 36[TCP, cut]]]]]]
export const ERSPAN_II_CUT = `
  020000000002 020000000001 0800                # Ethernet
  45000056 00010000 402ff924 c0a80001 c0a80002  # IPv4 192.168.0.1 > 192.168.0.2, GRE
  1000 88be 0000000c                            # GRE S, ERSPAN, sequence 12
  1064 a523 0000abcd                            # ERSPAN II, T set: the session cut the frame short
  0a580af40203 0a580af40102 0800                # mirrored Ethernet
  450005dc 00094000 40061c27 0af40102 0af40203  # mirrored IPv4, total length 1500
  9c40 0050 00000001 00000000 5010 faf0         # the first 16 bytes of its TCP header
`;

// FOU (Linux fou), port 5555.

// Ethernet[IPv4[UDP 5555[FOU[IPv4[ICMP]]]]]: `ip fou add port 5555 ipproto 4`, an ipip device with encap fou
export const FOU_IPIP = `
  020000000002 020000000001 0800                # Ethernet
  4500003c 00010000 4011f95c c0a80001 c0a80002  # IPv4 192.168.0.1 > .2, UDP
  9c40 15b3 0028 0000                           # UDP 40000 > 5555, length 40
  45000020 00014000 400121f0 0af40102 0af40203  # inner IPv4 10.244.1.2 > 10.244.2.3
  0800 2104 1234 0001 61626364                  # ICMP echo request id 0x1234 seq 1
`;

// Ethernet[IPv4[UDP 5555[FOU[IPv6[ICMPv6]]]]]: ipproto 41, a sit device
export const FOU_SIT = `
  020000000002 020000000001 0800                # Ethernet
  4500004c 00010000 4011f94c c0a80001 c0a80002  # IPv4 192.168.0.1 > .2, UDP
  9c40 15b3 0038 0000                           # UDP 40000 > 5555, length 56
  60000000 0008 3a 40                           # IPv6, payload 8, ICMPv6
  fd000000000000000000000000000001              #   fd00::1
  fd000000000000000000000000000002              #   fd00::2
  8000 0000 1234 0001                           # ICMPv6 echo request (checksum not computed)
`;

// Ethernet[IPv4[UDP 5555[FOU[GRE key 100[IPv4[ICMP]]]]]]: ipproto 47, a gre device with encap fou
export const FOU_GRE = `
  020000000002 020000000001 0800                # Ethernet
  45000044 00010000 4011f954 c0a80001 c0a80002  # IPv4 192.168.0.1 > .2, UDP
  9c40 15b3 0030 0000                           # UDP 40000 > 5555, length 48
  2000 0800 00000064                            # GRE K, IPv4, key 100
  45000020 00024000 400121ef 0af40102 0af40203  # inner IPv4 10.244.1.2 > 10.244.2.3
  0800 2103 1234 0002 61626364                  # ICMP echo request id 0x1234 seq 2
`;

// GUE (draft-ietf-intarea-gue-09), ports 6080 and 5555.

// Ethernet[IPv4[UDP 6080[GUE proto 4[IPv4[ICMP]]]]]: `ip fou add port 6080 gue`, an ipip device with encap gue
export const GUE_IPIP = `
  020000000002 020000000001 0800                # Ethernet
  45000040 00010000 4011f958 c0a80001 c0a80002  # IPv4 192.168.0.1 > .2, UDP
  9c40 17c0 002c 0000                           # UDP 40000 > 6080, length 44
  00 04 0000                                    # GUE variant 0, C 0, Hlen 0, proto 4, flags 0
  45000020 00034000 400121ee 0af40102 0af40203  # inner IPv4 10.244.1.2 > 10.244.2.3
  0800 2102 1234 0003 61626364                  # ICMP echo request id 0x1234 seq 3
`;

// Ethernet[IPv4[UDP 6080[GUE Hlen 2, P, remote checksum offload[IPv4[ICMP]]]]]: encap-remcsum
export const GUE_REMCSUM = `
  020000000002 020000000001 0800                # Ethernet
  45000048 00010000 4011f950 c0a80001 c0a80002  # IPv4 192.168.0.1 > .2, UDP
  9c40 17c0 0034 0000                           # UDP 40000 > 6080, length 52
  02 04 0001                                    # GUE Hlen 2, proto 4, flags P
  80000000 00140006                             #   private flags REMCSUM; checksum start 20, offset 6
  45000020 00044000 400121ed 0af40102 0af40203  # inner IPv4 10.244.1.2 > 10.244.2.3
  0800 2101 1234 0004 61626364                  # ICMP echo request id 0x1234 seq 4
`;

// Ethernet[IPv4[UDP 6080[GUE variant 1[IPv4[ICMP]]]]]: direct IP, no GUE header
export const GUE_DIRECT = `
  020000000002 020000000001 0800                # Ethernet
  4500003c 00010000 4011f95c c0a80001 c0a80002  # IPv4 192.168.0.1 > .2, UDP
  9c40 17c0 0028 0000                           # UDP 40000 > 6080, length 40
  45000020 00054000 400121ec 0af40102 0af40203  # inner IPv4 10.244.1.2 > 10.244.2.3 (variant 01)
  0800 2100 1234 0005 61626364                  # ICMP echo request id 0x1234 seq 5
`;

// Ethernet[IPv4[UDP 5555[GUE proto 41[IPv6[ICMPv6]]]]]: GUE on the port FOU's examples use too
export const GUE_5555_SIT = `
  020000000002 020000000001 0800                # Ethernet
  45000050 00010000 4011f948 c0a80001 c0a80002  # IPv4 192.168.0.1 > .2, UDP
  9c40 15b3 003c 0000                           # UDP 40000 > 5555, length 60
  00 29 0000                                    # GUE proto 41
  60000000 0008 3a 40                           # IPv6, payload 8, ICMPv6
  fd000000000000000000000000000001              #   fd00::1
  fd000000000000000000000000000002              #   fd00::2
  8000 0000 1234 0001                           # ICMPv6 echo request (checksum not computed)
`;

// Ethernet[IPv4[UDP 6080[GUE control message, type 1[data]]]]
export const GUE_CONTROL = `
  020000000002 020000000001 0800                # Ethernet
  45000024 00010000 4011f974 c0a80001 c0a80002  # IPv4 192.168.0.1 > .2, UDP
  9c40 17c0 0010 0000                           # UDP 40000 > 6080, length 16
  20 01 0000                                    # GUE C, Hlen 0, control type 1
  deadbeef                                      # control message body
`;

// VXLAN with the Group Based Policy extension (draft-smith-vxlan-group-policy-05).

// Ethernet[IPv4[UDP 4789[VXLAN with Group Based Policy, D and A, GPID 0xabcd[Ethernet[IPv4[ICMP]]]]]]
export const VXLAN_GBP = `
  020000000002 020000000001 0800                     # Ethernet
  45000052 00010000 4011f946 c0a80001 c0a80002       # IPv4 192.168.0.1 > .2, UDP
  9c40 12b5 003e 0000                                # UDP 40000 > 4789, length 62
  88 48 abcd 000001 00                               # VXLAN G I | D A | Group Policy ID 0xabcd | VNI 1
  0a580af40203 0a580af40102 0800                     # inner Ethernet
  45000020 00024000 400121ef 0af40102 0af40203       # inner IPv4 10.244.1.2 > 10.244.2.3
  0800 2103 1234 0002 61626364                       # ICMP echo request id 0x1234 seq 2
`;

/** Every fixture above, by name. */
export const TUNNEL_FIXTURES: Readonly<Record<string, string>> = {
  GPE_NSH_MD1,
  GPE_NSH_MD2,
  ETH_NSH,
  ERSPAN_I,
  ERSPAN_II,
  ERSPAN_III,
  ERSPAN_III_PLATFORM,
  ERSPAN_II_KEY,
  ERSPAN_III_IP,
  ERSPAN_II_CUT,
  FOU_IPIP,
  FOU_SIT,
  FOU_GRE,
  GUE_IPIP,
  GUE_REMCSUM,
  GUE_DIRECT,
  GUE_5555_SIT,
  GUE_CONTROL,
  VXLAN_GBP,
};
