// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_mirror_mock: device memory that is not linear.
 *
 * /dev/vfio-mirror-mock, mmap()ed, is a VM_PFNMAP
 * mapping of pages the mock allocates (and marks PageReserved, as a
 * driver exposing its memory does), mapped with 4 KiB page-table entries
 * in swapped pairs: page 2k of the mapping is frame 2k + 1 of the
 * allocation and the other way round.  A BAR is linear, so only this
 * shows whether a backend assumes a run of device memory continues where
 * the page tables say it does not.  The pages are freed when the mapping
 * goes; the tests unmap their DMA first.
 */
#include <linux/mm.h>
#include <linux/slab.h>

#include "mock.h"

struct mock_pfnmap {
	unsigned long npages;
	struct page *pages[];
};

static void mock_pfnmap_free(struct mock_pfnmap *m)
{
	unsigned long i;

	for (i = 0; i < m->npages; i++) {
		if (!m->pages[i])
			continue;
		ClearPageReserved(m->pages[i]);
		__free_page(m->pages[i]);
	}
	kvfree(m);
}

static void mock_pfnmap_close(struct vm_area_struct *vma)
{
	mock_pfnmap_free(vma->vm_private_data);
}

/* One allocation per mapping: it may not be split. */
static int mock_pfnmap_may_split(struct vm_area_struct *vma,
				 unsigned long addr)
{
	return -EINVAL;
}

static const struct vm_operations_struct mock_pfnmap_vm_ops = {
	.close = mock_pfnmap_close,
	.may_split = mock_pfnmap_may_split,
};

/**
 * mock_pfnmap_mmap() - mmap() of /dev/vfio-mirror-mock
 * @file: the open control file.
 * @vma: the new mapping: an even number of pages, at most 4096, offset 0.
 *
 * Return: 0, -EINVAL for another shape, or -ENOMEM.
 */
int mock_pfnmap_mmap(struct file *file, struct vm_area_struct *vma)
{
	unsigned long i, npages = vma_pages(vma);
	struct mock_pfnmap *m;
	int ret;

	if (npages > 4096 || npages % 2 || vma->vm_pgoff)
		return -EINVAL;
	m = kvzalloc(struct_size(m, pages, npages), GFP_KERNEL);
	if (!m)
		return -ENOMEM;
	m->npages = npages;
	for (i = 0; i < npages; i++) {
		m->pages[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (!m->pages[i]) {
			mock_pfnmap_free(m);
			return -ENOMEM;
		}
		SetPageReserved(m->pages[i]);
	}
	for (i = 0; i < npages; i++) {
		ret = remap_pfn_range(vma, vma->vm_start + i * PAGE_SIZE,
				      page_to_pfn(m->pages[i ^ 1]), PAGE_SIZE,
				      vma->vm_page_prot);
		if (ret) {
			mock_pfnmap_free(m);
			return ret;
		}
	}
	vma->vm_private_data = m;
	vma->vm_ops = &mock_pfnmap_vm_ops;
	return 0;
}
