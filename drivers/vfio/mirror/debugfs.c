// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-mirror: counters for an operator, in debugfs.
 *
 * /sys/kernel/debug/vfio_mirror/stats                what every container
 *                                                    holds, together
 * /sys/kernel/debug/vfio_mirror/<container>/info     the container
 * /sys/kernel/debug/vfio_mirror/<container>/domains  one line per domain
 *
 * A container's directory exists from VFIO_SET_IOMMU to its release.  Each
 * line is "key value" pairs.  Everything is read under the container lock;
 * mapping counts are computed from the mappings themselves, and by the
 * mirror's invariant every domain holds all of them.
 */
#include <linux/debugfs.h>
#include <linux/iommu.h>
#include <linux/seq_file.h>

#include "vfm.h"

static struct dentry *vfm_debugfs_root;
static atomic_t vfm_container_ids = ATOMIC_INIT(0);

static int vfm_info_show(struct seq_file *m, void *unused)
{
	struct vfm_container *c = m->private;
	u64 mappings = 0, bytes = 0;
	unsigned int ndomains = 0, ngroups = 0, nemul = 0, i;
	unsigned long idx, pins = 0;
	struct vfm_domain *d;
	struct vfm_group *g;
	struct rb_node *node;
	struct vfm_pin *pin;

	mutex_lock(&c->lock);
	for (node = rb_first_cached(&c->dmas); node; node = rb_next(node)) {
		struct vfm_dma *dma = rb_entry(node, struct vfm_dma, node.rb);

		mappings++;
		bytes += vfm_dma_size(dma);
	}
	list_for_each_entry(d, &c->domains, next) {
		ndomains++;
		list_for_each_entry(g, &d->groups, next)
			ngroups++;
	}
	list_for_each_entry(g, &c->emul_groups, next)
		nemul++;
	xa_for_each(&c->pins, idx, pin)
		pins++;

	seq_printf(m, "type %#lx\nowner %d %s\n", c->type, c->owner_pid,
		   c->owner_comm);
	seq_printf(m, "mappings %llu\nmapped_bytes %llu\n", mappings, bytes);
	seq_printf(m, "pinned_pages %llu\nlocked_pages %llu\n",
		   c->pinned_pages, c->locked_pages);
	seq_printf(m, "dma_avail %u\n", c->dma_avail);
	seq_printf(m, "domains %u\ngroups %u\n", ndomains, ngroups);
	seq_printf(m, "replays %llu\nreplay_failures %llu\nreplay_ns %llu\n",
		   c->replays, c->replay_failures, c->replay_ns);
	seq_printf(m, "pgsizes %#llx\n", c->pgsize_bitmap);
	seq_printf(m, "iova_generation %llu\n", c->iova_generation);
	seq_printf(m, "mediated_groups %u\nmediated_devices %u\n", nemul,
		   c->nr_devices);
	seq_printf(m, "device_pinned_pages %lu\n", pins);
	seq_printf(m, "dirty_tracking %d\nvaddr_invalid %u\n",
		   c->dirty_tracking, c->vaddr_invalid);
	spin_lock_irq(&c->faults.lock);
	seq_printf(m, "fault_queue_len %u\nfaults_queued %u\n",
		   c->faults.len, c->faults.count);
	seq_printf(m, "faults_total %llu\nfaults_lost_total %llu\n",
		   c->faults.queued_total, c->faults.lost_total);
	spin_unlock_irq(&c->faults.lock);
	for (i = 0; i < c->iova.nr; i++)
		seq_printf(m, "iova %#llx-%#llx\n",
			   (u64)c->iova.ranges[i].start,
			   (u64)c->iova.ranges[i].last);
	mutex_unlock(&c->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vfm_info);

static int vfm_domains_show(struct seq_file *m, void *unused)
{
	struct vfm_container *c = m->private;
	struct vfm_domain *d;
	struct vfm_group *g;

	mutex_lock(&c->lock);
	list_for_each_entry(d, &c->domains, next) {
		const struct iommu_domain_geometry *geo = &d->domain->geometry;
		const char *sep = "";

		seq_printf(m, "domain %u driver %ps coherent %d pgsizes %#lx aperture %#llx-%#llx groups ",
			   d->id, d->domain->owner, d->enforce_cache_coherency,
			   d->domain->pgsize_bitmap, (u64)geo->aperture_start,
			   (u64)geo->aperture_end);
		list_for_each_entry(g, &d->groups, next) {
			seq_printf(m, "%s%d", sep, iommu_group_id(g->iommu_group));
			sep = ",";
		}
		if (d->msi_cookie)
			seq_printf(m, " msi %#llx-%#llx",
				   (u64)d->msi_window.start,
				   (u64)d->msi_window.last);
		else
			seq_puts(m, " msi none");
		seq_printf(m, " replayed_mappings %llu replayed_bytes %llu replay_ns %llu\n",
			   d->replayed_mappings, d->replayed_bytes,
			   d->replay_ns);
	}
	mutex_unlock(&c->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vfm_domains);

/**
 * vfm_debugfs_add() - give a new container its directory
 * @c: the container, not yet visible to anyone else.
 */
void vfm_debugfs_add(struct vfm_container *c)
{
	char name[16];

	c->id = atomic_inc_return(&vfm_container_ids);
	snprintf(name, sizeof(name), "%u", c->id);
	c->debugfs = debugfs_create_dir(name, vfm_debugfs_root);
	debugfs_create_file("info", 0444, c->debugfs, c, &vfm_info_fops);
	debugfs_create_file("domains", 0444, c->debugfs, c, &vfm_domains_fops);
}

/**
 * vfm_debugfs_remove() - remove a container's directory
 * @c: the container.  On return no reader uses it any more.
 */
void vfm_debugfs_remove(struct vfm_container *c)
{
	debugfs_remove_recursive(c->debugfs);
}

static int vfm_stats_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "containers %lld\nmappings %lld\n",
		   atomic64_read(&vfm_stats.containers),
		   atomic64_read(&vfm_stats.mappings));
	seq_printf(m, "pinned_pages %lld\nlocked_pages %lld\n",
		   atomic64_read(&vfm_stats.pinned_pages),
		   atomic64_read(&vfm_stats.locked_pages));
	seq_printf(m, "shared_frames %lld\n",
		   atomic64_read(&vfm_stats.shared_frames));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vfm_stats);

/*
 * Create the root directory, /sys/kernel/debug/vfio_mirror, and its stats
 * file: what all containers hold together (struct vfm_stats).
 */
void vfm_debugfs_init(void)
{
	vfm_debugfs_root = debugfs_create_dir("vfio_mirror", NULL);
	debugfs_create_file("stats", 0444, vfm_debugfs_root, NULL,
			    &vfm_stats_fops);
}

/* Remove the root directory; no container is left. */
void vfm_debugfs_exit(void)
{
	debugfs_remove_recursive(vfm_debugfs_root);
}
