mov %r0, 0
jeq %r1, 0, skip
jsgt32 %r1, %r2, +1
ja32 fn_end
skip:
call local fn
call 1
call %r2
jne %r0, 0, exit
mov %r0, 1
exit
fn:
mov %r0, 2
ja -1
fn_end:
exit
