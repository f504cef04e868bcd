/**
 * Command lines of a type-3 DC device below a CXL switch with a mailbox CCI
 * (the `dcd-switch` fixture preset), for the FM-API tests.
 *
 * @module
 */

/** Arguments up to the switch's upstream port `us0` (no CCI, no downstream port). */
export const SWITCH_BASE: readonly string[] = [
  "-machine",
  "q35,cxl=on",
  "-m",
  "2G,maxmem=8G,slots=4",
  "-object",
  "memory-backend-ram,id=vmem0,share=on,size=2G",
  "-device",
  "pxb-cxl,bus_nr=23,bus=pcie.0,id=cxl.1",
  "-device",
  "cxl-rp,port=0,bus=cxl.1,id=rp0,chassis=0,slot=2",
  "-M",
  "cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G",
  "-device",
  "cxl-upstream,port=33,bus=rp0,id=us0,multifunction=on,addr=0.0",
];

/** The whole switch machine: CCI `swcci0`, port 2 `swport0`, device `cxl-vmem0` with two 1 GiB regions. */
export const SWITCH_MACHINE: readonly string[] = [
  ...SWITCH_BASE,
  "-device",
  "cxl-switch-mailbox-cci,bus=rp0,addr=0.1,target=us0,id=swcci0",
  "-device",
  "cxl-downstream,port=2,bus=us0,id=swport0,chassis=0,slot=4",
  "-device",
  "cxl-type3,bus=swport0,id=cxl-vmem0,num-dc-regions=2,volatile-dc-memdev=vmem0",
];

/** Builds an Initiate DC Add/Release payload: `policy` byte 2, then the extents. */
export function initiatePayload(
  policy: number,
  extents: readonly { dpa: bigint; len: bigint; tag?: number; seq?: number }[],
  count: number = extents.length,
): Uint8Array {
  const p = new Uint8Array(0x20 + 0x28 * extents.length);
  const v = new DataView(p.buffer);
  v.setUint8(2, policy);
  v.setUint32(0x1c, count, true);
  extents.forEach((x, i) => {
    const o = 0x20 + i * 0x28;
    v.setBigUint64(o, x.dpa, true);
    v.setBigUint64(o + 8, x.len, true);
    p.fill(x.tag ?? 0, o + 16, o + 32);
    v.setUint16(o + 32, x.seq ?? 0, true);
  });
  return p;
}
