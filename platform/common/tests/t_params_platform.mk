# t_params_platform boots the real kernel (every installed component) and
# asserts each platform's documented defaults, so it needs the kernel's
# packages, the kernel tests' helpers, and the platform's name.
t_params_platform_PKGS = $(KERNEL_PKGS) rumpuser-$(T_PLATFORM)
t_params_platform_CFLAGS = -I$(TOPDIR)/kernel/tests -DT_PLATFORM='"$(T_PLATFORM)"'
