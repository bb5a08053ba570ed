"""A Linux kernel with gpio-sim, for the GPIO tests on a machine whose own kernel has none.

The GPIO panel is tested against the kernel's gpio-sim (tests/chargepoint/devices/test_gpio.py).
Where the machine's kernel lacks it (this project's CI machine has no configfs and no GPIOLIB),
those tests run in a small virtual machine instead:

- Debian's 6.12 kernel under qemu. Software emulation, not KVM: on a machine that is itself a
  virtual machine, nested KVM stopped with an emulation failure in the kernel's decompressor.
- gpio-sim and the irq_sim it needs, built as out-of-tree modules from Debian's kernel source
  against Debian's headers for that kernel: Debian's kernels build neither.
- This machine's own root filesystem, shared read-only over 9p, so the guest runs the same
  Python, the same venv and the same checkout; a tmpfs on /tmp and a shared folder for results.
- busybox as the guest's init (guest_init.sh beside this file).

Everything comes from Debian's archive on first use and is kept in
~/.cache/smartcharge/gpio-guest/<kernel release>/; later runs only boot the guest.
"""

from __future__ import annotations

import fcntl
import hashlib
import lzma
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import initramfs

GPIO_SIM = Path("/sys/kernel/config/gpio-sim")
SERIES = "6.12"  # bookworm's newer kernel series; its virtio PCI transport is built in
INIT = Path(__file__).with_name("guest_init.sh")
# Loaded in this order by the guest's init: the 9p root filesystem, then gpio-sim.
DEBIAN_MODULES = ("fs/netfs/netfs", "net/9p/9pnet", "net/9p/9pnet_virtio", "fs/9p/9p")
DEBIAN_MODULES += ("fs/configfs/configfs",)
BUILT_MODULES = ("irq_sim", "gpio-sim")
# Guards against a guest that never stops; the result is read from the guest, never from this.
BOOT_GUARD_S = 900


class GuestUnavailable(Exception):
    """This machine can neither use gpio-sim itself nor start a guest kernel that has it."""


def gpio_sim_missing() -> str | None:
    """Why this machine's own kernel cannot make a gpio-sim chip, or None when it can."""
    if not GPIO_SIM.is_dir():
        return (
            "no gpio-sim: the kernel needs CONFIG_GPIOLIB, CONFIG_GPIO_SIM and CONFIG_CONFIGFS_FS "
            "(then `modprobe gpio-sim` and `mount -t configfs none /sys/kernel/config`)"
        )
    if not os.access(GPIO_SIM, os.W_OK):
        return "gpio-sim needs root to make a chip"
    return None


@dataclass(frozen=True)
class GuestImage:
    kernel: Path
    initrd: Path


@dataclass(frozen=True)
class GuestRun:
    status: int | None  # the guest command's exit status; None when it never finished
    output: str  # what the command printed
    console: str  # the guest's serial console (the kernel's messages)
    results: Path  # the shared folder the command wrote to


def _run(args: list[str], cwd: Path | None = None) -> str:
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise GuestUnavailable(f"`{' '.join(args)}` failed: {done.stderr.strip()[-2000:]}")
    return done.stdout


def _needs(*commands: str) -> None:
    missing = [c for c in commands if shutil.which(c) is None]
    if missing:
        raise GuestUnavailable(
            f"a guest kernel with gpio-sim needs {', '.join(missing)} (Debian's qemu-system-x86, "
            "dpkg, apt, make and gcc)"
        )


def _candidate(package: str) -> str:
    """apt's candidate entry for a package: its Version and Depends lines."""
    return _run(["apt-cache", "show", "--no-all-versions", package])


def _field(entry: str, name: str) -> str:
    found = re.search(rf"^{name}: (.+)$", entry, re.M)
    if not found:
        raise GuestUnavailable(f"apt shows no {name} in:\n{entry[:500]}")
    return found.group(1)


