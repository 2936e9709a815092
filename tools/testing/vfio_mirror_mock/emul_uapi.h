/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * vfio_mirror_emul: the ioctls of the test module's mediated device, on
 * the VFIO device fd of "vfio-mirror-emul.N".  Shared by the module and
 * the kselftests; it never ships.
 *
 * The device is an emulated-IOMMU VFIO device: it reaches the user's
 * memory only through the container's backend (vfio_pin_pages(),
 * vfio_unpin_pages(), vfio_dma_rw()), as vfio-ap or a vGPU does, and
 * unpins what it holds in a range when the backend tells it the range is
 * unmapped, counting those notifications.
 */
#ifndef VFIO_MIRROR_EMUL_UAPI_H
#define VFIO_MIRROR_EMUL_UAPI_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define VFM_EMUL_NAME		"vfio-mirror-emul"

/**
 * struct vfm_emul_pin - VFM_EMUL_PIN, VFM_EMUL_UNPIN
 * @iova: first IOVA.
 * @npage: pages.
 * @prot: for VFM_EMUL_PIN, VFM_EMUL_PROT_*: the access the device needs.
 * @phys: for VFM_EMUL_PIN, set to the physical address of the first page.
 *
 * VFM_EMUL_PIN returns 0 or the errno of vfio_pin_pages().  VFM_EMUL_UNPIN
 * returns -EINVAL, and unpins nothing, when the device does not hold
 * every page of the range, and else passes it to vfio_unpin_pages().
 */
struct vfm_emul_pin {
	__u64 iova;
	__u32 npage;
	__u32 prot;
	__u64 phys;
};

#define VFM_EMUL_PROT_READ	0x1
#define VFM_EMUL_PROT_WRITE	0x2

/**
 * struct vfm_emul_rw - VFM_EMUL_RW: vfio_dma_rw() into or from @buf
 * @iova: first IOVA.
 * @len: bytes, at most VFM_EMUL_RW_MAX.
 * @write: 1: copy @buf to the IOVAs, 0: copy the IOVAs to @buf.
 * @buf: user address of the caller's buffer.
 */
struct vfm_emul_rw {
	__u64 iova;
	__u32 len;
	__u32 write;
	__u64 buf;
};

#define VFM_EMUL_RW_MAX		0x100000U

/**
 * struct vfm_emul_state - VFM_EMUL_STATE: what the device holds and saw
 * @pinned: pins the device holds (a page pinned twice counts twice).
 * @unmaps: dma_unmap notifications since the last VFM_EMUL_RESET.
 * @last_iova: the IOVA of the last one.
 * @last_length: its length.
 */
struct vfm_emul_state {
	__u64 pinned;
	__u64 unmaps;
	__u64 last_iova;
	__u64 last_length;
};

#define VFM_EMUL_PIN		_IOWR('E', 0x40, struct vfm_emul_pin)
#define VFM_EMUL_UNPIN		_IOW('E', 0x41, struct vfm_emul_pin)
#define VFM_EMUL_RW		_IOW('E', 0x42, struct vfm_emul_rw)
#define VFM_EMUL_STATE		_IOR('E', 0x43, struct vfm_emul_state)
/* Forget the notifications seen. */
#define VFM_EMUL_RESET		_IO('E', 0x44)

#endif /* VFIO_MIRROR_EMUL_UAPI_H */
