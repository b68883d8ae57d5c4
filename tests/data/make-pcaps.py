#!/usr/bin/env python3
"""Generate the capture files the classic-BPF tests filter.

Usage: make-pcaps.py OUTDIR
       make-pcaps.py --big N FILE.pcap   (N packets for benchmarks: 10,000
                                          distinct frames, repeated)

Everything is deterministic (a fixed seed, fixed timestamps), so the files
in tests/data/ are exactly what this script writes; tests/classic/
test_pcaps.sh checks that. Only the standard library is used.

Files:
  mixed.pcap      Ethernet: IPv4/IPv6 TCP, UDP, ICMP, ARP, VLAN and QinQ,
                  IPv4 fragments and options, IPv6 extension headers, GRE,
                  LLC, broadcast/multicast, and captures cut short (caplen <
                  wire length) down to runt frames
  mixed.pcapng    the same packets as pcapng
  sll.pcap        Linux cooked capture (SLL), incoming and outgoing
  sll2.pcap       Linux cooked capture v2 (SLL2)
  raw.pcap        raw IPv4/IPv6 (LINKTYPE_RAW)
  null.pcap       BSD loopback (DLT_NULL)
  ppp.pcap        PPP in HDLC-like framing (DLT_PPP): IPv4, IPv6, LCP
  radiotap.pcap   802.11 with radiotap headers: data frames (plain and QoS,
                  to and from the AP) carrying LLC/SNAP, and beacons
  truncated.pcap  mixed.pcap cut in the middle of a packet record
  corrupt.pcap    a record header claiming a length past any snapshot
"""
import os
import random
import struct
import sys

SEED = 6
TS0 = 1700000000

MAC_A = bytes.fromhex("001122334455")
MAC_B = bytes.fromhex("66778899aabb")
MAC_C = bytes.fromhex("02000000000c")
BCAST = b"\xff" * 6
MCAST4 = bytes.fromhex("01005e000001")
MCAST6 = bytes.fromhex("333300000001")

V4 = ["10.0.0.1", "10.0.0.2", "10.0.0.99", "192.168.1.10", "192.168.7.20",
      "172.16.5.4", "8.8.8.8", "203.0.113.9"]
V6 = ["2001:db8::1", "2001:db8::2", "2001:db8:1::77", "fe80::1", "fd00::5"]
PORTS = [22, 53, 80, 123, 443, 1000, 5000, 5005, 5010, 5011, 8080, 12345, 40000, 65535]


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ip4(a):
    return bytes(int(x) for x in a.split("."))


def ip6(a):
    head, _, tail = a.partition("::")
    h = [int(x, 16) for x in head.split(":") if x]
    t = [int(x, 16) for x in tail.split(":") if x]
    words = h + [0] * (8 - len(h) - len(t)) + t
    return struct.pack("!8H", *words)


def eth(dst, src, etype, payload):
    return dst + src + struct.pack("!H", etype) + payload


def vlan(tci, etype, payload):
    return struct.pack("!HH", tci, etype) + payload


def ipv4(src, dst, proto, payload, ttl=64, ident=1, frag=0, options=b""):
    ihl = 5 + len(options) // 4
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, 20 + len(options) + len(payload),
                      ident, frag, ttl, proto, 0, ip4(src), ip4(dst)) + options
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload


def ipv6(src, dst, nh, payload, hlim=64):
    return struct.pack("!IHBB16s16s", 0x60000000, len(payload), nh, hlim, ip6(src), ip6(dst)) + payload


def tcp(sport, dport, flags, payload=b"", seq=1000, ack=0, options=b""):
    off = (20 + len(options)) // 4
    return struct.pack("!HHIIBBHHH", sport, dport, seq, ack, off << 4, flags, 512, 0, 0) + options + payload


def udp(sport, dport, payload=b""):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def icmp(typ, code, payload=b""):
    body = struct.pack("!BBHHH", typ, code, 0, 7, 1) + payload
    return body[:2] + struct.pack("!H", csum(body)) + body[4:]


