/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vfio_mirror_probe: the files of the test module that watches the fault
 * chain (probe.c) and names devices in topologies no guest has
 * (virtbus.c).
 */
#ifndef VFIO_MIRROR_PROBE_H
#define VFIO_MIRROR_PROBE_H

struct dentry;

/* virtbus.c */
void probe_virtbus_init(struct dentry *root);

#endif /* VFIO_MIRROR_PROBE_H */
