"""PyTorch CPU reference models for the four stages, timed on this machine.

Copied from the project's shared benchmark (shared/bench/torch_ref.py) with two stages added that match the
Swift chapters 3 and 4 exactly: `ddpm_cpu` and `conditional_cpu` are diffusers' UNet2DModel in the project's
'cpu' preset (channels 32,64,64, one layer per block, attention at 7x7 only, GroupNorm 8; the conditional one
with num_class_embeds=11). scripts/compare-torch.sh runs this next to `swift run -c release Benchmarks`.

Anchors for the performance goal: same architecture, same batch, same machine.
  python torch_ref.py [--stage all|basic|unet2d|ddpm|conditional] [--steps N]
Prints images/s for a training step (forward+backward+Adam) and for sampling (forward only).
"""
import argparse, time, math, torch, torch.nn as nn, torch.nn.functional as F

torch.set_num_threads(2)

class BasicUNet(nn.Module):  # HF diffusion-models-class unit 1
    def __init__(self, cin=1, cout=1):
        super().__init__()
        self.down = nn.ModuleList([nn.Conv2d(cin, 32, 5, padding=2), nn.Conv2d(32, 64, 5, padding=2), nn.Conv2d(64, 64, 5, padding=2)])
        self.up = nn.ModuleList([nn.Conv2d(64, 64, 5, padding=2), nn.Conv2d(64, 32, 5, padding=2), nn.Conv2d(32, cout, 5, padding=2)])
    def forward(self, x, t=None, y=None):
        h = []
        for i, l in enumerate(self.down):
            x = F.silu(l(x))
            if i < 2:
                h.append(x); x = F.max_pool2d(x, 2)
        for i, l in enumerate(self.up):
            if i > 0:
                x = F.interpolate(x, scale_factor=2) + h.pop()
            x = F.silu(l(x))
        return x

def unet2d(cin=1):
    from diffusers import UNet2DModel
    return UNet2DModel(sample_size=28, in_channels=cin, out_channels=1, layers_per_block=2,
                       block_out_channels=(32, 64, 64),
                       down_block_types=("DownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D"),
                       up_block_types=("AttnUpBlock2D", "AttnUpBlock2D", "UpBlock2D"))

def unet2d_cpu(classes=None):
    from diffusers import UNet2DModel
    return UNet2DModel(sample_size=28, in_channels=1, out_channels=1, layers_per_block=1,
                       block_out_channels=(32, 64, 64), norm_num_groups=8,
                       down_block_types=("DownBlock2D", "DownBlock2D", "AttnDownBlock2D"),
                       up_block_types=("AttnUpBlock2D", "UpBlock2D", "UpBlock2D"), num_class_embeds=classes)

class CPUWrap(nn.Module):
    def __init__(self, classes=None):
        super().__init__(); self.net = unet2d_cpu(classes); self.classes = classes
    def forward(self, x, t, y=None):
        return self.net(x, t, class_labels=y if self.classes else None).sample

class UNet2DWrap(nn.Module):
    def __init__(self):
        super().__init__(); self.net = unet2d()
    def forward(self, x, t, y=None):
        return self.net(x, t).sample

class ClassConditionedUnet(nn.Module):  # HF unit 2
    def __init__(self, emb=4):
        super().__init__(); self.emb = nn.Embedding(10, emb); self.net = unet2d(1 + emb)
    def forward(self, x, t, y):
        b, c, h, w = x.shape
        e = self.emb(y).view(b, -1, 1, 1).expand(b, -1, h, w)
        return self.net(torch.cat((x, e), 1), t).sample

# TeaPearce/Conditional_Diffusion_MNIST ContextUnet
class ResidualConvBlock(nn.Module):
    def __init__(self, i, o, res=False):
        super().__init__(); self.same = i == o; self.res = res
        self.c1 = nn.Sequential(nn.Conv2d(i, o, 3, 1, 1), nn.BatchNorm2d(o), nn.GELU())
        self.c2 = nn.Sequential(nn.Conv2d(o, o, 3, 1, 1), nn.BatchNorm2d(o), nn.GELU())
    def forward(self, x):
        x1 = self.c1(x); x2 = self.c2(x1)
        if self.res:
            out = (x + x2) if self.same else (x1 + x2)
            return out / 1.414
        return x2
class UnetDown(nn.Module):
    def __init__(self, i, o):
        super().__init__(); self.m = nn.Sequential(ResidualConvBlock(i, o), nn.MaxPool2d(2))
    def forward(self, x): return self.m(x)
class UnetUp(nn.Module):
    def __init__(self, i, o):
        super().__init__(); self.m = nn.Sequential(nn.ConvTranspose2d(i, o, 2, 2), ResidualConvBlock(o, o), ResidualConvBlock(o, o))
    def forward(self, x, skip): return self.m(torch.cat((x, skip), 1))
