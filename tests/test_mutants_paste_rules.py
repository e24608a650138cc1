"""Each paste rule's finding compared whole: the real pastes of tests/fixtures/pastes (each cited in its README
and sidecar, copied from /work/shared/reference/real-pastes) and small assembled pastes for the branches no real
paste reaches (said so beside each).

The expected findings were checked by hand against each paste: the quoted line numbers and text are the paste's
own lines, the versions and names are those the paste prints, and the cause and fix agree with the verdict of
the thread the sidecar cites.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES_DIR

from envdoctor import paste_rules
from envdoctor.facts import Finding
from envdoctor.readers.pastes import read_paste
from envdoctor.readers.pastes.unwrap import clean_line
from envdoctor.recipes import load_recipes

PASTES: Path = FIXTURES_DIR / "pastes"
INSTALL = [["envdoctor", "install", "--dry-run"], ["envdoctor", "install"]]
MPS_PROBE = ["python", "-c", "import platform, torch; print(platform.machine(), platform.mac_ver()[0], "
             "torch.backends.mps.is_built(), torch.backends.mps.is_available())"]


@pytest.fixture(scope="module")
def recipes():
    return load_recipes()


def findings(text, recipes=None):
    return paste_rules.evaluate(read_paste(text), recipes)


#: every finding of every real paste, whole (the paste's number -> its findings in rule order)
EXPECTED = {
    "002": [
        Finding(
            "paste.gpu-too-new",
            "error",
            "gpu",
            (
                "RTX A6000 (compute capability 8.6) is newer than every architecture this torch build has kernels for (its"
                " newest is sm_70): 'no kernel image is available' at run time"
            ),
            subject="torch",
            fix="install a torch build for a CUDA new enough to have kernels for this GPU",
            commands=INSTALL,
            evidence=[
                "paste line 1: RTX A6000 with CUDA capability sm_86 is not compatible with the current PyTorch installation.",
                "paste line 2: The current PyTorch install supports CUDA capabilities sm_37 sm_50 sm_60 sm_70.",
                "source: https://pytorch.org/get-started/locally/",
            ],
        ),
    ],
    "003": [
        Finding(
            "paste.gpu-too-new",
            "error",
            "gpu",
            (
                "NVIDIA GeForce RTX 3090 (compute capability 8.6) is newer than every architecture this torch build has kernels"
                " for (its newest is sm_70): 'no kernel image is available' at run time"
            ),
            subject="torch",
            fix="install a torch build for a CUDA new enough to have kernels for this GPU",
            commands=INSTALL,
            evidence=[
                (
                    'paste line 1: "NVIDIA GeForce RTX 3090 with CUDA capability sm_86 is not compatible with the current'
                    " PyTorch installation."
                ),
                'paste line 2: The current PyTorch install supports CUDA capabilities sm_37 sm_50 sm_60 sm_70."',
                "source: https://pytorch.org/get-started/locally/",
            ],
        ),
    ],
    "004": [
        Finding(
            "paste.gpu-too-new",
            "error",
            "gpu",
            (
                "NVIDIA GeForce RTX 5060 Ti (compute capability 12.0) is newer than every architecture this torch build has"
                " kernels for (its newest is sm_90): 'no kernel image is available' at run time"
            ),
            subject="torch",
            fix="install a torch build for a CUDA new enough to have kernels for this GPU",
            commands=INSTALL,
            evidence=[
                (
                    "paste line 2: NVIDIA GeForce RTX 5060 Ti with CUDA capability sm_120 is not compatible with the current"
                    " PyTorch installation."
                ),
                (
                    "paste line 3: The current PyTorch install supports CUDA capabilities sm_50 sm_60 sm_70 sm_75 sm_80 sm_86"
                    " sm_90."
                ),
                "source: https://pytorch.org/get-started/locally/",
            ],
        ),
    ],
    "005": [
        Finding(
            "paste.driver-too-old",
            "error",
            "gpu",
            (
                "the installed torch was built for a newer CUDA than the NVIDIA driver supports (the driver supports CUDA"
                " 11.4): torch.cuda.is_available() is False"
            ),
            subject="nvidia.driver",
            fix=(
                "install a torch build for CUDA 11.4 or older, or upgrade the NVIDIA driver (a container cannot: the host's"
                " driver is the one used)"
            ),
            commands=INSTALL,
            evidence=[
                (
                    "paste line 2: /opt/python11Venv/lib/python3.11/site-packages/torch/cuda/__init__.py:182: UserWarning: CUDA"
                    " initialization: The NVIDIA driver on your system is too old (found version 11040). Please update your GPU"
                    " driver by downloading and installing a new version from the URL: http://www.nvidia.com/Download/index"
                ),
                "source: https://docs.nvidia.com/deploy/cuda-compatibility/",
            ],
        ),
    ],
    "006": [
        Finding(
            "paste.driver-too-old",
            "error",
            "gpu",
            (
                "the installed torch was built for a newer CUDA than the NVIDIA driver supports (the driver supports CUDA"
                " 11.4): torch.cuda.is_available() is False"
            ),
            subject="nvidia.driver",
            fix=(
                "install a torch build for CUDA 11.4 or older, or upgrade the NVIDIA driver (a container cannot: the host's"
                " driver is the one used)"
            ),
            commands=INSTALL,
            evidence=[
                (
                    "paste line 1: RuntimeError: The NVIDIA driver on your system is too old (found version 11040). Please"
                    " update your GPU driver by downloading and installing a new versi        on from the URL:"
                    " http://www.nvidia.com/Download/index.aspx Alternatively, go to: https://pytorch.org to install a PyTorch"
                    " version that has b"
                ),
                "source: https://docs.nvidia.com/deploy/cuda-compatibility/",
            ],
        ),
    ],
    "008": [
        Finding(
            "paste.driver-too-old",
            "error",
            "gpu",
            (
                "the installed torch was built for a newer CUDA than the NVIDIA driver supports (the driver supports CUDA"
                " 12.8): torch.cuda.is_available() is False"
            ),
            subject="nvidia.driver",
            fix=(
                "install a torch build for CUDA 12.8 or older, or upgrade the NVIDIA driver (a container cannot: the host's"
                " driver is the one used)"
            ),
            commands=INSTALL,
            evidence=[
                (
                    "paste line 1: /opt/conda/envs/py_3.10/lib/python3.10/site-packages/torch/cuda/__init__.py:182:"
                    " UserWarning: CUDA initialization: The NVIDIA driver on your system is too old (found version 12080)."
                    " Please update your GPU driver by downloading and installing a new version from the URL:"
                    " http://www.nvidia.com/Download"
                ),
                "source: https://docs.nvidia.com/deploy/cuda-compatibility/",
            ],
        ),
    ],
    "009": [
        Finding(
            "paste.missing-library",
            "error",
            "torch",
            (
                "a shared library could not be loaded (fbgemm.dll): it, or one it depends on, is not installed where the loader"
                " looks"
            ),
            subject="torch",
            fix=(
                "a DLL the Windows wheel needs is missing (torch 2.4.0's fbgemm.dll needs libomp140.x86_64.dll): install"
                " torch 2.4.1 or newer, or the Microsoft Visual C++ Redistributable"
            ),
            commands=INSTALL,
            evidence=[
                (
                    "paste line 8: OSError: [WinError 126] 找不到指定的模块。 Error loading"
                    ' "E:\\MaterialSearch_tmp\\MaterialSearchWindows\\lib\\site-packages\\torch\\lib\\fbgemm.dll" or one of its'
                    " dependencies."
                ),
                (
                    "paste line 8: OSError: [WinError 126] 找不到指定的模块。 Error loading"
                    ' "E:\\MaterialSearch_tmp\\MaterialSearchWindows\\lib\\site-packages\\torch\\lib\\fbgemm.dll" or one of its'
                    " dependencies."
                ),
                "source: https://pytorch.org/get-started/locally/",
            ],
        ),
    ],
    "010": [
        Finding(
            "paste.missing-library",
            "error",
            "torch",
            (
                "a shared library could not be loaded (fbgemm.dll): it, or one it depends on, is not installed where the loader"
                " looks"
            ),
            subject="torch",
            fix=(
                "a DLL the Windows wheel needs is missing (torch 2.4.0's fbgemm.dll needs libomp140.x86_64.dll): install"
                " torch 2.4.1 or newer, or the Microsoft Visual C++ Redistributable"
            ),
            commands=INSTALL,
            evidence=[
                (
                    'paste line 2: "message": "[WinError 126] The specified module could not be found. Error loading'
                    ' \\"c:\\\\Users\\\\Noor\\\\anaconda3\\\\envs\\\\DL\\\\Lib\\\\site-packages\\\\torch\\\\lib\\\\fbgemm.dll\\"'
                    ' or one of its dependencies.",'
                ),
                (
                    'paste line 2: "message": "[WinError 126] The specified module could not be found. Error loading'
                    ' \\"c:\\\\Users\\\\Noor\\\\anaconda3\\\\envs\\\\DL\\\\Lib\\\\site-packages\\\\torch\\\\lib\\\\fbgemm.dll\\"'
                    ' or one of its dependencies.",'
                ),
                "source: https://pytorch.org/get-started/locally/",
            ],
        ),
    ],
    "012": [
        Finding(
            "paste.gpu-too-old",
            "error",
            "gpu",
            (
                "GeForce GTX 660 Ti (compute capability 3.0) is older than the oldest architecture this torch build was"
                " compiled for (3.5): its kernels cannot run there"
            ),
            subject="torch",
            fix=(
                "install an older torch release whose wheels still include this architecture, build torch from source with"
                " TORCH_CUDA_ARCH_LIST naming it, or run on the CPU"
            ),
            commands=INSTALL,
            evidence=[
                "paste line 1: Found GPU0 GeForce GTX 660 Ti which is of cuda capability 3.0.",
                "paste line 3: The minimum cuda capability that we support is 3.5.",
                "source: https://pytorch.org/get-started/previous-versions/",
            ],
        ),
    ],
    "013": [
        Finding(
            "paste.gpu-too-old",
            "error",
            "gpu",
            (
                "NVIDIA GTX TITAN Black (compute capability 3.5) is older than the oldest architecture this torch build was"
                " compiled for (3.7): its kernels cannot run there"
            ),
            subject="torch",
            fix=(
                "install an older torch release whose wheels still include this architecture, build torch from source with"
                " TORCH_CUDA_ARCH_LIST naming it, or run on the CPU"
            ),
            commands=INSTALL,
            evidence=[
                (
                    "paste line 1: The console returned a pretty cut and dry error: Found GPU0 NVIDIA GTX TITAN Black which is"
                    " of cuda capability 3.5. PyTorch no longer supports this GPU because it is too old. The minimum cuda"
                    " capability supported by this library is 3.7."
                ),
                (
                    "paste line 1: The console returned a pretty cut and dry error: Found GPU0 NVIDIA GTX TITAN Black which is"
                    " of cuda capability 3.5. PyTorch no longer supports this GPU because it is too old. The minimum cuda"
                    " capability supported by this library is 3.7."
                ),
                "source: https://pytorch.org/get-started/previous-versions/",
            ],
        ),
    ],
    "015": [
        Finding(
            "paste.no-kernel-image",
            "error",
            "gpu",
            (
                "the installed torch (or an extension) has no compiled kernels for this GPU's architecture: the build is older"
                " than the GPU (or the GPU older than the build's oldest architecture)"
            ),
            subject="torch",
            fix=(
                "install a torch build whose kernels cover this GPU; the paste does not name the GPU: add --gpu NAME"
                " (nvidia-smi --query-gpu=name,compute_cap --format=csv) or run `envdoctor diagnose - --here` on that"
                " machine"
            ),
            commands=INSTALL,
            evidence=[
                "paste line 1: RuntimeError: CUDA error: no kernel image is available for execution on the device",
                "source: https://pytorch.org/get-started/locally/",
            ],
        ),
    ],
    "016": [
        Finding(
            "paste.no-kernel-image",
            "error",
            "gpu",
            (
                "the installed torch (or an extension) has no compiled kernels for this GPU's architecture: the build is older"
                " than the GPU (or the GPU older than the build's oldest architecture)"
            ),
            subject="torch",
            fix=(
                "install a torch build whose kernels cover this GPU; the paste does not name the GPU: add --gpu NAME"
                " (nvidia-smi --query-gpu=name,compute_cap --format=csv) or run `envdoctor diagnose - --here` on that"
                " machine"
            ),
            commands=INSTALL,
            evidence=[
                (
                    "paste line 1: Hello, I have completed the construction of the conda environment according to the"
                    ' environment.yml you gave, but when I use "python main.py --transfer_attack_method ifgm_ours" to train,'
                    ' the error "RuntimeError: CUDA error: no kernel image is available for execution on the device", how do I'
                    " solve thi"
                ),
                "source: https://pytorch.org/get-started/locally/",
            ],
        ),
    ],
    "018": [
        Finding(
            "paste.no-matching-wheel",
            "error",
            "python",
            (
                "pip could not install torch===1.4.0: only the 0.1.2 source releases match: the Python is 32-bit (or an"
                " unsupported platform), and torch publishes 64-bit wheels only"
            ),
            subject="python",
            fix="install a 64-bit Python (Windows: the x86-64 installer), make a fresh venv with it and install again",
            commands=INSTALL,
            evidence=[
                (
                    "paste line 5: ERROR: Could not find a version that satisfies the requirement torch===1.4.0 (from versions:"
                    " 0.1.2, 0.1.2.post1, 0.1.2.post2)"
                ),
                "paste line 4: Looking in links: https://download.pytorch.org/whl/torch_stable.html",
                "source: https://pytorch.org/get-started/previous-versions/",
            ],
        ),
    ],
    "019": [
        Finding(
            "paste.no-matching-wheel",
            "error",
            "python",
            (
                "pip could not install torch: no torch wheel exists for this Python version, OS or architecture (a Python newer"
                " than the newest torch supports, a 32-bit Python, or a platform without wheels)"
            ),
            subject="python",
            fix=(
                "use a Python that torch publishes wheels for (64-bit, a supported version), or a torch release that"
                " supports this one"
            ),
            commands=INSTALL,
            evidence=[
                "paste line 1: ERROR: Could not find a version that satisfies the requirement torch (from versions: none)",
                "source: https://pytorch.org/get-started/previous-versions/",
            ],
        ),
    ],
    "020": [
        Finding(
            "paste.no-matching-wheel",
            "error",
            "python",
            (
                "pip could not install torch==1.13.1: the pin torch==1.13.1 names a release with no wheel for this Python and"
                " platform (the index offers 2.0.0 ... 2.4.1)"
            ),
            subject="python",
            fix="drop or update the pin to a release with wheels for this Python, or use an older Python for that release",
            commands=INSTALL,
            evidence=[
                (
                    "paste line 1: ERROR: Could not find a version that satisfies the requirement torch==1.13.1 (from versions:"
                    " 2.0.0, 2.0.1, 2.1.0, 2.1.1, 2.1.2, 2.2.0, 2.2.1, 2.2.2, 2.3.0, 2.3.1, 2.4.0, 2.4.1)"
                ),
                "source: https://pytorch.org/get-started/previous-versions/",
            ],
        ),
    ],
    "021": [
        Finding(
            "paste.no-matching-wheel",
            "error",
            "python",
            (
                "pip could not install torch==2.10.0: the index https://download.pytorch.org/whl/cu131 offers no torch for this"
                " Python and platform (the variant cu131 may not exist, or has no wheel for this Python)"
            ),
            subject="python",
            fix="use an index of a variant that exists for this Python (the command below is the one that fits)",
            commands=INSTALL,
            evidence=[
                (
                    "paste line 2: ERROR: Could not find a version that satisfies the requirement torch==2.10.0 (from versions:"
                    " none)"
                ),
                "paste line 1: Looking in indexes: https://download.pytorch.org/whl/cu131",
                "source: https://pytorch.org/get-started/previous-versions/",
            ],
        ),
    ],
    "022": [
        Finding(
            "paste.cpu-only-build",
            "error",
            "torch",
            (
                "the torch that was imported is a CPU-only build: it cannot use the GPU (on Windows and macOS the default PyPI"
                " wheel is CPU-only; on Linux a +cpu wheel or conda's cpuonly did it)"
            ),
            subject="torch",
            fix="uninstall torch and install the CUDA build for this machine from PyTorch's index",
            commands=INSTALL,
            evidence=[
                'paste line 4: raise AssertionError("Torch not compiled with CUDA enabled")',
                "source: https://pytorch.org/get-started/locally/",
            ],
        ),
    ],
    "023": [
        Finding(
            "paste.cpu-only-build",
            "error",
            "torch",
            (
                "the torch that was imported (2.8.0) is a CPU-only build: it cannot use the GPU (on Windows and macOS the"
                " default PyPI wheel is CPU-only; on Linux a +cpu wheel or conda's cpuonly did it)"
            ),
            subject="torch",
            fix="uninstall torch and install the CUDA build for this machine from PyTorch's index",
            commands=INSTALL,
            evidence=[
                (
                    'paste line 1: When starting SD.Next I have an error message indicating "GPU stats: Torch not compiled with'
                    ' CUDA enabled", leading to no CUDA acceleration, so only CPU was used.'
                ),
                "source: https://pytorch.org/get-started/locally/",
            ],
        ),
    ],
    "026": [
        Finding(
            "paste.abi-mismatch",
            "error",
            "torch",
            (
                "flash_attn was built against another torch release than the one installed: its compiled code references a"
                " symbol this torch does not export (_ZN3c104cuda9SetDeviceEi)"
            ),
            subject="torch",
            fix=(
                "reinstall flash_attn built for the installed torch: pip uninstall flash_attn, then a wheel for this"
                " torch/CUDA/Python or a source build with --no-build-isolation"
            ),
            commands=[
                [
                    "python",
                    "-m",
                    "pip",
                    "install",
                    "--force-reinstall",
                    "--no-build-isolation",
                    "--no-cache-dir",
                    "flash-attn",
                ]
            ],
            evidence=[
                (
                    "paste line 3: ImportError:"
                    " /lib/python3.10/site-packages/flash_attn_2_cuda.cpython-310-x86_64-linux-gnu.so: undefined symbol:"
                    " _ZN3c104cuda9SetDeviceEi"
                ),
                "source: https://pytorch.org/docs/stable/cpp_extension.html",
            ],
        ),
    ],
    "027": [
        Finding(
            "paste.abi-mismatch",
            "error",
            "torch",
            (
                "torchvision was built against another torch release than the one installed: its compiled code does not"
                " register its operators with this torch"
            ),
            subject="torch",
            fix="install the torchvision release made for the installed torch (the same index and variant)",
            commands=INSTALL,
            evidence=[
                "paste line 4: RuntimeError: No such operator torchvision::nms",
                "source: https://pytorch.org/get-started/previous-versions/",
            ],
        ),
    ],
    "028": [
        Finding(
            "paste.extension-build",
            "error",
            "cuda",
            (
                "the extension is compiled with the CUDA 12.3 toolkit (nvcc / CUDA_HOME) but torch was built with CUDA 11.8:"
                " torch's build check refuses a different CUDA major"
            ),
            subject="cuda.toolkit",
            fix=(
                "install a torch built for CUDA 12.x (the index of that variant), or point CUDA_HOME at a CUDA 11.8 toolkit"
                " before building"
            ),
            commands=[
                ["python", "-m", "pip", "install", "torch", "--index-url", "https://download.pytorch.org/whl/cu121"],
                ["export", "CUDA_HOME=/usr/local/cuda-11.8"],
            ],
            evidence=[
                "paste line 2: The detected CUDA version (12.3) mismatches the version that was used to compile",
                "source: https://pytorch.org/docs/stable/cpp_extension.html",
            ],
        ),
    ],
    "029": [
        Finding(
            "paste.extension-build",
            "error",
            "cuda",
            (
                "the extension is compiled with the CUDA 12.2 toolkit (nvcc / CUDA_HOME) but torch was built with CUDA 11.3:"
                " torch's build check refuses a different CUDA major"
            ),
            subject="cuda.toolkit",
            fix=(
                "install a torch built for CUDA 12.x (the index of that variant), or point CUDA_HOME at a CUDA 11.3 toolkit"
                " before building"
            ),
            commands=[
                ["python", "-m", "pip", "install", "torch", "--index-url", "https://download.pytorch.org/whl/cu121"],
                ["export", "CUDA_HOME=/usr/local/cuda-11.3"],
            ],
            evidence=[
                "paste line 2: The detected CUDA version (12.2) mismatches the version that was used to compile",
                "source: https://pytorch.org/docs/stable/cpp_extension.html",
            ],
        ),
    ],
    "031": [
        Finding(
            "paste.extension-build",
            "error",
            "cuda",
            (
                "the host compiler <myenv>/_build_env/bin/powerpc64le-conda-linux-gnu-c++ 11.2.0 is newer than CUDA 11.4"
                " accepts (at most 10.0.0)"
            ),
            subject="cuda.toolkit",
            fix=(
                "build with an older host compiler (CC/CXX, or nvcc -ccbin), or use a newer CUDA toolkit that supports this"
                " compiler (and a torch built for it)"
            ),
            commands=[["export", "CC=gcc-10", "CXX=g++-10"]],
            evidence=[
                (
                    "paste line 3: RuntimeError: The current installed version of"
                    " <myenv>/_build_env/bin/powerpc64le-conda-linux-gnu-c++ (11.2.0) is greater than the maximum required"
                    " version by CUDA 11.4 (10.0.0). Please make sure to use an adequate version of"
                    " <myenv>/_build_env/bin/powerpc64le-conda-linux-gnu-c++ (>=6.0.0, <=10.0.0)"
                ),
                "source: https://pytorch.org/docs/stable/cpp_extension.html",
            ],
        ),
    ],
    "032": [
        Finding(
            "paste.missing-library",
            "error",
            "torch",
            (
                "a shared library could not be loaded (libcudnn.so.8): it, or one it depends on, is not installed where the"
                " loader looks"
            ),
            subject="torch",
            fix=(
                "libcudnn.so.8 comes with the torch wheel's nvidia-* packages (pip) or the CUDA/cuDNN install (conda,"
                " source builds): reinstall the torch build for this machine so they match it, and unset LD_LIBRARY_PATH"
                " entries that point at another CUDA or cuDNN"
            ),
            commands=INSTALL,
            evidence=[
                "paste line 10: ImportError: libcudnn.so.8: cannot open shared object file: No such file or directory",
                "source: https://pytorch.org/get-started/locally/",
            ],
        ),
    ],
    "034": [
        Finding(
            "paste.mps-unavailable",
            "error",
            "gpu",
            (
                "torch cannot use the Apple GPU (MPS): the process sees an older macOS or no Metal device (an x86_64 Python"
                " under Rosetta 2 reports 10.16; a sandbox can hide Metal)"
            ),
            subject="apple",
            fix=(
                "use a native arm64 Python (python -c 'import platform; print(platform.machine())' must say arm64) with an"
                " arm64 torch, outside any sandbox that blocks Metal; MPS needs macOS 12.3+"
            ),
            commands=[
                MPS_PROBE
            ],
            evidence=[
                (
                    "paste line 20: RuntimeError: The MPS backend is supported on MacOS 14.0+. Current OS version can be"
                    " queried using `sw_vers"
                ),
                "source: https://developer.apple.com/metal/pytorch/",
            ],
        ),
    ],
    "035": [
        Finding(
            "paste.mps-unavailable",
            "error",
            "gpu",
            "torch cannot use the Apple GPU (MPS): the Python runs as x86_64 (Rosetta 2 reports macOS as 10.16)",
            subject="apple",
            fix=(
                "use a native arm64 Python (python -c 'import platform; print(platform.machine())' must say arm64) with an"
                " arm64 torch, outside any sandbox that blocks Metal; MPS needs macOS 12.3+"
            ),
            commands=[
                MPS_PROBE
            ],
            evidence=[
                (
                    "paste line 1: I'm trying to use a bf16 tensor on MPS, but got the error message: ``MPS BFloat16 is only"
                    " supported on MacOS 14 or newer``."
                ),
                "source: https://developer.apple.com/metal/pytorch/",
            ],
        ),
    ],
    "037": [
        Finding(
            "paste.rocm",
            "error",
            "gpu",
            "the ROCm torch build has no code object for this AMD GPU: its architecture is not in the build's target list",
            subject="rocm",
            fix=(
                "for an RDNA2 card set HSA_OVERRIDE_GFX_VERSION=10.3.0 (RDNA3: 11.0.0); a GPU of another family needs a"
                " torch built with its gfx target (PYTORCH_ROCM_ARCH) or a supported GPU"
            ),
            commands=[["export", "HSA_OVERRIDE_GFX_VERSION=10.3.0"], ["rocminfo"]],
            evidence=[
                'paste line 9: "hipErrorNoBinaryForGpu: Unable to find code object for all current devices!"',
                "source: https://rocm.docs.amd.com/projects/install-on-linux/en/latest/reference/system-requirements.html",
            ],
        ),
    ],
    "038": [
        Finding(
            "paste.rocm",
            "error",
            "gpu",
            (
                "the ROCm torch build has no code object for this AMD GPU (Radeon 5700XT): its architecture is not in the"
                " build's target list"
            ),
            subject="rocm",
            fix=(
                "for an RDNA2 card set HSA_OVERRIDE_GFX_VERSION=10.3.0 (RDNA3: 11.0.0); a GPU of another family needs a"
                " torch built with its gfx target (PYTORCH_ROCM_ARCH) or a supported GPU"
            ),
            commands=[["export", "HSA_OVERRIDE_GFX_VERSION=10.3.0"], ["rocminfo"]],
            evidence=[
                "paste line 2: RuntimeError: HIP error: invalid device function",
                "paste line 6: Radeon 5700XT",
                "source: https://rocm.docs.amd.com/projects/install-on-linux/en/latest/reference/system-requirements.html",
            ],
        ),
    ],
    "039": [
        Finding(
            "paste.wsl-libcuda",
            "error",
            "cuda",
            (
                "libcuda.so cannot be loaded: on WSL 2 the Windows driver's libcuda is in /usr/lib/wsl/lib, which the loader"
                " cache lists only as libcuda.so.1 (cuDNN asks for libcuda.so)"
            ),
            subject="cuda.toolkit",
            fix=(
                "add /usr/lib/wsl/lib to LD_LIBRARY_PATH (in ~/.bashrc), or run `sudo ldconfig` after fixing the"
                " /usr/lib/wsl/lib symlinks; do not install a Linux NVIDIA driver inside WSL"
            ),
            commands=[["export", "LD_LIBRARY_PATH=/usr/lib/wsl/lib:$LD_LIBRARY_PATH"]],
            evidence=[
                (
                    "paste line 4: 0%|                                                                                         "
                    "    | 0/1 [00:00<?, ?it/s]Could not load library libcudnn_cnn_infer.so.8. Error: libcuda.so: cannot open"
                    " shared object file: No such file or directory"
                ),
                "source: https://docs.nvidia.com/cuda/wsl-user-guide/index.html",
            ],
        ),
    ],
    "040": [
        Finding(
            "paste.wsl-libcuda",
            "error",
            "cuda",
            (
                "libcuda.so cannot be loaded: on WSL 2 the Windows driver's libcuda is in /usr/lib/wsl/lib, which the loader"
                " cache lists only as libcuda.so.1 (cuDNN asks for libcuda.so)"
            ),
            subject="cuda.toolkit",
            fix=(
                "add /usr/lib/wsl/lib to LD_LIBRARY_PATH (in ~/.bashrc), or run `sudo ldconfig` after fixing the"
                " /usr/lib/wsl/lib symlinks; do not install a Linux NVIDIA driver inside WSL"
            ),
            commands=[["export", "LD_LIBRARY_PATH=/usr/lib/wsl/lib:$LD_LIBRARY_PATH"]],
            evidence=[
                "paste line 15: OSError: libcuda.so: cannot open shared object file: No such file or directory",
                "source: https://docs.nvidia.com/cuda/wsl-user-guide/index.html",
            ],
        ),
    ],
    "042": [
        Finding(
            "paste.nvml",
            "error",
            "gpu",
            (
                "the NVIDIA user-space libraries and the loaded kernel module are different driver versions (a driver was"
                " upgraded without a reboot, or a container installed its own driver)"
            ),
            subject="nvidia.driver",
            fix=(
                "reboot (or unload and reload the nvidia kernel modules); in a container, remove the driver installed"
                " inside it: the host's driver is used, and torch should be a build for that driver"
            ),
            commands=[["cat", "/proc/driver/nvidia/version"], ["sudo", "reboot"]],
            evidence=[
                (
                    "paste line 2: 在运行Anaconda环境下的pytorch时,因提示CUDA版本过旧而无法利用GPU,"
                    "因此尝试按其提示更新CUDA。此操作亦更新了NVIDIA驱动,更新后有提示信息要求重启。运行"
                    " `nvidia-smi` 发现报错 `Failed to initialize NVML: Driver/library version"
                    " mismatch`,网上搜索结果亦称该问题重启即可解决。因此请求重启全部节点,但保留所有数据。"
                ),
                "source: https://docs.nvidia.com/deploy/cuda-compatibility/",
            ],
        ),
    ],
    "043": [
        Finding(
            "paste.nvml",
            "error",
            "gpu",
            (
                "nvidia-smi cannot reach the NVIDIA kernel driver: the module is not loaded (not built for this kernel, or"
                " refused by Secure Boot because it is unsigned)"
            ),
            subject="nvidia.driver",
            fix=(
                "check `mokutil --sb-state`: with Secure Boot on, sign the module or disable it; reinstall the driver for"
                " the running kernel (DKMS) and reboot"
            ),
            commands=[["mokutil", "--sb-state"], ["sudo", "modprobe", "nvidia"]],
            evidence=[
                (
                    "paste line 2: NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that"
                    " the latest NVIDIA driver is installed and running."
                ),
                "source: https://docs.nvidia.com/deploy/cuda-compatibility/",
            ],
        ),
    ],
    "046": [
        Finding(
            "paste.container",
            "error",
            "gpu",
            (
                "no NVIDIA driver is visible to this process: a container started without the NVIDIA runtime (docker run"
                " without --gpus), or a host without the driver"
            ),
            subject="nvidia.driver",
            fix=(
                "start the container with the GPUs (docker run --gpus all, Kubernetes nvidia.com/gpu) after installing the"
                " NVIDIA Container Toolkit on the host; on a host, install the driver"
            ),
            commands=[["docker", "run", "--gpus", "all", "IMAGE", "nvidia-smi"]],
            evidence=[
                (
                    "paste line 1: /root/.local/lib/python3.6/site-packages/torch/cuda/__init__.py:52: UserWarning: CUDA"
                    " initialization: Found no NVIDIA driver on your system. Please check that you have an NVIDIA GPU and"
                    " installed a driver from http://www.nvidia.com/Download/index.aspx (Triggered internally at "
                    " /pytorch/c10/cuda/CUDA"
                ),
                "source: https://docs.nvidia.com/datacenter/cloud-native/container-toolkit/latest/docker-specialized.html",
            ],
        ),
    ],
    "047": [
        Finding(
            "paste.container",
            "error",
            "gpu",
            (
                "CUDA error 804 (forward compatibility on unsupported hardware): the container's CUDA driver libraries (a"
                " cuda-compat package, or libraries the container toolkit mounted) do not match the host's driver"
            ),
            subject="nvidia.driver",
            fix=(
                "use the host's driver libraries: remove cuda-compat from LD_LIBRARY_PATH in the image, or update the"
                " host's nvidia-container-toolkit so it mounts matching libraries"
            ),
            commands=[["nvidia-container-cli", "info"]],
            evidence=[
                (
                    "paste line 10: /opt/conda/lib/python3.8/site-packages/torch/cuda/__init__.py:52: UserWarning: CUDA"
                    " initialization: Unexpected error from cudaGetDeviceCount(). Did you run some cuda functions before"
                    " calling NumCudaDevices() that might have already set an error? Error 804: forward compatibility was"
                    " attempted on non "
                ),
                "paste line 3: - 驱动版本: Driver Version: 460.80",
                "source: https://docs.nvidia.com/datacenter/cloud-native/container-toolkit/latest/docker-specialized.html",
            ],
        ),
    ],
    "049": [
        Finding(
            "paste.conda",
            "error",
            "python",
            "conda cannot satisfy the requested packages together: pytorch=1.3.1 -> cudatoolkit[version='>=10.1,<10.2']",
            subject="python.tools",
            fix=(
                "drop the conflicting pin (cudatoolkit, python) or use the exact combination PyTorch published for that"
                " release; PyTorch no longer publishes conda packages after 2.5, so pip in the conda env is the current way"
            ),
            commands=INSTALL,
            evidence=[
                "paste line 4: Found conflicts! Looking for incompatible packages.",
                "paste line 14: pytorch=1.3.1 -> cudatoolkit[version='>=10.1,<10.2']",
                "source: https://pytorch.org/get-started/previous-versions/ (conda commands per release)",
            ],
        ),
    ],
    "050": [
        Finding(
            "paste.conda",
            "error",
            "torch",
            (
                "conda installed the CPU builds of pytorch (pytorch-mutex=cpu / cpuonly): a package in the solve depends on"
                " cpuonly, or the CUDA build was not available for the pins"
            ),
            subject="python.tools",
            fix=(
                "remove cpuonly and pytorch-mutex and install the CUDA build explicitly (pytorch-cuda=X.Y or the"
                " cudatoolkit build string), installing the package that pulled cpuonly separately; or use pip"
            ),
            commands=INSTALL,
            evidence=[
                "paste line 23: pytorch                   1.11.0              py3.8_cpu_0    pytorch",
                "paste line 24: pytorch-mutex             1.0                         cpu    pytorch",
                "source: https://pytorch.org/get-started/previous-versions/ (conda commands per release)",
            ],
        ),
    ],
    "051": [
        Finding(
            "paste.numpy-abi",
            "error",
            "python",
            "a module was compiled against NumPy C API 0xb but NumPy 0xa is installed",
            subject="python",
            fix="upgrade NumPy to the version the module was built against",
            commands=[["python", "-m", "pip", "install", "--upgrade", "numpy"]],
            evidence=[
                "paste line 11: RuntimeError: module compiled against API version 0xb but this version of numpy is 0xa",
                "source: https://numpy.org/devdocs/numpy_2_0_migration_guide.html#c-api-changes",
            ],
        ),
    ],
    "053": [
        Finding(
            "paste.numpy-abi",
            "error",
            "python",
            "a module compiled against NumPy 1.x is running with NumPy 2 (a torch or extension wheel built before NumPy 2)",
            subject="python",
            fix='pip install "numpy<2" (or upgrade the module to a build for NumPy 2)',
            commands=[["python", "-m", "pip", "install", "numpy<2"]],
            evidence=[
                "paste line 3: A module that was compiled using NumPy 1.x cannot be run in",
                "source: https://numpy.org/devdocs/numpy_2_0_migration_guide.html#c-api-changes",
            ],
        ),
    ],
    "055": [
        Finding(
            "paste.multiple-installs",
            "error",
            "torch",
            "two conda packages install the same torch files (pytorch, pytorch-nightly): each overwrites the other",
            subject="torch",
            fix=(
                "use one environment with one torch: uninstall every copy (pip uninstall torch until none is left, conda"
                " remove the duplicate), set PYTHONNOUSERSITE=1 so a per-user site-packages is not on sys.path, then"
                " install once"
            ),
            commands=[["python", "-c", "import sys, torch; print(sys.executable, torch.__file__, torch.__version__)"]],
            evidence=[
                "paste line 13: pytorch                   0.4.1           py37_cuda0.0_cudnn0.0_1    pytorch",
                "paste line 14: pytorch-nightly           1.0.0.dev20180921         py3.7_0    pytorch",
                "source: https://docs.python.org/3/using/cmdline.html#envvar-PYTHONNOUSERSITE",
            ],
        ),
    ],
    "056": [
        Finding(
            "paste.cpu-only-build",
            "error",
            "torch",
            (
                "the torch that was imported is a CPU-only build: it cannot use the GPU (on Windows and macOS the default PyPI"
                " wheel is CPU-only; on Linux a +cpu wheel or conda's cpuonly did it)"
            ),
            subject="torch",
            fix="uninstall torch and install the CUDA build for this machine from PyTorch's index",
            commands=INSTALL,
            evidence=[
                'paste line 16: raise AssertionError("Torch not compiled with CUDA enabled")',
                "source: https://pytorch.org/get-started/locally/",
            ],
        ),
        Finding(
            "paste.multiple-installs",
            "error",
            "torch",
            (
                "a CPU-only torch was imported in an environment set up for ROCm: another torch (a per-user site package,"
                " another Python on the path) shadows the one installed there"
            ),
            subject="torch",
            fix=(
                "use one environment with one torch: uninstall every copy (pip uninstall torch until none is left, conda"
                " remove the duplicate), set PYTHONNOUSERSITE=1 so a per-user site-packages is not on sys.path, then"
                " install once"
            ),
            commands=[["python", "-c", "import sys, torch; print(sys.executable, torch.__file__, torch.__version__)"]],
            evidence=[
                'paste line 16: raise AssertionError("Torch not compiled with CUDA enabled")',
                (
                    'paste line 13: File "H:\\rocm\\comfyui\\python_env\\Lib\\site-packages\\torch\\cuda\\__init__.py", line'
                    " 1267, in current_device"
                ),
                "source: https://docs.python.org/3/using/cmdline.html#envvar-PYTHONNOUSERSITE",
            ],
        ),
    ],
    "058": [
        Finding(
            "paste.nccl",
            "error",
            "system",
            (
                "NCCL could not create its shared-memory segment in /dev/shm: the process may not write there (/dev/shm is not"
                " mode 1777)"
            ),
            subject="os",
            fix="restore /dev/shm to mode 1777 (sudo chmod 1777 /dev/shm)",
            commands=[["sudo", "chmod", "1777", "/dev/shm"]],
            evidence=[
                "paste line 2: node08:27106:27302 [0] include/shm.h:27 NCCL WARN Call to shm_open failed : Permission denied",
                (
                    "paste line 1: I came across this error `RuntimeError: NCCL error in ProcessGroupNCCL.cpp:290, unhandled"
                    " system error` when trying to distribute neural network training to 4 GPUs in a single node with PyTorch"
                    " 1.2. According to documentation, I tried `export NCCL_DEBUG=INFO` and reran the code. I noticed some"
                    " weird"
                ),
                "source: https://docs.nvidia.com/deeplearning/nccl/user-guide/docs/troubleshooting.html#sharing-data",
            ],
        ),
    ],
    "059": [
        Finding(
            "paste.nccl",
            "error",
            "system",
            "NCCL could not create its shared-memory segment in /dev/shm: /dev/shm is full or too small (Docker gives 64 MB)",
            subject="os",
            fix="start the container with --ipc=host or --shm-size=... (NCCL_SHM_DISABLE=1 works around it, slower)",
            commands=[["docker", "run", "--ipc=host", "IMAGE"]],
            evidence=[
                "paste line 10: include/shm.h:28 NCCL WARN Call to posix_fallocate failed: No space left on device",
                "source: https://docs.nvidia.com/deeplearning/nccl/user-guide/docs/troubleshooting.html#sharing-data",
            ],
        ),
    ],
    "101": [
        Finding(
            "paste.rocm",
            "error",
            "gpu",
            (
                "the ROCm torch build has no code object for this AMD GPU (gfx1103): its architecture is not in the build's"
                " target list"
            ),
            subject="rocm",
            fix="set HSA_OVERRIDE_GFX_VERSION=11.0.0 so ROCm runs the code of the nearest supported target of the same family",
            commands=[["export", "HSA_OVERRIDE_GFX_VERSION=11.0.0"], ["rocminfo"]],
            evidence=[
                (
                    "paste line 1: rocBLAS error: Cannot read C:\\Program"
                    " Files\\AMD\\ROCm\\6.1\\bin\\/rocblas/library/TensileLibrary.dat: No such file or directory for GPU arch :"
                    " gfx1103"
                ),
                (
                    "paste line 1: rocBLAS error: Cannot read C:\\Program"
                    " Files\\AMD\\ROCm\\6.1\\bin\\/rocblas/library/TensileLibrary.dat: No such file or directory for GPU arch :"
                    " gfx1103"
                ),
                "source: https://rocm.docs.amd.com/projects/install-on-linux/en/latest/reference/system-requirements.html",
            ],
        ),
    ],
    "102": [
        Finding(
            "paste.rocm",
            "error",
            "gpu",
            (
                "the ROCm torch build has no code object for this AMD GPU (gfx1201): its architecture is not in the build's"
                " target list"
            ),
            subject="rocm",
            fix=(
                "for an RDNA2 card set HSA_OVERRIDE_GFX_VERSION=10.3.0 (RDNA3: 11.0.0); a GPU of another family needs a"
                " torch built with its gfx target (PYTORCH_ROCM_ARCH) or a supported GPU"
            ),
            commands=[["export", "HSA_OVERRIDE_GFX_VERSION=10.3.0"], ["rocminfo"]],
            evidence=[
                "paste line 2: rocBLAS error: Could not initialize Tensile host:",
                (
                    "paste line 1: ocBLAS error: Cannot read C:\\Program"
                    " Files\\AMD\\ROCm\\6.2\\bin\\/rocblas/library/TensileLibrary.dat: No such file or directory for GPU arch :"
                    " gfx1201"
                ),
                "source: https://rocm.docs.amd.com/projects/install-on-linux/en/latest/reference/system-requirements.html",
            ],
        ),
    ],
    "103": [
        Finding(
            "paste.missing-library",
            "error",
            "torch",
            (
                "a shared library could not be loaded (c10.dll): it, or one it depends on, is not installed where the loader"
                " looks"
            ),
            subject="torch",
            fix=(
                "a torch DLL was found but failed to initialise (WinError 1114): install the latest Microsoft Visual C++"
                " Redistributable (x64), import torch before other packages that bring their own DLLs, and reinstall torch"
                " in a fresh environment"
            ),
            commands=INSTALL,
            evidence=[
                (
                    "paste line 12: OSError: [WinError 1114] 动态链接库(DLL)初始化例程失败。 Error loading"
                    ' "D:\\python_project\\开源项目\\Kronos\\.venv\\Lib\\site-packages\\torch\\lib\\c10.dll" or one of its'
                    " dependencies."
                ),
                (
                    "paste line 12: OSError: [WinError 1114] 动态链接库(DLL)初始化例程失败。 Error loading"
                    ' "D:\\python_project\\开源项目\\Kronos\\.venv\\Lib\\site-packages\\torch\\lib\\c10.dll" or one of its'
                    " dependencies."
                ),
                "source: https://pytorch.org/get-started/locally/",
            ],
        ),
    ],
    "104": [
        Finding(
            "paste.missing-library",
            "error",
            "torch",
            (
                "a shared library could not be loaded (c10.dll): it, or one it depends on, is not installed where the loader"
                " looks"
            ),
            subject="torch",
            fix=(
                "a torch DLL was found but failed to initialise (WinError 1114): install the latest Microsoft Visual C++"
                " Redistributable (x64), import torch before other packages that bring their own DLLs, and reinstall torch"
                " in a fresh environment"
            ),
            commands=INSTALL,
            evidence=[
                (
                    "paste line 1: [WinError 1114] A dynamic link library (DLL) initialization routine failed. Error loading"
                    ' "...\\c10.dll" or one of its dependencies.'
                ),
                (
                    "paste line 1: [WinError 1114] A dynamic link library (DLL) initialization routine failed. Error loading"
                    ' "...\\c10.dll" or one of its dependencies.'
                ),
                "source: https://pytorch.org/get-started/locally/",
            ],
        ),
    ],
    "105": [
        Finding(
            "paste.missing-library",
            "error",
            "torch",
            (
                "a shared library could not be loaded (libcudnn.so.9): it, or one it depends on, is not installed where the"
                " loader looks"
            ),
            subject="torch",
            fix=(
                "libcudnn.so.9 comes with the torch wheel's nvidia-* packages (pip) or the CUDA/cuDNN install (conda,"
                " source builds): reinstall the torch build for this machine so they match it, and unset LD_LIBRARY_PATH"
                " entries that point at another CUDA or cuDNN"
            ),
            commands=INSTALL,
            evidence=[
                "paste line 4: ImportError: libcudnn.so.9: cannot open shared object file: No such file or directory",
                "source: https://pytorch.org/get-started/locally/",
            ],
        ),
    ],
    "106": [
        Finding(
            "paste.abi-mismatch",
            "error",
            "torch",
            (
                "torchaudio was built against another torch release than the one installed: its compiled code references a"
                " symbol this torch does not export (_ZNK3c107SymBool10guard_boolEPKcl)"
            ),
            subject="torch",
            fix="install the torchaudio release made for the installed torch (the same index and variant)",
            commands=INSTALL,
            evidence=[
                (
                    "paste line 1: OSError: /usr/local/lib/python3.10/dist-packages/torchaudio/lib/libtorchaudio.so: undefined"
                    " symbol: _ZNK3c107SymBool10guard_boolEPKcl"
                ),
                "source: https://pytorch.org/get-started/previous-versions/",
            ],
        ),
    ],
    "107": [
        Finding(
            "paste.abi-mismatch",
            "error",
            "torch",
            (
                "torchaudio was built against another torch release than the one installed: its compiled code references a"
                " symbol this torch does not export (__ZN3c1011CPUTensorIdEv)"
            ),
            subject="torch",
            fix="install the torchaudio release made for the installed torch (the same index and variant)",
            commands=INSTALL,
            evidence=[
                (
                    "paste line 6: ImportError:"
                    " dlopen(/Users/sethweidman/anaconda3/lib/python3.7/site-packages/_torch_sox.cpython-37m-darwin.so, 2):"
                    " Symbol not found: __ZN3c1011CPUTensorIdEv"
                ),
                "source: https://pytorch.org/get-started/previous-versions/",
            ],
        ),
    ],
    "108": [
        Finding(
            "paste.abi-mismatch",
            "error",
            "torch",
            "xformers was built for torch 2.2.0+cu121 but torch 2.3.0+cu121 is installed: its compiled extensions do not load",
            subject="torch",
            fix=(
                "xformers was built for torch 2.2.0+cu121 (CUDA 12.1), this environment has torch 2.3.0+cu121: install the"
                " xformers release built for torch 2.3.0 (xformers==0.0.26), or torch==2.2.0 that xformers needs"
            ),
            commands=[
                [
                    "python",
                    "-m",
                    "pip",
                    "install",
                    "--no-deps",
                    "xformers==0.0.26",
                    "--index-url",
                    "https://download.pytorch.org/whl/cu121",
                ]
            ],
            evidence=[
                "paste line 1: \"xFormers can't load C++/CUDA extensions. xFormers was built for:",
                "source: https://pytorch.org/docs/stable/cpp_extension.html",
            ],
        ),
    ],
    "109": [
        Finding(
            "paste.abi-mismatch",
            "error",
            "torch",
            "xformers was built for torch 2.0.1+cu118 but torch 2.1.0+cu121 is installed: its compiled extensions do not load",
            subject="torch",
            fix=(
                "xformers was built for torch 2.0.1+cu118 (CUDA 11.8), this environment has torch 2.1.0+cu121: install the"
                " xformers release built for torch 2.1.0, or torch==2.0.1 that xformers needs"
            ),
            commands=[
                [
                    "python",
                    "-m",
                    "pip",
                    "install",
                    "torch==2.0.1",
                    "--index-url",
                    "https://download.pytorch.org/whl/cu118",
                ]
            ],
            evidence=[
                (
                    "paste line 1: WARNING:xformers:WARNING[XFORMERS]: xFormers can't load C++/CUDA extensions. xFormers was"
                    " built for:"
                ),
                "source: https://pytorch.org/docs/stable/cpp_extension.html",
            ],
        ),
    ],
    "110": [
        Finding(
            "paste.container",
            "error",
            "gpu",
            (
                "nvidia-smi is not there: in a container it is mounted only by the NVIDIA runtime (docker run without --gpus"
                " leaves it out), on a host it comes with the driver, which is not installed"
            ),
            subject="nvidia.driver",
            fix=(
                "start the container with the GPUs (docker run --gpus all, Kubernetes nvidia.com/gpu) after installing the"
                " NVIDIA Container Toolkit on the host; on a host, install the driver"
            ),
            commands=[["docker", "run", "--gpus", "all", "IMAGE", "nvidia-smi"]],
            evidence=[
                "paste line 8: bash: nvidia-smi: command not found",
                "source: https://docs.nvidia.com/datacenter/cloud-native/container-toolkit/latest/docker-specialized.html",
            ],
        ),
    ],
    "111": [
        Finding(
            "paste.gpu-too-old",
            "error",
            "gpu",
            (
                "NVIDIA GeForce GTX 1070 Ti (compute capability 6.1) is older than the oldest architecture this torch build was"
                " compiled for (7.0) (this build has kernels for sm_70 sm_75 sm_80 sm_86 sm_90 sm_100 sm_120): its kernels"
                " cannot run there"
            ),
            subject="torch",
            fix=(
                "install an older torch release whose wheels still include this architecture, build torch from source with"
                " TORCH_CUDA_ARCH_LIST naming it, or run on the CPU"
            ),
            commands=INSTALL,
            evidence=[
                "paste line 3: Found GPU0 NVIDIA GeForce GTX 1070 Ti which is of cuda capability 6.1.",
                "paste line 5: Minimum and Maximum cuda capability supported by this version of PyTorch is (7.0) - (12.0)",
                (
                    "paste line 9: The current PyTorch install supports CUDA capabilities sm_70 sm_75 sm_80 sm_86 sm_90 sm_100"
                    " sm_120."
                ),
                "source: https://pytorch.org/get-started/previous-versions/",
            ],
        ),
    ],
    "112": [
        Finding(
            "paste.gpu-warning-harmless",
            "info",
            "gpu",
            (
                "NVIDIA GB10 (compute capability 12.1) runs this torch build's kernels (built for 8.0 - 12.0): torch's warning"
                " about it does not stop it"
            ),
            subject="torch",
            fix="nothing to do; `envdoctor verify` on that machine shows the GPU at work",
            commands=[["envdoctor", "verify"]],
            evidence=[
                "paste line 2: Found GPU0 NVIDIA GB10 which is of cuda capability 12.1.",
                "paste line 3: Minimum and Maximum cuda capability supported by this version of PyTorch is",
                "source: https://docs.nvidia.com/cuda/cuda-c-programming-guide/index.html#binary-compatibility",
            ],
        ),
    ],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_real_paste_gets_each_finding_whole(name, recipes):
    text = (PASTES / f"{name}.txt").read_text(encoding="utf-8")
    assert findings(text, recipes) == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_quoted_line_is_the_pastes_line_of_that_number(name):
    lines = (PASTES / f"{name}.txt").read_text(encoding="utf-8").split("\n")
    for finding in EXPECTED[name]:
        for evidence in finding.evidence:
            if evidence.startswith("paste line "):
                number, _, quote = evidence[len("paste line ") :].partition(": ")
                assert quote[:60] in clean_line(lines[int(number) - 1]), evidence


def test_every_real_paste_is_judged_here():
    assert sorted(EXPECTED) == sorted(p.stem for p in PASTES.glob("*.txt"))


# ---------------------------------------------------------------------------- assembled pastes
# Each text below is assembled: one line in the wording of the message it names (the signal patterns of
# envdoctor/readers/pastes/signals.py), for a branch of a rule that no real paste reaches.

COMPAT = "source: https://docs.nvidia.com/deploy/cuda-compatibility/"
TOOLKIT = "source: https://docs.nvidia.com/datacenter/cloud-native/container-toolkit/latest/docker-specialized.html"
LOCALLY = "source: https://pytorch.org/get-started/locally/"
CPP = "source: https://pytorch.org/docs/stable/cpp_extension.html"
NUMPY2 = "source: https://numpy.org/devdocs/numpy_2_0_migration_guide.html#c-api-changes"
NCCL = "source: https://docs.nvidia.com/deeplearning/nccl/user-guide/docs/troubleshooting.html#sharing-data"
ONE_TORCH = (
    "use one environment with one torch: uninstall every copy (pip uninstall torch until none is left, conda "
    "remove the duplicate), set PYTHONNOUSERSITE=1 so a per-user site-packages is not on sys.path, then install once"
)
WHICH_TORCH = [["python", "-c", "import sys, torch; print(sys.executable, torch.__file__, torch.__version__)"]]
NOUSERSITE = "source: https://docs.python.org/3/using/cmdline.html#envvar-PYTHONNOUSERSITE"


def only(text, recipes=None):
    (finding,) = findings(text, recipes)
    return finding


def test_a_driver_too_old_without_its_cuda_version_asks_for_a_build_for_this_driver():
    line = "RuntimeError: CUDA driver version is insufficient for CUDA runtime version"
    assert only(line) == Finding(
        "paste.driver-too-old", "error", "gpu",
        "the installed torch was built for a newer CUDA than the NVIDIA driver supports: torch.cuda.is_available() is False",
        subject="nvidia.driver",
        fix="install a torch build for this driver, or upgrade the NVIDIA driver (a container cannot: the host's driver is "
            "the one used)",
        commands=INSTALL, evidence=[f"paste line 1: {line}", COMPAT])


def test_a_gpu_below_the_oldest_listed_kernel_is_too_old_even_in_the_too_new_wording():
    # no minimum line: the floor is the lowest of the listed kernels (5.0 < 6.0)
    text = ("Tesla M60 with CUDA capability sm_50 is not compatible with the current PyTorch installation.\n"
            "The current PyTorch install supports CUDA capabilities sm_60 sm_70 sm_75.")
    assert only(text) == Finding(
        "paste.gpu-too-old", "error", "gpu",
        "Tesla M60 (compute capability 5.0) is older than the oldest architecture this torch build was compiled for "
        "(6.0) (this build has kernels for sm_60 sm_70 sm_75): its kernels cannot run there",
        subject="torch",
        fix="install an older torch release whose wheels still include this architecture, build torch from source with "
            "TORCH_CUDA_ARCH_LIST naming it, or run on the CPU",
        commands=INSTALL,
        evidence=["paste line 1: Tesla M60 with CUDA capability sm_50 is not compatible with the current PyTorch "
                  "installation.",
                  "paste line 2: The current PyTorch install supports CUDA capabilities sm_60 sm_70 sm_75.",
                  "source: https://pytorch.org/get-started/previous-versions/"])


def test_a_missing_linux_library_of_no_cuda_package_gets_the_general_reinstall():
    line = "ImportError: libgomp.so.1: cannot open shared object file: No such file or directory"
    assert only(line) == Finding(
        "paste.missing-library", "error", "torch",
        "a shared library could not be loaded (libgomp.so.1): it, or one it depends on, is not installed where the "
        "loader looks",
        subject="torch",
        fix="reinstall the torch build that matches this machine, so its CUDA libraries (the nvidia-* packages) come "
            "with it; unset LD_LIBRARY_PATH entries that point at another CUDA",
        commands=INSTALL, evidence=[f"paste line 1: {line}", LOCALLY])


def test_a_missing_windows_dll_gets_the_redistributable():
    line = ('OSError: [WinError 126] The specified module could not be found. Error loading '
            '"C:\\venv\\Lib\\site-packages\\torch\\lib\\cudnn_ops64_9.dll" or one of its dependencies.')
    assert only(line) == Finding(
        "paste.missing-library", "error", "torch",
        "a shared library could not be loaded (cudnn_ops64_9.dll): it, or one it depends on, is not installed where "
        "the loader looks",
        subject="torch",
        fix="install the Microsoft Visual C++ Redistributable (x64) and reinstall torch in this environment; make sure "
            "no other CUDA or torch folder on PATH shadows the wheel's DLLs",
        commands=INSTALL, evidence=[f"paste line 1: {line}", f"paste line 1: {line}", LOCALLY])


def test_xformers_that_cannot_load_without_saying_its_torch_is_rebuilt():
    line = "WARNING[XFORMERS]: xFormers can't load C++/CUDA extensions."
    assert only(line) == Finding(
        "paste.abi-mismatch", "error", "torch",
        "xformers cannot load its compiled extensions: it was built for another torch than the one installed",
        subject="torch",
        fix="reinstall xformers built for the installed torch: pip uninstall xformers, then a wheel for this "
            "torch/CUDA/Python or a source build with --no-build-isolation",
        commands=[["python", "-m", "pip", "install", "--force-reinstall", "--no-build-isolation", "--no-cache-dir",
                   "xformers"]],
        evidence=[f"paste line 1: {line}", CPP])


def test_an_extension_build_without_a_toolkit_asks_for_cuda_home():
    line = "OSError: CUDA_HOME environment variable is not set. Please set it to your CUDA install root."
    assert only(line) == Finding(
        "paste.extension-build", "error", "cuda",
        "the extension build could not find a usable CUDA toolkit (CUDA_HOME unset, or nvcc too old for the GPU "
        "architecture asked for)",
        subject="cuda.toolkit",
        fix="install the CUDA toolkit matching torch.version.cuda and set CUDA_HOME to it, or install a prebuilt wheel",
        commands=[["python", "-c", "import torch; print(torch.version.cuda)"]], evidence=[f"paste line 1: {line}", CPP])


def test_rocm_without_a_gpu_names_the_groups_and_the_devices():
    line = "RuntimeError: No HIP GPUs are available"
    assert only(line) == Finding(
        "paste.rocm", "error", "gpu",
        "ROCm torch sees no AMD GPU: the user is not in the render/video groups, or the container lacks /dev/kfd and "
        "/dev/dri",
        subject="rocm",
        fix="sudo usermod -aG render,video $USER (log in again); in Docker: --device=/dev/kfd --device=/dev/dri",
        commands=[["rocminfo"]],
        evidence=[f"paste line 1: {line}",
                  "source: https://rocm.docs.amd.com/projects/install-on-linux/en/latest/reference/system-requirements.html"])


def test_a_dataloader_bus_error_is_a_small_dev_shm():
    line = "RuntimeError: DataLoader worker (pid 4242) is killed by signal: Bus error."
    assert only(line) == Finding(
        "paste.container", "error", "system",
        "/dev/shm is too small for DataLoader workers to hand batches over (Docker gives 64 MB)",
        subject="nvidia.driver",
        fix="start the container with --ipc=host or --shm-size=8g, or use num_workers=0",
        commands=[["docker", "run", "--shm-size=8g", "IMAGE"]], evidence=[f"paste line 1: {line}", TOOLKIT])


def test_conda_unsatisfiable_without_the_conflicts_says_which_pins_usually_clash():
    line = "UnsatisfiableError: The following specifications were found to be incompatible with each other:"
    assert only(line) == Finding(
        "paste.conda", "error", "python",
        "conda cannot satisfy the requested packages together (a pinned cudatoolkit / python / pytorch combination "
        "that no build provides)",
        subject="python.tools",
        fix="drop the conflicting pin (cudatoolkit, python) or use the exact combination PyTorch published for that "
            "release; PyTorch no longer publishes conda packages after 2.5, so pip in the conda env is the current way",
        commands=INSTALL,
        evidence=[f"paste line 1: {line}",
                  "source: https://pytorch.org/get-started/previous-versions/ (conda commands per release)"])


@pytest.mark.parametrize("line, message", [
    # built against an older C API than the one installed: upgrading NumPy cannot help (0xa < 0xb)
    ("RuntimeError: module compiled against API version 0xa but this version of numpy is 0xb",
     "a module was compiled against NumPy C API 0xa but NumPy 0xb is installed"),
    ("ImportError: numpy.core.multiarray failed to import", "NumPy and a compiled module disagree on the NumPy C API"),
])
def test_numpy_is_pinned_below_2_unless_the_module_needs_a_newer_one(line, message):
    assert only(line) == Finding(
        "paste.numpy-abi", "error", "python", message, subject="python",
        fix='pip install "numpy<2" (or upgrade the module to a build for NumPy 2)',
        commands=[["python", "-m", "pip", "install", "numpy<2"]], evidence=[f"paste line 1: {line}", NUMPY2])


def test_an_nccl_system_error_without_shm_asks_for_its_debug_output():
    line = "RuntimeError: NCCL error in: ProcessGroupNCCL.cpp:1269, unhandled system error, NCCL version 2.14.3"
    assert only(line) == Finding(
        "paste.nccl", "error", "system",
        "NCCL failed on its environment (network interface or system resources)",
        subject="os",
        fix="run with NCCL_DEBUG=INFO to see the failing call; set NCCL_SOCKET_IFNAME to the interface the nodes "
            "share, and check /dev/shm (mode 1777, enough space)",
        commands=[["env", "NCCL_DEBUG=INFO", "NCCL_DEBUG_SUBSYS=INIT,NET"]], evidence=[f"paste line 1: {line}", NCCL])


def test_out_of_memory_is_said_to_be_no_installation_problem():
    line = "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 20.00 MiB."
    assert only(line) == Finding(
        "paste.out-of-memory", "info", "gpu",
        "the GPU ran out of memory: this is not an environment problem (torch, CUDA and the driver work, they "
        "allocated memory until none was left); reinstalling changes nothing",
        subject="nvidia.driver",
        fix="use a smaller batch or model (or mixed precision / gradient checkpointing), free GPU memory held by other "
            "processes, or set PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True when reserved memory is much larger "
            "than allocated",
        commands=[["nvidia-smi", "--query-compute-apps=pid,process_name,used_memory", "--format=csv"]],
        evidence=[f"paste line 1: {line}",
                  "source: https://pytorch.org/docs/stable/notes/cuda.html#optimizing-memory-usage-with-pytorch-cuda-alloc-conf"])


def test_a_broken_torch_package_is_two_installs_mixed():
    line = "AttributeError: module 'torch' has no attribute '__version__'"
    assert only(line) == Finding(
        "paste.multiple-installs", "error", "torch",
        "the torch package is broken: files of two installs were mixed, then one was uninstalled",
        subject="torch", fix=ONE_TORCH, commands=WHICH_TORCH, evidence=[f"paste line 1: {line}", NOUSERSITE])


def test_an_extension_named_only_by_another_line_of_the_traceback_is_the_one_rebuilt():
    # the library with the undefined symbol does not name its package; the traceback's frame above it does, and
    # flash_attn is known from the extension catalogue (recipes/extensions.toml), not from the fallback list
    frame = 'File "/opt/env/lib/python3.10/site-packages/flash_attn/flash_attn_interface.py", line 10, in <module>'
    error = "ImportError: /opt/env/lib/python3.10/site-packages/libfa.so: undefined symbol: _ZN3c104cuda9SetDeviceEi"
    assert only(f"{frame}\n{error}") == Finding(
        "paste.abi-mismatch", "error", "torch",
        "flash_attn was built against another torch release than the one installed: its compiled code references a "
        "symbol this torch does not export (_ZN3c104cuda9SetDeviceEi)",
        subject="torch",
        fix="reinstall flash_attn built for the installed torch: pip uninstall flash_attn, then a wheel for this "
            "torch/CUDA/Python or a source build with --no-build-isolation",
        commands=[["python", "-m", "pip", "install", "--force-reinstall", "--no-build-isolation", "--no-cache-dir",
                   "flash-attn"]],
        evidence=[f"paste line 2: {error}", CPP])


def test_a_missing_python_extension_module_is_a_windows_dll_problem_whatever_the_path_says():
    # a .pyd is a Windows extension module: the Windows fix applies though the path names no drive
    first = "ImportError: DLL load failed while importing _C: The specified module could not be found."
    second = 'Error loading "torch/lib/_C.pyd" or one of its dependencies.'
    assert read_paste(f"{first}\n{second}").facts.os.system == ""
    assert only(f"{first}\n{second}") == Finding(
        "paste.missing-library", "error", "torch",
        "a shared library could not be loaded (_C.pyd): it, or one it depends on, is not installed where the loader "
        "looks",
        subject="torch",
        fix="install the Microsoft Visual C++ Redistributable (x64) and reinstall torch in this environment; make sure "
            "no other CUDA or torch folder on PATH shadows the wheel's DLLs",
        commands=INSTALL, evidence=[f"paste line 1: {first}", f"paste line 2: {second}", LOCALLY])


def test_the_torch_xformers_says_it_saw_wins_over_a_torch_described_beside_the_paste(recipes):
    # 108: "PyTorch 2.2.0+cu121 with CUDA 1201 (you have 2.3.0+cu121)"; the machine is then described with another
    # torch (as --here or --torch does): the paste's own line is what the error was about. xformers 0.0.26 pins
    # torch==2.3.0 (recipes/extensions.toml, torch_pins)
    reading = read_paste((PASTES / "108.txt").read_text(encoding="utf-8"))
    reading.facts.torch.version = "2.3.1+cu118"
    (finding,) = paste_rules.evaluate(reading, recipes)
    assert finding.commands == [["python", "-m", "pip", "install", "--no-deps", "xformers==0.0.26", "--index-url",
                                 "https://download.pytorch.org/whl/cu121"]]
    assert finding.fix == EXPECTED["108"][0].fix


def test_uv_finding_no_wheel_for_a_pin_is_no_matching_wheel():
    # uv's resolver wording (assembled from uv's "has no wheels with a matching Python ABI tag" error)
    line = ("Because torch==2.5.1 has no wheels with a matching Python ABI tag and you require torch==2.5.1, we can "
            "conclude that your requirements are unsatisfiable.")
    assert only(line) == Finding(
        "paste.no-matching-wheel", "error", "python",
        "pip could not install torch==2.5.1: no torch wheel exists for this Python version, OS or architecture (a "
        "Python newer than the newest torch supports, a 32-bit Python, or a platform without wheels)",
        subject="python",
        fix="use a Python that torch publishes wheels for (64-bit, a supported version), or a torch release that "
            "supports this one",
        commands=INSTALL, evidence=[f"paste line 1: {line}", "source: https://pytorch.org/get-started/previous-versions/"])


def test_a_library_cudnn_could_not_load_is_a_missing_library():
    # cuDNN's loader message, the line cut after the library's name (assembled)
    line = "Could not load library cudnn_cnn_infer64_8.dll"
    assert only(line) == Finding(
        "paste.missing-library", "error", "torch",
        "a shared library could not be loaded (cudnn_cnn_infer64_8.dll): it, or one it depends on, is not installed "
        "where the loader looks",
        subject="torch",
        fix="install the Microsoft Visual C++ Redistributable (x64) and reinstall torch in this environment; make sure "
            "no other CUDA or torch folder on PATH shadows the wheel's DLLs",
        commands=INSTALL, evidence=[f"paste line 1: {line}", LOCALLY])


def test_xformers_built_for_a_torch_without_a_local_label_gets_no_index(recipes):
    # 108's line with the installed torch written without its +cu121 (as `pip list` of a PyPI wheel shows it): no
    # variant to name an index for; xformers 0.0.26 pins torch==2.3.0 (recipes/extensions.toml, torch_pins)
    line = "xFormers was built for: PyTorch 2.2.0+cu121 with CUDA 1201 (you have 2.3.0)"
    assert only(line, recipes) == Finding(
        "paste.abi-mismatch", "error", "torch",
        "xformers was built for torch 2.2.0+cu121 but torch 2.3.0 is installed: its compiled extensions do not load",
        subject="torch",
        fix="xformers was built for torch 2.2.0+cu121 (CUDA 12.1), this environment has torch 2.3.0: install the "
            "xformers release built for torch 2.3.0 (xformers==0.0.26), or torch==2.2.0 that xformers needs",
        commands=[["python", "-m", "pip", "install", "--no-deps", "xformers==0.0.26"]],
        evidence=[f"paste line 1: {line}", CPP])


def test_without_recipes_the_index_is_named_after_the_toolkit_itself():
    # 028 (CUDA 12.3 toolkit, torch for 11.8) judged without the recipe data: PyTorch's index spelling cu123
    reading = read_paste((PASTES / "028.txt").read_text(encoding="utf-8"))
    (finding,) = paste_rules.evaluate(reading, None)
    assert finding.commands == [["python", "-m", "pip", "install", "torch", "--index-url",
                                 "https://download.pytorch.org/whl/cu123"], ["export", "CUDA_HOME=/usr/local/cuda-11.8"]]


def test_conda_names_each_conflict_it_printed():
    # conda's "Found conflicts!" report with two conflict lines (assembled in the wording of 049)
    text = ("Found conflicts! Looking for incompatible packages.\n"
            "pytorch=1.3.1 -> cudatoolkit[version='>=10.1,<10.2']\n"
            "python=3.9 -> pip -> setuptools")
    assert only(text) == Finding(
        "paste.conda", "error", "python",
        "conda cannot satisfy the requested packages together: pytorch=1.3.1 -> cudatoolkit[version='>=10.1,<10.2']; "
        "python=3.9 -> pip -> setuptools",
        subject="python.tools",
        fix="drop the conflicting pin (cudatoolkit, python) or use the exact combination PyTorch published for that "
            "release; PyTorch no longer publishes conda packages after 2.5, so pip in the conda env is the current way",
        commands=INSTALL,
        evidence=["paste line 1: Found conflicts! Looking for incompatible packages.",
                  "paste line 2: pytorch=1.3.1 -> cudatoolkit[version='>=10.1,<10.2']",
                  "paste line 3: python=3.9 -> pip -> setuptools",
                  "source: https://pytorch.org/get-started/previous-versions/ (conda commands per release)"])


def test_the_operator_names_its_package_when_the_quote_is_cut_before_it():
    # a log line so long that the quoted evidence stops before the operator (assembled; 027's error at its end)
    line = "W " * 200 + "RuntimeError: No such operator torchvision::nms"
    finding = only(line)
    assert finding.message == ("torchvision was built against another torch release than the one installed: its "
                               "compiled code does not register its operators with this torch")
    assert "torchvision" not in finding.evidence[0]


def test_xformers_is_named_by_its_warning_even_past_the_quoted_part_of_a_long_line():
    line = "W " * 200 + "WARNING[XFORMERS]: xFormers can't load C++/CUDA extensions."
    finding = only(line)
    assert finding.message == ("xformers cannot load its compiled extensions: it was built for another torch than "
                               "the one installed")
    assert finding.commands == [["python", "-m", "pip", "install", "--force-reinstall", "--no-build-isolation",
                                 "--no-cache-dir", "xformers"]]
    assert "xFormers" not in finding.evidence[0]
