# bpf-to-bpf calls: the sum of lcm(i, 12) for i = 1..20, where lcm calls gcd.
# Each call gets its own stack frame and r6-r9 survive it.
mov %r6, 1 # r6 = i
mov %r7, 0 # r7 = sum
loop:
mov %r1, %r6
mov %r2, 12
call local lcm
add %r7, %r0
add %r6, 1
jle %r6, 20, loop
mov %r0, %r7
exit
# lcm(a, b) = a / gcd(a, b) * b
lcm:
mov %r6, %r1
mov %r7, %r2
call local gcd
div %r6, %r0
mul %r6, %r7
mov %r0, %r6
exit
# gcd(a, b) by Euclid's algorithm
gcd:
jeq %r2, 0, gcd_done
mov %r3, %r1
mod %r3, %r2
mov %r1, %r2
mov %r2, %r3
ja gcd
gcd_done:
mov %r0, %r1
exit
