// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_mirror_mock: the mock IOMMU driver.
 *
 * Paging domains keep their page table in an xarray: one entry per leaf,
 * at index IOVA >> 12, holding the physical address, the leaf size and the
 * access.  Leaves are the page sizes the IOMMU core chose from the
 * domain's pgsize_bitmap, so a test sees which sizes were used.  Devices
 * start in an identity domain (they do no DMA of their own).  A sibling
 * device joins its sibling's group; every other device gets its own.
 * mock_domains_live counts the paging domains that exist.
 */
#include <linux/iommu.h>
#include <linux/log2.h>
#include <linux/slab.h>

#include "mock.h"
#include "compat/kernel.h"

#define MOCK_SHIFT	12

atomic_t mock_domains_live = ATOMIC_INIT(0);

/*
 * A leaf: bits 0-1 access (IOMMU_READ, IOMMU_WRITE), bits 2-8 log2 of its
 * size minus MOCK_SHIFT, from bit 9 the physical address >> MOCK_SHIFT.
 */
static void *mock_pte(phys_addr_t paddr, size_t size, int prot)
{
	unsigned long order = ilog2(size) - MOCK_SHIFT;

	return xa_mk_value(((unsigned long)(paddr >> MOCK_SHIFT) << 9) |
			   (order << 2) | (prot & (IOMMU_READ | IOMMU_WRITE)));
}

static phys_addr_t mock_pte_paddr(void *pte)
{
	return (phys_addr_t)(xa_to_value(pte) >> 9) << MOCK_SHIFT;
}

static size_t mock_pte_size(void *pte)
{
	return (size_t)1 << (((xa_to_value(pte) >> 2) & 0x7f) + MOCK_SHIFT);
}

static int mock_pte_prot(void *pte)
{
	return xa_to_value(pte) & (IOMMU_READ | IOMMU_WRITE);
}

static struct mock_domain *to_mock(struct iommu_domain *domain)
{
	return container_of(domain, struct mock_domain, domain);
}

/* The leaf translating @iova, and in *@base the IOVA it starts at. */
static void *mock_lookup(struct mock_domain *dom, dma_addr_t iova,
			 dma_addr_t *base)
{
	unsigned long sizes = dom->domain.pgsize_bitmap;
	unsigned int bit;

	for_each_set_bit(bit, &sizes, BITS_PER_LONG) {
		dma_addr_t start = iova & ~(((dma_addr_t)1 << bit) - 1);
		void *pte = xa_load(&dom->ptes, start >> MOCK_SHIFT);

		if (pte && mock_pte_size(pte) == (size_t)1 << bit) {
			*base = start;
			return pte;
		}
	}
	return NULL;
}

/**
 * mock_dev_of() - the mock device behind a struct device
 * @dev: a device the mock IOMMU probed.
 *
 * Return: the mock device.
 */
struct mock_dev *mock_dev_of(struct device *dev)
{
	return dev_iommu_priv_get(dev);
}

static bool mock_capable(struct device *dev, enum iommu_cap cap)
{
	switch (cap) {
	case IOMMU_CAP_CACHE_COHERENCY:
		return true;
	case IOMMU_CAP_ENFORCE_CACHE_COHERENCY:
		return READ_ONCE(mock_dev_of(dev)->coherent);
	default:
		return false;
	}
}

static struct iommu_domain *mock_domain_alloc_paging(struct device *dev)
{
	struct mock_dev *md = mock_dev_of(dev);
	struct mock_domain *dom;

	dom = kzalloc(sizeof(*dom), GFP_KERNEL);
	if (!dom)
		return ERR_PTR(-ENOMEM);
	xa_init(&dom->ptes);
	dom->owner = md;
	dom->format = READ_ONCE(md->format);
	dom->domain.pgsize_bitmap = READ_ONCE(md->pgsizes);
	dom->domain.geometry.aperture_start = READ_ONCE(md->aperture_start);
	dom->domain.geometry.aperture_end = READ_ONCE(md->aperture_end);
	dom->domain.geometry.force_aperture = true;
	atomic_inc(&mock_domains_live);
	return &dom->domain;
}

