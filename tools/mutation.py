"""Incremental mutation testing of the pure modules: each module with the tests that judge it.

A whole-package ``mutmut run`` takes hours and runs every test selection against every mutant. This
runs ``mutmut`` once per pure module, in a scratch folder of its own (``.mutation/<module>/``) whose
``[tool.mutmut]`` names only that module and only its tests, and prints killed / non-equivalent for each.

    python tools/mutation.py                      # the pure modules changed since main's merge-base
    python tools/mutation.py --since HEAD~3       # ... changed since a revision
    python tools/mutation.py envdoctor/lint.py    # named modules (or all: --all)
    python tools/mutation.py --sample 60 --seed 20261207 envdoctor/refresh/learn.py
    python tools/mutation.py envdoctor/paste_rules.py --functions cuda_unavailable   # a function's mutants, all
    python tools/mutation.py --report --all       # the last run's scores again, nothing run

A probe module (it also asks the door for its text) is mutated in its readers only, named in ``READERS_OF``.

``--sample N`` draws N mutants with ``random.Random(seed)`` over the sorted names: say so when quoting it.
Mutants judged equivalent (read and explained in docs/mutation-testing.md) are listed in ``EQUIVALENT``
and left out of the score; their names shift when a function changes, so the list is re-read then.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRATCH = ROOT / ".mutation"

_READERS = ("tests/test_readers_collect_env.py", "tests/test_readers_report.py", "tests/test_lint.py",
            "tests/test_pastes.py")
_LINT = ("tests/test_lint.py", "tests/test_mutants_lint.py", "tests/test_lint_pairs.py", "tests/test_lint_rewrites.py",
         "tests/test_lint_judgements.py")
_PASTES = ("tests/test_pastes.py", "tests/test_mutants_unwrap.py", "tests/test_mutants_signals.py", "tests/test_paste_repl.py",
           "tests/test_paste_gaps.py")
_REFRESH = ("tests/test_refresh_units.py", "tests/test_mutants_refresh.py")
_RULES = ("tests/test_compat.py", "tests/test_one_model.py", "tests/test_rules.py", "tests/test_resolver.py",
          "tests/test_target.py", "tests/test_properties.py", "tests/test_recipe_data.py",
          "tests/test_install_text.py", "tests/test_emit.py", "tests/test_lint.py", "tests/test_diagnose.py")
#: the files of _RULES whose tests reach envdoctor/rules/ (measured with coverage's per-test contexts)
_RULE_TESTS = ("tests/test_rules.py", "tests/test_diagnose.py", "tests/test_one_model.py", "tests/test_properties.py",
               "tests/test_mutants_rules.py")
#: the files of _RULES whose tests reach envdoctor/resolver/ (all but test_compat.py)
_RESOLVER_TESTS = (*(test for test in _RULES if test != "tests/test_compat.py"), "tests/test_mutants_resolver.py")

#: each pure module and the tests that judge it (the narrowest selection that reaches all of it)
TESTS_OF: dict[str, tuple[str, ...]] = {
    "envdoctor/diagnose.py": ("tests/test_diagnose.py", "tests/test_pastes.py", "tests/test_mutants_diagnose.py",
                              "tests/test_paste_repl.py", "tests/test_paste_gaps.py", "tests/test_paste_told_by_facts.py"),
    "envdoctor/paste_rules.py": ("tests/test_pastes.py", "tests/test_diagnose.py", "tests/test_mutants_paste_rules.py",
                                 "tests/test_paste_cuda_unavailable.py", "tests/test_paste_repl.py",
                                 "tests/test_paste_gaps.py", "tests/test_paste_told_by_facts.py",
                                 "tests/test_mutants_gpu_architecture.py"),
    "envdoctor/readers/__init__.py": (*_READERS, "tests/test_mutants_readers.py"),
    "envdoctor/readers/collect_env.py": ("tests/test_readers_collect_env.py", "tests/test_diagnose.py",
                                         "tests/test_mutants_collect_env.py"),
    "envdoctor/readers/install_commands.py": ("tests/test_lint.py", "tests/test_mutants_lint.py",
                                              "tests/test_mutants_install_commands.py"),
    "envdoctor/readers/images.py": ("tests/test_lint.py", "tests/test_mutants_lint.py", "tests/test_mutants_images.py"),
    "envdoctor/readers/pastes/__init__.py": _PASTES,
    "envdoctor/readers/pastes/signals.py": _PASTES,
    "envdoctor/readers/pastes/unwrap.py": _PASTES,
    "envdoctor/lint.py": (*_LINT, "tests/test_mutants_lint_survivors.py"),
    "envdoctor/lint_wanted.py": (*_LINT, "tests/test_mutants_lint_wanted.py"),
    "envdoctor/lint_instead.py": (*_LINT, "tests/test_mutants_lint_instead.py"),
    "envdoctor/lint_cuda.py": (*_LINT, "tests/test_mutants_lint_cuda.py"),
    "envdoctor/i18n.py": ("tests/test_i18n.py", "tests/test_mutants_i18n.py"),
    "envdoctor/toolkit.py": ("tests/test_mutants_toolkit.py", "tests/test_toolkit_notes.py"),
    "envdoctor/datatypes.py": ("tests/test_datatypes.py",),
    # in-process tests only: a CLI child run from a temporary folder finds no mutmut configuration
    "envdoctor/interpreter.py": tuple(f"tests/test_interpreter.py::{name}" for name in (
        "test_virtual_env_comes_first", "test_conda_prefix_then_a_dot_venv_in_the_working_directory_or_above",
        "test_windows_layouts", "test_nothing_active_is_envdoctor_s_own_and_an_empty_activation_is_named"))
    + ("tests/test_mutants_interpreter.py",),
    "envdoctor/render/printable.py": ("tests/test_render.py", "tests/test_mutants_render.py"),
    "envdoctor/redact.py": ("tests/hostile/test_redact.py",),
    "envdoctor/render/lint.py": ("tests/test_mutants_render.py", "tests/test_lint.py"),
    "envdoctor/render/json.py": ("tests/test_render.py", "tests/test_mutants_render.py"),
    # the refresh run against loopback indexes (in-process): most of learning is reached only through it
    "envdoctor/refresh/learn.py": (*_REFRESH, "tests/test_refresh.py", "tests/test_mutants_learn.py"),
    "envdoctor/refresh/reading.py": (*_REFRESH, "tests/test_refresh.py", "tests/test_mutants_learn.py",
                                     "tests/test_mutants_reading.py"),
    "envdoctor/refresh/inference.py": (*_REFRESH, "tests/test_refresh.py", "tests/test_mutants_learn.py",
                                       "tests/test_mutants_inference.py"),
    "envdoctor/refresh/toml_writer.py": (*_REFRESH, "tests/test_mutants_learn.py", "tests/test_mutants_toml_writer.py"),
    "envdoctor/refresh/indexes.py": (*_REFRESH, "tests/test_mutants_indexes.py"),
    "envdoctor/refresh/wheelzip.py": (*_REFRESH, "tests/test_mutants_wheelzip.py"),
    "envdoctor/refresh/freshness.py": _REFRESH,
    "envdoctor/policy.py": ("tests/test_policy.py", "tests/test_mutants_policy_emit.py", "tests/test_mutants_policy.py"),
    "envdoctor/emit.py": ("tests/test_emit.py", "tests/test_mutants_policy_emit.py", "tests/test_mutants_emit.py"),
    "envdoctor/compat.py": (*_RULES, "tests/test_compat_names.py"),
    "envdoctor/rules/__init__.py": _RULE_TESTS,
    "envdoctor/rules/builds.py": _RULE_TESTS,
    "envdoctor/rules/cuda.py": _RULE_TESTS,
    "envdoctor/rules/gpu.py": _RULE_TESTS,
    "envdoctor/rules/install_fix.py": _RULE_TESTS,
    "envdoctor/rules/installed_torch.py": _RULE_TESTS,
    "envdoctor/rules/limits.py": _RULE_TESTS,
    "envdoctor/rules/probe_failures.py": _RULE_TESTS,
    "envdoctor/rules/system.py": _RULE_TESTS,
    "envdoctor/resolver/alternatives.py": _RESOLVER_TESTS,
    "envdoctor/resolver/candidates.py": _RESOLVER_TESTS,
    "envdoctor/resolver/choose.py": _RESOLVER_TESTS,
    "envdoctor/resolver/commands.py": (*_RESOLVER_TESTS, "tests/test_compat_names.py", "tests/test_mutants_commands.py"),
    "envdoctor/resolver/plan.py": (*_RESOLVER_TESTS, "tests/test_mutants_plan.py"),
    "envdoctor/recipes/loader.py": ("tests/test_recipes.py", "tests/test_recipe_data.py", "tests/test_mutants_loader.py"),
    "envdoctor/recipes/schema.py": ("tests/test_recipes.py", "tests/test_recipe_data.py", "tests/test_mutants_schema.py"),
    "envdoctor/recipes/model.py": ("tests/test_recipes.py", "tests/test_recipe_data.py", "tests/test_resolver.py",
                                   "tests/test_mutants_model.py"),
    "envdoctor/extensions.py": ("tests/test_extensions.py", "tests/test_verify_imports.py",
                                "tests/test_mutants_extensions.py"),
    "envdoctor/extension_plan.py": ("tests/test_extension_plan.py", "tests/test_mutants_extension_plan.py"),
    # in-process tests only: test_door.py's children outlive a test and confuse mutmut's worker bookkeeping
    "envdoctor/readers/json_text.py": ("tests/test_door.py::test_untrusted_json_is_refused_with_a_reason",
                                       "tests/test_readers_report.py", "tests/test_mutants_json_text.py"),
    "envdoctor/probes/cuda.py": ("tests/test_probe_cuda.py", "tests/test_mutants_probe_cuda.py"),
    "envdoctor/probes/cudnn.py": ("tests/test_probe_cudnn.py", "tests/test_mutants_probe_cudnn.py"),
    "envdoctor/probes/limits.py": ("tests/test_probe_limits.py", "tests/test_mutants_probe_limits.py"),
    "envdoctor/probes/nvidia.py": ("tests/test_probe_nvidia.py", "tests/test_machines_nvidia.py",
                                   "tests/test_probe_gpu_memory.py", "tests/test_mutants_probe_nvidia.py"),
    "envdoctor/probes/python.py": ("tests/test_probe_python.py", "tests/test_mutants_probe_python.py"),
    "envdoctor/probes/rocm.py": ("tests/test_probe_rocm.py", "tests/test_mutants_probe_rocm.py"),
    "envdoctor/probes/system.py": ("tests/test_probe_system.py", "tests/test_machines_system.py",
                                   "tests/test_mutants_probe_system.py"),
    "envdoctor/probes/torch_install.py": ("tests/test_probe_torch_install.py",
                                          "tests/test_mutants_probe_torch_install.py"),
    "envdoctor/probes/xpu.py": ("tests/test_probe_xpu_apple.py", "tests/test_mutants_probe_xpu.py"),
}

#: The modules that both read text and ask the door for it (the probes): their readers, the functions that
#: take text or parsed data and return data, are what is mutated unless ``--functions`` names others.
READERS_OF: dict[str, tuple[str, ...]] = {
    "envdoctor/probes/cuda.py": ("parse_nvcc_version", "parse_version_json", "parse_version_txt", "release_of",
                                 "_specific", "_merge", "_sort_key", "parse_library_name"),
    "envdoctor/probes/cudnn.py": ("parse_cudnn_header", "library_version", "_most_specific"),
    "envdoctor/probes/limits.py": ("_unescape", "parse_mountinfo", "parse_proc_cgroup", "cgroup_dir", "cgroup_dirs",
                                   "parse_cpu_max", "parse_cfs", "parse_memory_limit", "parse_open_files",
                                   "parse_cpu_list", "parse_status_cpus", "_smallest"),
    "envdoctor/probes/nvidia.py": ("parse_smi_header", "_value", "parse_smi_query", "parse_smi_memory",
                                   "rejected_field", "parse_nvml_library_version", "parse_proc_driver_version",
                                   "parse_sys_driver_version", "classify_smi_failure", "cuda_version_from_int", "_int",
                                   "_text", "_mig_from_text", "gpus_from_nvml", "gpus_from_query", "_one_model",
                                   "_by_uuid_prefix", "cuda_visibility", "parse_device_nodes"),
    "envdoctor/probes/python.py": ("_text_or_none", "_clean_distribution", "parse_pyinfo", "parse_tool_version",
                                   "conda_version_from_records", "conda_env_name", "_root_of"),
    "envdoctor/probes/rocm.py": ("gfx_target", "parse_rocm_version_file", "parse_rocminfo", "gpus_from_rocminfo",
                                 "parse_amd_smi_asic_json", "parse_rocm_smi_product", "parse_visible_devices"),
    "envdoctor/probes/system.py": ("unquote_os_release_value", "parse_os_release", "normalise_distro_id",
                                   "parse_proc_version_wsl", "parse_cgroup_container", "normalise_arch",
                                   "windows_release", "parse_cpuinfo"),
    "envdoctor/probes/torch_install.py": ("parse_torch_version_py", "local_tag", "_distribution", "_first_of_each",
                                          "parse_conda_record_name"),
    "envdoctor/probes/xpu.py": ("parse_drm_uevent", "parse_sysfs_hex", "_without_trailing_version", "parse_sycl_ls"),
}

#: mutants read and judged equivalent: no input tells them from the original (docs/mutation-testing.md)
EQUIVALENT: frozenset[str] = frozenset({
    "envdoctor.recipes.loader.x__read_dir__mutmut_27",
    "envdoctor.resolver.alternatives.x__limits__mutmut_44",
    "envdoctor.resolver.candidates.x__rank__mutmut_8",
    "envdoctor.resolver.candidates.x__rank__mutmut_9",
    "envdoctor.datatypes.x__init__mutmut_7",
    "envdoctor.datatypes.x__init__mutmut_22",
    "envdoctor.datatypes.x__init__mutmut_25",
    "envdoctor.datatypes.x__init__mutmut_39",
    "envdoctor.datatypes.x__init__mutmut_42",
    "envdoctor.datatypes.x__init__mutmut_43",
    "envdoctor.i18n.x_display_width__mutmut_11",
    "envdoctor.i18n.x_pick__mutmut_5",
    "envdoctor.i18n.x_pick__mutmut_7",
    "envdoctor.i18n.xǁLanguageǁsay__mutmut_5",
    "envdoctor.compat.x_parse_version__mutmut_5",
    "envdoctor.compat.x_variant_cuda__mutmut_17",
    "envdoctor.rules.builds.x_variant_tag__mutmut_10",
    "envdoctor.redact.x__mask_path__mutmut_7",
    "envdoctor.redact.x__mask_path__mutmut_8",
    "envdoctor.redact.x_redact_data__mutmut_14",
    "envdoctor.compat.x_kernel_coverage__mutmut_35",
    "envdoctor.compat.x_driver_table_os__mutmut_20",
    "envdoctor.compat.x_jetson_kind__mutmut_10",
    "envdoctor.compat.x__arch_name__mutmut_6",
    "envdoctor.compat.x__arch_name__mutmut_7",
    "envdoctor.compat.x__arch_name__mutmut_41",
    "envdoctor.compat.x__arch_name__mutmut_42",
    "envdoctor.compat.x__from_platform_tag__mutmut_53",
    "envdoctor.compat.x__from_platform_tag__mutmut_57",
    "envdoctor.compat.x__from_platform_tag__mutmut_58",
    "envdoctor.compat.x_target_platform__mutmut_17",
    "envdoctor.compat.x_target_platform__mutmut_30",
    "envdoctor.compat.x_python_tag__mutmut_10",
    "envdoctor.interpreter.x_choose_interpreter__mutmut_8",
    "envdoctor.interpreter.x_choose_interpreter__mutmut_10",
    "envdoctor.render.json.x_render_json__mutmut_19",
    "envdoctor.render.json.x_render_json__mutmut_20",
    "envdoctor.render.json.x_render_json__mutmut_23",
    "envdoctor.render.json.x_render_json__mutmut_24",
    "envdoctor.render.json.x_render_json__mutmut_26",
    "envdoctor.toolkit.x_toolkit_for_torch__mutmut_9",
    "envdoctor.refresh.learn.x__variant_bodies__mutmut_29",
    "envdoctor.refresh.freshness.x_newer_than_known__mutmut_18",
    "envdoctor.refresh.freshness.x_newer_than_known__mutmut_38",
    "envdoctor.readers.images.x__image__mutmut_22",
    "envdoctor.readers.collect_env.x_parse_fields__mutmut_4",
    "envdoctor.readers.collect_env.x__libraries__mutmut_96",
    "envdoctor.lint.x__what_it_installs__mutmut_16",
    "envdoctor.lint_wanted.x_pip_requirement__mutmut_12",
    "envdoctor.lint_wanted.x_with_versions__mutmut_46",
    "envdoctor.lint_wanted.x_with_versions__mutmut_50",
    "envdoctor.lint_instead.x__command_of__mutmut_3",
    "envdoctor.lint_instead.x__command_of__mutmut_8",
    "envdoctor.lint_instead.x__command_of__mutmut_10",
    "envdoctor.lint_instead.x__command_of__mutmut_11",
    "envdoctor.lint_instead.x__replacement__mutmut_5",
    "envdoctor.lint_instead.x__with_conda_packages__mutmut_8",
    "envdoctor.lint_instead.x__with_conda_packages__mutmut_9",
    "envdoctor.lint_instead.x__with_conda_packages__mutmut_18",
    "envdoctor.lint_instead.x__with_conda_packages__mutmut_19",
    "envdoctor.lint_instead.x__with_conda_packages__mutmut_24",
    "envdoctor.diagnose.x_paste_gaps__mutmut_1",
    "envdoctor.paste_rules.x_evaluate__mutmut_10",
    "envdoctor.paste_rules.x_mps_unavailable__mutmut_25",
    "envdoctor.lint.x__judge_conda__mutmut_22",
    "envdoctor.lint.x_judged_for__mutmut_14",
    "envdoctor.readers.collect_env.x__xpu__mutmut_29",
    "envdoctor.rules.cuda.x_cuda_library_path_shadows_wheel__mutmut_46",
    "envdoctor.lint.x__judge_fit__mutmut_10",
    "envdoctor.lint.x__judge_fit__mutmut_13",
    "envdoctor.lint.x__judge_fit__mutmut_15",
    "envdoctor.lint.x__judge_fit__mutmut_90",
    "envdoctor.lint.x__without_accelerators__mutmut_3",
    "envdoctor.lint.x__without_accelerators__mutmut_10",
    "envdoctor.lint.x__without_accelerators__mutmut_11",
    "envdoctor.lint.x__judge_against_plan__mutmut_1",
    "envdoctor.lint.x__judge_against_plan__mutmut_2",
    "envdoctor.lint.x__judge_against_plan__mutmut_10",
    "envdoctor.lint_cuda.x__cuda_parts__mutmut_37",
    "envdoctor.lint_cuda.x__judge_cuda_install__mutmut_32",
    "envdoctor.lint_instead.x__with_python__mutmut_17",
    "envdoctor.readers.install_commands.x__segments__mutmut_8",
    "envdoctor.readers.install_commands.x__strip_prefix__mutmut_37",
    "envdoctor.paste_rules.x__index_for__mutmut_3",
    "envdoctor.refresh.inference.x_companion_gaps__mutmut_4",
    "envdoctor.refresh.inference.x_companion_gaps__mutmut_6",
    "envdoctor.readers.pastes.unwrap.x_clean_line__mutmut_13",
    "envdoctor.readers.pastes.unwrap.x_is_binary__mutmut_14",
    "envdoctor.readers.pastes.signals.x__keywords_by_line__mutmut_19",
    "envdoctor.readers.pastes.signals.x__keywords_by_line__mutmut_20",
    "envdoctor.readers.pastes.signals.x__keywords_by_line__mutmut_23",
    "envdoctor.readers.pastes.signals.x_scan__mutmut_37",
    "envdoctor.readers.pastes.signals.x_scan__mutmut_33",
    "envdoctor.readers.pastes.signals.x_scan__mutmut_38",
    "envdoctor.readers.pastes.signals.x_scan__mutmut_79",
    "envdoctor.readers.pastes.signals.x_scan__mutmut_66",
    "envdoctor.readers.pastes.signals.x_scan__mutmut_68",
    "envdoctor.readers.pastes.signals.x_scan__mutmut_73",
    "envdoctor.rules.gpu.x_nvidia_driver_older_than_gpu__mutmut_82",
    "envdoctor.rules.installed_torch.x_torch_cuda_on_this_machine__mutmut_137",
    "envdoctor.resolver.alternatives.x__main_kind__mutmut_7",
    "envdoctor.resolver.choose.x__fill__mutmut_169",
    "envdoctor.readers.collect_env.x__gpus__mutmut_1",
    "envdoctor.readers.collect_env.x__gpus__mutmut_49",
    "envdoctor.readers.collect_env.x__os__mutmut_17",
    "envdoctor.readers.collect_env.x__os__mutmut_78",
    "envdoctor.readers.collect_env.x__os__mutmut_93",
    "envdoctor.readers.collect_env.x__os__mutmut_101",
    "envdoctor.readers.collect_env.x__os__mutmut_114",
    "envdoctor.readers.collect_env.x__os__mutmut_115",
    "envdoctor.readers.collect_env.x__os__mutmut_148",
    "envdoctor.readers.collect_env.x__os__mutmut_166",
    "envdoctor.readers.collect_env.x__os__mutmut_175",
    "envdoctor.readers.collect_env.x__platform__mutmut_10",
    "envdoctor.readers.collect_env.x__platform__mutmut_73",
    "envdoctor.readers.collect_env.x__platform__mutmut_76",
    "envdoctor.probes.nvidia.x__int__mutmut_6",
    "envdoctor.probes.nvidia.x__mig_from_text__mutmut_4",
    "envdoctor.probes.nvidia.x_classify_smi_failure__mutmut_6",
    "envdoctor.probes.nvidia.x_cuda_visibility__mutmut_50",
    "envdoctor.probes.nvidia.x_cuda_visibility__mutmut_51",
    "envdoctor.probes.nvidia.x_cuda_visibility__mutmut_89",
    "envdoctor.probes.nvidia.x_cuda_visibility__mutmut_90",
    "envdoctor.probes.nvidia.x_cuda_visibility__mutmut_133",
    "envdoctor.probes.nvidia.x_cuda_visibility__mutmut_134",
    "envdoctor.probes.nvidia.x_cuda_visibility__mutmut_158",
    "envdoctor.probes.nvidia.x_cuda_visibility__mutmut_21",
    "envdoctor.probes.nvidia.x_parse_nvml_library_version__mutmut_7",
    "envdoctor.probes.nvidia.x_parse_nvml_library_version__mutmut_14",
    "envdoctor.probes.nvidia.x_parse_proc_driver_version__mutmut_2",
    "envdoctor.probes.nvidia.x_parse_proc_driver_version__mutmut_15",
    "envdoctor.probes.nvidia.x_parse_proc_driver_version__mutmut_22",
    "envdoctor.probes.nvidia.x_parse_proc_driver_version__mutmut_24",
    "envdoctor.probes.nvidia.x_parse_smi_header__mutmut_2",
    "envdoctor.probes.nvidia.x_parse_smi_memory__mutmut_4",
    "envdoctor.probes.nvidia.x_parse_sys_driver_version__mutmut_3",
    "envdoctor.probes.nvidia.x_rejected_field__mutmut_7",
    "envdoctor.probes.nvidia.x_parse_smi_query__mutmut_18",
    "envdoctor.probes.nvidia.x_parse_smi_query__mutmut_21",
    "envdoctor.probes.nvidia.x_parse_smi_query__mutmut_22",
    "envdoctor.probes.rocm.x_parse_amd_smi_asic_json__mutmut_3",
    "envdoctor.probes.rocm.x_parse_amd_smi_asic_json__mutmut_6",
    "envdoctor.probes.rocm.x_parse_amd_smi_asic_json__mutmut_39",
    "envdoctor.probes.rocm.x_parse_rocm_smi_product__mutmut_3",
    "envdoctor.probes.rocm.x_parse_rocm_smi_product__mutmut_15",
    "envdoctor.probes.rocm.x_parse_rocm_version_file__mutmut_8",
    "envdoctor.probes.rocm.x_parse_rocminfo__mutmut_3",
    "envdoctor.probes.rocm.x_parse_rocminfo__mutmut_41",
    "envdoctor.probes.rocm.x_parse_rocminfo__mutmut_6",
    "envdoctor.probes.cuda.x_parse_nvcc_version__mutmut_4",
    "envdoctor.probes.cuda.x_parse_nvcc_version__mutmut_13",
    "envdoctor.probes.cuda.x_parse_version_json__mutmut_4",
    "envdoctor.probes.cuda.x_parse_version_txt__mutmut_7",
    "envdoctor.probes.cuda.x__specific__mutmut_9",
    "envdoctor.probes.torch_install.x_parse_torch_version_py__mutmut_3",
    "envdoctor.probes.xpu.x__without_trailing_version__mutmut_10",
    "envdoctor.probes.xpu.x__without_trailing_version__mutmut_11",
    "envdoctor.probes.xpu.x_parse_drm_uevent__mutmut_3",
    "envdoctor.probes.xpu.x_parse_sycl_ls__mutmut_3",
    "envdoctor.probes.xpu.x_parse_sysfs_hex__mutmut_10",
    "envdoctor.probes.xpu.x_parse_sycl_ls__mutmut_20",
    "envdoctor.probes.system.x_parse_cgroup_container__mutmut_4",
    "envdoctor.probes.system.x_parse_cpuinfo__mutmut_3",
    "envdoctor.probes.system.x_parse_cpuinfo__mutmut_62",
    "envdoctor.probes.system.x_parse_os_release__mutmut_3",
    "envdoctor.probes.system.x_parse_proc_version_wsl__mutmut_3",
    "envdoctor.probes.system.x_unquote_os_release_value__mutmut_14",
    "envdoctor.probes.system.x_unquote_os_release_value__mutmut_39",
    "envdoctor.probes.cudnn.x_parse_cudnn_header__mutmut_7",
    "envdoctor.probes.limits.x_parse_cfs__mutmut_3",
    "envdoctor.probes.limits.x_parse_cfs__mutmut_5",
    "envdoctor.probes.limits.x_parse_cpu_list__mutmut_5",
    "envdoctor.probes.limits.x_parse_cpu_max__mutmut_3",
    "envdoctor.probes.limits.x_parse_memory_limit__mutmut_3",
    "envdoctor.probes.limits.x_parse_mountinfo__mutmut_3",
    "envdoctor.probes.limits.x_parse_open_files__mutmut_2",
    "envdoctor.probes.limits.x_parse_proc_cgroup__mutmut_3",
    "envdoctor.probes.limits.x_parse_status_cpus__mutmut_2",
    "envdoctor.probes.python.x_parse_pyinfo__mutmut_3",
    "envdoctor.probes.python.x_parse_tool_version__mutmut_2",
    "envdoctor.paste_rules.x_gpu_architecture__mutmut_19",
    "envdoctor.paste_rules.x_gpu_architecture__mutmut_20",
    "envdoctor.paste_rules.x_gpu_architecture__mutmut_138",
})

KILLED = {1, 3, 36, 37, -24, 24, 152, 255, -11, -9}  # a failing test, a timeout, the type checker
NO_TESTS = {5, 33}


def changed_modules(since: str | None) -> list[str]:
    """The pure modules that differ from ``since`` (default: the merge-base with main), work tree included."""
    base = since or subprocess.run(["git", "merge-base", "HEAD", "main"], cwd=ROOT, check=True,
                                   capture_output=True, text=True).stdout.strip()
    names = subprocess.run(["git", "diff", "--name-only", base, "--", "envdoctor"], cwd=ROOT, check=True,
                           capture_output=True, text=True).stdout.split()
    return [name for name in TESTS_OF if name in names]


def _slug(module: str) -> str:
    return module.removeprefix("envdoctor/").removesuffix(".py").replace("/", ".")


def _config(module: str) -> str:
    """The project's pyproject.toml with a ``[tool.mutmut]`` for ``module`` alone."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    text = re.sub(r"(?ms)^\[tool\.mutmut\]\n.*?(?=^\[|\Z)", "", text)
    tests = [test for test in TESTS_OF[module] if (ROOT / test.partition("::")[0]).exists()]
    return text + (
        "\n[tool.mutmut]\n"
        'source_paths = ["envdoctor"]\n'
        f"only_mutate = {json.dumps([module])}\n"
        'also_copy = ["recipes"]\n'
        'pytest_add_cli_args = ["-p", "no:cacheprovider"]\n'
        f"pytest_add_cli_args_test_selection = {json.dumps(tests)}\n"
    )


