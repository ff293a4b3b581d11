"""Just enough of a Dockerfile parser for contract tests: stages and instructions."""
import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str

    def json_form(self) -> list[str] | None:
        """The exec form (["a", "b"]) as a list, or None for the shell form."""
        text = self.arguments.strip()
        if text.startswith("["):
            return json.loads(text)
        return None

    def words(self) -> list[str]:
        return shlex.split(self.arguments, comments=False, posix=True)


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]


def parse(path: Path) -> list[Stage]:
    text = re.sub(r"\\\n", " ", path.read_text())  # join continuation lines
    stages: list[Stage] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, arguments = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            words = arguments.split()
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append(Stage(base=words[0], name=name))
        elif stages:
            stages[-1].instructions.append(Instruction(keyword, arguments.strip()))
    return stages


def global_args(path: Path) -> dict[str, str]:
    """The ARGs declared before the first FROM (what FROM lines may use), with their defaults."""
    values: dict[str, str] = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if line.upper().startswith("FROM "):
            break
        if line.upper().startswith("ARG "):
            name, _, default = line[4:].strip().partition("=")
            values[name] = default
    return values
