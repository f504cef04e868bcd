/**
 * Start-up errors observed on QEMU 10.0.2: complete arguments (mostly the
 * fixture bridge plus a device) and QEMU's stderr (without its trailing
 * newline). Shared by the model's unit tests and the
 * live comparison against the real binary.
 *
 * @module
 */

import { BASE_ARGS, BRIDGE_ARGS } from "./test_machines.ts";

/** The host bridge and root port of {@linkcode BRIDGE_ARGS}, without the fixed window. */
const NO_WINDOW: readonly string[] = BRIDGE_ARGS.slice(0, 4);

function withBridge(extra: readonly string[]): readonly string[] {
  return [...BASE_ARGS, ...BRIDGE_ARGS, ...extra];
}

const P = "qemu-system-x86_64";

/** [what, complete arguments, expected stderr]. */
export const STARTUP_CASES: readonly [string, readonly string[], string][] = [
  [
    "DC without a backing device",
    withBridge([
      "-object",
      "memory-backend-ram,id=vmem0,share=on,size=2G",
      "-device",
      "cxl-type3,bus=root_port13,id=cxl-vmem0,num-dc-regions=1",
    ]),
    `${P}: -device cxl-type3,bus=root_port13,id=cxl-vmem0,num-dc-regions=1: dynamic capacity must have a backing device`,
  ],
  [
    "backend size not a multiple of 256 MiB, with the hint line",
    withBridge([
      "-object",
      "memory-backend-ram,id=vmem0,share=on,size=300M",
      "-device",
      "cxl-type3,bus=root_port13,id=cxl-vmem0,num-dc-regions=1,volatile-dc-memdev=vmem0",
    ]),
    `${P}: -device cxl-type3,bus=root_port13,id=cxl-vmem0,num-dc-regions=1,volatile-dc-memdev=vmem0: backend size is not multiple of region len: 0x12c00000\nsetup DC regions failed`,
  ],
  [
    "DC region base not aligned",
    withBridge([
      "-object",
      "memory-backend-ram,id=vmem0,share=on,size=2G",
      "-object",
      "memory-backend-ram,id=s0,size=100M",
      "-device",
      "cxl-type3,bus=root_port13,id=cxl-vmem0,num-dc-regions=1,volatile-dc-memdev=vmem0,volatile-memdev=s0",
    ]),
    `${P}: -device cxl-type3,bus=root_port13,id=cxl-vmem0,num-dc-regions=1,volatile-dc-memdev=vmem0,volatile-memdev=s0: DC region base not aligned to 0x10000000\nsetup DC regions failed`,
  ],
  [
    "one backend used twice in one device",
    withBridge([
      "-object",
      "memory-backend-ram,id=vmem0,share=on,size=2G",
      "-device",
      "cxl-type3,bus=root_port13,id=cxl-vmem0,num-dc-regions=1,volatile-dc-memdev=vmem0,volatile-memdev=vmem0",
    ]),
    `${P}: -device cxl-type3,bus=root_port13,id=cxl-vmem0,num-dc-regions=1,volatile-dc-memdev=vmem0,volatile-memdev=vmem0: memory backend vmem0 can't be used multiple times.`,
  ],
  [
    "one backend used by two devices",
    withBridge([
      "-object",
      "memory-backend-ram,id=vmem0,share=on,size=2G",
      "-device",
      "cxl-type3,bus=root_port13,id=cxl-vmem0,num-dc-regions=1,volatile-dc-memdev=vmem0",
      "-device",
      "cxl-type3,bus=root_port13,id=cxl-vmem1,num-dc-regions=1,volatile-dc-memdev=vmem0",
    ]),
    `${P}: -device cxl-type3,bus=root_port13,id=cxl-vmem1,num-dc-regions=1,volatile-dc-memdev=vmem0: memory backend vmem0 can't be used multiple times.`,
  ],
  [
    "volatile-dc-memdev with num-dc-regions=0",
    withBridge([
      "-object",
      "memory-backend-ram,id=vmem0,share=on,size=2G",
      "-device",
      "cxl-type3,bus=root_port13,id=cxl-vmem0,volatile-dc-memdev=vmem0",
    ]),
    `${P}: -device cxl-type3,bus=root_port13,id=cxl-vmem0,volatile-dc-memdev=vmem0: at least one memdev property must be set`,
  ],
  [
    "no memdev at all",
    withBridge([
      "-object",
      "memory-backend-ram,id=vmem0,share=on,size=2G",
      "-device",
      "cxl-type3,bus=root_port13,id=cxl-vmem0",
    ]),
    `${P}: -device cxl-type3,bus=root_port13,id=cxl-vmem0: at least one memdev property must be set`,
  ],
  [
    "dc-regions-total-size is unknown to stock QEMU",
    withBridge([
      "-object",
      "memory-backend-ram,id=vmem0,share=on,size=2G",
      "-device",
      "cxl-type3,bus=root_port13,id=cxl-vmem0,num-dc-regions=1,dc-regions-total-size=4G",
    ]),
    `${P}: -device cxl-type3,bus=root_port13,id=cxl-vmem0,num-dc-regions=1,dc-regions-total-size=4G: Property 'cxl-type3.dc-regions-total-size' not found`,
  ],
  [
    "unknown cxl-type3 property",
    withBridge([
      "-object",
      "memory-backend-ram,id=vmem0,share=on,size=2G",
      "-device",
      "cxl-type3,bus=root_port13,id=cxl-vmem0,num-dc-regions=1,volatile-dc-memdev=vmem0,foo=1",
    ]),
    `${P}: -device cxl-type3,bus=root_port13,id=cxl-vmem0,num-dc-regions=1,volatile-dc-memdev=vmem0,foo=1: Property 'cxl-type3.foo' not found`,
  ],
  [
    "missing backend object",
    withBridge([
      "-device",
      "cxl-type3,bus=root_port13,id=cxl-vmem0,num-dc-regions=1,volatile-dc-memdev=vmem0",
    ]),
    `${P}: -device cxl-type3,bus=root_port13,id=cxl-vmem0,num-dc-regions=1,volatile-dc-memdev=vmem0: Device 'vmem0' not found`,
  ],
  [
    "bad size string",
    withBridge(["-object", "memory-backend-ram,id=vmem0,share=on,size=2X"]),
    `${P}: -object memory-backend-ram,id=vmem0,share=on,size=2X: Parameter 'size' expects a size value`,
  ],
  [
    "negative size",
    withBridge(["-object", "memory-backend-ram,id=v,size=-1"]),
    `${P}: -object memory-backend-ram,id=v,size=-1: Parameter 'size' expects a size value`,
  ],
  [
    "non-integer num-dc-regions",
    withBridge([
      "-object",
      "memory-backend-ram,id=vmem0,share=on,size=2G",
      "-device",
      "cxl-type3,bus=root_port13,id=cxl-vmem0,num-dc-regions=x,volatile-dc-memdev=vmem0",
    ]),
    `${P}: -device cxl-type3,bus=root_port13,id=cxl-vmem0,num-dc-regions=x,volatile-dc-memdev=vmem0: Parameter 'num-dc-regions' expects integer`,
  ],
  [
    "num-dc-regions above 255",
    withBridge([
      "-object",
      "memory-backend-ram,id=vmem0,share=on,size=2G",
      "-device",
      "cxl-type3,bus=root_port13,id=cxl-vmem0,num-dc-regions=300,volatile-dc-memdev=vmem0",
    ]),
    `${P}: -device cxl-type3,bus=root_port13,id=cxl-vmem0,num-dc-regions=300,volatile-dc-memdev=vmem0: Parameter 'num-dc-regions' expects uint8_t`,
  ],
  [
    "duplicate object id",
    withBridge([
      "-object",
      "memory-backend-ram,id=vmem0,share=on,size=2G",
      "-object",
      "memory-backend-ram,id=vmem0,size=1G",
    ]),
    `${P}: -object memory-backend-ram,id=vmem0,size=1G: Duplicate ID 'vmem0' for object`,
  ],
  [
    "backend without size",
    withBridge(["-object", "memory-backend-ram,id=vmem0,share=on"]),
    `${P}: -object memory-backend-ram,id=vmem0,share=on: Parameter 'size' is missing`,
  ],
  [
    "backend without id",
    withBridge(["-object", "memory-backend-ram,share=on,size=1G"]),
    `${P}: -object memory-backend-ram,share=on,size=1G: Parameter 'id' is missing`,
  ],
  [
    "tagged backend under stock QEMU",
    withBridge(["-object", "memory-backend-tagged,id=vmem0,size=1G"]),
    `${P}: -object memory-backend-tagged,id=vmem0,size=1G: Parameter 'qom-type' does not accept value 'memory-backend-tagged'`,
  ],
  [
    "unknown bus",
    withBridge([
      "-object",
      "memory-backend-ram,id=vmem0,share=on,size=2G",
      "-device",
      "cxl-type3,bus=nope,id=cxl-vmem0,num-dc-regions=1,volatile-dc-memdev=vmem0",
    ]),
    `${P}: -device cxl-type3,bus=nope,id=cxl-vmem0,num-dc-regions=1,volatile-dc-memdev=vmem0: Bus 'nope' not found`,
  ],
  [
    "duplicate device id",
    withBridge([
      "-object",
      "memory-backend-ram,id=vmem0,share=on,size=2G",
      "-device",
      "cxl-type3,bus=root_port13,id=a,num-dc-regions=1,volatile-dc-memdev=vmem0",
      "-device",
      "cxl-type3,bus=root_port13,id=a",
    ]),
    `${P}: -device cxl-type3,bus=root_port13,id=a: Duplicate ID 'a' for device`,
  ],
  [
    "zero-size backend (reported without a location)",
    withBridge(["-object", "memory-backend-ram,id=vmem0,share=on,size=0"]),
    `${P}: property 'size' of memory-backend-ram doesn't take value '0'`,
  ],
  [
    "unknown backend parameter",
    withBridge(["-object", "memory-backend-ram,id=vmem0,share=on,size=1G,foo=2"]),
    `${P}: -object memory-backend-ram,id=vmem0,share=on,size=1G,foo=2: Invalid parameter 'foo'`,
  ],
  [
    "bad boolean",
    withBridge(["-object", "memory-backend-ram,id=v,size=1G,share=maybe"]),
    `${P}: -object memory-backend-ram,id=v,size=1G,share=maybe: Parameter 'share' expects 'on' or 'off'`,
  ],
  [
    "bad -compat policy",
    withBridge(["-compat", "unstable-input=foo"]),
    `${P}: -compat unstable-input=foo: Parameter 'unstable-input' does not accept value 'foo'`,
  ],
  [
    "bad -m size, with QEMU's suffix hint",
    withBridge(["-m", "2X"]),
    `${P}: -m 2X: Parameter 'size' expects a non-negative number below 2^64\nOptional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta-\nand exabytes, respectively.`,
  ],
  [
    "maxmem below the RAM size",
    withBridge(["-m", "2G,maxmem=1G"]),
    `${P}: invalid value of maxmem: maximum memory size (0x40000000) must be at least the initial memory size (0x80000000)`,
  ],
  [
    "unknown -m parameter",
    withBridge(["-m", "2G,foo=1G"]),
    `${P}: -m 2G,foo=1G: Invalid parameter 'foo'`,
  ],
  [
    "fixed window target that is not a host bridge",
    [...BASE_ARGS, ...NO_WINDOW, "-M", "cxl-fmw.0.targets.0=cxl.2,cxl-fmw.0.size=4G"],
    `${P}: Could not resolve CXLFM target cxl.2`,
  ],
  [
    "fixed window size that is not a size",
    [...BASE_ARGS, ...NO_WINDOW, "-M", "cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4X"],
    `${P}: Parameter 'cxl-fmw.0.size' expects size`,
  ],
  [
    "cxl-fmw keys in a second -M option",
    [...BASE_ARGS, ...BRIDGE_ARGS, "-M", "cxl-fmw.1.targets.0=cxl.1,cxl-fmw.1.size=4G"],
    `${P}: -M cxl-fmw.1.targets.0=cxl.1,cxl-fmw.1.size=4G: Parameters 'cxl-fmw.*' used inconsistently`,
  ],
  [
    "a device type name the release does not have (a typo of cxl-type3)",
    withBridge(["-device", "cxl-typ3,bus=root_port13,id=cxl-vmem0"]),
    `${P}: -device cxl-typ3,bus=root_port13,id=cxl-vmem0: 'cxl-typ3' is not a valid device model name`,
  ],
  [
    "an unknown device type is reported at its position, after an earlier device's error",
    withBridge([
      "-device",
      "cxl-type3,bus=nope,id=a",
      "-device",
      "nosuchdev,id=x",
    ]),
    `${P}: -device cxl-type3,bus=nope,id=a: Bus 'nope' not found`,
  ],
  [
    "an unknown device type before a CXL device's error is the one reported",
    withBridge([
      "-device",
      "nosuchdev,id=x",
      "-device",
      "cxl-type3,bus=nope,id=a",
    ]),
    `${P}: -device nosuchdev,id=x: 'nosuchdev' is not a valid device model name`,
  ],
];
