from odoo.exceptions import UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY


class BillingCheckBlocked(UserError):
    """Posting refused by blocking pre-send checks.

    ``findings`` lists ``(move_id, check_code, message)`` tuples, so a billing run can record which check
    stopped which invoice without parsing the message.
    """

    def __init__(self, message, findings=()):
        super().__init__(message)
        self.findings = list(findings)


def concurrency_error(error):
    """The concurrency error (serialization failure, deadlock, lock not available) that ``error`` is, or was raised
    from or while handling (``__cause__``/``__context__``: e.g. an InFailedSqlTransaction after it, or a UserError
    wrapping it); else None. Such an error is another transaction's doing, never the record's fault: the whole
    transaction is to be retried (the cron, queue_job and RPC retry it), not the record marked failed."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, PG_CONCURRENCY_EXCEPTIONS_TO_RETRY):
            return error
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return None


def raise_concurrency(error):
    """Re-raise the concurrency error behind ``error`` (see ``concurrency_error``), if any: call it first thing in a
    broad ``except`` that would record ``error`` as a record's failure and go on."""
    concurrency = concurrency_error(error)
    if concurrency is not None:
        raise concurrency
