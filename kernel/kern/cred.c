/*
 * cred.c: credential predicates, the one place permission checks ask.
 */
#include <kern/types.h>
#include <kern/proc.h>

bool
cred_is_superuser(const struct kauth_cred *cred)
{

	return cred->cr_euid == 0;
}

bool
cred_groupmember(const struct kauth_cred *cred, gid_t gid)
{

	if (cred->cr_egid == gid)
		return true;
	for (int i = 0; i < cred->cr_ngroups; i++)
		if (cred->cr_groups[i] == gid)
			return true;
	return false;
}
