# t_params asserts each platform's documented defaults (RUMP_NCPU), so it
# needs to know which platform it is linked with.
t_params_CFLAGS = -DT_PLATFORM='"$(T_PLATFORM)"'
