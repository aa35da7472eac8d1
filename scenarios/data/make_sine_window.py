"""Writes sine-window.csv: a sine wave sampled 16 times a period, scaled into (0.1, 0.9) so a
sigmoid output can reach it; each row holds three consecutive samples and the next one, the
"predict the next point from the previous few" task of seed 000. And sine-unseen.csv: the same
windows over one period, each starting half a sample later, so that no point of it is in the
training set; the page forecasts them after training.

    python scenarios/data/make_sine_window.py
"""

import csv
import math
from pathlib import Path

SAMPLES, WINDOW, PERIOD = 24, 3, 16


def wave(k: float) -> float:
    return 0.5 + 0.4 * math.sin(2 * math.pi * k / PERIOD)


def write(name: str, starts: list[float]) -> None:
    with open(Path(__file__).with_name(name), "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(["x1", "x2", "x3", "y"])
        for k in starts:
            out.writerow([f"{wave(k + j):.6f}" for j in range(WINDOW + 1)])


write("sine-window.csv", [float(k) for k in range(SAMPLES)])
write("sine-unseen.csv", [k + 0.5 for k in range(PERIOD)])
