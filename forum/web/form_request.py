"""The request class of the forum's app: form values never carry a NUL character.

No member types one, PostgreSQL refuses it in any text column or query, and SQLite would keep
it where nothing can show it; hostile clients send it to turn a refusal into a server error.
Dropping it where forms are parsed covers every form and field, present and future, instead of
each service remembering to.
"""

from __future__ import annotations

from flask import Request


class FormRequest(Request):
    """A Flask request whose parsed form holds no NUL in any name or value."""

    def _load_form_data(self) -> None:
        super()._load_form_data()
        form = self.__dict__.get("form")
        if form and any("\x00" in name or "\x00" in value
                        for name, value in form.items(multi=True)):
            self.__dict__["form"] = self.parameter_storage_class(
                [(name.replace("\x00", ""), value.replace("\x00", ""))
                 for name, value in form.items(multi=True)])
