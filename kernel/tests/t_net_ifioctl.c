/*
 * t_net_ifioctl.c: the interface ioctls ifconfig-style programs use
 * (SIOCGIFCONF, SIOCGIFINDEX, SIOCGIFNAME, SIOCGIFFLAGS/SIOCSIFFLAGS,
 * SIOCGIFADDR/SIOCSIFADDR, SIOCGIFNETMASK/SIOCSIFNETMASK,
 * SIOCGIFBRDADDR, SIOCGIFMTU/SIOCSIFMTU, SIOCGIFHWADDR) with Linux's
 * struct ifreq and errors.  An interface configured by ioctls alone
 * carries ping and TCP to a peer kernel over shmif; AF_INET6 sockets'
 * SIOCSIFADDR/SIOCDIFADDR add and remove IPv6 addresses; what Linux answers
 * for the same calls is compared in t_net_diff (case ifioctl).
 */
#include <sys/ioctl.h>
#include <net/if.h>

#include "h_net.h"

static struct ifreq
ifr_of(const char *name)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	return ifr;
}

static void
set_sin(struct ifreq *ifr, const char *addr)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr->ifr_addr;

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	ATF_REQUIRE(inet_pton(AF_INET, addr, &sin->sin_addr) == 1);
}

static const char *
get_sin(const struct ifreq *ifr, char *buf)
{
	const struct sockaddr_in *sin =
	    (const struct sockaddr_in *)&ifr->ifr_addr;

	ATF_CHECK_EQ(AF_INET, sin->sin_family);
	return inet_ntop(AF_INET, &sin->sin_addr, buf, INET_ADDRSTRLEN);
}

/* ioctl(s, cmd, ifr) for name with IPv4 address addr (NULL: none). */
static int
ifio(int s, unsigned long cmd, const char *name, const char *addr,
    struct ifreq *out)
{
	struct ifreq ifr = ifr_of(name);
	int rv;

	if (addr != NULL)
		set_sin(&ifr, addr);
	rv = rump_sys_ioctl(s, cmd, &ifr);
	if (out != NULL)
		*out = ifr;
	return rv == -1 ? errno : 0;
}

/* --- A peer at 10.0.0.2 that pings back and echoes one TCP message ----- */

static int
peer_echo(void *arg)
{
	char ifname[16], buf[5];
	int error, l, c;

	(void)arg;
	if ((error = shmif_setup("bus", "10.0.0.2", ifname)) != 0)
		return error;
	l = tcp_listener("10.0.0.2", 7000, 1);
	/* The test's ping may be answered before the listener exists: it
	 * connects only once this file says it does. */
	if ((error = touch_file("listening")) != 0 ||
	    (error = ping_retry("10.0.0.1", 40, 56)) != 0)
		return error;
	if ((c = rump_sys_accept(l, NULL, NULL)) == -1)
		return errno;
	if (rump_sys_read(c, buf, 5) != 5 || rump_sys_write(c, buf, 5) != 5)
		return EIO;
	rump_sys_close(c);
	return 0;
}

