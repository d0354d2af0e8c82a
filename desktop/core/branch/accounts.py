"""The branch service's account desk: creating an account holder, finding one by its number
however it is typed, searching by number or name. A part of
:class:`desktop.core.branch.service.BranchService` (which brings ``require`` and ``store``).
"""

from __future__ import annotations

from collections.abc import Sequence

from desktop.core.access.sessions import Session
from desktop.core.errors import N_, Message, ServiceError
from desktop.core.store.account_text import (
    account_key,
    canonical_account_number,
    name_as_stored,
)
from desktop.core.store.records import Account


def _exists_already(number: str, typed: str, found: Sequence[Account]) -> Message:
    """Why the canonical ``number`` (typed as ``typed``) cannot be a new account: ``found``,
    the accounts of the same number (the one stored exactly so named first)."""
    stored = next((a for a in found if a.account_number == number), found[0])
    if stored.account_number == number == typed.strip():
        return Message(N_("account {account} already exists"), account=number)
    if stored.account_number == number:
        return Message(N_("account {account} already exists (typed as {typed})"),
                       account=number, typed=repr(typed))
    return Message(N_("account {account} already exists, stored as {stored} (typed as "
                      "{typed})"), account=number, stored=repr(stored.account_number),
                   typed=repr(typed))


class AccountDesk:
    """Accounts: create (operator), find and search (clerk and up); each audited where it
    writes. Mixed into the branch service, which supplies ``require`` and ``store``."""

    def create_account(self, session: Session, account_number: str, holder_name: str) -> Account:
        """Operator: a new account holder (no references yet). The number is stored in its
        canonical form (:func:`canonical_account_number`: ``0012-3456 78`` is ``0012345678``)
        and refused when an account of that canonical number exists, however that one was
        typed; the name in NFC with single spaces."""
        self.require(session, "create_account")
        typed = account_number
        account_number = canonical_account_number(typed)
        holder_name = name_as_stored(holder_name)
        if not account_number or not holder_name:
            raise ServiceError(Message(N_("an account number and the holder's name are "
                                          "needed")))
        details = {"holder_name": holder_name}
        if typed != account_number:
            details["typed"] = typed  # nothing the operator typed is lost
        with self.store.transaction():
            found = self.store.find_accounts(account_number)
            if found:
                raise ServiceError(_exists_already(account_number, typed, found))
            account = self.store.create_account(account_number, holder_name, session.username)
            self.store.append_audit(session.username, "account_created", account_number,
                                    details=details)
        return account

    MAX_SEARCH_CHARS = 64  # an account number or a name; longer text is refused

    def search_accounts(self, session: Session, text: str) -> list[Account]:
        """Accounts whose number or holder's name contains ``text``: a number however it is
        grouped (spaces, dashes, full-width digits), a name whatever its case or Unicode form
        (see :meth:`ReferenceStore.search_accounts`). Control characters are dropped; text
        longer than :attr:`MAX_SEARCH_CHARS` raises :class:`ServiceError`."""
        import unicodedata

        self.require(session, "search")
        text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cs"))
        if len(text) > self.MAX_SEARCH_CHARS:
            raise ServiceError(Message(N_("search text too long (max {most} characters)"),
                                       most=self.MAX_SEARCH_CHARS))
        return self.store.search_accounts(text)

    def account(self, session: Session, account_number: str) -> Account:
        """One account, or a clear error: the one stored with exactly that number, else the
        one whose number is the same once folded (``0012 3456 78`` typed finds ``0012345678``
        and an old row stored as ``0012-3456-78``). Where a store written before numbers were
        canonical holds the number twice, differently typed, none is guessed: the error names
        them (unless one is stored exactly as typed or in the canonical form: those are found
        by the index, the rest by a scan of the numbers, ~80 ms at 50,000 accounts)."""
        self.require(session, "search")
        for number in dict.fromkeys((account_number.strip(), account_key(account_number))):
            acc = self.store.get_account(number) if number else None
            if acc is not None:
                return acc
        found = self.store.find_accounts(account_number)
        if len(found) > 1:
            raise ServiceError(Message(N_(
                "{account} matches several accounts stored differently ({numbers}): search for "
                "it and choose one"), account=repr(account_number),
                numbers=", ".join(repr(a.account_number) for a in found)))
        if not found:
            raise ServiceError(Message(N_("there is no account {account}"),
                                       account=account_number.strip()))
        return found[0]
