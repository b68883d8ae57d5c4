# every ALU form
mov %r0, 0
mov32 %r1, 0xffffffff
add %r0, %r1
sub32 %r0, -3
mul %r0, %r1
div32 %r0, 7
sdiv %r0, %r1
mod %r0, 3
smod32 %r0, %r1
or %r0, 0x10
and32 %r0, %r1
lsh %r0, 3
rsh32 %r0, %r1
arsh %r0, 1
xor32 %r0, %r0
neg %r0
movsx832 %r2, %r1
movsx1664 %r3, %r1
movsx3264 %r4, %r1
be16 %r0
le32 %r0
bswap64 %r0
swap16 %r0
exit