ATF_TC_WITHOUT_HEAD(configure_by_ioctl);
ATF_TC_BODY(configure_by_ioctl, tc)
{
	char ifname[16], a[INET_ADDRSTRLEN], buf[5];
	struct rump_ifstats st;
	struct ifreq ifr, reqs[4];
	struct ifconf ifc;
	uint8_t hw[6];
	int s, c, index;
	pid_t pid;

	pid = peer_start(peer_echo, NULL, true);
	boot();
	ATF_REQUIRE_EQ(0, rump_netconfig_ifcreate("shmif", "bus", ifname,
	    sizeof(ifname)));
	s = (int)RL(rump_sys_socket(AF_INET, SOCK_DGRAM, 0));

	/* Index and name, both ways. */
	ATF_REQUIRE_EQ(0, ifio(s, SIOCGIFINDEX, ifname, NULL, &ifr));
	index = ifr.ifr_ifindex;
	ATF_CHECK(index > 1);
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_ifindex = index;
	RL(rump_sys_ioctl(s, SIOCGIFNAME, &ifr));
	ATF_CHECK_STREQ(ifname, ifr.ifr_name);

	/* Hardware address and MTU. */
	ATF_REQUIRE_EQ(0, ifio(s, SIOCGIFHWADDR, ifname, NULL, &ifr));
	ATF_CHECK_EQ(1, ifr.ifr_hwaddr.sa_family);	/* ARPHRD_ETHER */
	ATF_REQUIRE_EQ(0, rump_netconfig_ifhwaddr(ifname, hw));
	ATF_CHECK(memcmp(hw, ifr.ifr_hwaddr.sa_data, 6) == 0);
	ATF_REQUIRE_EQ(0, ifio(s, SIOCGIFMTU, ifname, NULL, &ifr));
	ATF_CHECK_EQ(1500, ifr.ifr_mtu);

	/* Down and without an address. */
	ATF_REQUIRE_EQ(0, ifio(s, SIOCGIFFLAGS, ifname, NULL, &ifr));
	ATF_CHECK_EQ(0, ifr.ifr_flags & IFF_UP);
	ATF_CHECK_EQ(IFF_BROADCAST, ifr.ifr_flags & IFF_BROADCAST);
	ATF_CHECK_EQ(EADDRNOTAVAIL, ifio(s, SIOCGIFADDR, ifname, NULL, NULL));
	ATF_CHECK_EQ(EADDRNOTAVAIL, ifio(s, SIOCSIFNETMASK, ifname,
	    "255.255.255.0", NULL));

	/* The address gets its class's prefix; then the netmask. */
	ATF_REQUIRE_EQ(0, ifio(s, SIOCSIFADDR, ifname, "10.0.0.1", NULL));
	ATF_REQUIRE_EQ(0, ifio(s, SIOCGIFADDR, ifname, NULL, &ifr));
	ATF_CHECK_STREQ("10.0.0.1", get_sin(&ifr, a));
	ATF_REQUIRE_EQ(0, ifio(s, SIOCGIFNETMASK, ifname, NULL, &ifr));
	ATF_CHECK_STREQ("255.0.0.0", get_sin(&ifr, a));
	ATF_CHECK_EQ(EINVAL, ifio(s, SIOCSIFNETMASK, ifname, "255.0.255.0",
	    NULL));
	ATF_REQUIRE_EQ(0, ifio(s, SIOCSIFNETMASK, ifname, "255.255.255.0",
	    NULL));
	ATF_REQUIRE_EQ(0, ifio(s, SIOCGIFNETMASK, ifname, NULL, &ifr));
	ATF_CHECK_STREQ("255.255.255.0", get_sin(&ifr, a));
	ATF_REQUIRE_EQ(0, ifio(s, SIOCGIFBRDADDR, ifname, NULL, &ifr));
	ATF_CHECK_STREQ("10.0.0.255", get_sin(&ifr, a));

	/* MTU: what the link carries at most. */
	ifr = ifr_of(ifname);
	ifr.ifr_mtu = 9000;
	ATF_CHECK_ERRNO(EINVAL, rump_sys_ioctl(s, SIOCSIFMTU, &ifr) == -1);
	ifr.ifr_mtu = 1400;
	RL(rump_sys_ioctl(s, SIOCSIFMTU, &ifr));
	ATF_REQUIRE_EQ(0, rump_netconfig_ifstats(ifname, &st));
	ATF_CHECK_EQ(1400, st.mtu);

	/* Up. */
	ATF_REQUIRE_EQ(0, ifio(s, SIOCGIFFLAGS, ifname, NULL, &ifr));
	ifr.ifr_flags |= IFF_UP;
	RL(rump_sys_ioctl(s, SIOCSIFFLAGS, &ifr));
	ATF_REQUIRE_EQ(0, ifio(s, SIOCGIFFLAGS, ifname, NULL, &ifr));
	ATF_CHECK_EQ(IFF_UP | IFF_RUNNING,
	    ifr.ifr_flags & (IFF_UP | IFF_RUNNING));

	/* SIOCGIFCONF: lo and this interface, each with its address. */
	memset(&ifc, 0, sizeof(ifc));
	RL(rump_sys_ioctl(s, SIOCGIFCONF, &ifc));
	ATF_CHECK_EQ(2 * (int)sizeof(struct ifreq), ifc.ifc_len);
	memset(reqs, 0, sizeof(reqs));
	ifc.ifc_len = sizeof(reqs);
	ifc.ifc_req = reqs;
	RL(rump_sys_ioctl(s, SIOCGIFCONF, &ifc));
	ATF_REQUIRE_EQ(2 * (int)sizeof(struct ifreq), ifc.ifc_len);
	ATF_CHECK_STREQ("lo", reqs[0].ifr_name);
	ATF_CHECK_STREQ("127.0.0.1", get_sin(&reqs[0], a));
	ATF_CHECK_STREQ(ifname, reqs[1].ifr_name);
	ATF_CHECK_STREQ("10.0.0.1", get_sin(&reqs[1], a));
	/* Only whole entries. */
	ifc.ifc_len = (int)sizeof(struct ifreq) + 39;
	RL(rump_sys_ioctl(s, SIOCGIFCONF, &ifc));
	ATF_CHECK_EQ((int)sizeof(struct ifreq), ifc.ifc_len);

	/* What ioctls set up carries traffic. */
	ATF_CHECK_EQ(0, ping_retry("10.0.0.2", 40, 56));
	ATF_REQUIRE_EQ(0, wait_file("listening"));
	c = tcp_connect("10.0.0.2", 7000);
	ATF_REQUIRE(c != -1);
	ATF_REQUIRE_EQ(5, rump_sys_write(c, "hello", 5));
	ATF_REQUIRE_EQ(5, rump_sys_read(c, buf, 5));
	ATF_CHECK(memcmp(buf, "hello", 5) == 0);
	rump_sys_close(c);

	/* 0.0.0.0 removes the address, and its route. */
	ATF_REQUIRE_EQ(0, ifio(s, SIOCSIFADDR, ifname, "0.0.0.0", NULL));
	ATF_CHECK_EQ(EADDRNOTAVAIL, ifio(s, SIOCGIFADDR, ifname, NULL, NULL));
	ATF_CHECK(rump_netconfig_ping4("10.0.0.2", 99, 56, 500, NULL) != 0);

	/* Down again. */
	ATF_REQUIRE_EQ(0, ifio(s, SIOCGIFFLAGS, ifname, NULL, &ifr));
	ifr.ifr_flags &= ~IFF_UP;
	RL(rump_sys_ioctl(s, SIOCSIFFLAGS, &ifr));
	ATF_REQUIRE_EQ(0, rump_netconfig_ifstats(ifname, &st));
	ATF_CHECK_EQ(0, st.flags & IFF_UP);
	peers_finish(&pid, 1);
}