def arp(op, sha, spa, tpa):
    return struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op, sha, ip4(spa), b"\0" * 6, ip4(tpa))


def gre(payload):
    return struct.pack("!HH", 0, 0x0800) + payload


TCP_FLAGS = [0x02, 0x12, 0x10, 0x18, 0x11, 0x04, 0x14, 0x29, 0x01, 0xc2]


def transport4(rng):
    """(protocol, payload) of a random IPv4 transport packet."""
    kind = rng.choice(["tcp", "tcp", "tcp", "udp", "udp", "icmp", "gre", "other"])
    data = bytes(rng.randrange(256) for _ in range(rng.choice([0, 0, 4, 20, 60, 200, 700])))
    if kind == "tcp":
        if rng.random() < 0.2:
            data = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
        opts = b"\x02\x04\x05\xb4\x01\x01\x04\x02" if rng.random() < 0.3 else b""
        return 6, tcp(rng.choice(PORTS), rng.choice(PORTS), rng.choice(TCP_FLAGS), data,
                      seq=rng.randrange(1 << 32), ack=rng.randrange(1 << 32), options=opts)
    if kind == "udp":
        if rng.random() < 0.2:
            data = b"\x12\x34" + data
        return 17, udp(rng.choice(PORTS), rng.choice(PORTS), data)
    if kind == "icmp":
        return 1, icmp(rng.choice([0, 8, 3, 11]), 0, data[:56])
    if kind == "gre":
        return 47, gre(ipv4(rng.choice(V4), rng.choice(V4), 17, udp(53, 53, b"x")))
    return rng.choice([2, 89, 132]), data[:40]


def transport6(rng):
    kind = rng.choice(["tcp", "udp", "icmp6"])
    data = bytes(rng.randrange(256) for _ in range(rng.choice([0, 8, 40, 300])))
    if kind == "tcp":
        return 6, tcp(rng.choice(PORTS), rng.choice(PORTS), rng.choice(TCP_FLAGS), data)
    if kind == "udp":
        return 17, udp(rng.choice(PORTS), rng.choice(PORTS), data)
    return 58, icmp(rng.choice([128, 129, 135, 136]), 0, data[:32])


def l3_packet(rng):
    """(ethertype, network-layer bytes) of a random packet."""
    r = rng.random()
    if r < 0.55:
        proto, payload = transport4(rng)
        options, frag = b"", 0
        if rng.random() < 0.1:
            options = b"\x94\x04\x00\x00"  # router alert
        if rng.random() < 0.1:
            frag = rng.choice([0x2000, 0x2000 | 185, 185, 0x4000])
        return 0x0800, ipv4(rng.choice(V4), rng.choice(V4), proto, payload,
                            ttl=rng.choice([1, 64, 128, 255]), ident=rng.randrange(65536),
                            frag=frag, options=options)
    if r < 0.85:
        nh, payload = transport6(rng)
        ext = rng.random()
        if ext < 0.15:  # hop-by-hop options
            payload = struct.pack("!BB6s", nh, 0, b"\x01\x04\0\0\0\0") + payload
            nh = 0
        elif ext < 0.3:  # fragment header
            offset = rng.choice([0, 0, 100])
            payload = struct.pack("!BBHI", nh, 0, offset << 3 | 1, 77) + payload
            nh = 44
        elif ext < 0.4:  # destination options, then routing
            payload = struct.pack("!BB6s", 43, 0, b"\x01\x04\0\0\0\0") + \
                struct.pack("!BBBB4s", nh, 0, 0, 0, b"\0" * 4) + payload
            nh = 60
        return 0x86dd, ipv6(rng.choice(V6), rng.choice(V6), nh, payload)
    if r < 0.93:
        return 0x0806, arp(rng.choice([1, 2]), MAC_A, rng.choice(V4), rng.choice(V4))
    return rng.choice([0x88cc, 0x8863, 0x9000]), bytes(rng.randrange(256) for _ in range(46))


