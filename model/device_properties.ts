/**
 * `device-list-properties` answers for the device types the model builds, as
 * QEMU 10.0.2 lists them (cxl-type3 verified against the binary; the seed adds
 * `dc-regions-total-size`).
 *
 * @module
 */

import type { Profile } from "./profile.ts";
import type { QmpObject } from "./qmp_value.ts";

const U64_MAX = (1n << 64n) - 1n;

/** PCI device properties every PCIe function lists. */
const PCI_COMMON: readonly QmpObject[] = [
  { name: "failover_pair_id", type: "str" },
  { name: "romfile", type: "str" },
  { "default-value": true, name: "x-pcie-ext-tag", description: "on/off", type: "bool" },
  {
    "default-value": -1,
    name: "addr",
    description: "Slot and optional function number, example: 06.0 or 06",
    type: "str",
  },
  { "default-value": 4294967295, name: "romsize", type: "uint32" },
  { "default-value": true, name: "x-pcie-lnksta-dllla", description: "on/off", type: "bool" },
  { "default-value": -1, name: "rombar", type: "int32" },
  {
    "default-value": 4096,
    name: "x-max-bounce-buffer-size",
    description:
      "Maximum buffer size allocated for bounce buffers used for mapped access to indirect DMA memory",
    type: "size",
  },
  { "default-value": false, name: "x-pcie-ari-nextfn-1", description: "on/off", type: "bool" },
  { "default-value": true, name: "x-pcie-err-unc-mask", description: "on/off", type: "bool" },
  { "default-value": true, name: "x-pcie-extcap-init", description: "on/off", type: "bool" },
  { name: "busnr", type: "busnr" },
  { "default-value": 0, name: "acpi-index", type: "uint32" },
  { "default-value": false, name: "multifunction", description: "on/off", type: "bool" },
];

/**
 * The property list of a device type, or undefined when the model does not
 * know the type (QEMU: DeviceNotFound "Device 'X' not found").
 *
 * @example
 * ```ts
 * import { deviceProperties } from "./device_properties.ts";
 * import { QEMU_10_0, SEED } from "./profile.ts";
 * const has = (p: typeof SEED) =>
 *   deviceProperties("cxl-type3", p)?.some((e) => e["name"] === "dc-regions-total-size");
 * if (has(QEMU_10_0) || !has(SEED)) throw new Error();
 * ```
 */
export function deviceProperties(typename: string, profile: Profile): QmpObject[] | undefined {
  switch (typename) {
    case "cxl-type3": {
      const out: QmpObject[] = [
        ...PCI_COMMON,
        {
          "default-value": "16",
          name: "x-width",
          description: "1/2/4/8/12/16/32",
          type: "PCIELinkWidth",
        },
        { "default-value": U64_MAX, name: "sn", type: "uint64" },
        { "default-value": 0, name: "num-dc-regions", type: "uint8" },
      ];
      if (profile.tagged.lazyDevices) {
        out.push({ "default-value": 0, name: "dc-regions-total-size", type: "size" });
      }
      out.push(
        { name: "lsa", type: "link<memory-backend>" },
        { name: "memdev", type: "link<memory-backend>" },
        { name: "volatile-dc-memdev", type: "link<memory-backend>" },
        { name: "persistent-memdev", type: "link<memory-backend>" },
        { name: "volatile-memdev", type: "link<memory-backend>" },
        {
          "default-value": "32",
          name: "x-speed",
          description: "2_5/5/8/16/32/64",
          type: "PCIELinkSpeed",
        },
        { name: "cdat", type: "str" },
      );
      return out.map((e) => ({ ...e }));
    }
    case "cxl-rp":
    case "cxl-upstream":
    case "cxl-downstream":
    case "pxb-cxl":
      return PCI_COMMON.map((e) => ({ ...e }));
    default:
      return undefined;
  }
}
