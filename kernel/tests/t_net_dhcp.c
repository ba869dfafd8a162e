/*
 * t_net_dhcp.c: the DHCP client (rump_netconfig_dhcp).
 *
 * Case "shmif_server": against a small DHCP server running on a peer
 * kernel over shmif (written here from RFC 2131: it offers 10.0.0.77/24
 * with router 10.0.0.1, refuses the first REQUEST with a NAK so that the
 * client must start over, and acknowledges the second).  Needs nothing.
 *
 * Case "udhcpd": against busybox's udhcpd in a network namespace of the
 * test's own, on a TAP device the kernel attaches virtif to; afterwards
 * Linux and strata ping each other.  Needs root, /dev/net/tun and
 * busybox (Debian: busybox-static); skipped without them.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/ioctl.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <fcntl.h>
#include <sched.h>

#include "h_net.h"

/* --- A DHCP server on a peer kernel ------------------------------------- */

static size_t
opt(uint8_t *p, uint8_t code, const void *val, uint8_t len)
{
	p[0] = code;
	p[1] = len;
	memcpy(p + 2, val, len);
	return 2u + len;
}

/* The message type (option 53) of a client message, 0 if none. */
static int
msgtype(const uint8_t *m, size_t len)
{
	size_t i = 240;

	while (i + 1 < len && m[i] != 255) {
		if (m[i] == 0) {
			i++;
			continue;
		}
		if (m[i] == 53 && i + 2 < len)
			return m[i + 2];
		i += 2u + m[i + 1];
	}
	return 0;
}

