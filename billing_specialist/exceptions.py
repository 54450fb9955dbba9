from odoo.exceptions import UserError


class BillingCheckBlocked(UserError):
    """Posting refused by blocking pre-send checks.

    ``findings`` lists ``(move_id, check_code, message)`` tuples, so a billing run can record which check
    stopped which invoice without parsing the message.
    """

    def __init__(self, message, findings=()):
        super().__init__(message)
        self.findings = list(findings)