static void mock_domain_free(struct iommu_domain *domain)
{
	struct mock_domain *dom = to_mock(domain);

	xa_destroy(&dom->ptes);
	kfree(dom);
	atomic_dec(&mock_domains_live);
}

static void mock_set_attached(struct device *dev, struct mock_domain *dom)
{
	struct mock_dev *md = mock_dev_of(dev);

	mutex_lock(&md->lock);
	mock_fault_storm_stop_locked(md);
	md->attached = dom;
	mutex_unlock(&md->lock);
}

static int mock_attach_paging(MOCK_ATTACH_DEV_PARAMS)
{
	struct mock_domain *dom = to_mock(domain);
	struct mock_dev *md = mock_dev_of(dev);

	if (READ_ONCE(md->fail_attach))
		return -EIO;
	/* A domain made for another kind of IOMMU unit. */
	if (dom->format != READ_ONCE(md->format) ||
	    dom->domain.pgsize_bitmap != READ_ONCE(md->pgsizes))
		return -EINVAL;
	mock_set_attached(dev, dom);
	return 0;
}

static int mock_attach_static(MOCK_ATTACH_DEV_PARAMS)
{
	mock_set_attached(dev, NULL);
	return 0;
}

static int mock_map_pages(struct iommu_domain *domain, unsigned long iova,
			  phys_addr_t paddr, size_t pgsize, size_t pgcount,
			  int prot, gfp_t gfp, size_t *mapped)
{
	struct mock_domain *dom = to_mock(domain);
	atomic_t *countdown = &dom->owner->fail_map_at;
	unsigned long first = iova >> MOCK_SHIFT;
	unsigned long last = first + ((pgcount * pgsize) >> MOCK_SHIFT) - 1;
	dma_addr_t base;
	size_t i, n;
	bool fail;
	int ret;

	fail = atomic_read(countdown) > 0 && atomic_dec_return(countdown) == 0;
	if (fail && !READ_ONCE(dom->owner->fail_partial))
		return -EIO;

	/* Nothing may be mapped there yet, not even by a larger leaf. */
	if (mock_lookup(dom, iova, &base) ||
	    xa_find(&dom->ptes, &first, last, XA_PRESENT))
		return -EEXIST;

	/* VT-d's half-done map writes its first half, and reports none. */
	n = fail ? max_t(size_t, pgcount / 2, 1) : pgcount;
	for (i = 0; i < n; i++) {
		ret = xa_err(xa_store(&dom->ptes, (iova >> MOCK_SHIFT),
				      mock_pte(paddr, pgsize, prot), gfp));
		if (ret)
			return ret;
		iova += pgsize;
		paddr += pgsize;
		if (!fail)
			*mapped += pgsize;
	}
	return fail ? -ENOMEM : 0;
}

static size_t mock_unmap_pages(struct iommu_domain *domain,
			       unsigned long iova, size_t pgsize,
			       size_t pgcount, struct iommu_iotlb_gather *gather)
{
	struct mock_domain *dom = to_mock(domain);
	size_t want = pgsize * pgcount, done = 0;
	dma_addr_t base;
	void *pte;

	/* A larger leaf goes whole, as real page tables do. */
	while (done < want) {
		pte = mock_lookup(dom, iova + done, &base);
		if (!pte || base != iova + done)
			break;
		xa_erase(&dom->ptes, base >> MOCK_SHIFT);
		done += mock_pte_size(pte);
	}
	return done;
}

static phys_addr_t mock_iova_to_phys(struct iommu_domain *domain,
				     dma_addr_t iova)
{
	dma_addr_t base;
	void *pte = mock_lookup(to_mock(domain), iova, &base);

	return pte ? mock_pte_paddr(pte) + (iova - base) : 0;
}

/* Granted only to a domain without mappings, as Intel VT-d does. */
static bool mock_enforce_cache_coherency(struct iommu_domain *domain)
{
	struct mock_domain *dom = to_mock(domain);

	if (!READ_ONCE(dom->owner->coherent) || !xa_empty(&dom->ptes))
		return false;
	dom->coherent = true;
	return true;
}