def frame(rng):
    """A random Ethernet frame (before any snapping)."""
    etype, l3 = l3_packet(rng)
    dst = rng.choice([MAC_A, MAC_B, MAC_B, MAC_C, BCAST, MCAST4 if etype == 0x0800 else MCAST6])
    src = rng.choice([MAC_A, MAC_B, MAC_C])
    r = rng.random()
    if r < 0.12:
        return eth(dst, src, 0x8100, vlan(rng.choice([100, 200, 0x2064, 4095]), etype, l3))
    if r < 0.16:  # QinQ: 802.1ad outer, 802.1Q inner
        return eth(dst, src, 0x88a8, vlan(300, 0x8100, vlan(rng.choice([100, 200]), etype, l3)))
    if r < 0.18:  # 802.3 length + LLC/SNAP
        llc = b"\xaa\xaa\x03\0\0\0" + struct.pack("!H", etype) + l3
        return eth(dst, src, len(llc), llc)
    return eth(dst, src, etype, l3)


def snapped(rng, pkt):
    """(captured bytes, wire length): most packets whole, some cut short."""
    r = rng.random()
    if r < 0.08:
        return pkt[:rng.choice([0, 1, 6, 12, 13, 14, 15, 20, 30, 34, 38, 40, 54])], len(pkt)
    if r < 0.15:
        return pkt[:min(len(pkt), rng.choice([60, 64, 68, 96]))], len(pkt)
    return pkt, len(pkt)


