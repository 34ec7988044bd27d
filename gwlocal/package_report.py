"""``python -m gwlocal.package_report [.aws-sam/build]``: what ``sam build`` made, and its sizes.

Why: a Lambda cold start pays for every byte shipped and every module imported, and Lambda limits
a function with its layers to 250 MB unzipped. This reads the build folder of ``sam build``
(one folder per function and per layer, as named in ``template.yaml``) and prints, per artifact,
its top-level entries, file count, unzipped size and zipped size (deflate, as ``sam deploy``
uploads it), then each function's total with its layers against Lambda's limit. The sam-build
test uses the same reading to check that the functions hold ``framework/`` and ``handlers/`` only.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

LAMBDA_UNZIPPED_LIMIT = 262_144_000
"""Lambda: a function's deployment package and all its layers, unzipped (250 MB)."""


@dataclass(frozen=True)
class Artifact:
    name: str
    path: Path
    entries: tuple[str, ...]
    files: int
    unzipped: int
    zipped: int


def _zipped_size(path: Path) -> int:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(p for p in path.rglob("*") if p.is_file()):
            archive.write(file, file.relative_to(path).as_posix())
    return len(buffer.getvalue())


def measure(path: Path) -> Artifact:
    files = [p for p in path.rglob("*") if p.is_file()]
    return Artifact(path.name, path, tuple(sorted(p.name for p in path.iterdir())), len(files),
                    sum(os.path.getsize(p) for p in files), _zipped_size(path))


def artifacts(build_dir: Path) -> list[Artifact]:
    """Every artifact folder of a ``sam build`` output (skipping its template)."""
    if not (build_dir / "template.yaml").exists():
        raise FileNotFoundError(f"{build_dir} is not a sam build folder (no template.yaml): run `sam build` first")
    return [measure(p) for p in sorted(build_dir.iterdir()) if p.is_dir()]


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.2f} MB"


def report(build_dir: Path) -> str:
    found = artifacts(build_dir)
    layers = [a for a in found if (a.path / "python").is_dir()]
    rows = [("artifact", "contents", "files", "unzipped", "zipped")]
    rows += [(a.name, " ".join(a.entries), str(a.files), _mb(a.unzipped), _mb(a.zipped)) for a in found]
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = ["  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
             for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    layer_bytes = sum(a.unzipped for a in layers)
    for a in found:
        if a in layers:
            continue
        total = a.unzipped + layer_bytes
        lines.append(f"{a.name} with its layers: {_mb(total)} unzipped of Lambda's {_mb(LAMBDA_UNZIPPED_LIMIT)} "
                     f"({100 * total / LAMBDA_UNZIPPED_LIMIT:.0f}%)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gwlocal.package_report", description=__doc__.splitlines()[0])
    parser.add_argument("build_dir", nargs="?", type=Path, default=Path(".aws-sam/build"),
                        help="the sam build output folder")
    args = parser.parse_args(argv)
    try:
        print(report(args.build_dir))
    except FileNotFoundError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
