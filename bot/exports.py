"""/export's files, written piece by piece: a JSON document (and a Markdown journal) one
nudge at a time, never the whole export in memory, starting a new file before one would
grow beyond what Telegram takes from a bot."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable
from datetime import date
from pathlib import Path
from typing import IO, Any

from bot import texts
from bot.i18n import day_with_year, say
from nudges.languages import DEFAULT, Language

# Telegram takes files of up to 50 MB from a bot; this leaves room for the upload's framing.
MAX_UPLOAD = 50_000_000

Entry = dict[str, Any]


def _dumped(value: Any, depth: int) -> str:
    """`value` as json.dumps(indent=2) writes it `depth` levels deep in a document (JSON
    strings hold no raw newline, so every newline starts an indented line)."""
    return json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n" + "  " * depth)


class _Files:
    """Numbered files in `directory`; `size` counts the current one's bytes."""

    def __init__(self, directory: Path, stem: str, suffix: str) -> None:
        self.directory, self.stem, self.suffix = directory, stem, suffix
        self.paths: list[Path] = []
        self.size = 0
        self._file: IO[str] | None = None

    def open(self) -> None:
        path = self.directory / f"{self.stem}-{len(self.paths) + 1}{self.suffix}"
        self.paths.append(path)
        self._file = path.open("w", encoding="utf-8", newline="")
        self.size = 0

    def write(self, text: str) -> None:
        assert self._file is not None
        self._file.write(text)
        self.size += len(text.encode("utf-8"))

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class JsonExport:
    """The export as one or more JSON documents of at most `limit` bytes each (a nudge
    never splits: one larger than the limit gets a file of its own).

    One file is exactly `json.dumps(head | {"nudges": [...]} | tail, indent=2)`. Split, the
    first file holds `head`, every file holds some nudges, the tail and `"part": k`."""

    def __init__(
        self, directory: Path, head: dict[str, Any], tail: dict[str, Any], limit: int
    ) -> None:
        self.head, self.tail, self.limit = head, tail, limit
        self._files = _Files(directory, "export", ".json")
        self._entries = 0  # in the current file
        self._start(head)

    @property
    def paths(self) -> list[Path]:
        return self._files.paths

    def _start(self, head: dict[str, Any]) -> None:
        self._files.open()
        self._files.write("{")
        for key, value in head.items():
            self._files.write(f"\n  {json.dumps(key)}: {_dumped(value, 1)},")
        self._files.write('\n  "nudges": [')
        self._entries = 0

    def _ending(self, part: int | None) -> str:
        tail = dict(self.tail) | ({"part": part} if part is not None else {})
        fields = "".join(f",\n  {json.dumps(k)}: {_dumped(v, 1)}" for k, v in tail.items())
        return ("\n  ]" if self._entries else "]") + fields + "\n}"

    def add(self, entry: Entry) -> None:
        text = ("," if self._entries else "") + "\n    " + _dumped(entry, 2)
        space_left = self.limit - len(self._ending(len(self.paths) + 1).encode("utf-8"))
        if self._entries and self._files.size + len(text.encode("utf-8")) > space_left:
            self._files.write(self._ending(len(self.paths)))
            self._files.close()
            self._start({})
            text = text.removeprefix(",")
        self._files.write(text)
        self._entries += 1

    def finish(self) -> list[Path]:
        self._files.write(self._ending(len(self.paths) if len(self.paths) > 1 else None))
        self._files.close()
        return self.paths


