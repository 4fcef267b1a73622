#!/usr/bin/env python3
"""Octopus / whale / penguin: a tiny image classifier, trained and used for inference with PyTorch.

The data set is drawn by this script (no download at run time): 32x32 RGB pictures of an orange octopus with
eight arms, a dark-blue whale with a tail, and a black-and-white penguin, at random positions, sizes and noise.

  octopus.py generate DIR [--per-class N]   write PNGs (DIR/<class>/<i>.png) with Pillow
  octopus.py train DIR MODEL [--epochs N]    train a small CNN, save its state_dict with torch.save
  octopus.py infer DIR MODEL                 classify the PNGs, print accuracy and a line per class
  octopus.py selftest [--per-class N] [--test-per-class N] [--epochs N] [--min-accuracy A]
                                             generate a training set and a separately seeded test set in a
                                             temporary folder, train, infer; exit 1 when accuracy < A (0.9)
"""
import argparse
import math
import os
import sys

CLASSES = ["octopus", "whale", "penguin"]
SIZE = 32


def draw(kind, rng):
    import numpy as np
    img = np.zeros((SIZE, SIZE, 3), dtype=np.float32)
    img[:] = (0.55, 0.75, 0.95)  # water
    cy, cx = rng.uniform(11, 21), rng.uniform(11, 21)
    r = rng.uniform(5, 8)
    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    if kind == "octopus":
        body = (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
        img[body] = (0.95, 0.45, 0.1)
        for k in range(8):
            a = 2 * math.pi * k / 8 + rng.uniform(-0.2, 0.2)
            for t in np.linspace(r, r + 7, 14):
                y, x = int(cy + t * math.sin(a)), int(cx + t * math.cos(a))
                if 0 <= y < SIZE and 0 <= x < SIZE:
                    img[y, x] = (0.9, 0.4, 0.1)
    elif kind == "whale":
        body = ((yy - cy) / (r * 0.6)) ** 2 + ((xx - cx) / (r * 1.5)) ** 2 <= 1
        img[body] = (0.1, 0.15, 0.45)
        tail = (np.abs(yy - cy) <= (xx - (cx + r * 1.4)) * 0.9) & (xx > cx + r * 1.4) & (xx < cx + r * 1.4 + 5)
        img[tail] = (0.1, 0.15, 0.45)
    else:
        body = ((yy - cy) / (r * 1.4)) ** 2 + ((xx - cx) / (r * 0.7)) ** 2 <= 1
        img[body] = (0.05, 0.05, 0.05)
        belly = ((yy - cy - 1) / (r * 1.1)) ** 2 + ((xx - cx) / (r * 0.4)) ** 2 <= 1
        img[belly] = (0.97, 0.97, 0.97)
        beak = (np.abs(xx - cx) <= 1) & (yy >= cy - r * 1.4 - 2) & (yy < cy - r * 1.4 + 1)
        img[beak] = (1.0, 0.7, 0.0)
    img += rng.normal(0, 0.05, img.shape).astype(np.float32)
    return np.clip(img, 0, 1)


def generate(out, per_class, seed=7):
    import numpy as np
    from PIL import Image
    rng = np.random.default_rng(seed)
    for c in CLASSES:
        os.makedirs(os.path.join(out, c), exist_ok=True)
        for i in range(per_class):
            arr = (draw(c, rng) * 255).astype("uint8")
            Image.fromarray(arr, "RGB").save(os.path.join(out, c, f"{i}.png"))
    print(f"generated {per_class * len(CLASSES)} images in {out}")


def load(directory):
    import numpy as np
    from PIL import Image
    xs, ys = [], []
    for label, c in enumerate(CLASSES):
        d = os.path.join(directory, c)
        for name in sorted(os.listdir(d)):
            with Image.open(os.path.join(d, name)) as im:
                xs.append(np.asarray(im.convert("RGB"), dtype=np.float32) / 255.0)
            ys.append(label)
    import torch
    x = torch.tensor(np.stack(xs)).permute(0, 3, 1, 2).contiguous()
    return x, torch.tensor(ys)


def model():
    import torch.nn as nn
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 8 * 8, 64), nn.ReLU(), nn.Linear(64, len(CLASSES)),
    )


def train(directory, out, epochs):
    import torch
    torch.manual_seed(0)
    torch.set_num_threads(2)
    x, y = load(directory)
    net = model()
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    for epoch in range(epochs):
        perm = torch.randperm(len(x))
        total = 0.0
        for i in range(0, len(x), 64):
            idx = perm[i:i + 64]
            opt.zero_grad()
            loss = loss_fn(net(x[idx]), y[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        print(f"epoch {epoch + 1}: loss {total / len(x):.4f}")
    torch.save(net.state_dict(), out)
    print(f"saved {out}")


def infer(directory, weights):
    import torch
    torch.set_num_threads(2)
    x, y = load(directory)
    net = model()
    net.load_state_dict(torch.load(weights))
    net.eval()
    with torch.no_grad():
        pred = net(x).argmax(1)
    acc = (pred == y).float().mean().item()
    for i, c in enumerate(CLASSES):
        mask = y == i
        print(f"{c}: {int((pred[mask] == i).sum())}/{int(mask.sum())}")
    print(f"accuracy {acc:.3f}")
    return acc


def selftest(per_class, test_per_class, epochs, min_accuracy):
    import tempfile
    here = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="octopus-") as tmp:
        os.chdir(tmp)  # relative paths: the output is the same on every run (zerocve slim --verify-output compares it)
        try:
            generate("train", per_class, seed=7)
            generate("test", test_per_class, seed=8)  # pictures the network never saw
            train("train", "model.pt", epochs)
            acc = infer("test", "model.pt")
        finally:
            os.chdir(here)
    ok = acc >= min_accuracy
    print(f"selftest {'passed' if ok else 'FAILED'}: accuracy {acc:.3f} (needed {min_accuracy})")
    return 0 if ok else 1


def main(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate"); g.add_argument("dir"); g.add_argument("--per-class", type=int, default=300); g.add_argument("--seed", type=int, default=7)
    t = sub.add_parser("train"); t.add_argument("dir"); t.add_argument("model"); t.add_argument("--epochs", type=int, default=2)
    i = sub.add_parser("infer"); i.add_argument("dir"); i.add_argument("model")
    s = sub.add_parser("selftest"); s.add_argument("--per-class", type=int, default=300); s.add_argument("--test-per-class", type=int, default=100)
    s.add_argument("--epochs", type=int, default=2); s.add_argument("--min-accuracy", type=float, default=0.9)
    a = p.parse_args(argv)
    if a.cmd == "generate":
        generate(a.dir, a.per_class, a.seed)
        return 0
    if a.cmd == "train":
        train(a.dir, a.model, a.epochs)
        return 0
    if a.cmd == "selftest":
        return selftest(a.per_class, a.test_per_class, a.epochs, a.min_accuracy)
    return 0 if infer(a.dir, a.model) >= 0.9 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
