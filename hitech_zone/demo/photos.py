"""Site photos for the demo's visits: small JPEGs drawn with Pillow (sky, ground, a
building going up, a crane), different for each visit and photo, the same on every run."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw

SIZE = (640, 480)
QUALITY = 80


def site_photo(seed: str) -> bytes:
    """A JPEG of a building site, drawn from `seed`."""
    rng = random.Random(seed)
    width, height = SIZE
    image = Image.new("RGB", SIZE)
    draw = ImageDraw.Draw(image)
    horizon = rng.randint(height // 2, height * 2 // 3)
    top, bottom = (rng.randint(90, 130), 160, 220), (200, 220, 235)
    for y in range(horizon):
        mix = y / horizon
        draw.line(
            [(0, y), (width, y)],
            fill=tuple(round(a + (b - a) * mix) for a, b in zip(top, bottom, strict=True)),
        )
    draw.rectangle([0, horizon, width, height], fill=(150, 130, 100))
    # The building: floors of concrete, the upper ones still framed.
    left = rng.randint(60, width // 2)
    floors = rng.randint(4, 9)
    floor_height = rng.randint(18, 26)
    right = left + rng.randint(180, 260)
    for floor in range(floors):
        y = horizon - (floor + 1) * floor_height
        framed = floor >= floors - 2
        draw.rectangle(
            [left, y, right, y + floor_height],
            fill=None if framed else (185, 185, 180),
            outline=(90, 90, 90),
            width=2,
        )
        if not framed:
            for x in range(left + 12, right - 12, 28):
                draw.rectangle([x, y + 5, x + 14, y + floor_height - 5], fill=(70, 90, 110))
    # A tower crane beside it.
    mast = right + rng.randint(30, 80)
    crane_top = horizon - floors * floor_height - rng.randint(40, 80)
    draw.line([(mast, horizon), (mast, crane_top)], fill=(230, 180, 20), width=6)
    draw.line([(mast - 150, crane_top), (mast + 60, crane_top)], fill=(230, 180, 20), width=5)
    draw.line([(mast - 110, crane_top), (mast - 110, crane_top + 70)], fill=(60, 60, 60), width=2)
    # Materials on the ground.
    for _pile in range(rng.randint(2, 5)):
        x = rng.randint(0, width - 60)
        y = rng.randint(horizon + 10, height - 30)
        draw.rectangle([x, y, x + rng.randint(30, 70), y + 16], fill=(120, 70, 40))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=QUALITY)
    return buffer.getvalue()