def _download(packages: list[str], into: Path) -> None:
    """`apt-get download`, refreshing apt's lists once if a package moved on in the archive."""
    try:
        _run(["apt-get", "download", *packages], cwd=into)
    except GuestUnavailable:
        _run(["apt-get", "update", "-qq"])
        _run(["apt-get", "download", *packages], cwd=into)


def _extract(deb: Path, into: Path) -> None:
    _run(["dpkg-deb", "-x", str(deb), str(into)])


def _one(folder: Path, pattern: str) -> Path:
    found = sorted(folder.glob(pattern))
    if len(found) != 1:
        raise GuestUnavailable(f"expected one {pattern} in {folder}, found {found}")
    return found[0]


def _sources(source_deb: Path, version: str, into: Path) -> Path:
    """gpio-sim.c and irq_sim.c out of Debian's kernel source tarball, and irq_sim made a module.

    Built into a kernel, irq_sim calls handle_simple_irq(irq_to_desc(irq)); irq_to_desc is not
    exported to modules, so the module calls generic_handle_irq(irq), which looks the descriptor
    up and runs the same flow handler (irq_sim installs handle_simple_irq on each of its irqs).
    """
    tarball = f"./usr/src/linux-source-{SERIES}.tar.xz"
    wanted = [f"linux-source-{SERIES}/drivers/gpio/gpio-sim.c"]
    wanted.append(f"linux-source-{SERIES}/kernel/irq/irq_sim.c")
    deb = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(source_deb)], stdout=subprocess.PIPE)
    inner = subprocess.Popen(["tar", "-xO", tarball], stdin=deb.stdout, stdout=subprocess.PIPE)
    assert deb.stdout is not None
    deb.stdout.close()
    _run_piped(["tar", "-xJ", "-C", str(into), *wanted], inner)
    inner.wait()
    deb.wait()
    src = into / f"linux-source-{SERIES}"
    irq_sim = src / "kernel/irq/irq_sim.c"
    text = irq_sim.read_text()
    builtin_call = "handle_simple_irq(irq_to_desc(irqnum));"
    if builtin_call not in text:
        raise GuestUnavailable(f"irq_sim.c of {version} no longer calls {builtin_call}")
    text = text.replace(builtin_call, "generic_handle_irq(irqnum);")
    irq_sim.write_text(text + '\nMODULE_LICENSE("GPL");\nMODULE_DESCRIPTION("irq_sim");\n')
    build = into / "build"
    build.mkdir()
    for source in (irq_sim, src / "drivers/gpio/gpio-sim.c"):
        shutil.copy(source, build)
    (build / "Kbuild").write_text("obj-m := irq_sim.o gpio-sim.o\n")
    return build


def _run_piped(args: list[str], feeder: subprocess.Popen[bytes]) -> None:
    done = subprocess.run(args, stdin=feeder.stdout, capture_output=True, check=False)
    if done.returncode != 0:
        raise GuestUnavailable(f"`{' '.join(args)}` failed: {done.stderr.decode()[-2000:]}")


def _build_modules(headers_root: Path, release: str, build: Path) -> None:
    """Kbuild against the extracted headers; their Makefile names /usr/src, so it is pointed at
    the extracted copy. No BTF for the modules: that needs pahole, and nothing here reads it."""
    headers = headers_root / "usr/src" / f"linux-headers-{release}"
    makefile = headers / "Makefile"
    makefile.write_text(makefile.read_text().replace("/usr/src/", f"{headers_root}/usr/src/"))
    _run(["make", "-C", str(headers), f"M={build}", "CONFIG_DEBUG_INFO_BTF_MODULES=", "modules"])


def _initrd(image_root: Path, busybox: Path, release: str, build: Path) -> bytes:
    modules = image_root / "lib/modules" / release / "kernel"
    files: list[initramfs.Entry] = [initramfs.folder(d) for d in ("bin", "dev", "proc", "sys")]
    files += [initramfs.folder("root"), initramfs.folder("modules")]
    files.append(initramfs.file("bin/busybox", busybox.read_bytes(), 0o755))
    files.append(initramfs.link("bin/sh", "busybox"))
    files.append(initramfs.file("init", INIT.read_bytes(), 0o755))
    for module in DEBIAN_MODULES:
        code = lzma.decompress((modules / f"{module}.ko.xz").read_bytes())
        files.append(initramfs.file(f"modules/{Path(module).name}.ko", code, 0o644))
    for name in BUILT_MODULES:
        files.append(initramfs.file(f"modules/{name}.ko", (build / f"{name}.ko").read_bytes()))
    return initramfs.newc(files)


