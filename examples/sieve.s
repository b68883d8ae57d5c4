# Sieve of Eratosthenes on the stack: counts the primes below 512.
# Byte k of the 512-byte frame (at r10 - 512 + k) is set once k is known
# to be composite.
mov %r1, %r10
sub %r1, 512 # r1 = the sieve
mov %r2, 0
clear:
mov %r3, %r1
add %r3, %r2
stdw [%r3+0], 0
add %r2, 8
jlt %r2, 512, clear
mov %r0, 0 # r0 = primes found
mov %r2, 2 # r2 = candidate
candidate:
mov %r3, %r1
add %r3, %r2
ldxb %r4, [%r3+0]
jne %r4, 0, next
add %r0, 1
mov %r5, %r2 # strike out the multiples of a prime, from its square
mul %r5, %r2
strike:
jge %r5, 512, next
mov %r3, %r1
add %r3, %r5
stb [%r3+0], 1
add %r5, %r2
ja strike
next:
add %r2, 1
jlt %r2, 512, candidate
exit
