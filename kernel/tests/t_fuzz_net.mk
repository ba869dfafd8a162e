# The fuzzer builds its own instrumented kernel (libFuzzer + ASan +
# UBSan), the same in every run: sanitized runs leave it to the plain one.
t_fuzz_net_PLAIN_ONLY = yes
