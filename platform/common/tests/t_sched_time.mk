# Upper bounds on sleep times and a fairness check: a machine loaded by
# other tests running beside it could break them.
t_sched_time_EXCLUSIVE = yes
