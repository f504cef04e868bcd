/**
 * Command lines shared by the model's tests (the fixture topologies, written
 * out so the tests need no file access).
 *
 * @module
 */

/** Options every fixture machine starts with, before its devices. */
export const BASE_ARGS: readonly string[] = [
  "-machine",
  "q35,cxl=on,accel=tcg",
  "-m",
  "2G,maxmem=8G,slots=4",
];

/** The pxb-cxl host bridge, one root port and the 4 GiB fixed window. */
export const BRIDGE_ARGS: readonly string[] = [
  "-device",
  "pxb-cxl,bus_nr=23,bus=pcie.0,id=cxl.1,hdm_for_passthrough=true",
  "-device",
  "cxl-rp,port=0,bus=cxl.1,id=root_port13,chassis=0,slot=2",
  "-M",
  "cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G",
];

/** fixtures/machines/dcd-1x2g.args: one type-3 device, one 2 GiB DC region. */
export const DCD_1X2G: readonly string[] = [
  ...BASE_ARGS,
  "-object",
  "memory-backend-ram,id=vmem0,share=on,size=2G",
  ...BRIDGE_ARGS,
  "-device",
  "cxl-type3,bus=root_port13,id=cxl-vmem0,num-dc-regions=1,volatile-dc-memdev=vmem0",
];

/** fixtures/machines/mixed.args: a DC device and a static-only device. */
export const MIXED: readonly string[] = [
  ...BASE_ARGS,
  "-object",
  "memory-backend-ram,id=vmem0,share=on,size=1G",
  "-object",
  "memory-backend-ram,id=smem0,share=on,size=256M",
  "-device",
  "pxb-cxl,bus_nr=23,bus=pcie.0,id=cxl.1,hdm_for_passthrough=true",
  "-device",
  "cxl-rp,port=0,bus=cxl.1,id=root_port13,chassis=0,slot=2",
  "-device",
  "cxl-rp,port=1,bus=cxl.1,id=root_port14,chassis=0,slot=3",
  "-M",
  "cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G",
  "-device",
  "cxl-type3,bus=root_port13,id=cxl-vmem0,num-dc-regions=1,volatile-dc-memdev=vmem0",
  "-device",
  "cxl-type3,bus=root_port14,id=cxl-static0,volatile-memdev=smem0",
];

/** The CXL part of the seed's command line: memory, host bridge, root port, window, lazy device. */
const SEED_CXL_ARGS: readonly string[] = [
  "-m",
  "12G,maxmem=20G,slots=10",
  "-object",
  "memory-backend-ram,id=vmem0,share=on,size=2G",
  "-device",
  "pxb-cxl,numa_node=0,bus_nr=23,bus=pcie.0,id=cxl.1,hdm_for_passthrough=true",
  "-device",
  "cxl-rp,port=0,bus=cxl.1,id=root_port13,chassis=0,slot=2",
  "-M",
  "cxl=on,cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=6G",
  "-device",
  "cxl-type3,bus=root_port13,id=cxl-vmem0,num-dc-regions=1,dc-regions-total-size=4G",
];

/** fixtures/machines/seed-lazy.args: the seed's lazy device (4 GiB, no memdev). */
export const SEED_LAZY: readonly string[] = [
  "-machine",
  "q35,cxl=on,accel=tcg",
  ...SEED_CXL_ARGS,
];

/** The seed cover letter's full command line (000_26e35cff5c2cbeda.txt). */
export const SEED_CMDLINE: readonly string[] = [
  "-cpu",
  "max",
  "-smp",
  "8",
  "-drive",
  "file=debian12.qcow2,format=qcow2,if=none,id=mydrive0,index=0",
  "-device",
  "virtio-blk-pci,drive=mydrive0",
  "-kernel",
  "bzImage",
  "-append",
  "console=ttyS0,115200 TERM=linux root=/dev/vda1 nokaslr ignore_loglevel fsck.mode=skip " +
  "cxl_acpi.dyndbg=+fplm cxl_pci.dyndbg=+fplm cxl",
  "-nographic",
  "-serial",
  "mon:stdio",
  "-machine",
  "type=q35,accel=tcg",
  "-virtfs",
  "local,path=hostshare/,mount_tag=hostshare,security_model=passthrough,id=hostshare",
  "-qmp",
  "tcp:localhost:4444,server,wait=off",
  "-netdev",
  "user,id=network0,hostfwd=tcp::2025-:22",
  "-device",
  "virtio-net,netdev=network0",
  ...SEED_CXL_ARGS,
];
