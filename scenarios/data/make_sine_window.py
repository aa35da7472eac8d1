"""Writes sine-window.csv: a sine wave sampled 16 times a period, scaled into (0.1, 0.9) so a
sigmoid output can reach it; each row holds three consecutive samples and the next one, the
"predict the next point from the previous few" task of seed 000.

    python scenarios/data/make_sine_window.py
"""

import csv
import math
from pathlib import Path

SAMPLES, WINDOW = 24, 3
wave = [0.5 + 0.4 * math.sin(2 * math.pi * k / 16) for k in range(SAMPLES + WINDOW)]
with open(Path(__file__).with_name("sine-window.csv"), "w", newline="", encoding="utf-8") as f:
    out = csv.writer(f, lineterminator="\n")
    out.writerow(["x1", "x2", "x3", "y"])
    for k in range(SAMPLES):
        out.writerow([f"{v:.6f}" for v in wave[k : k + WINDOW + 1]])
