"""Write ``passengers.csv``: a small, messy, Titanic-like CSV (seeded, no download).

Run ``python tests/data/make_passengers.py`` to regenerate it. What makes it messy, on
purpose: names with commas in quotes, empty cells in string columns (``cabin``,
``boat``, ``embarked``) and in numeric ones (``age``, ``body``), an integer-coded
category (``pclass``), zip codes with leading zeros (``home_zip``), tickets mixing
digits and letters, and fares written with a thousands separator (``"1,303.48"``) in a
second file ``passengers_fmt.csv`` (semicolon-delimited, decimal comma).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
SURNAMES = ["Smith", "Brown", "Kelly", "Olsen", "Rossi", "Dubois", "Novak", "Murphy", "Jensen",
            "Silva", "Klein", "Moreau", "Walsh", "Berg", "Costa", "Lind"]  # fmt: skip
FIRST = {"male": ["John", "Karl", "Luca", "Pierre", "Sean", "Erik"],
         "female": ["Mary", "Anna", "Sofia", "Claire", "Nora", "Ines"]}  # fmt: skip
BOATS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "13", "14", "15", "16",
         "A", "B", "C", "D"]  # fmt: skip


def rows(n: int = 600, seed: int = 1912) -> list[dict[str, str]]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        sex = "female" if rng.random() < 0.36 else "male"
        pclass = int(rng.choice([1, 2, 3], p=[0.25, 0.21, 0.54]))
        age = rng.normal(30 - 4 * (pclass - 2), 13)
        has_age = rng.random() > 0.2
        logit = 1.2 * (sex == "female") * 2 - 0.9 * (pclass - 2) - 0.02 * (age - 30) - 0.6
        survived = int(rng.random() < 1 / (1 + np.exp(-logit)))
        boat = str(rng.choice(BOATS)) if rng.random() < (0.93 if survived else 0.03) else ""
        fare = float(np.round(rng.lognormal(2.3 + 0.9 * (3 - pclass), 0.6), 4))
        if pclass == 1 and rng.random() < 0.05:
            fare = float(np.round(rng.uniform(1000, 1500), 2))
        title = (
            "Mrs."
            if sex == "female" and rng.random() < 0.6
            else ("Miss." if sex == "female" else "Mr.")
        )
        name = f"{rng.choice(SURNAMES)}, {title} {rng.choice(FIRST[sex])}"
        ticket = (
            f"PC {rng.integers(10000, 99999)}"
            if pclass == 1 and rng.random() < 0.5
            else f"{rng.integers(0, 10)}{rng.integers(100000, 999999)}"
        )
        out.append({
            "passenger_id": str(i + 1),
            "survived": str(survived),
            "pclass": str(pclass),
            "name": name,
            "sex": sex,
            "age": f"{max(age, 0.42):.2f}".rstrip("0").rstrip(".") if has_age else "",
            "sibsp": str(int(rng.poisson(0.5))),
            "parch": str(int(rng.poisson(0.4))),
            "ticket": ticket,
            "fare": f"{fare}",
            "cabin": f"{rng.choice(list('ABCDE'))}{rng.integers(1, 130)}" if pclass == 1 and rng.random() < 0.7 else "",
            "embarked": "" if rng.random() < 0.01 else str(rng.choice(["S", "C", "Q"], p=[0.72, 0.19, 0.09])),
            "boat": boat,
            "body": str(int(rng.integers(1, 330))) if not survived and not boat and rng.random() < 0.1 else "",
            "home_zip": f"{rng.integers(1000, 99999):05d}" if rng.random() < 0.7 else "",
        })  # fmt: skip
    return out


def main() -> None:
    data = rows()
    with (HERE / "passengers.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(data[0]))
        writer.writeheader()
        writer.writerows(data)
    with (HERE / "passengers_fmt.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(data[0]), delimiter=";")
        writer.writeheader()
        for row in data:
            fare = float(row["fare"])
            text = f"{fare:,.4f}".replace(",", " ").replace(".", ",").replace(" ", ".")
            age = row["age"].replace(".", ",")
            writer.writerow({**row, "fare": text, "age": age})


if __name__ == "__main__":
    main()
