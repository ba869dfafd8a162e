# Layering (the platform and apps build from an installed kernel alone) is
# a property of the build files, which the plain run checks; a sanitized
# run would repeat a whole platform and apps build for nothing (43 s).
t_layer_reuse_PLAIN_ONLY = yes
