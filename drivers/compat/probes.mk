# SPDX-License-Identifier: GPL-2.0-only
#
# Kernel feature probes for a module's Kbuild (WireGuard's and OpenZFS's
# way: ask the kernel's headers, not its version number).
#
#   probes := irq_get_nr_irqs ...
#   probe-objs := <the module's objects>
#   include <path to this file>
#
# Each name is a file drivers/compat/probes/<name>.c.  Before any of
# probe-objs is compiled, drivers/compat/probe.sh compiles each probe with
# the module's own compiler and flags and writes $(obj)/compat/features.h,
# which defines VFM_HAVE_<NAME> for each that compiled.  Only a module's
# compat/ headers include it: the rest of the code asks them.

probe-dir := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
probe-src := $(addprefix $(probe-dir)/probes/,$(addsuffix .c,$(probes)))

quiet_cmd_probes = PROBE   $@
      cmd_probes = $(CONFIG_SHELL) $(probe-dir)/probe.sh $(probe-src) -- \
			$(CC) $(filter-out -Wp$(comma)%,$(c_flags)) > $@

# Probed as a module's object is compiled (-DMODULE and the rest), and
# again when the kernel's configuration or release changes.
$(obj)/compat/features.h: part-of-module := y
$(obj)/compat/features.h: $(probe-src) $(probe-dir)/probe.sh \
	$(wildcard $(objtree)/include/config/auto.conf \
		   $(objtree)/include/generated/utsrelease.h) FORCE
	$(call if_changed,probes)

targets += compat/features.h
$(addprefix $(obj)/,$(probe-objs)): $(obj)/compat/features.h
# Where the compat/ headers find it when objects are not built beside
# their sources (O=).
ccflags-y += -I$(obj)/compat