class MarkdownJournal:
    """The nudges and answers as a readable Markdown journal (fed newest first), in files of
    at most `limit` bytes, each starting with the title."""

    def __init__(
        self, directory: Path, first_name: str, limit: int, language: Language = DEFAULT
    ) -> None:
        self.language = language
        self.title = "# " + say(texts.export_title(first_name), language)
        self.limit = limit
        self._files = _Files(directory, "journal", ".md")
        self._entries = 0
        self._start()

    def _start(self) -> None:
        self._files.open()
        self._files.write(self.title)
        self._entries = 0

    def add(self, entry: Entry) -> None:
        lines = (
            checkin_lines(entry, self.language)
            if entry.get("checkin")
            else journal_lines(entry, self.language)
        )
        text = "".join("\n" + line for line in lines)
        if self._entries and self._files.size + len(text.encode("utf-8")) + 1 > self.limit:
            self._end()
            self._start()
        self._files.write(text)
        self._entries += 1

    def add_checkins(self, checkins: list[Entry]) -> None:
        """The weekly check-ins (newest first), in a section of their own before the days."""
        if not checkins:
            return
        self._files.write("\n\n## " + say(texts.EXPORT_CHECKINS_TITLE, self.language))
        for entry in reversed(checkins):
            self.add(entry | {"checkin": True})

    def _end(self) -> None:
        self._files.write("\n")
        self._files.close()

    def finish(self) -> list[Path]:
        self._end()
        return self._files.paths


def journal_lines(entry: Entry, language: Language = DEFAULT) -> list[str]:
    """One nudge of the export as Markdown lines: the day, the nudge, both answers (the
    headings in `language`, the answers as written)."""
    day = date.fromisoformat(entry["date"])
    heading = say(day_with_year(day), language)
    lines = ["", f"## {heading}", "", f"> {entry['text'] or entry['nudge_id']}", ""]
    me, partner = say(texts.EXPORT_ME, language), say(texts.EXPORT_MY_PARTNER, language)
    for who, pick, guess in (
        (me, "my_pick", "my_guess"),
        (partner, "partner_pick", "partner_guess"),
    ):
        if entry.get(pick):
            lines.append(f"- **{who}:** {entry[pick]}")
        if entry.get(guess):
            lines.append(f"- **{say(texts.export_guess_of(who), language)}:** {entry[guess]}")
    lines += _answer_lines(me, entry["my_answer"], language)
    lines += _answer_lines(partner, entry["partner_shared_with_me"], language)
    if entry["done_at"]:
        lines.append("- Done ✅")
    if entry["plan_choice"]:
        lines.append(f"- Plan: {'in' if entry['plan_choice'] == 'in' else 'not this time'}")
    return lines


def checkin_lines(entry: Entry, language: Language = DEFAULT) -> list[str]:
    """One weekly check-in as Markdown lines: the day, and what each wrote."""
    day = date.fromisoformat(entry["date"])
    title = say(texts.EXPORT_CHECKIN_DAY, language)
    lines = ["", f"### {title} {say(day_with_year(day), language)}", ""]
    me, partner = say(texts.EXPORT_ME, language), say(texts.EXPORT_MY_PARTNER, language)
    for who, answer in ((me, entry["mine"]), (partner, entry["partner_shared_with_me"])):
        if answer is None:
            continue
        if answer.get("unreadable"):
            lines.append(f"- **{who}:** {say(texts.ANSWER_UNREADABLE, language)}")
        felt = say(
            texts.FEELING_WORDS.get(answer["felt"] or "", texts.EXPORT_NOT_ANSWERED), language
        )
        lines.append(f"- **{who}** felt: {felt}")
        if answer["appreciated"]:
            lines.append(f"  - appreciated: {answer['appreciated']}")
        if answer["more_of_next_week"]:
            lines.append(f"  - a little more of: {answer['more_of_next_week']}")
    return lines


def _answer_lines(name: str, parts: Iterable[dict[str, Any]], language: Language) -> list[str]:
    lines = []
    for part in parts:
        who = say(texts.export_guess_of(name), language) if part.get("guess") else name
        if part.get("unreadable"):
            lines.append(f"- **{who}:** {say(texts.ANSWER_UNREADABLE, language)}")
        elif part["type"] == "text":
            lines.append(f"- **{who}:** {part['text']}")
        else:
            caption = f" “{part['text']}”" if part["text"] else ""
            lines.append(f"- **{who}:** [{part['type']}, {part['at'][:10]}]{caption}")
    return lines


async def write_all(writer: JsonExport | MarkdownJournal, entries: AsyncIterator[Entry]) -> None:
    async for entry in entries:
        writer.add(entry)
