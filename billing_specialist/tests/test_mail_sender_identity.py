"""Issue 21, class 4: identity from an e-mail address.

An address shared by contacts of more than one customer identifies none of them: the mail gateway refuses the e-mail
politely (the sender is told why, no customer named), creates nothing for any customer, and tells the specialist.
A portal user who sets its own address to another customer's never reads nor follows that customer's cases.
"""

from email.message import EmailMessage
from email.utils import make_msgid

from odoo.exceptions import AccessError
from odoo.http import Request
from odoo.tests import HttpCase, tagged
from odoo.tests.common import JsonRpcException

from odoo.addons.mail.tests.common import MockEmail

from ..models.billing_dispute_gateway import sender_key
from .common import BillingDisputeCommon


class SenderCommon(BillingDisputeCommon, MockEmail):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alias_domain = cls.env["mail.alias.domain"].create({"name": "identity-test.example.com"})
        cls.company.alias_domain_id = cls.alias_domain
        cls.company.email = "accounts@company.example.com"
        cls.company._billing_ensure_dispute_alias()
        cls.company._billing_ensure_remittance_alias()
        cls.dispute_alias = cls.company.billing_dispute_alias_id
        cls.remittance_alias = cls.company.billing_remittance_alias_id
        (cls.dispute_alias | cls.remittance_alias).alias_domain_id = cls.alias_domain
        cls.company.billing_dispute_default_user_id = cls.specialist
        cls.inv_a = cls._invoice(1000.0)
        cls.inv_other = cls._invoice(700.0, partner=cls.other_customer)
        # Acme's accounts-payable address: a contact with no user (a portal user's partner would be the gateway's
        # first choice for the author of an e-mail from its address).
        cls.address = "ap@acme.example.com"
        cls.ap_contact = cls.env["res.partner"].create(
            {"name": "Acme Accounts Payable", "parent_id": cls.customer.id, "email": cls.address}
        )

    def _receive(self, alias, body, sender=None, reply_to=None, in_reply_to=None):
        """A raw RFC 822 e-mail fed to the mail gateway as fetchmail does; the cases and advices it created."""
        msg = EmailMessage()
        msg["From"] = sender or f"Accounts Payable <{self.address}>"
        msg["To"] = alias.alias_full_name
        msg["Subject"] = f"About {self.inv_a.name}"
        msg["Message-ID"] = make_msgid(domain="sender.example.net")
        if reply_to:
            msg["Reply-To"] = reply_to
        if in_reply_to:
            msg["In-Reply-To"] = in_reply_to
            msg["References"] = in_reply_to
        msg.set_content(body)
        Dispute, Remittance = self.env["billing.dispute"], self.env["billing.remittance"]
        before = Dispute.search([]).ids, Remittance.search([]).ids
        self.env["mail.thread"].sudo().message_process(None, msg.as_string())
        return Dispute.search([("id", "not in", before[0])]), Remittance.search([("id", "not in", before[1])])

    def _share_address(self, email=None):
        """Globex's contact takes Acme's address (as a portal user may do with its own)."""
        self.other_portal_user.partner_id.email = email or self.address

    def _told(self, customer):
        return self.env["mail.activity"].search(
            [("res_model", "=", "res.partner"), ("res_id", "=", customer.id), ("summary", "ilike", "refused")]
        )


