"""Writes churn.csv: 600 synthetic customers, the same rows on every run (seeded).

python models/examples/churn/make_churn_csv.py
"""
import csv
import random
from pathlib import Path

ROWS = 600
SEED = 20261203
PLANS = {"basic": 20.0, "plus": 45.0, "pro": 80.0}
REGIONS = ("north", "south", "east", "west")


def rows(generator: random.Random) -> list[dict[str, object]]:
    records = []
    for _ in range(ROWS):
        plan = generator.choice(list(PLANS))
        region = generator.choice(REGIONS)
        tenure = generator.randint(1, 72)
        charges = round(PLANS[plan] + generator.uniform(-5.0, 15.0), 2)
        calls = generator.randint(0, 9)
        # Short tenure, many support calls, an expensive plan and the south make churn likelier.
        score = (1.2 - 0.05 * tenure + 0.35 * calls
                 + (0.6 if plan == "pro" else 0.0) + (0.5 if region == "south" else 0.0))
        churned = "yes" if score + generator.gauss(0.0, 0.8) > 0.5 else "no"
        records.append({"tenure_months": tenure, "monthly_charges": charges, "support_calls": calls,
                        "plan": plan, "region": region, "churned": churned})
    return records


def main() -> None:
    path = Path(__file__).with_name("churn.csv")
    records = rows(random.Random(SEED))
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(records[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)


if __name__ == "__main__":
    main()
