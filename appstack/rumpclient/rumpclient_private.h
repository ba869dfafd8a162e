/*
 * rumpclient_private.h: shared by the files of librumpclient.  Never
 * installed.
 */
#ifndef RUMPCLIENT_PRIVATE_H
#define RUMPCLIENT_PRIVATE_H

#define RUMPCLIENT__HIDDEN	__attribute__((__visibility__("hidden")))

/* A typed call: the system call nr with six arguments; -1 and errno on
 * error, else the result, as the in-process kernel's typed calls do. */
long	rumpclient__typed(int nr, long a0, long a1, long a2, long a3, long a4,
	    long a5) RUMPCLIENT__HIDDEN;

#endif /* RUMPCLIENT_PRIVATE_H */
