# Builds the whole tree with gcc and clang as a user would (no SANITIZE):
# a sanitized run would repeat the plain run's builds.
t_compilers_PLAIN_ONLY = yes
