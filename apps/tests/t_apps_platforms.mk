# Which applications build for which installed platforms is a property of
# the build files, which the plain run checks; a sanitized run would
# repeat the apps build for nothing (38 s).
t_apps_platforms_PLAIN_ONLY = yes
