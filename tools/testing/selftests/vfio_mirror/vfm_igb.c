// SPDX-License-Identifier: GPL-2.0-only
/*
 * SR-IOV virtual functions as a host has them: QEMU's igb (an Intel
 * 82576), its PF on Linux's igb driver, its VFs on vfio-pci, each VF
 * driven here just far enough to make it read and write memory through
 * the IOMMU: a reset request to the PF through the VF's mailbox (the PF
 * then lets the VF transmit) and one frame sent from a transmit ring.
 * Register offsets and bits are the 82576 datasheet's, as QEMU models
 * them (hw/net/igb_core.c, igbvf.c).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "vfm_lib.h"
#include "vfm_priv.h"

#define SYSFS_PCI	"/sys/bus/pci/devices"

/* The VF's registers (BAR0), with its transmit queue 0. */
#define VF_MBMEM	0x0800	/* the mailbox's message buffer */
#define VF_MAILBOX	0x0c40
#define VF_TDBAL	0x3800
#define VF_TDBAH	0x3804
#define VF_TDLEN	0x3808
#define VF_TDH		0x3810
#define VF_TDT		0x3818
#define VF_TXDCTL	0x3828
#define TXDCTL_ENABLE	0x02000000

/* VF_MAILBOX */
#define MBX_REQ		0x01	/* the VF sent a message */
#define MBX_ACK		0x02	/* the VF took the PF's message */
#define MBX_VFU		0x04	/* the VF holds the buffer */
#define MBX_PFSTS	0x10	/* the PF sent a message (cleared on read) */
#define MBX_RSTI	0x40	/* the PF is resetting */

/* Messages: the type in the low 16 bits, the PF's answer above. */
#define MSG_VF_RESET	0x01
#define MSG_ACK		0x80000000u
#define MSG_NACK	0x40000000u

/* An advanced transmit data descriptor of one whole frame. */
#define TX_FRAME	60
#define TX_DATA		0x00300000	/* an advanced data descriptor */
#define TX_EOP		0x01000000	/* the frame's last */
#define TX_IFCS		0x02000000	/* the device adds the FCS */
#define TX_RS		0x08000000	/* write the status back */
#define TX_DEXT		0x20000000	/* advanced */
#define TX_CMD		(TX_FRAME | TX_DATA | TX_EOP | TX_IFCS | TX_RS | TX_DEXT)
#define TX_PAYLEN(n)	((uint32_t)(n) << 14)
#define TX_DD		0x1	/* written back in the descriptor's last word */
#define TX_RING_BYTES	128	/* eight descriptors: the smallest ring */

#define WAIT_MS		2000

int vfm_sriov_pf(char bdf[32])
{
	char bdfs[1][32];

	if (pci_find_driver(IGB_VENDOR, IGB_PF_DEVICE, "igb", bdfs, 1) != 1)
		return -ENODEV;
	snprintf(bdf, 32, "%s", bdfs[0]);
	return 0;
}

/* Bring up every network interface of @pf. */
static int pf_link_up(const char *pf)
{
	char path[PATH_MAX];
	struct ifreq ifr;
	struct dirent *de;
	int s, ret = 0;
	DIR *d;

	snprintf(path, sizeof(path), SYSFS_PCI "/%s/net", pf);
	d = opendir(path);
	if (!d)
		return -errno;
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		ret = -errno;
		goto out;
	}
	while (!ret && (de = readdir(d))) {
		if (de->d_name[0] == '.' || strlen(de->d_name) >= IFNAMSIZ)
			continue;
		memset(&ifr, 0, sizeof(ifr));
		memcpy(ifr.ifr_name, de->d_name, strlen(de->d_name));
		if (ioctl(s, SIOCGIFFLAGS, &ifr))
			ret = -errno;
		ifr.ifr_flags |= IFF_UP;
		if (!ret && ioctl(s, SIOCSIFFLAGS, &ifr))
			ret = -errno;
	}
	close(s);
out:
	closedir(d);
	return ret;
}

static int pf_write(const char *pf, const char *name, const char *val)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), SYSFS_PCI "/%s/%s", pf, name);
	return write_file(path, val);
}

/* The address of VF @i of @pf, in @bdf; 0 or -errno. */
static int pf_virtfn(const char *pf, int i, char bdf[32])
{
	char name[24];

	snprintf(name, sizeof(name), "virtfn%d", i);
	return pci_link(pf, name, bdf, 32);
}

/* Bind @bdf to vfio-pci, unless it is. */
static int bind_vfio(const char *bdf)
{
	char bound[64];
	int ret;

	if (!pci_link(bdf, "driver", bound, sizeof(bound)))
		return strcmp(bound, "vfio-pci") ? -EBUSY : 0;
	ret = pf_write(bdf, "driver_override", "vfio-pci");
	if (!ret)
		ret = write_file("/sys/bus/pci/drivers_probe", bdf);
	return ret;
}

int vfm_sriov_enable(const char *pf, int n)
{
	char val[16], bdf[32];
	long now;
	int ret, i;

	ret = pf_link_up(pf);
	if (ret)
		return ret;
	now = read_dec(pf, "sriov_numvfs");
	if (now < 0)
		return -ENODEV;
	if (now != n) {
		/* A PF changes its number of VFs only from or to none. */
		ret = vfm_sriov_disable(pf);
		if (!ret)
			ret = pf_write(pf, "sriov_drivers_autoprobe", "0");
		snprintf(val, sizeof(val), "%d", n);
		if (!ret)
			ret = pf_write(pf, "sriov_numvfs", val);
		if (ret)
			return ret;
	}
	for (i = 0; i < n; i++) {
		ret = pf_virtfn(pf, i, bdf);
		if (!ret)
			ret = bind_vfio(bdf);
		if (ret)
			return ret;
	}
	return 0;
}