static void mock_get_resv_regions(struct device *dev, struct list_head *head)
{
	struct mock_dev *md = mock_dev_of(dev);
	struct iommu_resv_region *region;
	struct mock_resv *r;

	mutex_lock(&md->lock);
	list_for_each_entry(r, &md->resv, list) {
		int prot = IOMMU_READ | IOMMU_WRITE;

		if (r->type == IOMMU_RESV_MSI || r->type == IOMMU_RESV_SW_MSI)
			prot = IOMMU_WRITE | IOMMU_MMIO;
		region = iommu_alloc_resv_region(r->start, r->length, prot,
						 r->type, GFP_KERNEL);
		if (region)
			list_add_tail(&region->list, head);
	}
	mutex_unlock(&md->lock);
}

/* Only devices whose fwspec names the mock IOMMU's fwnode come here. */
static struct iommu_device *mock_probe_device(struct device *dev)
{
	struct platform_device *pdev = to_platform_device(dev);

	if (pdev->id < 0 || pdev->id >= MOCK_MAX_DEVICES ||
	    !mock_devs[pdev->id] || mock_devs[pdev->id]->pdev != pdev)
		return ERR_PTR(-ENODEV);
	dev_iommu_priv_set(dev, mock_devs[pdev->id]);
	return &mock_iommu;
}

static int mock_def_domain_type(struct device *dev)
{
	return IOMMU_DOMAIN_IDENTITY;
}

static struct iommu_group *mock_device_group(struct device *dev)
{
	struct mock_dev *md = mock_dev_of(dev);
	struct iommu_group *group;

	if (md->sibling < 0)
		return generic_device_group(dev);
	/* Probed under the devices' lock: the sibling is there. */
	group = iommu_group_get(&mock_devs[md->sibling]->pdev->dev);
	return group ?: ERR_PTR(-ENODEV);
}

static const struct iommu_domain_ops mock_static_domain_ops = {
	.attach_dev = mock_attach_static,
};

static struct iommu_domain mock_identity_domain = {
	.type = IOMMU_DOMAIN_IDENTITY,
	.ops = &mock_static_domain_ops,
};

static struct iommu_domain mock_blocked_domain = {
	.type = IOMMU_DOMAIN_BLOCKED,
	.ops = &mock_static_domain_ops,
};

static const struct iommu_domain_ops mock_domain_ops = {
	.attach_dev = mock_attach_paging,
	.map_pages = mock_map_pages,
	.unmap_pages = mock_unmap_pages,
	.iova_to_phys = mock_iova_to_phys,
	.enforce_cache_coherency = mock_enforce_cache_coherency,
	.free = mock_domain_free,
};

const struct iommu_ops mock_iommu_ops = {
	.owner = THIS_MODULE,
	.capable = mock_capable,
	.domain_alloc_paging = mock_domain_alloc_paging,
	.probe_device = mock_probe_device,
	.device_group = mock_device_group,
	.get_resv_regions = mock_get_resv_regions,
	.def_domain_type = mock_def_domain_type,
	.identity_domain = &mock_identity_domain,
	.blocked_domain = &mock_blocked_domain,
	.default_domain_ops = &mock_domain_ops,
};

/**
 * mock_domain_leaves() - copy a domain's page table, in IOVA order
 * @dom: the domain.
 * @leaves: where to, or NULL to count only.
 * @room: how many fit at @leaves.
 *
 * Return: how many leaves the table has.
 */
u32 mock_domain_leaves(struct mock_domain *dom, struct vfm_mock_leaf *leaves,
		       u32 room)
{
	unsigned long index;
	u32 n = 0;
	void *pte;

	xa_for_each(&dom->ptes, index, pte) {
		if (leaves && n < room)
			leaves[n] = (struct vfm_mock_leaf){
				.iova = (u64)index << MOCK_SHIFT,
				.phys = mock_pte_paddr(pte),
				.size = mock_pte_size(pte),
				.prot = (mock_pte_prot(pte) & IOMMU_READ ?
					 VFM_MOCK_PROT_READ : 0) |
					(mock_pte_prot(pte) & IOMMU_WRITE ?
					 VFM_MOCK_PROT_WRITE : 0),
			};
		n++;
	}
	return n;
}
