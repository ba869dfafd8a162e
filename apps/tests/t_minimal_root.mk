# Builds a Debian root and the whole tree in it (no SANITIZE): a sanitized
# run would repeat the plain run.
t_minimal_root_PLAIN_ONLY = yes
