# t_bio_kernel runs rumpuser_bio under the real strata kernel (every
# installed component), not the stub kernel of h_hyperup.h: biodone must
# be able to make system calls from the platform's completion thread.
t_bio_kernel_PKGS = $(KERNEL_PKGS) rumpuser-$(T_PLATFORM)