class EmbedFC(nn.Module):
    def __init__(self, i, e):
        super().__init__(); self.i = i; self.m = nn.Sequential(nn.Linear(i, e), nn.GELU(), nn.Linear(e, e))
    def forward(self, x): return self.m(x.view(-1, self.i))
class ContextUnet(nn.Module):
    def __init__(self, cin=1, n_feat=128, n_classes=10):
        super().__init__(); self.n_feat = n_feat; self.n_classes = n_classes
        self.init_conv = ResidualConvBlock(cin, n_feat, res=True)
        self.down1 = UnetDown(n_feat, n_feat); self.down2 = UnetDown(n_feat, 2 * n_feat)
        self.to_vec = nn.Sequential(nn.AvgPool2d(7), nn.GELU())
        self.te1 = EmbedFC(1, 2 * n_feat); self.te2 = EmbedFC(1, n_feat)
        self.ce1 = EmbedFC(n_classes, 2 * n_feat); self.ce2 = EmbedFC(n_classes, n_feat)
        self.up0 = nn.Sequential(nn.ConvTranspose2d(2 * n_feat, 2 * n_feat, 7, 7), nn.GroupNorm(8, 2 * n_feat), nn.ReLU())
        self.up1 = UnetUp(4 * n_feat, n_feat); self.up2 = UnetUp(2 * n_feat, n_feat)
        self.out = nn.Sequential(nn.Conv2d(2 * n_feat, n_feat, 3, 1, 1), nn.GroupNorm(8, n_feat), nn.ReLU(), nn.Conv2d(n_feat, cin, 3, 1, 1))
    def forward(self, x, t, c):
        x = self.init_conv(x); d1 = self.down1(x); d2 = self.down2(d1); h = self.to_vec(d2)
        c = F.one_hot(c, self.n_classes).float()
        t = t.float().view(-1, 1) / 400.0
        c1 = self.ce1(c).view(-1, 2 * self.n_feat, 1, 1); t1 = self.te1(t).view(-1, 2 * self.n_feat, 1, 1)
        c2 = self.ce2(c).view(-1, self.n_feat, 1, 1); t2 = self.te2(t).view(-1, self.n_feat, 1, 1)
        u1 = self.up0(h); u2 = self.up1(c1 * u1 + t1, d2); u3 = self.up2(c2 * u2 + t2, d1)
        return self.out(torch.cat((u3, x), 1))

STAGES = {
    "basic": lambda: BasicUNet(),
    "unet2d": lambda: UNet2DWrap(),
    "ddpm": lambda: UNet2DWrap(),
    "conditional": lambda: ClassConditionedUnet(),
    "ddpm_cpu": lambda: CPUWrap(),
    "conditional_cpu": lambda: CPUWrap(classes=11),
    "contextunet128": lambda: ContextUnet(n_feat=128),
    "contextunet64": lambda: ContextUnet(n_feat=64),
}

def bench(name, steps, batch, sample_batch):
    torch.manual_seed(0)
    m = STAGES[name]()
    params = sum(p.numel() for p in m.parameters())
    opt = torch.optim.Adam(m.parameters(), 1e-3)
    x = torch.randn(batch, 1, 28, 28); t = torch.randint(0, 1000, (batch,)); y = torch.randint(0, 10, (batch,))
    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.mse_loss(m(x, t, y), x); loss.backward(); opt.step()
    for _ in range(2): step()
    t0 = time.perf_counter()
    for _ in range(steps): step()
    train = steps * batch / (time.perf_counter() - t0)
    xs = torch.randn(sample_batch, 1, 28, 28); ts = torch.full((sample_batch,), 500); ys = torch.arange(sample_batch) % 10
    with torch.no_grad():
        m(xs, ts, ys)
        t0 = time.perf_counter()
        for _ in range(steps): m(xs, ts, ys)
        samp = steps * sample_batch / (time.perf_counter() - t0)
    print(f"{name:15s} params={params:9d}  train {train:8.1f} img/s (batch {batch})   forward {samp:8.1f} img/s (batch {sample_batch})", flush=True)

if __name__ == "__main__":
    ap = argparse.ArgumentParser(); ap.add_argument("--stage", default="all"); ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--batch", type=int, default=128); ap.add_argument("--sample-batch", type=int, default=100)
    a = ap.parse_args()
    names = list(STAGES) if a.stage == "all" else a.stage.split(",")
    print(f"torch {torch.__version__} threads={torch.get_num_threads()}")
    for n in names: bench(n, a.steps, a.batch, a.sample_batch)
