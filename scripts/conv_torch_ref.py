"""PyTorch reference for the Swift conv kernels (KernelBenchmarks.conv): times conv2d forward + backward
(input, weight and bias gradients) per layer shape at batch 128 on 2 threads, best of several runs.

    python3 -m venv .venv-torch && .venv-torch/bin/pip install torch
    .venv-torch/bin/python scripts/conv_torch_ref.py [--threads 2] [--batch 128]
"""
import argparse
import time

import torch
import torch.nn.functional as F

# (label, cin, cout, size, kernel, stride, padding) -- same list as KernelBenchmarks.conv
LAYERS = [
    ("basic", 1, 32, 28, 5, 1, 2), ("basic", 32, 64, 14, 5, 1, 2), ("basic", 64, 64, 7, 5, 1, 2),
    ("basic", 64, 64, 14, 5, 1, 2), ("basic", 64, 32, 28, 5, 1, 2), ("basic", 32, 1, 28, 5, 1, 2),
    ("unet2d", 1, 32, 28, 3, 1, 1), ("unet2d", 32, 32, 28, 3, 1, 1), ("unet2d", 32, 32, 28, 3, 2, 1),
    ("unet2d", 32, 64, 14, 3, 1, 1), ("unet2d", 64, 64, 14, 3, 1, 1), ("unet2d", 64, 64, 14, 3, 2, 1),
    ("unet2d", 64, 64, 7, 3, 1, 1), ("unet2d", 128, 64, 7, 3, 1, 1), ("unet2d", 128, 64, 14, 3, 1, 1),
    ("unet2d", 96, 64, 14, 3, 1, 1), ("unet2d", 96, 32, 28, 3, 1, 1), ("unet2d", 64, 32, 28, 3, 1, 1),
    ("unet2d", 32, 1, 28, 3, 1, 1), ("unet2d 1x1", 96, 32, 28, 1, 1, 0), ("unet2d 1x1", 128, 64, 14, 1, 1, 0),
    ("basic", 64, 32, 14, 5, 1, 2), ("ddpm", 64, 64, 28, 3, 1, 1),
]


def best_time(fn, budget=1.0, max_runs=50):
    """Minimum over many short runs (~2 ms each, about a second in all), as in KernelBenchmarks.bestTime."""
    fn()
    t0 = time.perf_counter(); fn(); once = time.perf_counter() - t0
    inner = max(1, int(0.002 / max(once, 1e-6)))
    best = float("inf")
    start = time.perf_counter()
    runs = 0
    while runs < max_runs and (runs < 5 or time.perf_counter() - start < budget):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        best = min(best, (time.perf_counter() - t0) / inner)
        runs += 1
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--only", default="", help="only layers whose name contains this, e.g. '64->64 5x5'")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch {args.batch}")
    for label, cin, cout, size, k, s, p in LAYERS:
        name = f"conv {label} {cin}->{cout} {k}x{k}{f' s{s}' if s > 1 else ''} @{size} fwd+bwd"
        if args.only not in name:
            continue
        x = torch.randn(args.batch, cin, size, size, requires_grad=True)
        w = torch.randn(cout, cin, k, k, requires_grad=True)
        b = torch.randn(cout, requires_grad=True)
        with torch.no_grad():
            gy = torch.randn_like(F.conv2d(x, w, b, stride=s, padding=p))

        def step():
            y = F.conv2d(x, w, b, stride=s, padding=p)
            torch.autograd.grad(y, (x, w, b), gy)

        sec = best_time(step)
        oh = (size + 2 * p - k) // s + 1
        flops = 3 * 2.0 * args.batch * cout * cin * k * k * oh * oh
        print(f"{name:58s} {args.batch / sec:9.1f} img/s {flops / sec * 1e-9:7.1f} GFLOPS")

        # Each pass alone, as the Swift benchmark's fwd / bwd-data / bwd-weight rows.
        def forward():
            with torch.no_grad():
                F.conv2d(x, w, b, stride=s, padding=p)

        def backward(mask):
            return lambda: torch.ops.aten.convolution_backward(
                gy, x.detach(), w.detach(), [cout], [s, s], [p, p], [1, 1], False, [0, 0], 1, mask)

        base = name[: -len(" fwd+bwd")]
        for pass_name, fn in [("fwd", forward), ("bwd-data", backward([True, False, False])),
                              ("bwd-weight", backward([False, True, True]))]:
            print(f"{base + ' ' + pass_name:58s} {args.batch / best_time(fn):9.1f} img/s")


if __name__ == "__main__":
    main()
