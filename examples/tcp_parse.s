# IPv4/TCP parser. r1 = an Ethernet frame, r2 = its length.
# Returns (TCP flags << 16) | TCP destination port for an IPv4 TCP packet,
# and 0 for anything else, including a frame too short for its headers.
mov %r0, 0
jlt %r2, 34, done # Ethernet (14) + the smallest IPv4 header (20)
ldxh %r3, [%r1+12] # EtherType, big-endian
be16 %r3
jne %r3, 0x800, done
ldxb %r3, [%r1+14] # IPv4 version and header length (IHL)
mov %r4, %r3
rsh %r4, 4
jne %r4, 4, done
and %r3, 0xf
lsh %r3, 2 # header length in bytes
jlt %r3, 20, done
ldxb %r4, [%r1+23] # protocol
jne %r4, 6, done
add %r3, 14 # r3 = offset of the TCP header, which needs 20 bytes
mov %r4, %r3
add %r4, 20
jgt %r4, %r2, done
add %r1, %r3
ldxh %r0, [%r1+2] # destination port
be16 %r0
ldxb %r4, [%r1+13] # flags
lsh %r4, 16
or %r0, %r4
done:
exit
