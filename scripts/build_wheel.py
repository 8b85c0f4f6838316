#!/usr/bin/env python3
"""Packs the litskit wheel (dist/litskit-VERSION-py3-none-linux_x86_64.whl) from python/litskit,
the release liblitskit.so and the release `lits` binary (both linked with the Swift runtime
statically, so that the wheel needs no toolchain).

A wheel is a zip: the package files, plus NAME-VERSION.dist-info/{METADATA, WHEEL, RECORD}
(PEP 427); written here with the standard library alone. The version is LiTSKitVersion.current
(Sources/LiTSCore/Version.swift), the project's one version constant.

    scripts/build_wheel.py --lib .build/wheel/release/liblitskit.so --lits .build/wheel/release/lits --out dist
"""
import argparse
import base64
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TAG = "py3-none-linux_x86_64"


def version():
    text = open(os.path.join(ROOT, "Sources/LiTSCore/Version.swift")).read()
    m = re.search(r'static let current = "([0-9][0-9A-Za-z.+-]*)"', text)
    if not m:
        sys.exit("build_wheel: no version in Sources/LiTSCore/Version.swift")
    return m.group(1)


def record_line(name, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def stripped(path, scratch):
    """A copy without debug symbols (strip --strip-unneeded keeps the exported ones)."""
    out = os.path.join(scratch, os.path.basename(path))
    shutil.copy2(path, out)
    if shutil.which("strip"):
        subprocess.run(["strip", "--strip-unneeded", out], check=True)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", required=True)
    ap.add_argument("--lits", required=True)
    ap.add_argument("--out", default=os.path.join(ROOT, "dist"))
    args = ap.parse_args()

    v = version()
    meta = tomllib.load(open(os.path.join(ROOT, "python/pyproject.toml"), "rb"))["project"]
    name = meta["name"]
    dist_info = f"{name}-{v}.dist-info"
    files = []   # (archive name, bytes, executable)
    pkg = os.path.join(ROOT, "python", name)
    for f in sorted(os.listdir(pkg)):
        if f.endswith(".py"):
            files.append((f"{name}/{f}", open(os.path.join(pkg, f), "rb").read(), False))
    files.append((f"{name}/VERSION", (v + "\n").encode(), False))
    with tempfile.TemporaryDirectory() as scratch:
        files.append((f"{name}/lib/liblitskit.so", open(stripped(args.lib, scratch), "rb").read(), True))
        files.append((f"{name}/bin/lits", open(stripped(args.lits, scratch), "rb").read(), True))

    readme = open(os.path.join(ROOT, "python", meta["readme"])).read()
    metadata = [f"Metadata-Version: 2.1", f"Name: {name}", f"Version: {v}", f"Summary: {meta['description']}",
                f"Requires-Python: {meta['requires-python']}", f"License: {meta['license']['text']}"]
    metadata += [f"Requires-Dist: {d}" for d in meta["dependencies"]]
    metadata += ["Description-Content-Type: text/markdown", "", readme]
    files.append((f"{dist_info}/METADATA", "\n".join(metadata).encode(), False))
    files.append((f"{dist_info}/WHEEL", f"Wheel-Version: 1.0\nGenerator: litskit build_wheel.py\nRoot-Is-Purelib: false\nTag: {TAG}\n".encode(), False))
    files.append((f"{dist_info}/top_level.txt", f"{name}\n".encode(), False))
    record = [record_line(n, d) for n, d, _ in files] + [f"{dist_info}/RECORD,,"]
    files.append((f"{dist_info}/RECORD", ("\n".join(record) + "\n").encode(), False))

    os.makedirs(args.out, exist_ok=True)
    target = os.path.join(args.out, f"{name}-{v}-{TAG}.whl")
    temp = target + ".partial"
    with zipfile.ZipFile(temp, "w", zipfile.ZIP_DEFLATED) as z:
        for n, data, executable in files:
            info = zipfile.ZipInfo(n, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = ((0o755 if executable else 0o644) | 0o100000) << 16
            z.writestr(info, data)
    os.replace(temp, target)
    print(target)


if __name__ == "__main__":
    main()
