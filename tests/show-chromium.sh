#!/bin/sh
# CI: the HTML page of `mmfuzz show` renders in headless Chromium to a PNG that is
# not blank (many distinct colours: lanes, text, arrows, the red ring), and its
# state cells are drawn: zap-rmap-before-flush's stale TLB entries as red cells
# (#c00000 filled, many more pixels than the ring and the red text alone), its
# dirty page's lit dirty cells (#ffd8a8), right of the lanes.  SHOW_PNG=FILE keeps
# the screenshot, to look at.
# Needs Debian's chromium (.ci/run installs it) and python3.
set -u
bin=${1:-build/mmfuzz}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" show regressions/zap-rmap-before-flush.sched --html "$tmp/show.html" >/dev/null || exit 1
chromium --headless --no-sandbox --disable-gpu --screenshot="$tmp/show.png" \
	--window-size=1700,1700 "file://$tmp/show.html" >/dev/null 2>&1
[ -s "$tmp/show.png" ] || { echo "show-chromium: no screenshot" >&2; exit 1; }
[ -z "${SHOW_PNG:-}" ] || cp "$tmp/show.png" "$SHOW_PNG"
python3 - "$tmp/show.png" <<'PY' || exit 1
# Decode the PNG (8-bit RGB/RGBA, non-interlaced: what Chromium writes) and count
# distinct pixel values; a blank or failed page has one or two.
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, w = 8, b"", 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
        assert depth == 8 and ctype in (2, 6) and not interlace, "unexpected PNG format"
        bpp = 3 if ctype == 2 else 4
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
raw, stride = zlib.decompress(idat), w * bpp
prev, colours = bytearray(stride), set()
stale, dirty = (192, 0, 0), (255, 216, 168)
counts = {stale: 0, dirty: 0}
xs = {stale: [], dirty: []}
for y in range(h):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b, c = prev[i], prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    prev = line
    if y % 4 == 0:
        colours.update(bytes(line[i:i + 3]) for i in range(0, stride, bpp))
        for i in range(0, stride, bpp):
            px = tuple(line[i:i + 3])
            if px in counts:
                counts[px] += 1
                xs[px].append(i // bpp)
print("show-chromium: %dx%d screenshot, %d distinct colours, %d stale-red and %d dirty "
      "pixels (every 4th row)" % (w, h, len(colours), counts[stale], counts[dirty]))
assert len(colours) > 50, "the page looks blank"
# seven stale entries of 88x14 pixels and four dirty cells of 34x14, a quarter of
# the rows sampled: ~1300 and ~270 (without cells, the rings and red text: ~250)
assert counts[stale] > 800, "no red (stale TLB) state cells"
assert counts[dirty] > 150, "no lit dirty cells"
# the cells' column starts right of the three lanes (64 + 3 * 330 in the SVG)
assert sorted(xs[dirty])[len(xs[dirty]) // 2] > 1054, "the dirty cells are not right of the lanes"
PY
echo "show-chromium: 1 passed, 0 failed"
