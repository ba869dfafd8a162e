# The packages hold plain builds; a sanitized run would build the same ones again.
t_deb_PLAIN_ONLY = yes
