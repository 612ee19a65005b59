"""Regenerates the Pillow reference cases of DesktopImageCodecPillowTest (run with Debian's python3-pil).

Writes small PNG/JPEG inputs and, for each, NAME.rgb: the raw 8-bit RGB bytes of
PIL.Image.open(NAME).convert("RGB"), the reference pipeline's decoding. cases.txt records the PIL mode and size.
"""
import io, struct, zlib, sys
import numpy as np
import PIL
from PIL import Image

W, H = 8, 4
rng = np.random.default_rng(2024)


def chunk(t, d):
    return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)


def png(ctype, depth, rows, extra=b''):
    raw = b''.join(b'\x00' + r for r in rows)
    ihdr = struct.pack('>IIBBBBB', W, H, depth, ctype, 0, 0, 0)
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr) + extra + chunk(b'IDAT', zlib.compress(raw, 9))
            + chunk(b'IEND', b''))


def u16(n):
    # Spread over the whole range, with small values (<= 255) that PIL's 16-bit grey conversion keeps.
    v = rng.integers(0, 65536, n)
    v[::3] = rng.integers(0, 256, len(v[::3]))
    return v


def rows16(samples_per_px):
    v = u16(W * H * samples_per_px).reshape(H, -1)
    return [struct.pack('>%dH' % v.shape[1], *r) for r in v]


def packbits(vals, depth):
    out, acc, nbits = bytearray(), 0, 0
    for v in vals:
        acc = (acc << depth) | int(v); nbits += depth
        if nbits == 8:
            out.append(acc); acc, nbits = 0, 0
    if nbits:
        out.append(acc << (8 - nbits))
    return bytes(out)


cases = {}
cases['grey16.png'] = png(0, 16, rows16(1))
cases['grey16_trns.png'] = png(0, 16, rows16(1), chunk(b'tRNS', struct.pack('>H', 200)))
cases['rgb16.png'] = png(2, 16, rows16(3))
cases['rgba16.png'] = png(6, 16, rows16(4))
cases['greyalpha16.png'] = png(4, 16, rows16(2))
g8 = rng.integers(0, 256, (H, W)).astype(np.uint8)
cases['grey8_trns.png'] = png(0, 8, [bytes(r) for r in g8], chunk(b'tRNS', struct.pack('>H', int(g8[0, 0]))))
pal = bytes(rng.integers(0, 256, 16 * 3).astype(np.uint8))
idx = rng.integers(0, 16, (H, W)).astype(np.uint8)
cases['palette_trns.png'] = png(3, 8, [bytes(r) for r in idx], chunk(b'PLTE', pal) + chunk(b'tRNS', bytes([0, 64, 128])))
for depth in (1, 2, 4):
    g = rng.integers(0, 1 << depth, (H, W))
    cases['grey%d.png' % depth] = png(0, depth, [packbits(r, depth) for r in g])

# CMYK JPEGs: PIL writes an Adobe APP14 marker with transform 0 (inverted CMYK).
y, x = np.mgrid[0:16, 0:24]
cmyk = np.stack([x * 10, y * 15, (x + y) * 6, 255 - x * 8], -1) + rng.integers(-20, 21, (16, 24, 4))
cmyk = np.clip(cmyk, 0, 255).astype(np.uint8)
for suffix, kw in (('', {}), ('_420', {'subsampling': 2})):
    b = io.BytesIO()
    Image.fromarray(cmyk, 'CMYK').save(b, 'JPEG', quality=92, **kw)
    d = b.getvalue()
    a = d.index(b'\xff\xee')
    assert d[a + 4:a + 9] == b'Adobe' and d[a + 15] == 0
    cases['cmyk_adobe%s.jpg' % suffix] = d
    # The same samples read as YCCK (transform 2), as Photoshop writes CMYK.
    cases['ycck%s.jpg' % suffix] = d[:a + 15] + b'\x02' + d[a + 16:]
    # Without the Adobe marker: plain (not inverted) CMYK.
    seg = struct.unpack('>H', d[a + 2:a + 4])[0]
    cases['cmyk_plain%s.jpg' % suffix] = d[:a] + d[a + 2 + seg:]

# Grey JPEG (one component), 4:2:0 YCbCr progressive JPEG.
grey = np.clip(np.mgrid[0:16, 0:24][1] * 10 + rng.integers(-30, 31, (16, 24)), 0, 255).astype(np.uint8)
b = io.BytesIO()
Image.fromarray(grey, 'L').save(b, 'JPEG', quality=90)
cases['grey.jpg'] = b.getvalue()
rgb = np.clip(np.stack([cmyk[..., 0], cmyk[..., 1], cmyk[..., 3]], -1).astype(int), 0, 255).astype(np.uint8)
b = io.BytesIO()
Image.fromarray(rgb, 'RGB').save(b, 'JPEG', quality=85, progressive=True, subsampling=2)
cases['ycbcr_progressive_420.jpg'] = b.getvalue()

lines = ['# file  PIL-mode  width  height  (Pillow %s)' % PIL.__version__]
for name, data in sorted(cases.items()):
    open(name, 'wb').write(data)
    im = Image.open(io.BytesIO(data))
    rgb = im.convert('RGB')
    open(name.rsplit('.', 1)[0] + '.rgb', 'wb').write(rgb.tobytes())
    lines.append('%s %s %d %d' % (name, im.mode, im.width, im.height))
open('cases.txt', 'w').write('\n'.join(lines) + '\n')
print('\n'.join(lines))
