# The test program is a sysproxy client (librumpclient only); the server
# is the installed strata-server.
t_server_PKGS := rumpclient