int vfm_sriov_disable(const char *pf)
{
	return pf_write(pf, "sriov_numvfs", "0");
}

int vfm_vf_rid(const char *pf, int i, uint32_t *rid)
{
	long offset = read_dec(pf, "sriov_offset");
	long stride = read_dec(pf, "sriov_stride");
	uint32_t segment;
	int ret;

	if (offset < 0 || stride < 0)
		return -ENODEV;
	ret = vfm_bdf_rid(pf, &segment, rid);
	if (!ret)
		*rid += offset + i * stride;
	return ret;
}

int vfm_vf_find(char bdfs[][32], int max)
{
	return vfm_pci_find(IGB_VENDOR, IGB_VF_DEVICE, bdfs, max);
}

/*
 * Poll the VF's mailbox, writing @write first each time (unless 0), until
 * @bit reads as @set.
 */
static int mbx_poll(struct vfm_edu *vf, uint32_t write, uint32_t bit,
		    bool set)
{
	int ms;

	for (ms = 0; ; ms++) {
		if (write)
			vfm_mmio_write32(vf->bar0, VF_MAILBOX, write);
		if (!!(vfm_mmio_read32(vf->bar0, VF_MAILBOX) & bit) == set)
			return 0;
		if (ms == WAIT_MS)
			return -ETIMEDOUT;
		usleep(1000);
	}
}

/* Take the message buffer: it is the VF's only while the PF's is not. */
static int mbx_lock(struct vfm_edu *vf)
{
	return mbx_poll(vf, MBX_VFU, MBX_VFU, true);
}

/*
 * One reset request, as Linux's igbvf sends it.  The PF's igb driver
 * answers it (ACK with the VF's MAC address, or NACK without one) and
 * enables the VF's transmit and receive (VFTE, VFRE), which the FLR of
 * vfio-pci's open disabled.  The PF also sends messages of its own (a
 * link change, PF_CONTROL_MSG), which may come first or overwrite the
 * request: those are taken and passed over.  -EAGAIN if the answer
 * never came.
 */
static int vf_reset_once(struct vfm_edu *vf)
{
	uint32_t msg;
	int ret;

	/* Until the PF has finished resetting the VF. */
	ret = mbx_poll(vf, 0, MBX_RSTI, false);
	if (!ret)
		ret = mbx_lock(vf);
	if (ret)
		return ret;
	vfm_mmio_write32(vf->bar0, VF_MBMEM, MSG_VF_RESET);
	/* Sent; writing without VFU releases the buffer for the answer. */
	vfm_mmio_write32(vf->bar0, VF_MAILBOX, MBX_REQ);
	for (;;) {
		if (mbx_poll(vf, 0, MBX_PFSTS, true))
			return -EAGAIN;
		ret = mbx_lock(vf);
		if (ret)
			return ret;
		msg = vfm_mmio_read32(vf->bar0, VF_MBMEM);
		vfm_mmio_write32(vf->bar0, VF_MAILBOX, MBX_ACK);
		if ((msg & 0xffff) == MSG_VF_RESET &&
		    (msg & (MSG_ACK | MSG_NACK)))
			return 0;
	}
}

/* A few requests, as igbvf's reset makes: a lost one is sent again. */
static int vf_reset_request(struct vfm_edu *vf)
{
	int i, ret = -EAGAIN;

	for (i = 0; i < 3 && ret == -EAGAIN; i++)
		ret = vf_reset_once(vf);
	return ret;
}

int vfm_vf_open(struct vfm_edu *vf, int group_fd, const char *bdf)
{
	int ret = vfm_pci_open(vf, group_fd, bdf);

	if (ret)
		return ret;
	ret = vf_reset_request(vf);
	if (ret)
		vfm_edu_close(vf);
	return ret;
}

int vfm_vf_tx(struct vfm_edu *vf, uint64_t ring_iova, void *ring,
	      uint64_t buf_iova)
{
	uint32_t *desc = ring;
	uint8_t *bar = vf->bar0;
	int ms, ret = 0;

	vfm_mmio_write32(bar, VF_TXDCTL, 0);
	memset(ring, 0, TX_RING_BYTES);
	desc[0] = (uint32_t)buf_iova;
	desc[1] = buf_iova >> 32;
	desc[2] = TX_CMD;
	desc[3] = TX_PAYLEN(TX_FRAME);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	vfm_mmio_write32(bar, VF_TDBAL, (uint32_t)ring_iova);
	vfm_mmio_write32(bar, VF_TDBAH, ring_iova >> 32);
	vfm_mmio_write32(bar, VF_TDLEN, TX_RING_BYTES);
	vfm_mmio_write32(bar, VF_TDH, 0);
	vfm_mmio_write32(bar, VF_TDT, 0);
	vfm_mmio_write32(bar, VF_TXDCTL, TXDCTL_ENABLE);
	/* The tail past the descriptor: the device takes it. */
	vfm_mmio_write32(bar, VF_TDT, 1);
	for (ms = 0; !(__atomic_load_n(&desc[3], __ATOMIC_ACQUIRE) & TX_DD);
	     ms++) {
		if (ms == WAIT_MS / 2) {
			ret = -ETIMEDOUT;
			break;
		}
		usleep(1000);
	}
	vfm_mmio_write32(bar, VF_TXDCTL, 0);
	return ret;
}

void vfm_vf_frame(void *buf)
{
	static const uint8_t head[14] = {
		0x02, 0, 0, 0, 0, 0x01,		/* to a local unicast address */
		0x02, 0, 0, 0, 0, 0x02,		/* from another */
		0x88, 0xb5,			/* local experimental type */
	};

	memset(buf, 0, TX_FRAME);
	memcpy(buf, head, sizeof(head));
}
