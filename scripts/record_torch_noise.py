#!/usr/bin/env python3
"""Records float32 bit patterns of torch.randn(shape, generator=torch.Generator('cpu').manual_seed(seed)).

The output is the test resource read by TorchCpuNoiseSourceTest (sdk module). Run it once per CPU kernel
("capability") and concatenate, e.g. with Debian's python3-torch (1.13.1) on x86-64:

    ATEN_CPU_CAPABILITY=avx2    /usr/bin/python3 scripts/record_torch_noise.py >  torch-cpu-randn.txt
    ATEN_CPU_CAPABILITY=default /usr/bin/python3 scripts/record_torch_noise.py >> torch-cpu-randn.txt

Line format (one case per line, '#' lines are comments):
    case <kernel> <seed> <shape d0,d1,..> <n> <sha256> <k> <hex>...
where <kernel> is the kernel PyTorch reports via torch.backends.cpu.get_cpu_capability() (or the
ATEN_CPU_CAPABILITY override), <sha256> hashes the little-endian float32 bytes of all n values and the <k>
hex words are the first values (all of them when n <= 128; otherwise the first 32 and then the last 32).
A second section checks the continuing stream: two randn calls on one generator ("stream" lines), and the
seed conversion of Generator.manual_seed for negative and >= 2**63 seeds.
"""
import hashlib
import os
import struct
import sys

import torch

SEEDS = [0, 1, 5, 42, 2**32 + 5, 2**63 - 25, 2**64 - 1, -1, -(2**63)]
SHAPES = [[1], [2], [7], [15], [16], [17], [31], [32], [100], [1, 4, 32, 32], [2, 4, 16, 16], [1, 4, 6, 10]]


def bits(t):
    t = t.contiguous().view(-1)
    return [struct.unpack('<I', struct.pack('<f', float(v)))[0] for v in t.tolist()]


def line(kind, kernel, seed, shape, t):
    b = bits(t)
    raw = b''.join(struct.pack('<I', x) for x in b)
    digest = hashlib.sha256(raw).hexdigest()
    shown = b if len(b) <= 128 else b[:32] + b[-32:]
    return '%s %s %d %s %d %s %d %s' % (kind, kernel, seed, ','.join(map(str, shape)), len(b), digest,
                                        len(shown), ' '.join('%08x' % x for x in shown))


def main():
    kernel = os.environ.get('ATEN_CPU_CAPABILITY', '')
    if not kernel:
        getter = getattr(getattr(torch.backends, 'cpu', None), 'get_cpu_capability', None)
        kernel = getter().lower() if getter else 'unknown'
    print('# torch %s, kernel %s, %s' % (torch.__version__, kernel, sys.platform))
    for seed in SEEDS:
        for shape in SHAPES:
            g = torch.Generator('cpu').manual_seed(seed)
            print(line('case', kernel, seed, shape, torch.randn(shape, generator=g)))
    # One generator, several calls in a row: the VAE posterior noise of a run is drawn like this.
    for seed in [7, 100010]:
        g = torch.Generator('cpu').manual_seed(seed)
        for shape in [[1, 4, 6, 8], [1, 4, 4, 6], [3], [1, 4, 8, 8], [5], [20]]:
            print(line('stream', kernel, seed, shape, torch.randn(shape, generator=g)))
    # manual_seed accepts [-2**63, 2**64 - 1] and rejects the rest.
    for bad in [2**64, -(2**63) - 1]:
        try:
            torch.Generator('cpu').manual_seed(bad)
            print('# manual_seed(%d) accepted' % bad)
        except (RuntimeError, OverflowError, ValueError) as e:
            print('# manual_seed(%d) rejected: %s' % (bad, type(e).__name__))


if __name__ == '__main__':
    main()
