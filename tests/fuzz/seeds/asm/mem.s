lddw %r0, 0x1122334455667788
lddw %r1, map:2
lddw %r2, mapval:1+16
stxdw [%r10-8], %r0
stw [%r10-16], 5
sth [%r10-18], -1
stb [%r10-19], 0x7f
ldxdw %r3, [%r10-8]
ldxw %r3, [%r10-16]
ldxsh %r3, [%r10-18]
ldxsb %r3, [%r10-19]
lock add [%r10-8], %r3
lock fetch or32 [%r10-16], %r3
lock xchg [%r10-8], %r3
lock cmpxchg32 [%r10-16], %r3
ldabsb 12
ldindw %r3, 4
.insn 0x85, 0, 2, 0, 7
mov %r0, 0
exit
