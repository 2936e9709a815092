/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The mock IOMMU test module (tools/testing/vfio_mirror_mock): its
 * devices, set and read through /dev/vfio-mirror-mock with the structures
 * of mock_uapi.h.  Each function returns 0 (or the value it names) or
 * -errno.
 */
#ifndef VFM_MOCK_H
#define VFM_MOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "mock_uapi.h"

#define VFM_MOCK_DEV		"/dev/" VFM_MOCK_DEVNAME

/* The control file, opened once per process; -errno if not loaded. */
int vfm_mock_fd(void);
bool vfm_mock_loaded(void);

/* Add a device to mock @sibling's group (-1: its own): its number. */
int vfm_mock_add(int sibling);
int vfm_mock_remove(int n);

/* Set one setting of mock @n: @field is a VFM_MOCK_CFG_* bit. */
int vfm_mock_set(int n, uint32_t field, uint64_t val);
/* All its settings, as they are now (a countdown where it has got to). */
int vfm_mock_get(int n, struct vfm_mock_config *cfg);
/* Mock @n as the module created it: defaults, no region, no storm. */
int vfm_mock_reset(int n);
/* A reserved region: @type is VFM_MOCK_RESV_*. */
int vfm_mock_add_resv(int n, uint32_t type, uint64_t start,
		      uint64_t length);
int vfm_mock_clear_resv(int n);

/* @count faults at @iova in mock @n's domain, VFM_MOCK_FAULT_* @flags. */
int vfm_mock_fault(int n, uint64_t iova, uint32_t flags, uint32_t count);
/* Start a storm of @count faults per 100 us; @count 0 stops it. */
int vfm_mock_storm(int n, uint64_t iova, uint32_t count);

int vfm_mock_state(int n, struct vfm_mock_state *st);
bool vfm_mock_present(int n);
/* Its IOMMU group number. */
int vfm_mock_group(int n);
/* Paging domains of the mock IOMMU that exist. */
int vfm_mock_domains(void);
/* 1 if the domain mock @n is attached to has an MSI cookie, else 0. */
int vfm_mock_msi_cookie(int n);
/* Faults storms reported on mock @n since it was added. */
long long vfm_mock_storm_reported(int n);
/*
 * The page table of the domain mock @n is attached to, in IOVA order: the
 * number of leaves, and in *@leaves an array to free().
 */
int vfm_mock_leaves(int n, struct vfm_mock_leaf **leaves);

/*
 * The page frame at physical address @phys: its references, and in
 * *@pinned whether its folio may be pinned for DMA.
 */
int vfm_mock_page(uint64_t phys, bool *pinned);

#endif /* VFM_MOCK_H */
