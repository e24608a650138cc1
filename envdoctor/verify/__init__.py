"""``envdoctor verify``: run torch for real, in a child process, on every device, and measure it.

:func:`run_verify` returns a list of :class:`~envdoctor.facts.Check`; the run is fine when no check
has status ``fail`` (:func:`verify_ok`). Check ids are stable; ``DEV`` is ``cpu``, ``cuda:N``
(ROCm GPUs too, as torch names them), ``xpu:N`` or ``mps``:

==============================  ==================================================================
``import``                      ``import torch`` in the target interpreter; metric ``import_s``
``build``                       torch / CUDA / HIP / XPU / cuDNN / NCCL versions, kernel arch list
``numpy``                       NumPy beside torch and a tensor.numpy() round trip; missing is status
                                ``warn`` (torch runs; tensor.numpy() and most tutorials do not) with
                                ``pip install numpy``, pinned where torch's metadata or a known
                                build says (the 2.4.0 Windows wheels: numpy<2)
``extension.DIST``              each installed compiled extension (the extensions probe and
                                ``recipes/extensions.toml`` name them) imported after torch in a
                                fresh interpreter, all at once, each killed past its time limit; a
                                failure names its cause (undefined symbol: built for another torch;
                                a CUDA runtime library missing) and the fix
``devices``                     what torch sees, compared with the probes (nvidia-smi / NVML); a
                                shortfall fails and names its cause: CPU build,
                                CUDA_VISIBLE_DEVICES, driver too old, GPU arch not compiled in
``device.cuda|xpu|mps``         only when that kind is absent: skip under ``--device all``, fail
                                when it was asked for
``DEV.alloc``                   allocate and fill 16 MiB; when it fails, the rest of DEV is skipped
``DEV.copy``                    host -> device -> host round trip, bit-exact
``DEV.matmul.DTYPE``            float32, then float16 / bfloat16 / tf32 where the device has them,
                                against a float64 multiply-and-sum reference (no matmul involved)
``DEV.autograd``                d/dx (x**2 + 2x) at 3 is 8
``DEV.gradcheck``               ``torch.autograd.gradcheck`` in float64 (skip on MPS)
``DEV.conv2d``                  conv2d (cuDNN / MIOpen / CPU) against an explicit-loop reference
``DEV.tutorial.autograd``       the 60 Minute Blitz's example: ((x + 2) * (x + 2) * 3).mean() at
                                ones(2, 2) is 27, x.grad all 4.5; y.backward(v) gives v * 512
``DEV.train.sgd``               Linear -> Tanh -> Linear trained with optim.SGD and optim.AdamW on a
                                seeded regression: the loss falls 10x and the weights match a float64
                                CPU reference written by hand (no autograd, nn or optim) within 1e-3
``DEV.train.amp``               torch.autocast in bfloat16, and float16 with a GradScaler: finite
                                losses, at most 2 skipped steps, weights within 5e-2 / 1e-2 of float32
``DEV.data.loader``             DataLoader, 2 workers, the default start method, pinned memory on
                                CUDA / XPU, non_blocking copies: every batch, in order, bit-exact; a
                                dead worker fails it with the cause (shared memory, killed, open files)
``DEV.perf.matmul.DTYPE``       metrics ``tflops``, and ``peak_tflops`` / ``fraction_of_peak``
                                where ``recipes/gpu_peaks.toml`` knows the GPU
``DEV.perf.copy``               accelerators only: metric ``gb_per_s`` (host -> device)
``compile``                     with ``compile=True``: ``torch.compile`` output equals eager
``expect.gpus|cuda|torch``      the CI expectations given in :class:`VerifyOptions`
``smoke``                       the child died outside any stage (interpreter missing, ...), or the
                                options cannot run (a timeout that is not a finite number above 0,
                                an unknown level)
``smoke.protocol``              the child's private channel carried something other than this run's
                                own events (no or a wrong nonce, a check reported twice): fails
==============================  ==================================================================

``VerifyOptions.level`` (``--level``) says how much runs, as ``dcgmi diag -r 1/2/3`` does for NVIDIA's
DCGM: ``quick`` runs import, build, numpy, extension.*, devices, ``DEV.matmul.float32`` and
``DEV.tutorial.autograd`` (a CI
gate, 60 s timeout); ``standard`` (the default) every check above with a 2 s performance budget (120 s);
``full`` trains longer on a larger model, moves 32 MiB DataLoader batches (128 MiB in /dev/shm at once,
more than Docker's default 64 MB) and measures performance for 10 s (300 s).

With ``--distributed`` (``envdoctor/verify/fleet.py``) each rank runs the above on its node, then rank 0
adds: ``fleet.import``, ``fleet.join``, ``fleet.init``, ``fleet.gather`` (each names the ranks that did
not get there in time), ``fleet.allreduce.rank_ids`` and ``fleet.allreduce.sum.N`` (against a locally
computed reference), ``fleet.busbw`` (metrics ``algbw_gb_per_s``, ``busbw_gb_per_s``,
``seconds_per_call``), ``fleet.same.KEY`` for envdoctor, python, torch, variant, cuda, cudnn, nccl,
driver, gpu_model and gpu_count (naming the odd ranks and hosts), ``fleet.ranks.verify`` and
``fleet.summaries``.

When the child crashes (SIGSEGV, SIGABRT, ...), hangs past the timeout or exits with a traceback,
the stage it was in gets a failed check whose message names the signal or error; the child and
everything it started are killed. Results come only over a private pipe, with a per-run nonce:
whatever torch prints on stdout or stderr never changes one. ``progress`` events on the same pipe (stage n of m) feed
the line verify rewrites on stderr while it runs, when stderr is a terminal and never with --json. The child runs in a fresh empty
directory with the working directory off ``sys.path``, and keeps PYTHONPATH and the user
site-packages, so it imports the torch the user's own scripts get.
"""

from __future__ import annotations

from envdoctor.verify.runner import (
    GpuPeak,
    GpuPeaksError,
    VerifyOptions,
    find_peak,
    load_gpu_peaks,
    run_verify,
    verify_ok,
)

__all__ = [
    "GpuPeak",
    "GpuPeaksError",
    "VerifyOptions",
    "find_peak",
    "load_gpu_peaks",
    "run_verify",
    "verify_ok",
]
