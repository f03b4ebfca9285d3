#!/usr/bin/env bash
# scripts/bench-gpu.sh — the GPU figures in one go, for a machine with a real GPU: builds
# ConvPlay natively (or takes CONVPLAY_BIN), runs `convplay bench` (kernels and seed-004
# training, CPU vs GPU, with f16 activations too where the GPU has shader-f16) and `convplay
# bench --profile` (where a GPU training step's time goes, seed-001 b64 and seed-004 b128; again
# with f16 activations where it can) on Vulkan, and, when PyTorch with CUDA is there, trains the
# same two networks with it on the same GPU for comparison. Everything is printed and kept
# under $OUT (default: bench-gpu-out/).
#
# The Vulkan loader: where `ldconfig -p` lists no libvulkan and .gl/*.deb were brought along
# (libvulkan1 and friends, downloaded beforehand), they are unpacked first; the NVIDIA ICD is
# named when the driver's file is at its usual place. Options: --steps N (default 10).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-bench-gpu-out}
mkdir -p "$OUT"
STEPS=10
if [ "${1:-}" = "--steps" ]; then STEPS=${2:?--steps needs a number}; fi

if ! ldconfig -p 2>/dev/null | grep -q libvulkan; then
  if ls .gl/*.deb >/dev/null 2>&1; then
    for f in .gl/*.deb; do dpkg -x "$f" /; done
    ldconfig
  else
    echo "no Vulkan loader (libvulkan) here and no .gl/*.deb to unpack: install libvulkan1" >&2
  fi
fi
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$icd" ]; then
  export VK_DRIVER_FILES=$icd
  export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
fi
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$OUT/gpu.csv"

BIN=${CONVPLAY_BIN:-}
if [ -z "$BIN" ]; then
  command -v cargo >/dev/null || { echo "no cargo here: build convplay elsewhere and pass CONVPLAY_BIN=path" >&2; exit 1; }
  cargo build --release --bin convplay || exit 1
  BIN=${CARGO_TARGET_DIR:-target}/release/convplay
fi
export WGPU_BACKEND=${WGPU_BACKEND:-vulkan}
"$BIN" info 2>&1 | tee "$OUT/info.txt"
"$BIN" bench --steps "$STEPS" 2>&1 | tee "$OUT/bench.md"
"$BIN" bench --profile --steps "$STEPS" 2>&1 | tee "$OUT/profile.md"
# With f16 activations too, where the GPU has shader-f16 (`bench` above already times seed-004
# both ways there).
if grep -q '"shaderF16": true' "$OUT/info.txt"; then
  CONVPLAY_ACTIVATIONS=f16 "$BIN" bench --profile --steps "$STEPS" 2>&1 | tee "$OUT/profile-f16.md"
fi

if python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  PYTHONUNBUFFERED=1 python3 - "$STEPS" <<'PY' 2>&1 | tee "$OUT/pytorch.txt"
# PyTorch training img/s of seed-001 (batch 64) and seed-004 (batch 128), the same layers as
# the presets (Keras defaults: BN momentum 0.99 → PyTorch 0.01, eps 1e-3), Adam 1e-3, on random
# 28×28 batches, timed after warm-up with the device synchronised.
import sys, time, torch
from torch import nn
steps = max(int(sys.argv[1]), 5)
dev = torch.device("cuda")
def bn(c, d=2): return (nn.BatchNorm2d if d == 2 else nn.BatchNorm1d)(c, eps=1e-3, momentum=0.01)
nets = {
    "seed-001": (64, lambda: nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1600, 64), nn.ReLU(), nn.Linear(64, 10))),
    "seed-004": (128, lambda: nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), bn(32), nn.Conv2d(32, 64, 3), nn.ReLU(), bn(64), nn.MaxPool2d(2),
        nn.Dropout(0.25), nn.Conv2d(64, 128, 3), nn.ReLU(), bn(128), nn.MaxPool2d(2), nn.Dropout(0.25),
        nn.Flatten(), nn.Linear(3200, 128), nn.ReLU(), bn(128, 1), nn.Dropout(0.5), nn.Linear(128, 10))),
}
print(f"PyTorch {torch.__version__} on {torch.cuda.get_device_name(0)}")
for name, (batch, make) in nets.items():
    model = make().to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    x = torch.rand(batch, 1, 28, 28, device=dev)
    y = torch.randint(0, 10, (batch,), device=dev)
    def step():
        opt.zero_grad(set_to_none=True)
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    for _ in range(5): step()
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(steps * 10): step()
    torch.cuda.synchronize()
    dt = time.perf_counter() - t0
    print(f"| {name}, batch {batch} | PyTorch (CUDA, eager) | {batch * steps * 10 / dt:.0f} img/s |")
PY
else
  echo "PyTorch with CUDA is not here: no PyTorch row" | tee "$OUT/pytorch.txt"
fi