def _prepare(module: str) -> Path:
    """A fresh scratch folder holding the code, tests and recipes as they are now."""
    work = SCRATCH / _slug(module)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    for name in ("envdoctor", "tests", "recipes"):
        shutil.copytree(ROOT / name, work / name, ignore=shutil.ignore_patterns("__pycache__"))
    (work / "pyproject.toml").write_text(_config(module), encoding="utf-8")
    return work


def _exit_codes(work: Path, module: str) -> dict[str, int | None]:
    meta = work / "mutants" / (module + ".meta")
    codes: dict[str, int | None] = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
    return codes


_GENERATE = ("import os, mutmut.__main__ as m; os.makedirs('mutants', exist_ok=True); m.copy_src_dir(); "
             "m.copy_also_copy_files(); m.setup_source_paths(); m.create_mutants(1)")


def of_functions(names: list[str], functions: list[str]) -> list[str]:
    """The mutants of the named functions (a method as ``Class.method``): mutmut calls them
    ``<module>.x_<function>__mutmut_<n>`` and ``<module>.xǁ<Class>ǁ<method>__mutmut_<n>``."""
    stems = {"x_" + f if "." not in f else "xǁ" + f.replace(".", "ǁ") for f in functions}
    return [name for name in names if name.rpartition(".")[2].rpartition("__mutmut_")[0] in stems]


