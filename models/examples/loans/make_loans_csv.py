"""Writes loans.csv: 2,000 synthetic loan applications with gaps, the same rows on every run (seeded).

About 5% of the cells of age, income, years_employed and employment are empty, as
in a real application table: the example of a model that answers missing values.

python models/examples/loans/make_loans_csv.py
"""
import csv
import random
from pathlib import Path

ROWS = 2000
SEED = 20261206
GAP_SHARE = 0.05
EMPLOYMENT = {"salaried": 0.0, "self_employed": 0.4, "contract": 0.6, "unemployed": 1.5}
HOMES = ("rent", "own", "mortgage")
# The columns where an applicant may leave a field blank.
GAPPED = ("age", "income", "years_employed", "employment")


def rows(generator: random.Random) -> list[dict[str, object]]:
    records = []
    for _ in range(ROWS):
        employment = generator.choice(list(EMPLOYMENT))
        home = generator.choice(HOMES)
        age = generator.randint(19, 75)
        income = round(generator.lognormvariate(10.6, 0.5), 0)
        amount = round(generator.uniform(1_000, 40_000), 0)
        years = min(age - 18, generator.randint(0, 30))
        # A large loan for the income, little time in work, no steady job and renting make default likelier.
        score = (-1.5 + 2.5 * amount / income - 0.04 * years + EMPLOYMENT[employment]
                 + (0.3 if home == "rent" else 0.0) - 0.01 * (age - 40))
        defaulted = "yes" if score + generator.gauss(0.0, 0.7) > 0.0 else "no"
        record: dict[str, object] = {"age": age, "income": income, "loan_amount": amount, "years_employed": years,
                                     "employment": employment, "home": home, "defaulted": defaulted}
        for column in GAPPED:
            if generator.random() < GAP_SHARE:
                record[column] = ""
        records.append(record)
    return records


def main() -> None:
    path = Path(__file__).with_name("loans.csv")
    records = rows(random.Random(SEED))
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(records[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)


if __name__ == "__main__":
    main()
