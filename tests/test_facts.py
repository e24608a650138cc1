"""Facts serialise to JSON and back without loss; bad data names the path that is wrong."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from envdoctor.facts import (
    Attempt,
    CudaToolkit,
    Distribution,
    Facts,
    FactsFormatError,
    Gpu,
    NvidiaFacts,
    TorchFacts,
    from_dict,
    to_dict,
)


def sample_facts() -> Facts:
    facts = Facts()
    facts.os.system, facts.os.arch, facts.os.distro_id = "Linux", "x86_64", "ubuntu"
    facts.nvidia = NvidiaFacts(
        status="ok",
        driver_version="535.104.05",
        driver_max_cuda="12.2",
        gpus=[Gpu("nvidia", 0, "NVIDIA GeForce RTX 3090", compute_capability="8.6", memory_total_mib=24576)],
        cuda_visible_devices="0",
        attempts=[Attempt("nvml", "not_found", "NVML Shared Library Not Found", 0.001)],
    )
    facts.cuda.toolkits = [CudaToolkit("12.2.140", "/usr/local/cuda-12.2", active=True, source="nvcc --version")]
    facts.torch = TorchFacts(status="ok", version="2.1.2+cu121", local="cu121", cuda="12.1",
                             companions=[Distribution("torchvision", "0.16.2")])
    facts.overrides = ["--driver 535.104.05"]
    facts.probe_duration_s = 0.05
    return facts


def test_round_trip_through_json_keeps_everything():
    facts = sample_facts()
    text = json.dumps(to_dict(facts))
    again = from_dict(Facts, json.loads(text))
    assert again == facts
    assert again.nvidia.gpus[0].compute_capability == "8.6"
    assert again.torch.companion("torchvision").version == "0.16.2"


def test_unknown_keys_are_ignored_and_missing_keys_default():
    again = from_dict(Facts, {"nvidia": {"status": "no_driver", "future_field": 1}})
    assert again.nvidia.status == "no_driver"
    assert again.torch.status == "absent"


@pytest.mark.parametrize(
    "data, where",
    [
        ({"nvidia": {"gpus": {}}}, "$.nvidia.gpus"),
        ({"nvidia": {"gpus": [{"vendor": "nvidia", "index": "zero"}]}}, "$.nvidia.gpus[0].index"),
        ({"os": "linux"}, "$.os"),
        ({"cpu": {"avx2": "yes"}}, "$.cpu.avx2"),
    ],
)
def test_wrong_types_name_the_path(data, where):
    with pytest.raises(FactsFormatError) as info:
        from_dict(Facts, data)
    assert where in str(info.value)


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                    max_leaves=12))
def test_any_json_either_loads_or_raises_a_format_error(data):
    try:
        from_dict(Facts, {"nvidia": data, "torch": data})
    except FactsFormatError:
        pass