def run_module(module: str, sample: int | None, seed: int, children: int,
               functions: list[str] | None = None) -> dict[str, int | None]:
    """Run mutmut on one module (all its mutants, those of some functions, or a seeded sample of either) and
    return each mutant's exit code."""
    functions = functions or list(READERS_OF.get(module, ())) or None
    work = _prepare(module)
    env = dict(os.environ, HYPOTHESIS_PROFILE="mutmut", PYTHONPATH=str(work))  # CLI children run unmutated code
    mutmut = [sys.executable, "-c", "import sys; from mutmut.__main__ import cli; sys.exit(cli())"]
    names: list[str] = []
    if sample is not None or functions:
        subprocess.run([sys.executable, "-c", _GENERATE], cwd=work, env=env, check=True, capture_output=True)
        every = sorted(_exit_codes(work, module))
        if functions:
            every = of_functions(every, functions)
            if not every:
                raise SystemExit(f"{module}: no mutant in {', '.join(functions)}")
        names = sorted(random.Random(seed).sample(every, min(sample, len(every)))) if sample is not None else every
    with open(work / "mutmut.log", "w", encoding="utf-8") as log:
        subprocess.run([*mutmut, "run", "--max-children", str(children), *names], cwd=work, env=env, stdout=log,
                       stderr=subprocess.STDOUT)
    codes = _exit_codes(work, module)
    return {name: codes[name] for name in names} if names else codes


