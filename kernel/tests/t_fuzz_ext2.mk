# The fuzzer links against the instrumented kernel fuzz.subr builds once
# per build root: sanitized runs leave it to the plain one.
t_fuzz_ext2_PLAIN_ONLY = yes
