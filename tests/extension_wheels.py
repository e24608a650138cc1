"""Metadata-only wheels of real extension releases: each keeps the release's name, version and Requires-Dist.

The files inside are an empty package: ``check`` reads metadata only and never imports them. Sources:

- xformers 0.0.28.post1+cu121: the PyTorch index's cu121 wheel (named in
  https://huggingface.co/spaces/Leyla2612/InstantMesh/commit/f4906b9ad15d34c6d6ab3deb279ada7acbd0402c);
  Requires-Dist torch==2.4.1 per https://github.com/facebookresearch/xformers/blob/main/CHANGELOG.md (0.0.28:
  "Pre-built binary wheels require PyTorch 2.4.1"), and pip's "xformers 0.0.22.post7 requires torch==2.1.0"
  (https://github.com/s9roll7/animatediff-cli-prompt-travel/issues/87) shows the pin is a Requires-Dist.
- flash-attn 2.6.3+cu123torch2.4cxx11abiFALSE: the GitHub release asset named in flash-attention's setup.py
  (get_wheel_url); Requires-Dist torch, einops (its install_requires).
- torch-scatter 2.1.2+pt24cu121 and torch-sparse 0.6.18+pt212cu130: the PyG wheel index pages
  torch-2.4.0+cu121 and torch-2.12.0+cu130 (https://data.pyg.org/whl/torch-2.12.0%2Bcu130.html).
- torch-cluster 1.6.3+pt213cpu: assembled on the same PyG naming for torch 2.13 (the page for 2.13 is not
  stored here): the build that fits the CPU torch 2.13.0 of the tests.
- apex 0.1: NVIDIA/apex's setup.py version, built from source (no label).
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path

RELEASES = {
    "xformers": ("0.0.28.post1+cu121", ["numpy", "torch==2.4.1"]),
    "flash_attn": ("2.6.3+cu123torch2.4cxx11abiFALSE", ["torch", "einops"]),
    "torch_scatter": ("2.1.2+pt24cu121", []),
    "torch_sparse": ("0.6.18+pt212cu130", ["scipy"]),
    "torch_cluster": ("1.6.3+pt213cpu", []),
    "apex": ("0.1", []),
}


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build_wheel(folder: Path, project: str, version: str, requires: list[str]) -> Path:
    """A py3-none-any wheel of ``project`` at ``version`` whose METADATA has these Requires-Dist lines."""
    dist_info = f"{project}-{version}.dist-info"
    metadata = "\n".join(["Metadata-Version: 2.1", f"Name: {project.replace('_', '-')}", f"Version: {version}",
                          *(f"Requires-Dist: {r}" for r in requires), "", ""]).encode()
    files = {
        f"{project}/__init__.py": b"",
        f"{dist_info}/METADATA": metadata,
        f"{dist_info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: envdoctor-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = [_record_line(name, data) for name, data in files.items()] + [f"{dist_info}/RECORD,,"]
    path = folder / f"{project}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
        archive.writestr(f"{dist_info}/RECORD", "\n".join(record) + "\n")
    return path


def build_all(folder: Path, releases: dict[str, tuple[str, list[str]]] = RELEASES) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [build_wheel(folder, project, version, requires) for project, (version, requires) in releases.items()]
