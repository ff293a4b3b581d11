"""Variants of the shipped example specs, written into a test's folder."""
import shutil
from pathlib import Path


def strict_churn(folder: Path, repo_root: Path) -> Path:
    """The churn example with a pipeline that refuses categories it never saw
    (OneHotEncoder(handle_unknown="error")); its spec's path."""
    source = repo_root / "models" / "examples" / "churn"
    for name in ("churn.toml", "churn.csv"):
        shutil.copy(source / name, folder / name)
    module = (source / "churn_pipeline.py").read_text()
    (folder / "churn_pipeline_strict.py").write_text(
        module.replace('handle_unknown="ignore"', 'handle_unknown="error"'))
    spec = folder / "churn.toml"
    spec.write_text(spec.read_text().replace("churn_pipeline:build", "churn_pipeline_strict:build"))
    return spec


LOANS_NUMBERS = ("age", "income", "loan_amount", "years_employed")


def numbers_only_loans(folder: Path, repo_root: Path, module: str, source: str) -> Path:
    """The loans table's four number columns (gaps and all, the CSV named by its absolute
    path) through the estimator `build()` returns in `source`, written as `module`.py
    beside the spec; its spec's path. Each variant needs its own module name: an
    imported module stays imported."""
    (folder / f"{module}.py").write_text(source)
    columns = "".join(f'{name} = "number"\n' for name in LOANS_NUMBERS)
    spec = folder / f"{module}.toml"
    spec.write_text(
        f'[model]\nname = "{module}"\ntask = "classification"\n\n'
        f'[data]\ncsv = "{(repo_root / "models" / "examples" / "loans" / "loans.csv").as_posix()}"\n'
        f'target = "defaulted"\nmissing = ["", "NA"]\n\n[data.features]\n{columns}\n'
        '[split]\ntest_size = 0.2\nseed = 42\nstratify = true\n\n'
        f'[estimator]\nfactory = "{module}:build"\npath = "."\n\n'
        '[gate]\nmetric = "accuracy"\nthreshold = 0.5\n')
    return spec
