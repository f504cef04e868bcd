/**
 * cxl-dcd-conformance: a reference model of QEMU's CXL Type-3 device with
 * Dynamic Capacity (DCD) and the tagged-memory RFC, a QMP wire layer that
 * serves it as a drop-in fake QEMU, and a conformance suite of QMP
 * transcripts that runs against the model and against a real QEMU.
 *
 * - `model/`: {@linkcode createMachine} builds a machine from QEMU's own
 *   command-line arguments; profiles (`qemu-10.0`, `seed`) are data.
 * - `qmp/`: {@linkcode QmpServer}, {@linkcode QmpClient}, {@linkcode QmpSession}.
 * - `conformance/`: {@linkcode runSuite}, {@linkcode createTargets}, the host
 *   codec {@linkcode HOST_COMMANDS} and host helpers shared by every target.
 *
 * @example Offer capacity to a model device and accept it as the host
 * ```ts
 * import { acceptOffer, createMachine, listAllExtents } from "./mod.ts";
 *
 * const machine = createMachine([
 *   "-M", "q35,cxl=on", "-m", "2G,maxmem=8G,slots=4",
 *   "-object", "memory-backend-ram,id=vmem0,share=on,size=2G",
 *   "-device", "pxb-cxl,bus_nr=23,bus=pcie.0,id=cxl.1",
 *   "-device", "cxl-rp,port=0,bus=cxl.1,id=rp0,chassis=0,slot=2",
 *   "-device", "cxl-type3,bus=rp0,id=cxl-vmem0,num-dc-regions=1,volatile-dc-memdev=vmem0",
 *   "-M", "cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G",
 * ]);
 * const reply = machine.execute("cxl-add-dynamic-capacity", {
 *   path: "/machine/peripheral/cxl-vmem0", "host-id": 0,
 *   "selection-policy": "prescriptive", region: 0,
 *   extents: [{ offset: 0, len: 128 * 1024 * 1024 }],
 * });
 * if (!("return" in reply)) throw new Error(reply.error.desc);
 * const host = machine.host("cxl-vmem0");
 * await acceptOffer(host);
 * const extents = await listAllExtents(host);
 * if (extents.length !== 1) throw new Error("expected one accepted extent");
 * ```
 *
 * @module
 */

export * from "./model/mod.ts";
export * from "./qmp/mod.ts";
export * from "./conformance/mod.ts";
// Names both a model module and a suite module export, resolved explicitly:
// QEMU's stream parser (not the transcript reader) is `parseJson`; `DcExtent`
// is the host's decoded extent (the model's is `model/mod.ts`'s); the event
// record size is the same constant on both sides of the mailbox.
export { parseJson } from "./qmp/mod.ts";
export type { DcExtent } from "./conformance/mod.ts";
export { EVENT_RECORD_SIZE } from "./model/mod.ts";
