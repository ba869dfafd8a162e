# mk/rules.mk: the rules every layer shares: compile, archive, shared
# library, pkg-config file, install.  Included by a layer Makefile after it
# has set:
#
#   STAGE        the layer's output tree, laid out exactly like an installed
#                prefix (lib/, lib/pkgconfig/, include/, bin/); `install`
#                copies it into $(DESTDIR)$(PREFIX) file by file
#   OBJDIR       where the layer's objects and dependency files go
#   SRCROOT      the source directory whose layout OBJDIR mirrors
#   LAYER_CFLAGS the layer's complete compile flags
#   INSTALLED    the files to install, as paths relative to STAGE
#   MANPAGES     (optional) manual page sources, name.N, installed as
#                share/man/manN/name.N (added to INSTALLED here)
#
# and optionally COMPILE_OBJ, the command that makes $@ from $< (the kernel
# replaces it to rename symbols after compiling).

COMPILE_OBJ ?= $(CC) $(LAYER_CFLAGS) $(DEPFLAGS) -c $< -o $@

# Layers may name a phony target that must run once before any compile
# (e.g. a check that the lower layer's prefix exists).
$(OBJDIR)/%.o: $(SRCROOT)/%.c | $(BEFORE_COMPILE)
	$(call say,CC,$<)mkdir -p $(@D) && $(COMPILE_OBJ)
# Assembler with the C preprocessor (context switches and the like).
$(OBJDIR)/%.o: $(SRCROOT)/%.S | $(BEFORE_COMPILE)
	$(call say,AS,$<)mkdir -p $(@D) && $(COMPILE_OBJ)

# pkg-config files: set PC_DESC, PC_REQUIRES and PC_LIBS as target-specific
# variables of $(STAGE)/lib/pkgconfig/NAME.pc.  They depend on the
# Makefiles because that is where their contents come from.
$(STAGE)/lib/pkgconfig/%.pc: $(MAKEFILE_LIST) $(MKDIR)/gen-pc.sh
	$(call say,GEN,$@)mkdir -p $(@D) && \
	$(SHELL) $(MKDIR)/gen-pc.sh '$*' '$(PC_DESC)' '$(PC_REQUIRES)' '$(PC_LIBS)' '$(STRATA_VERSION)' >$@.tmp && \
	mv $@.tmp $@

# Manual pages: name.N -> share/man/manN/name.N.
man_dest = share/man/man$(patsubst .%,%,$(suffix $(1)))/$(notdir $(1))
define man_rule
$(STAGE)/$(call man_dest,$(1)): $(1)
	$$(Q)mkdir -p $$(@D) && cp -p $$< $$@
endef
$(foreach m,$(sort $(MANPAGES)),$(eval $(call man_rule,$(m))))
INSTALLED += $(foreach m,$(sort $(MANPAGES)),$(call man_dest,$(m)))

# Installing is copying the staged tree.  -p keeps timestamps, so that
# reinstalling unchanged headers does not make higher layers recompile.
$(INSTDIR)/%: $(STAGE)/%
	$(call say,INSTALL,$@)$(INSTALL) -D -p -m $(if $(filter bin/%,$*),755,644) $< $@

.PHONY: all install clean
.DEFAULT_GOAL := all
# Naming the staged files here too keeps make from treating those made by
# a chain of pattern rules (headers) as intermediate and deleting them.
all: install $(addprefix $(STAGE)/,$(INSTALLED))
	@:
install: $(addprefix $(INSTDIR)/,$(INSTALLED))

# Only the layer's own output; the top level removes the whole build root.
clean:
	rm -rf $(OBJDIR) $(STAGE)

# Header dependencies recorded by the compiler (-MMD/-MD -MP).
-include $(shell find $(OBJDIR) -name '*.d' 2>/dev/null)

# A failed recipe must not leave a half-written target that looks current.
.DELETE_ON_ERROR:
