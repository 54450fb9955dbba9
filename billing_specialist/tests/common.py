import random
from contextlib import contextmanager

from odoo import SUPERUSER_ID, Command, api, fields
from odoo.modules.registry import Registry
from odoo.tests import BaseCase, new_test_user
from odoo.tests.common import get_db_name

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

# A company's default automatic matching threshold (res.company.billing_match_threshold): what the engine's
# proposals are checked against with ``Proposal.applies``.
THRESHOLD = 90


class BillingDisputeCommon(AccountTestInvoicingCommon):
    """An own company with the generic chart, customers, billing users and helpers to invoice and dispute."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        # The accountant running the fixtures also manages billing; tests act as the users below.
        cls.env.user.groups_id |= cls.env.ref("billing_specialist.group_billing_manager")
        cls.today = fields.Date.context_today(cls.env.user)
        company_vals = {"company_id": cls.company.id, "company_ids": [Command.set(cls.company.ids)]}
        cls.specialist = new_test_user(
            cls.env,
            login="bs_specialist",
            groups="base.group_user,billing_specialist.group_billing_user",
            name="Sam Specialist",
            email="sam@example.com",
            **company_vals,
        )
        cls.manager = new_test_user(
            cls.env,
            login="bs_manager",
            groups="base.group_user,billing_specialist.group_billing_manager",
            name="Morgan Manager",
            email="morgan@example.com",
            **company_vals,
        )
        cls.internal_user = new_test_user(
            cls.env,
            login="bs_internal",
            groups="base.group_user,account.group_account_invoice",
            name="Ian Internal",
            **company_vals,
        )
        cls.customer = cls.env["res.partner"].create({"name": "Acme Retail", "is_company": True})
        cls.customer_contact = cls.env["res.partner"].create(
            {"name": "Alice Payables", "parent_id": cls.customer.id, "email": "alice@acme.example.com"}
        )
        cls.other_customer = cls.env["res.partner"].create({"name": "Globex Stores", "is_company": True})
        cls.portal_user = new_test_user(
            cls.env,
            login="bs_portal",
            groups="base.group_portal",
            name="Alice Portal",
            partner_id=cls.customer_contact.id,
            email="alice@acme.example.com",  # new_test_user's default (x.x@example.com) would be shared by both
            **company_vals,
        )
        cls.other_portal_user = new_test_user(
            cls.env,
            login="bs_portal_other",
            groups="base.group_portal",
            name="Gary Globex",
            email="gary@globex.example.com",
            **company_vals,
        )
        cls.other_portal_user.partner_id.parent_id = cls.other_customer
        cls.reason_pricing = cls.env.ref("billing_specialist.reason_pricing")
        cls.reason_quantity = cls.env.ref("billing_specialist.reason_quantity")
        cls.cause_pricing = cls.env.ref("billing_specialist.root_cause_pricing_master")
        cls.writeoff_account = cls.company_data["default_account_expense"]
        cls.company.billing_writeoff_account_id = cls.writeoff_account
        cls.company.billing_writeoff_max_amount = 50.0
        cls.bank_journal = cls.company_data["default_journal_bank"]

    # ------------------------------------------------------------------ helpers

    @classmethod
    def _invoice(cls, amount=1000.0, partner=None, taxes=None, post=True, move_type="out_invoice", **vals):
        """An invoice of one line worth ``amount`` before taxes (no tax unless given)."""
        move = cls.env["account.move"].create(
            {
                "move_type": move_type,
                "partner_id": (partner or cls.customer_contact).id,
                "invoice_date": vals.pop("invoice_date", cls.today),
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": cls.product_a.id,
                            "quantity": 1,
                            "price_unit": amount,
                            "tax_ids": [Command.set(taxes.ids if taxes else [])],
                        }
                    )
                ],
                **vals,
            }
        )
        if post:
            move.action_post()
        return move

    def _open_case(self, invoices, amount=None, user=None, **vals):
        """Open a case as ``user`` (the specialist by default) over ``invoices``."""
        env = self.env(user=user or self.specialist)
        lines = []
        for invoice in invoices:
            disputed = amount if amount is not None else invoice.amount_residual
            lines.append(Command.create({"move_id": invoice.id, "amount_disputed": disputed}))
        return env["billing.dispute"].create(
            {
                "partner_id": invoices.commercial_partner_id[:1].id,
                "contact_id": self.customer_contact.id if invoices.commercial_partner_id == self.customer else False,
                "reason_id": self.reason_pricing.id,
                "line_ids": lines,
                **vals,
            }
        )

    def _resolve(self, case, resolution="credit_note", amounts=None, user=None, **vals):
        env = self.env(user=user or self.specialist)
        wizard = env["billing.dispute.resolve"].create(
            {
                "dispute_id": case.id,
                "resolution": resolution,
                "root_cause_id": self.cause_pricing.id,
                **vals,
            }
        )
        if amounts is not None:
            for wline, amount in zip(wizard.line_ids, amounts, strict=True):
                wline.amount = amount
        return wizard.action_apply()

    def _pay(self, invoice, amount, date=None, user=None):
        return (
            self.env["account.payment.register"]
            .with_user(user or self.env.user)
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create(
                {
                    "amount": amount,
                    "journal_id": self.bank_journal.id,
                    "payment_date": date or self.today,
                    "payment_difference_handling": "open",
                }
            )
            ._create_payments()
        )

    def _payment(self, amount, memo="", partner=None, date=None):
        """A posted inbound payment of ``partner`` (the customer by default), not applied to any invoice."""
        payment = self.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": (partner or self.customer).id,
                "amount": amount,
                "memo": memo,
                "date": date or self.today,
                "journal_id": self.bank_journal.id,
            }
        )
        payment.action_post()
        return payment

    def _bank_line(self, amount, memo="", partner=None, **vals):
        """An incoming bank statement line, its amount still in the suspense account."""
        return self.env["account.bank.statement.line"].create(
            {
                "journal_id": self.bank_journal.id,
                "date": self.today,
                "payment_ref": memo,
                "amount": amount,
                "partner_id": partner.id if partner else False,
                **vals,
            }
        )

    def _count(self, model):
        return self.env[model].sudo().with_context(active_test=False).search_count([])


class CommittedFixtureCase(BaseCase):
    """Real concurrent transactions: the fixture is committed through ``committed_env()`` (a second connection
    cannot see uncommitted rows) and removed by the test's cleanup."""

    def setUp(self):
        super().setUp()
        self.registry = Registry(get_db_name())

    @contextmanager
    def committed_env(self):
        """A superuser environment on a connection of its own, committed when the block ends without an error."""
        with self.registry.cursor() as cr:
            yield api.Environment(cr, SUPERUSER_ID, {})

    def block_committed_check(self, code="po_required"):
        """Set the main company's pre-send check ``code`` to Block, committed; the test's cleanup puts it back."""
        with self.committed_env() as env:
            Check = env["billing.invoice.check"]
            Check._ensure_for_companies(env.company)
            check = Check.search([("company_id", "=", env.company.id), ("code", "=", code)])
            check_id, mode = check.id, check.mode
            check.mode = "block"

        def restore():
            with self.committed_env() as env:
                env["billing.invoice.check"].browse(check_id).mode = mode

        self.addCleanup(restore)


class JsonRpcCallMixin:
    """For HttpCase tests: a model's method called as the web client calls it, in the authenticated session."""

    def _call(self, model, method, args, kwargs=None):
        return self.make_jsonrpc_request(
            "/web/dataset/call_kw", {"model": model, "method": method, "args": args, "kwargs": kwargs or {}}
        )


def random_digits(length, seed=14):
    """``length`` random digits: one token no separator splits, every one-character deletion of it different."""
    rng = random.Random(seed)
    return "".join(rng.choice("0123456789") for _i in range(length))
