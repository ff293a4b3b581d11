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
