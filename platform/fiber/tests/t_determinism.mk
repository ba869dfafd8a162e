# t_determinism runs h_determinism, a program of its own (each run a fresh
# exec), linked with the whole installed kernel on this platform; the test
# itself links nothing of strata.
t_determinism_PKGS :=
t_determinism_HELPERS := h_determinism
h_determinism_PKGS = $(KERNEL_PKGS) rumpuser-$(T_PLATFORM)