def pcap(linktype, records, snaplen=262144):
    out = [struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, snaplen, linktype)]
    for i, (data, wirelen) in enumerate(records):
        out.append(struct.pack("<IIII", TS0 + i // 10, (i % 10) * 100000 + i, len(data), wirelen))
        out.append(data)
    return b"".join(out)


def pcapng(linktype, records, snaplen=262144):
    def block(btype, body):
        body += b"\0" * (-len(body) % 4)
        n = 12 + len(body)
        return struct.pack("<II", btype, n) + body + struct.pack("<I", n)

    out = [block(0x0a0d0d0a, struct.pack("<IHHq", 0x1a2b3c4d, 1, 0, -1)),
           block(1, struct.pack("<HHI", linktype, 0, snaplen))]
    for i, (data, wirelen) in enumerate(records):
        ts = (TS0 + i // 10) * 1000000 + (i % 10) * 100000 + i
        out.append(block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xffffffff, len(data), wirelen) + data))
    return b"".join(out)


def cooked(rng, v2):
    etype, l3 = l3_packet(rng)
    pkttype = rng.choice([0, 0, 1, 2, 3, 4])
    if v2:
        hdr = struct.pack("!HHIHBB8s", etype, 0, rng.choice([1, 2, 7]), 1, pkttype, 6, MAC_A + b"\0\0")
    else:
        hdr = struct.pack("!HHH8sH", pkttype, 1, 6, MAC_B + b"\0\0", etype)
    return snapped(rng, hdr + l3)


def wifi(rng):
    """A radiotap + 802.11 frame."""
    if rng.random() < 0.3:
        radiotap = struct.pack("<BBHIB", 0, 0, 9, 0x2, rng.choice([0x00, 0x02]))  # the flags field
    else:
        radiotap = struct.pack("<BBHI", 0, 0, 8, 0)
    ap, sta = MAC_C, rng.choice([MAC_A, MAC_B])
    if rng.random() < 0.15:  # a beacon: management, subtype 8
        hdr = struct.pack("<BBH6s6s6sH", 0x80, 0, 0, BCAST, ap, ap, rng.randrange(4096) << 4)
        body = struct.pack("<QHH", rng.randrange(1 << 64), 100, 0x0401) + b"\x00\x04test"
        return radiotap + hdr + body
    etype, l3 = l3_packet(rng)
    qos = rng.random() < 0.4
    to_ds = rng.random() < 0.5
    flags = 0x01 if to_ds else 0x02
    a1, a2, a3 = (ap, sta, rng.choice([MAC_A, MAC_B, BCAST])) if to_ds else (sta, ap, MAC_B)
    hdr = struct.pack("<BBH6s6s6sH", 0x88 if qos else 0x08, flags, 0, a1, a2, a3, rng.randrange(4096) << 4)
    if qos:
        hdr += struct.pack("<H", rng.randrange(8))
    return radiotap + hdr + b"\xaa\xaa\x03\x00\x00\x00" + struct.pack("!H", etype) + l3


def ppp(rng):
    r = rng.random()
    if r < 0.1:  # LCP echo request
        return struct.pack("!BBH", 0xff, 0x03, 0xc021) + struct.pack("!BBHI", 9, 1, 8, 0x12345678)
    proto, payload = (0x0021, ipv4(rng.choice(V4), rng.choice(V4), *transport4(rng))) if r < 0.7 else \
        (0x0057, ipv6(rng.choice(V6), rng.choice(V6), *transport6(rng)))
    return struct.pack("!BBH", 0xff, 0x03, proto) + payload


def big(count, path):
    rng = random.Random(SEED)
    frames = [snapped(rng, frame(rng)) for _ in range(10000)]
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
        for i in range(count):
            data, wirelen = frames[i % len(frames)]
            f.write(struct.pack("<IIII", TS0 + i // 1000000, i % 1000000, len(data), wirelen))
            f.write(data)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--big":
        big(int(sys.argv[2]), sys.argv[3])
        return
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    rng = random.Random(SEED)

    mixed = [snapped(rng, frame(rng)) for _ in range(400)]
    # a few that every run must see: a runt, an empty frame, jumbo, QinQ HTTP
    mixed += [(b"\x01\x02", 2), (b"", 60),
              (eth(MAC_A, MAC_B, 0x0800, ipv4("10.0.0.1", "10.0.0.2", 6, tcp(1234, 80, 0x18, b"\0" * 1400))), 1514)]
    files = {
        "mixed.pcap": pcap(1, mixed),
        "mixed.pcapng": pcapng(1, mixed),
        "sll.pcap": pcap(113, [cooked(rng, False) for _ in range(120)]),
        "sll2.pcap": pcap(276, [cooked(rng, True) for _ in range(120)]),
        "null.pcap": pcap(0, [snapped(rng, (struct.pack("<I", 2) + ipv4(rng.choice(V4), rng.choice(V4), *transport4(rng))))
                              if rng.random() < 0.6 else
                              snapped(rng, struct.pack("<I", 30) + ipv6(rng.choice(V6), rng.choice(V6), *transport6(rng)))
                              for _ in range(100)]),
    }
    files["ppp.pcap"] = pcap(9, [snapped(rng, ppp(rng)) for _ in range(80)])
    files["radiotap.pcap"] = pcap(127, [snapped(rng, wifi(rng)) for _ in range(100)])
    raw = []
    for _ in range(120):
        etype, l3 = l3_packet(rng)
        if etype in (0x0800, 0x86dd):
            raw.append(snapped(rng, l3))
    files["raw.pcap"] = pcap(101, raw)
    # cut inside the data of the first sizeable packet from the 41st on
    cut = next(i for i in range(40, len(mixed)) if len(mixed[i][0]) >= 20)
    files["truncated.pcap"] = files["mixed.pcap"][:24 + sum(16 + len(d) for d, _ in mixed[:cut]) + 16 + len(mixed[cut][0]) // 2]
    files["corrupt.pcap"] = pcap(1, mixed[:5]) + struct.pack("<IIII", TS0, 0, 0x7fffffff, 0x7fffffff) + b"\0" * 64

    for name, data in files.items():
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
