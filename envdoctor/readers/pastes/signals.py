"""The messages torch, pip, uv, conda, nvidia-smi, the loaders, NCCL and extension builds print when an
environment is wrong, as patterns over any version's and locale's wording.

Each pattern has a keyword that must appear (lower case) in the line where the message starts (a keyword
that begins with a newline must start the line), so a
line is looked at by a regular expression only when it can hold the message; no pattern retries at every
column of a long line (what precedes a message's fixed words is read backwards): linear in the paste.
A message may run over up to :data:`WINDOW` lines (a terminal or an editor wrapped it); a pattern
ending in ``$`` is a whole line of a table (``conda list``) and is matched against that line alone.

What a Python session answered (``>>> torch.__version__`` and ``'2.1.0+cu121'``) is read by :func:`echoed`,
one reader for every expression in :data:`ECHOES`.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Collection, Iterable
from dataclasses import field

from envdoctor import compat
from envdoctor.datatypes import datatype

#: Lines a message may be wrapped over.
WINDOW = 3
#: The most signals of one kind kept (a log repeating a warning 10,000 times says it once).
PER_KIND = 8
#: Kinds one message prints a line of each (torch 2.11's list of the architectures a build has): all of them kept.
LONGER = {"cc_built": 32}
_VERSION = r"[0-9]+(?:\.[0-9]+)*"
#: The most characters read backwards from a message for the file, path or GPU name it follows.
BEFORE = 300
#: Where a file or path before a message starts: after a blank, a quote or a bracket.
_TOKEN_END = " \t\"'`([{<,;="
#: A site-packages path may hold blanks (C:\\Program Files\\...): it starts after a quote or a bracket.
_PATH_END = "\"'`([{<,;=\n"


@datatype(frozen=True)
class Signal:
    """One recognised message: what it is, the paste line it starts on, that line, and what it says."""

    kind: str
    line: int
    quote: str
    data: dict[str, str] = field(default_factory=dict, hash=False, compare=False)

    def get(self, name: str) -> str:
        return self.data.get(name) or ""


def _p(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


_LISTED_TORCH = re.compile(r"^(?P<package>torch|pytorch)\s+(?P<version>[0-9][\w.+]*)"
                           r"(?:\s+(?P<build>\S+)(?:\s+(?P<channel>\S+))?)?$", re.IGNORECASE)
#: (kind, keyword, pattern[, (name, stops)]): the named groups become the signal's data; a pattern with a
#: fourth item starts at its message's fixed words, and the text before them (back to a stop character)
#: becomes ``name`` (the library, the extension's path, the GPU), so no pattern retries at every column.
Entry = tuple[str, str, re.Pattern[str]] | tuple[str, str, re.Pattern[str], tuple[str, str]]
PATTERNS: tuple[Entry, ...] = (
    # torch's GPU architecture checks (torch/cuda/__init__.py, every wording since 1.3)
    ("gpu_incompatible", "is not compatible with the current pytorch",
     _p(r" with CUDA capability sm_(?P<sm>[0-9]{2,3}[a-z]?) is not compatible"), ("name", "\"':")),
    ("kernel_list", "cuda capabilities",
     _p(r"supports? CUDA capabilit(?:y|ies)\s*(?P<list>(?:sm_[0-9]{2,3}[a-z]?[\s,]*)+)")),
    ("gpu_too_old", "which is of cuda capability",
     _p(r"Found GPU\s?(?P<index>[0-9]+)\s+(?P<name>.{2,120}?) which is of cuda capability (?P<cc>[0-9]+\.[0-9]+)")),
    # torch 2.11 and later: "Found GPU0 <name> which is of compute capability (CC) 12.0." then the architectures the
    # build has, as one line ("This version of PyTorch was built for: 7.5, 8.0, 8.6, 9.0") or a line each
    # ("- 9.0 which supports hardware CC >=9.0,<10.0")
    ("gpu_cc", "which is of compute capability (cc)",
     _p(r"Found GPU\s?(?P<index>[0-9]+)\s+(?P<name>.{2,120}?) which is of compute capability \(CC\) (?P<cc>[0-9]+\.[0-9]+)")),
    ("cc_built", "this version of pytorch was built for:",
     _p(r"This version of PyTorch was built for:\s*(?P<list>[0-9]+\.[0-9]+(?:\s*,\s*[0-9]+\.[0-9]+)*)")),
    ("cc_built", "which supports hardware cc", _p(r" which supports hardware CC"), ("list", _TOKEN_END)),
    ("min_capability", "cuda capability",
     _p(r"(?:minimum cuda capability (?:that we support|supported by this library) is|"
        r"Minimum and Maximum cuda capability supported by this version of PyTorch is)\s*\(?(?P<min>[0-9]+\.[0-9]+)\)?"
        r"(?:\s*-\s*\(?(?P<max>[0-9]+\.[0-9]+)\)?)?")),
    ("no_kernel_image", "no kernel image",
     _p(r"no kernel image is available for execution on the device")),
    ("no_kernel_image", "cudaerrornokernelimagefordevice", _p(r"cudaErrorNoKernelImageForDevice")),
    ("no_kernel_image", "cuda error: invalid device function", _p(r"CUDA error: invalid device function")),
    # the driver
    ("driver_too_old", "driver on your system is too old",
     _p(r"NVIDIA driver on your system is too old \(found version (?P<found>[0-9]+)\)")),
    ("driver_too_old", "driver version is insufficient",
     _p(r"CUDA driver version is insufficient for CUDA runtime version")),
    ("driver_too_old", "cudaerrorinsufficientdriver", _p(r"cudaErrorInsufficientDriver")),
    ("no_driver", "found no nvidia driver", _p(r"Found no NVIDIA driver on your system")),
    ("forward_compat", "forward compatibility was attempted",
     _p(r"(?:Error (?P<code>804): )?forward compatibility was attempted on non supported HW")),
    ("nvml_mismatch", "driver/library version mismatch", _p(r"Driver/library version mismatch")),
    ("nvml_mismatch", "nvml library version", _p(r"NVML library version:\s*(?P<lib>[0-9.]+)")),
    ("nvml_no_driver", "couldn't communicate with the nvidia driver",
     _p(r"NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver")),
    ("nvml_unknown", "failed to initialize nvml", _p(r"Failed to initialize NVML:\s*Unknown Error")),
    ("smi_header", "driver version", _p(r"Driver Version:\s*(?P<driver>[0-9]+\.[0-9]+(?:\.[0-9]+)?)"
                                         r"(?:.{0,40}?CUDA Version:\s*(?P<cuda>[0-9]+\.[0-9]+))?")),
    ("container_runtime", "could not select device driver",
     _p(r"could not select device driver \"?[^\"]*\"? with capabilities: \[\[gpu\]\]")),
    ("container_runtime", "nvidia-container-cli", _p(r"nvidia-container-cli: (?P<why>.{0,120})")),
    ("container_runtime", "unknown flag: --gpus", _p(r"unknown flag: --gpus")),
    ("smi_missing", "nvidia-smi", _p(r"nvidia-smi\W{0,3}(?::\s*(?:command )?not found|is not recognized as an internal "
                                     r"or external|不是内部或外部命令|: No such file or directory)")),
    ("shm_small", "shared memory", _p(r"insufficient shared memory \(shm\)")),
    ("shm_small", "bus error", _p(r"DataLoader worker \(pid [0-9]+\) is killed by signal: Bus error")),
    ("shm_small", "no space left on device", _p(r"unable to write to file </torch_[^>]*>: No space left on device")),
    # builds without the accelerator
    ("cpu_build", "not compiled with cuda", _p(r"Torch not compiled with CUDA enabled")),
    ("cpu_version", "+cpu", _p(r"\btorch[ =-]{1,3}(?P<version>[0-9]+\.[0-9]+\.[0-9]+)\+cpu\b")),
    ("cuda_unavailable", "cuda is not available",
     _p(r"(?:CUDA is not available|no CUDA GPUs are available|Found no NVIDIA driver)")),
    # pip, uv, conda
    ("pip_no_version", "could not find a version that satisfies",
     _p(r"Could not find a version that satisfies the requirement (?P<requirement>(?P<package>torch|torchvision|"
        r"torchaudio|pytorch)\b[^\s(]*)(?:\s*\(from versions:\s*(?P<versions>[^)]{0,4000})\))?")),
    ("pip_no_version", "no matching distribution found for",
     _p(r"No matching distribution found for (?P<requirement>(?P<package>torch|torchvision|torchaudio)\b\S*)")),
    ("uv_no_wheel", "has no wheels with a matching",
     _p(r"(?P<requirement>torch\S{0,80}) has no (?:usable )?wheels with a matching (?P<what>Python ABI tag|Python version|"
        r"platform tag|Python implementation tag)")),
    ("uv_no_wheel", "there is no version of",
     _p(r"there is no version of (?P<requirement>(?P<package>torch|torchvision|torchaudio)\S*)")),
    ("uv_no_wheel", "is not a supported wheel on this platform",
     _p(r"(?P<requirement>torch(?:vision|audio)?-[0-9][\w.+]{0,40}-[\w.-]{1,120}\.whl) is not a supported wheel on this "
        r"platform")),
    ("looking_in", "looking in", _p(r"Looking in (?:indexes|links):\s*(?P<url>\S+)")),
    ("index_url", "--index-url", _p(r"--(?:extra-)?index-url[ =](?P<url>\S+)")),
    ("conda_unsat", "unsatisfiableerror", _p(r"UnsatisfiableError")),
    ("conda_unsat", "could not solve for environment", _p(r"Could not solve for environment specs")),
    ("conda_unsat", "found conflicts", _p(r"Found conflicts! Looking for incompatible packages")),
    ("conda_unsat", "packagesnotfounderror", _p(r"PackagesNotFoundError")),
    ("conda_unsat", "nothing provides", _p(r"nothing provides (?P<what>\S+)")),
    ("conda_unsat", "resolvepackagenotfound", _p(r"ResolvePackageNotFound")),
    ("conda_conflict", "->", _p(r"^(?P<parent>py(?:torch|thon)[^\s]*)\s*->\s*(?P<child>\S+)")),
    ("conda_cpu", "cpu", _p(r"^(?P<package>pytorch|pytorch-mutex|torchvision|torchaudio|cpuonly)\s+(?P<version>[0-9][^\s]*)\s+"
                            r"(?P<build>\S*cpu\S*)(?:\s+(?P<channel>\S+))?$")),
    ("conda_package", "pytorch", _p(r"^(?P<package>pytorch(?:-nightly|-cpu|-gpu)?)\s+(?P<version>[0-9][^\s]*)\s+"
                                    r"(?P<build>\S+)(?:\s+(?P<channel>\S+))?$")),
    # shared libraries
    ("missing_library", "cannot open shared object file", _p(r": cannot open shared object file"), ("lib", _TOKEN_END)),
    ("missing_library", "unable to load any of", _p(r"Unable to load any of \{(?P<lib>[\w.+-]{1,120})")),
    ("missing_library", "winerror 126", _p(r"WinError 126\]?(?P<why>[^\"\n]{0,80})")),
    ("missing_library", "winerror 1114", _p(r"WinError 1114\]?(?P<why>[^\"\n]{0,80})")),
    ("missing_library", "动态链接库", _p(r"动态链接库\s?\(DLL\)\s?初始化例程失败")),
    ("missing_library", "initialization routine failed", _p(r"dynamic link library \(DLL\) initialization routine failed")),
    ("missing_library", "找不到指定的模块", _p(r"找不到指定的模块")),
    ("missing_library", "dll load failed", _p(r"DLL load failed(?: while importing (?P<module>\w+))?")),
    ("missing_library", "library not loaded", _p(r"Library not loaded: (?P<lib>\S+)")),
    ("dll_path", "error loading",
     _p(r"Error loading \\?\"(?P<path>[^\"]{0,400}?(?<![\w.+-])(?P<lib>[\w.+-]{1,120}\.(?:dll|pyd)))\\?\"")),
    # the library's name without the sentence's full stop after it ("... cudnn_ops_infer64_8.dll. Error code 126")
    ("could_not_load", "could not load library", _p(r"Could not load library (?P<lib>[\w+-]+(?:\.[\w+-]+)*)")),
    # extensions and companions
    ("undefined_symbol", "undefined symbol", _p(r": undefined symbol: (?P<symbol>[^\s'\"]{1,400})"), ("path", _TOKEN_END)),
    ("undefined_symbol", "procedure could not be found", _p(r"The specified procedure could not be found")),
    ("undefined_symbol", "winerror 127", _p(r"WinError 127\]")),
    ("undefined_symbol", "找不到指定的程序", _p(r"找不到指定的程序")),
    ("undefined_symbol", "symbol not found", _p(r"Symbol not found: (?P<symbol>[^\s'\"]{1,400})")),  # macOS dyld
    ("built_for", "built for", _p(r"xFormers was built for:\s*PyTorch (?P<built_torch>[0-9][\w.+]*) with CUDA "
                                  r"(?P<built_cuda>[0-9.]+)[^(]{0,80}\(you have (?P<torch>[0-9][\w.+]*)\)")),
    ("built_for", "xformers can't load", _p(r"xFormers can't load C\+\+/CUDA extensions")),
    ("missing_operator", "torchvision::", _p(r"(?:No such operator|operator) (?P<op>torchvision::\w+)")),
    ("missing_operator", "couldn't load custom c++ ops", _p(r"Couldn't load custom C\+\+ ops")),
    ("toolkit_mismatch", "the detected cuda version",
     _p(r"The detected CUDA version \((?P<toolkit>[0-9.]+)\) mismatches the version that was used to compile\s*"
        r"PyTorch \((?P<torch_cuda>[0-9.]+)\)")),
    ("compiler_too_new", "is greater than the maximum required version",
     _p(r"The current installed version of (?P<compiler>\S+) \((?P<version>[0-9.]+)\) is greater than the maximum "
        r"required version by CUDA (?P<cuda>[0-9.]+)(?: \((?P<max>[0-9.]+)\))?")),
    ("compiler_too_new", "unsupported gnu version", _p(r"unsupported GNU version!?\s*(?P<why>[^\n]{0,80})")),
    ("cuda_home", "cuda_home", _p(r"CUDA_HOME environment variable is not set|No CUDA runtime is found")),
    ("nvcc_arch", "unsupported gpu architecture", _p(r"Unsupported gpu architecture '(?P<arch>compute_[0-9]+a?)'")),
    # NumPy
    ("numpy_abi", "numpy 1.x", _p(r"compiled using NumPy 1\.x cannot be run in\s*NumPy (?P<numpy>[0-9][0-9.]*)")),
    ("numpy_abi", "api version",
     _p(r"module compiled against (?:ABI|API) version (?P<built>0x[0-9a-f]+) but this version of numpy is "
        r"(?P<numpy>0x[0-9a-f]+)")),
    ("numpy_abi", "numpy.core.multiarray failed to import", _p(r"numpy\.core\.multiarray failed to import")),
    ("numpy_abi", "_array_api not found", _p(r"_ARRAY_API not found")),
    ("numpy_abi", "numpy is not available", _p(r"Numpy is not available")),
    ("numpy_abi", "binary incompatibility", _p(r"numpy\.dtype size changed, may indicate binary incompatibility")),
    # Apple
    ("mps", "mps", _p(r"(?:The MPS backend is (?:supported on|not available)[^.\n]{0,80}|MPS \w+ is only supported on "
                      r"MacOS [0-9]+[^.\n]{0,40}|mps\.is_available\(\)\W*False|torch\.backends\.mps\.is_built\(\)\W*False)")),
    # ROCm
    ("hip_no_binary", "nobinaryforgpu", _p(r"hipErrorNoBinaryForGpu")),
    ("hip_no_binary", "hip error: invalid device function", _p(r"HIP error: invalid device function")),
    ("hip_no_binary", "unable to find code object", _p(r"Unable to find code object for all current devices")),
    ("hip_no_binary", "tensilelibrary",
     _p(r"Cannot read \S{0,300}TensileLibrary\S{0,40}?[^\n]{0,200}?GPU arch\s*:\s*(?P<gfx>gfx[0-9a-f]+)")),
    ("hip_no_binary", "rocblas error", _p(r"rocBLAS error: (?:Could not initialize Tensile|Cannot read)")),
    ("hip_no_gpu", "no hip gpus are available", _p(r"No HIP GPUs are available")),
    ("gfx", "gfx", _p(r"\b(?P<gfx>gfx[0-9]{3,4}[a-z]?)\b")),
    ("out_of_memory", "out of memory", _p(r"(?:CUDA|HIP|MPS backend|XPU) (?:error: )?out of memory")),
    ("out_of_memory", "outofmemoryerror", _p(r"torch\.(?:cuda\.)?OutOfMemoryError")),
    ("radeon", "radeon", _p(r"Radeon(?: RX)?\s*(?P<model>[0-9]{3,4}\s?(?:XTX|XT)?)")),
    ("hsa_override", "hsa_override_gfx_version", _p(r"HSA_OVERRIDE_GFX_VERSION=?(?P<value>[0-9.]*)")),
    # WSL and containers
    ("wsl", "/usr/lib/wsl", _p(r"/usr/lib/wsl/lib")),
    ("wsl", "microsoft-standard-wsl", _p(r"microsoft-standard-WSL2?")),
    # NCCL
    ("nccl_shm", "nccl warn", _p(r"NCCL WARN (?:Call to (?P<call>shm_open|posix_fallocate|mmap|ftruncate) failed\s*:\s*"
                                 r"(?P<why>[^\n]{0,80})|Error while creating shared memory segment)")),
    ("nccl_error", "nccl error", _p(r"NCCL error[^\n]{0,120}?(?P<what>unhandled system error|unhandled cuda error|"
                                    r"internal error|invalid usage|remote process exited)")),
    ("nccl_socket", "nccl warn", _p(r"NCCL WARN (?:Bootstrap : no socket interface found|NET/Socket[^\n]{0,80}|"
                                    r"Connect to [^\n]{0,80} failed)")),
    # several installs
    ("torch_path", "-packages", _p(r"(?P<end>(?:site|dist)-packages)[/\\]torch[/\\]"), ("site", _PATH_END)),
    ("site_path", "-packages", _p(r"(?P<end>(?:site|dist)-packages)[/\\]"), ("site", _PATH_END)),
    ("torch_path", "requirement already satisfied: torch ",
     _p(r"Requirement already satisfied: torch in (?P<site>\S{1,300}(?:site|dist)-packages)")),
    ("listed_torch", "\ntorch ", _LISTED_TORCH),  # pip list, conda list
    ("listed_torch", "\npytorch ", _LISTED_TORCH),
    ("no_version_attr", "has no attribute", _p(r"module 'torch' has no attribute '(?:version|__version__|cuda)'")),
    ("found_existing", "found existing installation", _p(r"Found existing installation: (?P<package>torch\w*) (?P<version>\S+)")),
    ("wheel", "torch-", _p(r"\b(?P<package>torch|torchvision|torchaudio)-(?P<version>[0-9][\w.+]*)-"
                           r"(?P<python>cp[0-9]+)-[\w]+-(?P<platform>[\w.]+)\.whl")),
    ("torch_version", "\ntorch ", _p(r"^torch\s+['\"]?(?P<version>[0-9]+\.[0-9]+\.[0-9]+(?:[a-z]+[0-9]*)?(?:\.dev[0-9]+)?"
                                     r"(?:\+[\w.]+)?)['\"]?\s*$")),
    ("python_path", "python", _p(r"[/\\](?:lib[/\\])?python(?P<python>[23]\.[0-9]{1,2})[/\\](?:site|dist)-packages")),
    ("python_path", "python3", _p(r"[\\/]Python(?P<python>3[0-9]{1,2})[\\/]")),
    ("python_path", "cpython-", _p(r"\.cpython-(?P<python>3[0-9]{1,2})-")),
    ("python_version", "python ", _p(r"^Python (?P<python>[23]\.[0-9]{1,2}\.[0-9]+)\b")),
)
#: The keywords, lower case, each with the patterns it opens.
_BY_KEYWORD: dict[str, list[Entry]] = {}
for _entry in PATTERNS:
    _BY_KEYWORD.setdefault(_entry[1], []).append(_entry)


_PATH_START = re.compile(r"[A-Za-z]:[\\/]|(?:^|(?<=\s))[/\\~]")


def _before(text: str, end: int, stops: str) -> str:
    """The text that ends at ``end`` back to the nearest stop character (at most :data:`BEFORE` characters),
    read backwards in Python, not by a pattern that would retry at every start."""
    start = end
    floor = max(0, end - BEFORE)
    while start > floor and text[start - 1] not in stops:
        start -= 1
    return text[start:end]


def _data(entry: Entry, window: str, match: re.Match[str]) -> dict[str, str]:
    """What a match says: its named groups, and for an entry with a fourth item the text read back before it
    (a site-packages path from its start, a library as its file name, an extension's path and file)."""
    data = {name: value.strip() for name, value in match.groupdict().items() if value}
    if len(entry) == 4:
        name, stops = entry[3]
        found = (_before(window, match.start(), stops) + data.pop("end", "")).strip()
        if name == "site":
            start = _PATH_START.search(found)
            found = found[start.start():] if start else ""
        elif name in ("lib", "path"):
            data["file"] = re.split(r"[\\/]", found)[-1]
            if name == "lib":
                found = data.pop("file")
        if found:
            data[name] = found
    return data


def _keywords_by_line(lines: list[str], keywords: Iterable[str] = _BY_KEYWORD) -> dict[int, list[str]]:
    """For each line holding a keyword, its keywords in :data:`PATTERNS` order: each keyword is looked for
    once over the whole (lower-cased) text by ``str.find`` in C, so a line with none costs nothing in Python."""
    text = "\n" + "\n".join(lines).lower()
    starts = list(itertools.accumulate((len(line) + 1 for line in lines), initial=1))
    found: dict[int, list[str]] = {}
    for keyword in keywords:
        at_start = 1 if keyword.startswith("\n") else 0  # "\ntorch ": a line that starts with "torch "
        position = text.find(keyword)
        while position != -1:
            index = bisect.bisect_right(starts, position + at_start) - 1
            found.setdefault(index, []).append(keyword)
            position = text.find(keyword, starts[index + 1] - at_start)
    return found


#: Each expression a user types to show their environment, with the signal its value gives: (kind, the value's
#: name, what the value is). ``print(EXPRESSION)`` echoes the same value without quotes.
ECHOES: dict[str, tuple[str, str, str]] = {
    "torch.__version__": ("torch_version", "version", "version"),
    "torch.version.__version__": ("torch_version", "version", "version"),
    "torch.version.cuda": ("torch_cuda", "cuda", "version"),
    "torch.cuda.is_available()": ("cuda_available", "available", "truth"),
    "torch.backends.cudnn.version()": ("cudnn_version", "cudnn", "number"),
    "torch.backends.mps.is_available()": ("mps_available", "available", "truth"),
    "torch.backends.mps.is_built()": ("mps_built", "built", "truth"),
    "np.__version__": ("numpy_version", "numpy", "version"),
    "numpy.__version__": ("numpy_version", "numpy", "version"),
}
_EXPRESSION = re.compile(r"(?<![\w.])(?:print\(\s*)?(?P<expression>"
                         + "|".join(re.escape(expression) for expression in ECHOES) + r")(?:\s*\))?")
#: What separates an expression from its value on one line (``torch.__version__ '2.1.0'``, ``print(...)" #=> 0.4.1``,
#: ``torch.__version__: 2.1.0``), then the value, alone to the end of the line; never a comparison (``== False``).
_SAME_LINE = re.compile(r"(?:[\s)\"'`:#,]|[=-]>|=(?!=))*(?P<value>[^\s\"'`)(:#,=>-][^\s\"'`]*)[\"'`]?\s*$")
_OUTPUT = re.compile(r"[\"']?(?P<value>[^\s\"']+)[\"']?")
#: ``print(f"Is MPS available? {torch.backends.mps.is_available()}")``: the expression alone in an f-string, whose
#: text around it frames the value in the output line.
_F_STRING = re.compile(r"print\(\s*f(?P<quote>[\"'])(?P<before>[^\"'{}]*)\{\s*(?P<expression>"
                       + "|".join(re.escape(expression) for expression in ECHOES)
                       + r")\s*\}(?P<after>[^\"'{}]*)(?P=quote)\s*\)\s*$")


def _value(kind: str, text: str) -> str | None:
    """``text`` when it is a value of that kind (a version, ``True``/``False``, a whole number), else None."""
    if kind == "version":
        return text if text[:1].isdigit() and compat.parse_version(text) is not None else None
    if kind == "truth":
        return text if text in ("True", "False") else None
    return text if text.isdigit() else None


def echoed(lines: list[str], prompts: Collection[int]) -> dict[int, tuple[str, dict[str, str]]]:
    """For each line holding an expression of :data:`ECHOES`, the signal its value gives (kind, data): the value
    follows the expression on its line, or, where the expression was typed at a prompt and nothing follows it,
    is the very next line when that is output (not another prompt); a traceback or anything else is no value."""
    found: dict[int, tuple[str, dict[str, str]]] = {}
    for index in _keywords_by_line(lines, ("version", "available", "is_built")):
        line = lines[index]
        answer = lines[index + 1] if index in prompts and index + 1 < len(lines) and index + 1 not in prompts else None
        framed = _F_STRING.search(line)
        match = framed or _EXPRESSION.search(line)
        if match is None:
            continue
        if framed is not None:
            before, after = framed.group("before"), framed.group("after")
            # an answer shorter than its frame leaves an empty slice: no value
            framed_value = (answer[len(before):len(answer) - len(after)].strip() if answer is not None
                            and answer.startswith(before) and answer.endswith(after) else None)
            value = _OUTPUT.fullmatch(framed_value) if framed_value else None
        elif line[match.end():].strip():
            value = _SAME_LINE.match(line[match.end():])
        elif answer is not None:
            value = _OUTPUT.fullmatch(answer)
        else:
            continue
        kind, name, what = ECHOES[match.group("expression")]
        text = _value(what, value.group("value")) if value else None
        if text is not None:
            found[index] = (kind, {name: text})
    return found


def scan(lines: list[str], prompts: Collection[int] = frozenset()) -> list[Signal]:
    """Every message recognised in the cleaned lines, and every value a Python session echoed (``prompts``: the
    indexes of the lines typed at its prompt), in paste order, each kind at most :data:`PER_KIND` times (or as
    :data:`LONGER` says; distinct messages, a repeated one counts once)."""
    found: list[Signal] = []
    seen: set[tuple[str, str]] = set()
    counts: dict[str, int] = {}
    by_line = _keywords_by_line(lines)
    echoes = echoed(lines, prompts)
    for index in sorted(by_line.keys() | echoes.keys()):
        line = lines[index]
        window = " ".join(part for part in lines[index:index + WINDOW] if part)
        recognised = [(echoes[index][0], str(echoes[index][1]), echoes[index][1])] if index in echoes else []
        for keyword in by_line.get(index, ()):
            for entry in _BY_KEYWORD[keyword]:
                kind, pattern = entry[0], entry[2]
                if counts.get(kind, 0) >= LONGER.get(kind, PER_KIND):
                    continue
                match = pattern.search(line if pattern.pattern.endswith("$") else window)
                if match is None or match.start() >= len(line):
                    continue
                data = _data(entry, window, match)
                recognised.append((kind, match.group(0) + ("\0" + str(sorted(data.items())) if len(entry) == 4 else ""),
                                   data))
        for kind, said, data in recognised:
            if counts.get(kind, 0) >= LONGER.get(kind, PER_KIND) or (kind, said) in seen:
                continue
            seen.add((kind, said))
            counts[kind] = counts.get(kind, 0) + 1
            found.append(Signal(kind, index + 1, line[:300], data))
    return found
