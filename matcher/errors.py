"""The one exception type for a user's mistake: its message is shown as it is, in French."""


class InputError(ValueError):
    """A problem with what the user gave (file, column, text), explained in one sentence."""
