"""The cuDNN library readers on real folder listings.

``library_version`` reads a version from a library file name (``libcudnn.so.8.9.7``, ``cudnn64_9.dll``) and
``_most_specific`` picks, of the names one folder holds, the most specific version: the one with the most parts. The
listings are ``dpkg -L`` and ``ls`` output quoted in public GitHub issues and pull requests, cited beside each. Where a
listing is assembled by hand, its comment says so and what it stands for.
"""

from __future__ import annotations

import pytest

from envdoctor.probes.cudnn import _most_specific, library_version


def folder_version(names: list[str]) -> str | None:
    """What the probe reads from one folder: the most specific version among its cuDNN library names."""
    return _most_specific([v for v in (library_version(name) for name in names) if v])


@pytest.mark.parametrize(
    ("names", "version"),
    [
        # /usr/lib/x86_64-linux-gnu of the libcudnn9-cuda-12 deb from 9.10 on, which adds an unversioned link
        # (NVIDIA/JAX-Toolbox#1411)
        (["libcudnn.so", "libcudnn.so.9", "libcudnn.so.9.10.0", "libcudnn_adv.so", "libcudnn_adv.so.9"], "9.10.0"),
        # ls /usr/local/cuda-7.0/lib64/libcudn* of a cuDNN 7.0 tarball install (soumith/cudnn.torch#75)
        (["libcudnn.so", "libcudnn.so.7.0", "libcudnn.so.7.0.64", "libcudnn_static.a"], "7.0.64"),
        # the lib folder of the nvidia-cudnn-cu12 wheel: major-only names (NVIDIA/cudnn-frontend#180)
        (["libcudnn_adv.so.9", "libcudnn_engines_precompiled.so.9", "libcudnn_graph.so.9", "libcudnn_ops.so.9",
          "libcudnn_cnn.so.9", "libcudnn_engines_runtime_compiled.so.9", "libcudnn_heuristic.so.9", "libcudnn.so.9"],
         "9"),
        # Assembled: the libcudnn8 deb's names for cuDNN 8.9.7 beside a lone libcudnn.so.9, the wheel's name above
        # linked into the folder by hand. The folder's most specific name is 8.9.7's, which the docstring's rule picks
        # over the higher but major-only 9.
        (["libcudnn.so.8", "libcudnn.so.8.9.7", "libcudnn.so.9"], "8.9.7"),
        # /usr/lib/x86_64-linux-gnu without cuDNN: glibc's library alone
        (["libc.so.6"], None),
    ],
)
def test_the_most_specific_version_of_a_folder(names, version):
    assert folder_version(names) == version


def test_no_versions_is_none():
    assert _most_specific([]) is None
