/**
 * `device-list-properties` answers for the device types the model builds, as
 * each release lists them (the tables are data recorded from the binaries).
 *
 * @module
 */

import type { Profile } from "./profile.ts";
import type { QmpObject } from "./qmp_value.ts";

/**
 * The property list of a device type, or undefined when the model does not
 * know the type (QEMU: DeviceNotFound "Device 'X' not found"): a copy of the
 * profile's table entry (model/device_property_tables.ts; the seed's feature
 * set adds `dc-regions-total-size` to cxl-type3 in its profiles).
 *
 * @example
 * ```ts
 * import { deviceProperties } from "./device_properties.ts";
 * import { QEMU_10_0, SEED } from "@cxl-dcd/conformance/model";
 * const has = (p: typeof SEED) =>
 *   deviceProperties("cxl-type3", p)?.some((e) => e["name"] === "dc-regions-total-size");
 * if (has(QEMU_10_0) || !has(SEED)) throw new Error();
 * ```
 */
export function deviceProperties(typename: string, profile: Profile): QmpObject[] | undefined {
  return profile.qom.deviceProperties[typename]?.map((e) => ({ ...e }));
}
