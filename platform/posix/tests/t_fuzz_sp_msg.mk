# The fuzzer is built with its own sanitizers (libFuzzer + ASan + UBSan),
# the same in every run: sanitized runs leave it to the plain one.
t_fuzz_sp_msg_PLAIN_ONLY = yes
