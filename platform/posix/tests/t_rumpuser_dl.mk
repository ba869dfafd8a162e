# t_rumpuser_dl.mk: t_rumpuser_dl needs a component shared library,
# libt_dlcomp.so from t_dlcomp_lib.c, linked in, and -rdynamic so that the
# executable's own link sets are exported too (see t_rumpuser_dl.c).
t_rumpuser_dl_SHLIBS = libt_dlcomp
libt_dlcomp_SRCS = t_dlcomp_lib.c
t_rumpuser_dl_LDLIBS = -rdynamic -lt_dlcomp
