# Cross builds are never sanitized (Debian has no sanitizer runtimes for
# the cross targets): a sanitized run would repeat the plain run's builds.
t_cross_riscv64_PLAIN_ONLY = yes
