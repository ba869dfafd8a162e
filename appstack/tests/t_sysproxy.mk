# The test program hosts and serves the kernel; its clients are
# h_spclient, linked with librumpclient alone.
t_sysproxy_HELPERS := h_spclient
h_spclient_PKGS := rumpclient
h_spclient_LDLIBS := -lpthread
