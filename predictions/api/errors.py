from __future__ import annotations


class BadParameter(Exception):
    """A query parameter names something that does not exist, or cannot be read: a 400
    naming it. An empty list instead would read as "this speaker made no predictions"."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter
