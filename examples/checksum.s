# IPv4 header checksum (RFC 1071). r1 = an Ethernet frame, r2 = its length.
# Returns the checksum of the IPv4 header computed with its checksum field
# taken as zero: for an intact header, the value of that field. Returns
# 0x10000 (no 16-bit checksum) when the frame is too short for its header.
mov %r0, 0x10000
jlt %r2, 34, done
ldxb %r3, [%r1+14]
and %r3, 0xf
lsh %r3, 2 # r3 = header length in bytes
mov %r4, %r3
add %r4, 14
jgt %r4, %r2, done
add %r1, 14 # r1 = IPv4 header
mov %r5, 0 # r5 = sum of the 16-bit words
mov %r4, 0 # r4 = offset
sum:
jeq %r4, 10, next # the checksum field itself counts as zero
mov %r6, %r1
add %r6, %r4
ldxh %r6, [%r6+0]
be16 %r6
add %r5, %r6
next:
add %r4, 2
jlt %r4, %r3, sum
fold:
mov %r6, %r5 # add the carries back in until none are left
rsh %r6, 16
and %r5, 0xffff
add %r5, %r6
jgt %r5, 0xffff, fold
xor %r5, 0xffff
mov %r0, %r5
done:
exit