ATF_TC_WITHOUT_HEAD(errors);
ATF_TC_BODY(errors, tc)
{
	struct ifreq ifr;
	int s, u, s6;

	boot();
	s = (int)RL(rump_sys_socket(AF_INET, SOCK_DGRAM, 0));
	s6 = (int)RL(rump_sys_socket(AF_INET6, SOCK_STREAM, 0));
	u = (int)RL(rump_sys_socket(AF_UNIX, SOCK_STREAM, 0));

	/* Unknown names and indexes. */
	ATF_CHECK_EQ(ENODEV, ifio(s, SIOCGIFFLAGS, "nosuch0", NULL, NULL));
	ATF_CHECK_EQ(ENODEV, ifio(s, SIOCGIFADDR, "nosuch0", NULL, NULL));
	ATF_CHECK_EQ(ENODEV, ifio(s, SIOCSIFADDR, "nosuch0", "10.1.1.1",
	    NULL));
	ATF_CHECK_EQ(ENODEV, ifio(u, SIOCGIFMTU, "nosuch0", NULL, NULL));
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_ifindex = 4711;
	ATF_CHECK_ERRNO(ENODEV, rump_sys_ioctl(s, SIOCGIFNAME, &ifr) == -1);

	/* Addresses belong to AF_INET sockets; the rest to any. */
	ATF_CHECK_EQ(0, ifio(s, SIOCGIFADDR, "lo", NULL, NULL));
	ATF_CHECK_EQ(ENOTTY, ifio(u, SIOCGIFADDR, "lo", NULL, NULL));
	ATF_CHECK_EQ(ENOTTY, ifio(s6, SIOCGIFNETMASK, "lo", NULL, NULL));
	ATF_CHECK_EQ(0, ifio(u, SIOCGIFFLAGS, "lo", NULL, &ifr));
	ATF_CHECK_EQ(IFF_UP | IFF_LOOPBACK | IFF_RUNNING, ifr.ifr_flags);
	ATF_CHECK_EQ(0, ifio(s6, SIOCGIFINDEX, "lo", NULL, &ifr));
	ATF_CHECK_EQ(1, ifr.ifr_ifindex);

	/* Bad addresses: wrong family, multicast; an alias label. */
	ifr = ifr_of("lo");
	ifr.ifr_addr.sa_family = AF_INET6;
	ATF_CHECK_ERRNO(EINVAL, rump_sys_ioctl(s, SIOCSIFADDR, &ifr) == -1);
	ATF_CHECK_EQ(EINVAL, ifio(s, SIOCSIFADDR, "lo", "224.0.0.1", NULL));
	ATF_CHECK_EQ(EADDRNOTAVAIL, ifio(s, SIOCGIFADDR, "lo:1", NULL, NULL));
	ATF_CHECK_EQ(0, ifio(s, SIOCGIFFLAGS, "lo:1", NULL, NULL));

	/* Bad pointers (not under ThreadSanitizer: RT_EFAULT_CAUGHT). */
	if (RT_EFAULT_CAUGHT) {
		struct ifconf ifc;

		ATF_CHECK_ERRNO(EFAULT, rump_sys_ioctl(s, SIOCGIFFLAGS,
		    (void *)(uintptr_t)0xdeadc0de) == -1);
		ATF_CHECK_ERRNO(EFAULT, rump_sys_ioctl(s, SIOCGIFCONF,
		    (void *)(uintptr_t)0xdeadc0de) == -1);
		ifc.ifc_len = 400;
		ifc.ifc_buf = (void *)(uintptr_t)0xdeadc0de;
		ATF_CHECK_ERRNO(EFAULT,
		    rump_sys_ioctl(s, SIOCGIFCONF, &ifc) == -1);
	}

	/* Changes need privilege, checked before the name. */
	ATF_REQUIRE_EQ(0, rump_lwproc_rfork(RUMP_RFFDG));
	RL(rump_sys_setuid(1000));
	ATF_CHECK_EQ(0, ifio(s, SIOCGIFFLAGS, "lo", NULL, &ifr));
	ATF_CHECK_ERRNO(EPERM, rump_sys_ioctl(s, SIOCSIFFLAGS, &ifr) == -1);
	ATF_CHECK_EQ(EPERM, ifio(s, SIOCSIFFLAGS, "nosuch0", NULL, NULL));
	ATF_CHECK_EQ(EPERM, ifio(s, SIOCSIFMTU, "lo", NULL, NULL));
	ATF_CHECK_EQ(EPERM, ifio(s, SIOCSIFADDR, "lo", "127.0.0.2", NULL));
	ATF_CHECK_EQ(EPERM, ifio(s, SIOCSIFNETMASK, "lo", "255.0.0.0",
	    NULL));
	ATF_CHECK_EQ(0, ifio(s, SIOCGIFADDR, "lo", NULL, NULL));
}

