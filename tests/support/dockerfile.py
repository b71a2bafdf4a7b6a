"""Read a Dockerfile instruction by instruction, as the deployment tests need it."""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from tests.support.deploy import DOCKERFILE


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction and its arguments (continuation lines joined)."""

    name: str
    args: str


def instructions() -> list[Instruction]:
    found: list[Instruction] = []
    pending = ""
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("#") or (not line.strip() and not pending):
            continue
        pending += line.rstrip().removesuffix("\\") + " "
        if not line.rstrip().endswith("\\"):
            name, _, args = pending.strip().partition(" ")
            found.append(Instruction(name.upper(), args.strip()))
            pending = ""
    return found


def stages() -> list[list[Instruction]]:
    """The instructions of each stage, from its FROM on."""
    split: list[list[Instruction]] = []
    for instruction in instructions():
        if instruction.name == "FROM":
            split.append([])
        if split:
            split[-1].append(instruction)
    return split


def final_stage() -> list[Instruction]:
    return stages()[-1]


def copies(stage: list[Instruction]) -> list[tuple[list[str], str]]:
    """(sources, destination) of each COPY from the build context (not --from)."""
    found = []
    for instruction in stage:
        if instruction.name == "COPY" and "--from=" not in instruction.args:
            *sources, destination = shlex.split(instruction.args)
            found.append((sources, destination))
    return found


def environment(stage: list[Instruction]) -> dict[str, str]:
    """The variables a stage's ENV instructions set (KEY=value form)."""
    found: dict[str, str] = {}
    for instruction in stage:
        if instruction.name == "ENV":
            for pair in shlex.split(instruction.args):
                key, _, value = pair.partition("=")
                found[key] = value
    return found


def stage_copies(stage: list[Instruction]) -> list[tuple[str | None, list[str], str]]:
    """(the stage copied from or None for the build context, sources, destination) of each
    COPY."""
    found: list[tuple[str | None, list[str], str]] = []
    for instruction in stage:
        if instruction.name != "COPY":
            continue
        words = shlex.split(instruction.args)
        origin = next((w.removeprefix("--from=") for w in words if w.startswith("--from=")), None)
        *sources, destination = [w for w in words if not w.startswith("--")]
        found.append((origin, sources, destination))
    return found


def workdir(stage: list[Instruction]) -> str:
    """The stage's last WORKDIR."""
    return [i.args for i in stage if i.name == "WORKDIR"][-1]
