"""Finds the agent skills shipped in `skills/` and reads their front matter.

A skill is a folder with a SKILL.md whose YAML front matter names it and says when to use it (the
format agents that load skills from disk expect). The server serves the same files, so an agent
gets identical guidance either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hf_train_mcp.resources import skills_dir

SKILL_FILE = "SKILL.md"


@dataclass(frozen=True)
class Skill:
    name: str
    description: str
    folder: Path

    @property
    def path(self) -> Path:
        return self.folder / SKILL_FILE

    @property
    def uri(self) -> str:
        return f"skill://{self.name}"

    def extra_files(self) -> list[Path]:
        """Reference files beside SKILL.md (served as skill://NAME/FILE)."""
        return sorted(p for p in self.folder.glob("*.md") if p.name != SKILL_FILE)


def parse_front_matter(text: str) -> dict[str, str]:
    """The `key: value` pairs between the leading `---` lines (flat, one line per key)."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise ValueError("SKILL.md must start with a '---' front matter block")
    fields: dict[str, str] = {}
    for line in lines[1:]:
        if line.strip() == "---":
            return fields
        key, sep, value = line.partition(":")
        if sep and key.strip():
            fields[key.strip()] = value.strip().strip('"')
    raise ValueError("SKILL.md front matter is not closed by '---'")


def list_skills(root: Path | None = None) -> list[Skill]:
    root = root or skills_dir()
    skills = []
    for skill_file in sorted(root.glob(f"*/{SKILL_FILE}")):
        meta = parse_front_matter(skill_file.read_text(encoding="utf-8"))
        if "name" not in meta or "description" not in meta:
            raise ValueError(f"{skill_file}: front matter needs 'name' and 'description'")
        skills.append(Skill(meta["name"], meta["description"], skill_file.parent))
    return skills