@tagged("post_install", "-at_install")
class TestSenderIdentity(SenderCommon):
    def test_a_shared_address_identifies_no_customer(self):
        self._share_address()
        for alias, body in (
            (self.dispute_alias, f"{self.inv_a.name} is damaged."),
            (self.remittance_alias, f"{self.inv_a.name} 1000.00"),
        ):
            with self.mock_mail_gateway():
                cases, advices = self._receive(alias, body)
            self.assertFalse(cases, "no case for either customer")
            self.assertFalse(advices, "no advice for either customer")
            refusal = self._new_mails.filtered(lambda m, a=self.address: a in (m.email_to or ""))
            self.assertEqual(len(refusal), 1, "the sender is told, politely")
            self.assertIn("is the address of more than one of our customers", refusal.body_html)
            for name in ("Acme", "Globex"):
                self.assertNotIn(name, refusal.body_html, "no customer is named to the sender")
            self.assertNotEqual(alias.alias_status, "invalid", "a refused sender is no configuration error")
        # The specialist is told on each customer, once however many e-mails come.
        for customer in (self.customer, self.other_customer):
            activity = self._told(customer)
            self.assertEqual(len(activity), 1)
            self.assertEqual(activity.user_id, self.specialist)
            self.assertIn("Acme Retail", activity.note)
            self.assertIn("Globex Stores", activity.note)
        # No portal user reads the activity (internal only).
        with self.assertRaises(AccessError):
            self._told(self.customer).with_user(self.portal_user).read(["note"])

    def test_addresses_are_compared_after_folding(self):
        self._share_address(self.address.upper())
        with self.mock_mail_gateway():
            cases, _advices = self._receive(self.dispute_alias, f"{self.inv_a.name} is damaged.")
        self.assertFalse(cases)
        # A non-ASCII local part keeps its case in Odoo's normalised address: folded here.
        self.ap_contact.email = "jürgen@acme.example.com"
        self.other_portal_user.partner_id.email = "JÜRGEN@acme.example.com"
        self.assertNotEqual(self.ap_contact.email_normalized, self.other_portal_user.partner_id.email_normalized)
        self.assertEqual(sender_key("Jürgen <JÜRGEN@ACME.example.com>"), "jurgen@acme.example.com")
        Dispute = self.env["billing.dispute"]
        customer, contact, customers = Dispute._mail_gateway_identify("jürgen@acme.example.com", self.company)
        self.assertEqual(
            (customer, contact, customers),
            (Dispute.partner_id, Dispute.partner_id, self.customer | self.other_customer),
        )
        # An invisible character in the local part is no other address.
        self.other_portal_user.partner_id.email = "j\u200bürgen@acme.example.com"
        customers = Dispute._mail_gateway_identify("jürgen@acme.example.com", self.company)[2]
        self.assertEqual(customers, self.customer | self.other_customer)

    def test_one_customer_still_identified(self):
        # The same address on a partner with no invoice here, and on another company's partner: still Acme's.
        self.env["res.partner"].create({"name": "Acme Purchasing (a supplier contact)", "email": self.address})
        other = self.setup_other_company(name="Identity Other Co")["company"]
        duplicate = self.env["res.partner"].create(
            {"name": "Acme (other company)", "is_company": True, "email": self.address, "company_id": other.id}
        )
        self.init_invoice("out_invoice", partner=duplicate, amounts=[50.0], post=True, company=other)
        customer, contact = self.env["billing.dispute"]._mail_gateway_customer(self.address, self.company)
        self.assertEqual((customer, contact), (self.customer, self.ap_contact))
        cases, _advices = self._receive(self.dispute_alias, f"{self.inv_a.name} is damaged.")
        self.assertEqual(cases.partner_id, self.customer)
        self.assertFalse(self._told(self.customer))

    def test_a_forged_sender_opens_nothing_the_forger_reads(self):
        """Anyone may write Acme's address in From (and their own in Reply-To): the case is Acme's, its people
        follow it, and nothing goes to the forger."""
        with self.mock_mail_gateway():
            cases, _advices = self._receive(
                self.dispute_alias, f"{self.inv_a.name} is damaged.", reply_to="mallory@evil.example.com"
            )
        self.assertEqual(cases.partner_id, self.customer)
        self.assertEqual(cases.message_partner_ids.filtered("partner_share"), self.ap_contact)
        self.assertFalse(self._new_mails.filtered(lambda m: "evil.example.com" in (m.email_to or "")))
        self.assertFalse(
            self._new_mails.recipient_ids.filtered(lambda p: "evil.example.com" in (p.email or "")),
        )

    def test_only_the_customers_contacts_follow_a_case(self):
        case = self._open_case(self.inv_a)
        case.with_user(self.specialist).message_subscribe(
            partner_ids=(self.other_portal_user.partner_id | self.manager.partner_id).ids
        )
        self.assertIn(self.manager.partner_id, case.message_partner_ids)
        self.assertNotIn(self.other_portal_user.partner_id, case.message_partner_ids)
        self.assertIn(self.customer_contact, case.message_partner_ids)


@tagged("post_install", "-at_install")
class TestPortalAddressTakeover(SenderCommon, HttpCase):
    """The portal attack over HTTP: Globex's portal user sets its own address to Acme's accounts-payable address."""

    def _take_over(self):
        self.authenticate(self.other_portal_user.login, self.other_portal_user.login)
        response = self.url_open(
            "/my/account",
            data={
                "name": "Gary Globex",
                "email": self.address,
                "phone": "555",
                "street": "1 Road",
                "city": "Town",
                "country_id": str(self.env.ref("base.be").id),
                "csrf_token": Request.csrf_token(self),
            },
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.other_portal_user.partner_id.email, self.address, "the portal lets it change it")

    def test_a_portal_user_who_takes_another_customers_address_reads_nothing_of_it(self):
        # Acme's case, followed by Alice: Acme's accounts payable does not follow it.
        case = self._open_case(self.inv_a)
        self.assertNotIn(self.ap_contact, case.message_partner_ids)
        self._take_over()
        gary = self.other_portal_user.partner_id
        # Acme writes a new dispute: refused (the address now identifies nobody); nothing for Globex.
        with self.mock_mail_gateway():
            cases, advices = self._receive(self.dispute_alias, f"{self.inv_a.name}: the price is wrong, secret.")
        self.assertFalse(cases | self.env["billing.dispute"].search([("partner_id", "=", self.other_customer.id)]))
        self.assertFalse(advices)
        self.assertTrue(self._told(self.customer))
        # Acme answers its case by e-mail: the reply lands on the case. The gateway takes a user's partner with
        # the address for its author (Gary, a portal user, before Acme's contact): not on a case of Acme's.
        self._receive(
            self.dispute_alias,
            "Our reply with the confidential credit terms.",
            in_reply_to=case.message_ids[-1].message_id,
        )
        reply = case.message_ids.filtered(lambda m: "confidential credit terms" in (m.body or ""))
        self.assertEqual(len(reply), 1)
        self.assertNotEqual(reply.author_id, gary)
        self.assertIn(self.address, reply.email_from, "the sender's address is kept for the specialist")
        self.assertNotIn(gary, case.message_partner_ids)
        # Over HTTP, in Gary's session: no case of Acme's in the portal, no message over JSON-RPC.
        self.assertNotIn(case.name, self.url_open("/my/disputes").text)
        self.assertNotIn("confidential", self.url_open(f"/my/disputes/{case.id}").text)
        try:
            read = self.make_jsonrpc_request(
                "/web/dataset/call_kw",
                {"model": "mail.message", "method": "read", "args": [reply.ids, ["body"]], "kwargs": {}},
            )
        except JsonRpcException:
            read = []
        self.assertNotIn("confidential", str(read))
        try:
            messages = self.make_jsonrpc_request(
                "/mail/thread/messages", {"thread_model": "billing.dispute", "thread_id": case.id}
            )
        except JsonRpcException:
            messages = []
        self.assertNotIn("confidential", str(messages))


@tagged("post_install", "-at_install")
class TestSenderAddressSpellings(SenderCommon):
    """An outsider and a portal user against the shared-address rule: an international domain in either form, look-alike
    domains, other spellings of an address, Reply-To."""

    def test_an_idn_domain_in_punycode_is_the_same_address(self):
        """Acme's address has an international domain. Its mail server sends it in punycode (the ASCII form of the
        same domain). Globex's portal user sets its own address to that punycode form: Acme's e-mails must not be
        taken for Globex's (Globex would read them); the address is shared, so it identifies neither."""
        self.ap_contact.email = "ap@bücher.example"
        self._share_address("ap@xn--bcher-kva.example")
        self.assertEqual(sender_key("ap@bücher.example"), sender_key("AP@XN--BCHER-KVA.example"))
        Dispute = self.env["billing.dispute"]
        for sent_as in ("ap@xn--bcher-kva.example", "ap@bücher.example"):
            customers = Dispute._mail_gateway_identify(sent_as, self.company)[2]
            self.assertEqual(customers, self.customer | self.other_customer, sent_as)
        with self.mock_mail_gateway():
            cases, advices = self._receive(
                self.dispute_alias,
                f"{self.inv_a.name} is damaged.",
                sender="Accounts Payable <ap@xn--bcher-kva.example>",
            )
        self.assertFalse(cases, "no case for Globex with Acme's e-mail")
        self.assertFalse(advices)

    def test_an_accented_domain_is_not_its_unaccented_look_alike(self):
        """bucher.example and bücher.example are two domains (two owners): the owner of one does not write as a
        customer whose address is at the other."""
        self.ap_contact.email = "ap@bucher.example"
        self.assertNotEqual(sender_key("ap@bücher.example"), sender_key("ap@bucher.example"))
        customer = self.env["billing.dispute"]._mail_gateway_identify("ap@bücher.example", self.company)[0]
        self.assertFalse(customer)
        customer = self.env["billing.dispute"]._mail_gateway_identify("ap@bucher.example", self.company)[0]
        self.assertEqual(customer, self.customer)

    def test_plus_case_quoted_and_display_name_tricks(self):
        """Other spellings of Acme's address, set by Globex's portal user on its own partner: each is either the
        same address (shared: refused) or another one (Acme's e-mails still Acme's, never Globex's)."""
        Dispute = self.env["billing.dispute"]
        for globex_sets in (
            "AP@ACME.EXAMPLE.COM",
            " ap@acme.example.com\u200b",
            "ap+x@acme.example.com",
            '"ap"@acme.example.com',
            "Acme AP <ap@acme.example.com>",
        ):
            with self.subTest(globex_sets=globex_sets):
                self._share_address(globex_sets)
                customer = Dispute._mail_gateway_identify(f"Acme AP <{self.address}>", self.company)[0]
                self.assertNotEqual(customer, self.other_customer)
        # Two addresses in From (or one hidden in the display name): no single sender, nobody identified.
        self._share_address("someone@globex.example.com")
        for sender in (f"{self.address}, someone@globex.example.com", f'"{self.address}" <someone@globex.example.com>'):
            with self.subTest(sender=sender):
                customer = Dispute._mail_gateway_identify(sender, self.company)[0]
                self.assertNotEqual(customer, self.customer, "a display name naming Acme's address is no Acme")

    def test_reply_to_does_not_pick_the_customer(self):
        """From a stranger, Reply-To Acme's address: the sender is the stranger, refused."""
        with self.mock_mail_gateway():
            cases, advices = self._receive(
                self.remittance_alias,
                f"{self.inv_a.name} 1000.00",
                sender="mallory@evil.example.net",
                reply_to=self.address,
            )
        self.assertFalse(cases | self.env["billing.dispute"].browse())
        self.assertFalse(advices)
