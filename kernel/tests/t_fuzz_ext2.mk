# The fuzzer builds its own instrumented kernel (libFuzzer + ASan), the
# same in every run: sanitized runs leave it to the plain one.
t_fuzz_ext2_PLAIN_ONLY = yes