static int
peer_dhcpd(void *arg)
{
	struct sockaddr_in sin, bcast = sin_of("255.255.255.255", 68);
	socklen_t sl;
	uint8_t m[576], r[300];
	uint32_t a;
	char ifname[16];
	int s, t, one = 1, error, naks = 0, acks = 0;
	ssize_t n;

	(void)arg;
	if ((error = shmif_setup("bus", "10.0.0.1", ifname)) != 0)
		return error;
	/* Requests come to 255.255.255.255 (a socket bound to 0.0.0.0
	 * hears them); answers go there from the server's address (a
	 * socket bound to it: as on Linux, a broadcast from 0.0.0.0 has
	 * no interface to leave by). */
	s = rump_sys_socket(AF_INET, SOCK_DGRAM, 0);
	t = rump_sys_socket(AF_INET, SOCK_DGRAM, 0);
	if (s == -1 || t == -1 ||
	    rump_sys_setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) == -1 ||
	    rump_sys_setsockopt(t, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) == -1 ||
	    rump_sys_setsockopt(t, SOL_SOCKET, SO_BROADCAST, &one,
	    sizeof(one)) == -1)
		return errno;
	sin = sin_of("0.0.0.0", 67);
	if (rump_sys_bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		return errno;
	sin = sin_of("10.0.0.1", 67);
	if (rump_sys_bind(t, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		return errno;
	while (acks == 0) {
		int type, reply;
		size_t o;

		sl = sizeof(sin);
		n = rump_sys_recvfrom(s, m, sizeof(m), 0,
		    (struct sockaddr *)&sin, &sl);
		if (n < 0)
			return errno;
		if (n < 240 || m[0] != 1)
			continue;
		type = msgtype(m, (size_t)n);
		if (type == 1)
			reply = 2;			/* OFFER */
		else if (type == 3)
			reply = naks++ == 0 ? 6 : 5;	/* NAK, then ACK */
		else
			continue;
		memset(r, 0, sizeof(r));
		r[0] = 2;
		r[1] = 1;
		r[2] = 6;
		memcpy(r + 4, m + 4, 4);		/* xid */
		memcpy(r + 10, m + 10, 2);		/* flags */
		if (reply != 6)
			inet_pton(AF_INET, "10.0.0.77", r + 16);
		memcpy(r + 28, m + 28, 16);		/* chaddr */
		r[236] = 0x63; r[237] = 0x82; r[238] = 0x53; r[239] = 0x63;
		o = 240;
		o += opt(r + o, 53, &(uint8_t){ (uint8_t)reply }, 1);
		inet_pton(AF_INET, "10.0.0.1", &a);
		o += opt(r + o, 54, &a, 4);
		if (reply != 6) {
			inet_pton(AF_INET, "255.255.255.0", &a);
			o += opt(r + o, 1, &a, 4);
			inet_pton(AF_INET, "10.0.0.1", &a);
			o += opt(r + o, 3, &a, 4);
			inet_pton(AF_INET, "10.0.0.53", &a);
			o += opt(r + o, 6, &a, 4);
			a = htonl(3600);
			o += opt(r + o, 51, &a, 4);
		}
		r[o++] = 255;
		if (rump_sys_sendto(t, r, o, 0, (struct sockaddr *)&bcast,
		    sizeof(bcast)) == -1)
			return errno;
		if (reply == 5)
			acks++;
	}
	return 0;
}

ATF_TC_WITHOUT_HEAD(shmif_server);
ATF_TC_BODY(shmif_server, tc)
{
	struct rump_dhcp_lease lease;
	char ifname[16];
	pid_t pid;

	pid = peer_start(peer_dhcpd, NULL, true);
	boot();
	ATF_REQUIRE_EQ(0, rump_netconfig_ifcreate("shmif", "bus", ifname,
	    sizeof(ifname)));
	ATF_CHECK_EQ(ENETDOWN, rump_netconfig_dhcp(ifname, 1000, &lease));
	ATF_REQUIRE_EQ(0, rump_netconfig_ifup(ifname));
	ATF_CHECK_EQ(ENXIO, rump_netconfig_dhcp("nosuch0", 1000, &lease));
	ATF_CHECK_EQ(EOPNOTSUPP, rump_netconfig_dhcp("lo", 1000, &lease));
	ATF_REQUIRE_EQ(0, rump_netconfig_dhcp(ifname, 20000, &lease));
	ATF_CHECK_STREQ("10.0.0.77", lease.addr);
	ATF_CHECK_EQ(24, lease.prefixlen);
	ATF_CHECK_STREQ("10.0.0.1", lease.router);
	ATF_CHECK_STREQ("10.0.0.1", lease.server);
	ATF_CHECK_STREQ("10.0.0.53", lease.dns);
	ATF_CHECK_EQ(3600, lease.lease_s);
	/* Applied: the address answers and the server is reachable. */
	ATF_CHECK_EQ(0, ping_retry("10.0.0.1", 20, 56));
	/* The default route goes through the router. */
	ATF_CHECK_EQ(0, rump_netconfig_ipv4_route_del("0.0.0.0", 0));
	peers_finish(&pid, 1);
}

static long
now_ms(void)
{
	int64_t sec;
	long nsec;

	(void)rumpuser_clock_gettime(RUMPUSER_CLOCK_ABSMONO, &sec, &nsec);
	return (long)(sec * 1000 + nsec / 1000000);
}

ATF_TC_WITHOUT_HEAD(no_server);
ATF_TC_BODY(no_server, tc)
{
	char ifname[16];
	long t0;

	boot();
	ATF_REQUIRE_EQ(0, rump_netconfig_ifcreate("shmif", "bus", ifname,
	    sizeof(ifname)));
	ATF_REQUIRE_EQ(0, rump_netconfig_ifup(ifname));
	t0 = now_ms();
	ATF_CHECK_EQ(ETIMEDOUT, rump_netconfig_dhcp(ifname, 1500, NULL));
	ATF_CHECK(now_ms() - t0 >= 1400);
	ATF_CHECK(now_ms() - t0 < 10000);
}

/* --- Against busybox udhcpd ---------------------------------------------- */

#define TAPNAME		"vd0"

static void
sh(const char *cmd)
{
	int rv = system(cmd);

	ATF_REQUIRE_MSG(rv == 0, "%s: status %d", cmd, rv);
}

ATF_TC(udhcpd);
ATF_TC_HEAD(udhcpd, tc)
{
	atf_tc_set_md_var(tc, "descr", "DHCP lease from busybox udhcpd over "
	    "a TAP device in a network namespace; then ping both ways");
	atf_tc_set_md_var(tc, "timeout", "120");
}
ATF_TC_BODY(udhcpd, tc)
{
	struct rump_dhcp_lease lease;
	struct ifreq ifr;
	char ifname[16], cmd[256];
	FILE *f;
	pid_t pid;
	int fd, status;

	if (geteuid() != 0)
		atf_tc_skip("needs root (a network namespace and a TAP device)");
	if (access("/dev/net/tun", R_OK | W_OK) != 0)
		atf_tc_skip("no /dev/net/tun: %s", strerror(errno));
	if (system("busybox udhcpd --help >/dev/null 2>&1") != 0 &&
	    system("busybox 2>/dev/null | grep -qw udhcpd") != 0)
		atf_tc_skip("no busybox with udhcpd (Debian: busybox-static)");
	if (system("command -v ip >/dev/null && command -v ping >/dev/null")
	    != 0)
		atf_tc_skip("no ip or ping (Debian: iproute2, iputils-ping)");
	if (unshare(CLONE_NEWNET) != 0)
		atf_tc_skip("cannot make a network namespace: %s",
		    strerror(errno));
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	ATF_REQUIRE(fd != -1);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, TAPNAME);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	ATF_REQUIRE(ioctl(fd, TUNSETIFF, &ifr) == 0);
	ATF_REQUIRE(ioctl(fd, TUNSETPERSIST, 1) == 0);
	close(fd);
	sh("ip link set lo up && ip addr add 10.77.0.1/24 dev " TAPNAME
	    " && ip link set " TAPNAME " up");

	f = fopen("udhcpd.conf", "w");
	ATF_REQUIRE(f != NULL);
	fprintf(f, "start 10.77.0.100\nend 10.77.0.110\ninterface " TAPNAME
	    "\nlease_file udhcpd.leases\npidfile udhcpd.pid\n"
	    "option subnet 255.255.255.0\noption router 10.77.0.1\n"
	    "option dns 10.77.0.53\noption lease 600\n");
	fclose(f);
	f = fopen("udhcpd.leases", "w");
	ATF_REQUIRE(f != NULL);
	fclose(f);
	/* udhcpd in the foreground, as our child: it dies with the test. */
	pid = fork();
	ATF_REQUIRE(pid != -1);
	if (pid == 0) {
		execlp("busybox", "busybox", "udhcpd", "-f", "udhcpd.conf",
		    (char *)NULL);
		_exit(127);
	}

	boot();
	ATF_REQUIRE_EQ(0, rump_netconfig_ifcreate("virtif", TAPNAME, ifname,
	    sizeof(ifname)));
	ATF_REQUIRE_EQ(0, rump_netconfig_ifup(ifname));
	ATF_REQUIRE_EQ(0, rump_netconfig_dhcp(ifname, 30000, &lease));
	ATF_CHECK_MSG(strncmp(lease.addr, "10.77.0.1", 9) == 0 &&
	    strlen(lease.addr) == 11, "leased %s", lease.addr);
	ATF_CHECK_EQ(24, lease.prefixlen);
	ATF_CHECK_STREQ("10.77.0.1", lease.router);
	ATF_CHECK_STREQ("10.77.0.1", lease.server);
	ATF_CHECK_STREQ("10.77.0.53", lease.dns);
	ATF_CHECK_EQ(600, lease.lease_s);
	/* strata -> Linux, then Linux -> strata at the leased address
	 * (ping runs in a child: a blocking host call in this process
	 * would stop a fiber kernel). */
	ATF_CHECK_EQ(0, ping_retry("10.77.0.1", 20, 56));
	snprintf(cmd, sizeof(cmd), "ping -c 2 -W 2 %s >/dev/null",
	    lease.addr);
	{
		pid_t p = fork();

		ATF_REQUIRE(p != -1);
		if (p == 0)
			_exit(system(cmd) == 0 ? 0 : 1);
		for (int ms = 0; waitpid(p, &status, WNOHANG) == 0 &&
		    ms < 20000; ms += 20)
			rt_sleep_ms(20);
		ATF_CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "Linux cannot ping %s", lease.addr);
	}
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, shmif_server);
	ATF_TP_ADD_TC(tp, no_server);
	ATF_TP_ADD_TC(tp, udhcpd);
	return atf_no_error();
}
