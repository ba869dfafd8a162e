# Reproducibility is a property of the plain build, which this test makes itself.
t_reproducible_PLAIN_ONLY = yes
