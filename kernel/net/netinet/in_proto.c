/*
 * in_proto.c: the Internet domain (AF_INET) for the sockets layer.
 */
#include <kern/types.h>
#include <kern/libkern.h>
#include <net/socket.h>

#include "in_proto.h"

/* Filled at boot from each protocol's own protosw (a constant array
 * initializer cannot copy them). */
static struct protosw inetsw[2];

static void
inet_dom_init(void)
{

	inetsw[0] = tcp_protosw;
	inetsw[1] = udp_protosw;
	udp_init();
	tcp_init();
}

static struct domain inetdomain = {
	.dom_family = AF_INET,
	.dom_name = "inet",
	.dom_protosw = inetsw,
	.dom_nprotosw = 2,
	.dom_init = inet_dom_init,
};
DOMAIN_SET(inetdomain);