/* AF_INET6's SIOCSIFADDR/SIOCDIFADDR take Linux's struct in6_ifreq. */
struct in6_ifreq {
	struct in6_addr	ifr6_addr;
	uint32_t	ifr6_prefixlen;
	int		ifr6_ifindex;
};

ATF_TC_WITHOUT_HEAD(ipv6_address);
ATF_TC_BODY(ipv6_address, tc)
{
	struct in6_ifreq r;
	int s6;

	boot();
	s6 = (int)RL(rump_sys_socket(AF_INET6, SOCK_DGRAM, 0));
	memset(&r, 0, sizeof(r));
	ATF_REQUIRE(inet_pton(AF_INET6, "2001:db8::5", &r.ifr6_addr) == 1);
	r.ifr6_prefixlen = 64;
	r.ifr6_ifindex = 4711;
	ATF_CHECK_ERRNO(ENODEV, rump_sys_ioctl(s6, SIOCSIFADDR, &r) == -1);
	r.ifr6_ifindex = 1;		/* lo */
	r.ifr6_prefixlen = 129;
	ATF_CHECK_ERRNO(EINVAL, rump_sys_ioctl(s6, SIOCSIFADDR, &r) == -1);
	r.ifr6_prefixlen = 64;
	RL(rump_sys_ioctl(s6, SIOCSIFADDR, &r));
	ATF_CHECK(rump_netconfig_ipv6_addr_state("lo", "2001:db8::5") !=
	    RUMP_IPV6_ADDR_NONE);
	ATF_CHECK_ERRNO(EEXIST, rump_sys_ioctl(s6, SIOCSIFADDR, &r) == -1);
	RL(rump_sys_ioctl(s6, SIOCDIFADDR, &r));
	ATF_CHECK_EQ(RUMP_IPV6_ADDR_NONE,
	    rump_netconfig_ipv6_addr_state("lo", "2001:db8::5"));
	ATF_CHECK_ERRNO(EADDRNOTAVAIL,
	    rump_sys_ioctl(s6, SIOCDIFADDR, &r) == -1);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, configure_by_ioctl);
	ATF_TP_ADD_TC(tp, errors);
	ATF_TP_ADD_TC(tp, ipv6_address);
	return atf_no_error();
}
