/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the helpers' files share among themselves, and no test uses:
 * reading and writing small files of sysfs, debugfs and procfs, finding
 * PCI devices by driver.
 */
#ifndef VFM_PRIV_H
#define VFM_PRIV_H

#include <stddef.h>

/* Read a file into @buf, NUL-terminated; 0 or -errno. */
int read_file(const char *path, char *buf, size_t len);
/* Write @val to a file; 0 or -errno. */
int write_file(const char *path, const char *val);
/* The number after "@key" (and a colon or a space) in a file, or -1. */
long long status_field(const char *path, const char *key);
/* The number after " @key " in @line, or -1. */
long long line_field(const char *line, const char *key);
/*
 * The PCI devices @vendor:@device bound to @driver, by address, as
 * vfm_pci_find() finds those on vfio-pci.
 */
int pci_find_driver(unsigned int vendor, unsigned int device,
		    const char *driver, char bdfs[][32], int max);
/* A hex or decimal attribute of a PCI device in sysfs, or -1. */
long read_hex(const char *bdf, const char *name);
long read_dec(const char *bdf, const char *name);
/*
 * The last component of the target of a PCI device's sysfs link @name
 * ("driver", "iommu_group", "virtfn0"...), in @out; 0 or -errno.
 */
int pci_link(const char *bdf, const char *name, char *out, size_t len);

#endif /* VFM_PRIV_H */
