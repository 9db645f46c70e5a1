"""The one error type that user-facing tools turn into a single readable line."""


class GptMathError(Exception):
    """Bad input or a broken model: the message says what to do, in one line."""
