"""Fine-tuning under `torchrun` with two CPU processes (gloo): the command the README gives for
several GPUs, on the CPU. One model folder, one run log, nothing left behind."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tiny_models import save_tiny_gpt2

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("lora", [False, True], ids=["whole-model", "lora"])
def test_finetune_under_torchrun_with_two_processes(tmp_path, lora):
    base = save_tiny_gpt2(tmp_path / "base", end_token=False)
    models, runs = tmp_path / "models", tmp_path / "runs"
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
               "-m", "training", "finetune", "--genre", "rock", "--base", str(base),
               "--models-dir", str(models), "--runs-dir", str(runs), "--run-id", "ddp",
               "--max-steps", "4", "--per-device-train-batch-size", "2", "--gradient-accumulation-steps", "1",
               "--block-size", "64", "--logging-steps", "2", "--eval-steps", "2", "--use-cpu"] + (["--lora"] if lora else [])
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    # Its own process group, so that a hang kills the workers too, not only torchrun.
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=240)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail("torchrun did not finish in 240 s")
    assert proc.returncode == 0, stderr[-3000:]

    assert sorted(p.name for p in models.iterdir()) == ["rock"]  # no work folder left beside it
    weights = "adapter_model.safetensors" if lora else "model.safetensors"
    assert (models / "rock" / weights).is_file()
    assert [p.name for p in (runs / "rock").iterdir()] == ["ddp"]
    log = json.loads((runs / "rock" / "ddp" / "log.json").read_text())
    hyper = log["hyperparameters"]
    assert hyper["world_size"] == 2 and hyper["effective_batch_size"] == 2 * 2 * 1
    assert log["final"]["step"] == 4 and [p["step"] for p in log["train_loss"]] == [2, 4]
    assert (log["lora"] is not None) == lora
    assert stdout.count("run log:") == 1  # the main process alone reports (and writes) the run
