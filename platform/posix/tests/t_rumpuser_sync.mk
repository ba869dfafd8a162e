# A wait with a deadline in the past must return at once (under 40 ms):
# a machine loaded by other tests running beside it could break that.
t_rumpuser_sync_EXCLUSIVE = yes