def _cache_root() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "smartcharge" / "gpio-guest"


def prepare() -> GuestImage:
    """The guest's kernel and initrd, made on first use (a minute or two) and then kept."""
    _needs("qemu-system-x86_64", "apt-get", "apt-cache", "dpkg-deb", "tar", "make")
    meta = _candidate(f"linux-image-{SERIES}-amd64")
    found = re.match(r"linux-image-(\S+) \(= (\S+)\)", _field(meta, "Depends"))
    if not found:
        raise GuestUnavailable(f"cannot tell the kernel of linux-image-{SERIES}-amd64")
    release, version = found.groups()  # 6.12.118+deb12-amd64, 6.12.118-1~deb12u1
    base = release.removesuffix("-amd64")
    recipe = hashlib.sha256(INIT.read_bytes() + Path(__file__).read_bytes()).hexdigest()[:12]
    root = _cache_root()
    done = root / f"{release}-{recipe}"
    image = GuestImage(done / "vmlinuz", done / "initrd")
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one process builds; the others wait and reuse it
        if image.initrd.is_file():
            return image
        with tempfile.TemporaryDirectory(dir=root) as scratch:
            work = Path(scratch)
            debs, image_root, headers_root, busybox_root = (work / n for n in ("d", "i", "h", "b"))
            for folder in (debs, image_root, headers_root, busybox_root):
                folder.mkdir()
            _download(
                [
                    f"linux-image-{release}",
                    f"linux-headers-{release}",
                    f"linux-headers-{base}-common",
                    f"linux-kbuild-{base}",
                    f"linux-source-{SERIES}={version}",
                    "busybox-static",
                ],
                debs,
            )
            _extract(_one(debs, "linux-image-*.deb"), image_root)
            for deb in [*debs.glob("linux-headers-*.deb"), _one(debs, "linux-kbuild-*.deb")]:
                _extract(deb, headers_root)
            _extract(_one(debs, "busybox-static_*.deb"), busybox_root)
            build = _sources(_one(debs, "linux-source-*.deb"), version, work)
            _build_modules(headers_root, release, build)
            result = work / "image"
            result.mkdir()
            shutil.copy(image_root / "boot" / f"vmlinuz-{release}", result / "vmlinuz")
            busybox = busybox_root / "bin/busybox"
            (result / "initrd").write_bytes(_initrd(image_root, busybox, release, build))
            result.rename(done)
    return image


def run(image: GuestImage, script: str, results: Path) -> GuestRun:
    """Boot the guest and run `script` (sh) in it as root, with this machine's root filesystem
    read-only at / and `results` writable at /tmp/guest-out."""
    (results / "run.sh").write_text(script)
    share = "security_model=none,multidevs=remap"
    qemu = [
        "qemu-system-x86_64",
        *("-accel", "tcg", "-cpu", "max", "-m", "1024", "-smp", "1"),
        *("-nographic", "-nodefaults", "-no-reboot", "-serial", "stdio"),
        *("-kernel", str(image.kernel), "-initrd", str(image.initrd)),
        *("-append", "console=ttyS0 quiet panic=-1 rdinit=/init"),
        *("-virtfs", f"local,path=/,mount_tag=host,readonly=on,{share}"),
        *("-virtfs", f"local,path={results},mount_tag=out,{share}"),
    ]
    done = subprocess.run(qemu, capture_output=True, text=True, timeout=BOOT_GUARD_S, check=False)
    status_file, output_file = results / "status", results / "output"
    status = int(status_file.read_text()) if status_file.is_file() else None
    output = output_file.read_text() if output_file.is_file() else ""
    return GuestRun(status, output, done.stdout + done.stderr, results)
