/**
 * `device-list-properties` answers for the device types the model builds, as
 * each release lists them (the tables are data recorded from the binaries).
 *
 * @module
 */

import type { Profile } from "./profile.ts";
import type { QmpObject } from "./qmp_value.ts";

import { SEED_LAZY_PROPERTY } from "./device_property_tables.ts";

/**
 * The property list of a device type, or undefined when the model does not
 * know the type (QEMU: DeviceNotFound "Device 'X' not found"): the profile's
 * release table (model/device_property_tables.ts), plus the seed's
 * `dc-regions-total-size` on cxl-type3 where the profile has lazy devices
 * (at the seed build's position on its own base; at the end on other bases).
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
  const list = profile.qom.deviceProperties[typename];
  if (list === undefined) return undefined;
  const out = list.map((e) => ({ ...e }));
  if (typename === "cxl-type3" && profile.tagged.lazyDevices) {
    const at = profile.base === "qemu-10.1" ? SEED_LAZY_PROPERTY.index : out.length;
    out.splice(at, 0, { ...SEED_LAZY_PROPERTY.info });
  }
  return out;
}