def score_line(module: str, codes: dict[str, int | None], kind: str) -> str:
    """``module  mutants  killed / non-equivalent  score``, with the survivors named after it."""
    if codes and all(code is None for code in codes.values()):
        return f"{module}: mutmut judged nothing (its log: .mutation/{_slug(module)}/mutmut.log)"
    equivalent = [name for name in codes if name in EQUIVALENT]
    judged = {name: code for name, code in codes.items() if name not in EQUIVALENT and code is not None}
    killed = sum(code in KILLED for code in judged.values())
    survivors = sorted(name for name, code in judged.items() if code not in KILLED)
    score = f"{100 * killed / len(judged):.1f} %" if judged else "-"
    lines = [f"{module}: {len(codes)} ({kind}), killed {killed} / {len(judged)} non-equivalent = {score}, "
             f"{len(equivalent)} equivalent"]
    lines += [f"    survived: {name}" + (" (no test reaches it)" if codes[name] in NO_TESTS else "")
              for name in survivors]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="pure modules to run (default: those changed)")
    parser.add_argument("--since", help="git revision to compare with (default: merge-base with main)")
    parser.add_argument("--all", action="store_true", help="every pure module")
    parser.add_argument("--sample", type=int, help="run a seeded random sample of this many mutants per module")
    parser.add_argument("--functions", nargs="+", metavar="NAME",
                        help="only the mutants of these functions (Class.method for a method), e.g. the new ones")
    parser.add_argument("--seed", type=int, default=20261207)
    parser.add_argument("--max-children", type=int, default=2)
    parser.add_argument("--report", action="store_true",
                        help="score the last run of each module again (after EQUIVALENT changed), running nothing")
    options = parser.parse_args(argv)
    modules = list(TESTS_OF) if options.all else options.modules or changed_modules(options.since)
    unknown = [module for module in modules if module not in TESTS_OF]
    if unknown:
        parser.error(f"not a pure module with a test selection: {', '.join(unknown)}")
    if not modules:
        print("no pure module changed")
        return 0
    for module in modules:
        if options.report:
            work = SCRATCH / _slug(module)
            codes = _exit_codes(work, module) if (work / "mutants" / (module + ".meta")).exists() else {}
            print(score_line(module, {k: v for k, v in codes.items() if v is not None}, "last run"), flush=True)
            continue
        codes = run_module(module, options.sample, options.seed, options.max_children, options.functions)
        kind = ("sample" if options.sample is not None else "functions" if options.functions
                else "readers" if module in READERS_OF else "all")
        print(score_line(module, codes, kind), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
