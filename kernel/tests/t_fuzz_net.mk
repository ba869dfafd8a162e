# The fuzzer links against the instrumented kernel fuzz.subr builds once
# per build root: sanitized runs leave it to the plain one.
t_fuzz_net_PLAIN_ONLY = yes
