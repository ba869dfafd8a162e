/*
 * rumpuser_splocal.h: a kernel's own process that forks, a module beside
 * rumpuser(3)'s sysproxy server (rumpuser_sp_*).
 *
 * A program that holds a kernel in its own process (strata-run without a
 * server) and forks on the host gives its child that kernel through the
 * sysproxy server, which it starts in its own process: the child is a
 * client (doc/sysproxy.md, "A kernel's own process that forks").  These
 * three calls are what such a process needs beyond the server itself; the
 * posix platform implements them, other platforms need not.
 *
 * The header includes nothing.
 */
#ifndef RUMP_RUMPUSER_SPLOCAL_H
#define RUMP_RUMPUSER_SPLOCAL_H

/*
 * What a client's PREFORK does, for the calling thread's own process: the
 * child's process is made now (a copy of the caller's descriptors, cwd and
 * credentials), and the client that gives the cookie (RUMPSP_COOKIE_LEN
 * bytes, rumpsp.h) in its FORK handshake becomes it.  The server must be
 * running (rumpuser_sp_init()).  0, or a Linux errno (ENOTCONN: no server).
 */
int rumpuser_sp_prefork_local(unsigned char *cookie);

/*
 * What became of the host's fork after rumpuser_sp_prefork_local(): the
 * child's host pid, or 0 or less when the fork failed (the process made
 * for it goes now).  The process made for a child that ends without
 * joining goes when it ends.
 */
void rumpuser_sp_prefork_child(const unsigned char *cookie, int pid);

/* How many clients are connected, and how many PREFORK children have not
 * joined yet: the process may end its kernel when both are 0. */
void rumpuser_sp_clients(int *nconns, int *npending);

#endif /* RUMP_RUMPUSER_SPLOCAL_H */
