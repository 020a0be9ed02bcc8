"""One error type for everything that must stop the build."""

from dataclasses import dataclass


@dataclass
class BuildError(Exception):
    """A fault in raw/ or upstream data that the build cannot work around.

    The message names the file, the line, the field and the value, then says what to do.
    """

    file: str
    line: int | str | None  # a line number, or a place such as "row 12" or "page 2, row 5"
    field: str | None
    value: object
    problem: str
    fix: str

    def __str__(self):
        where = self.file + (f", line {self.line}" if isinstance(self.line, int) else f", {self.line}" if self.line else "")
        what = f", field '{self.field}'" if self.field else ""
        value = f": value {self.value!r}" if self.value is not None else ""
        return f"{where}{what}{value} — {self.problem}. {self.fix}"
