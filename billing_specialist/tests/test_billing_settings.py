from lxml import etree

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException
from odoo.tools.safe_eval import safe_eval

from ..models.res_company import CAPABILITIES
from ..models.res_config_settings import READABLE
from .common import BillingDisputeCommon, JsonRpcCallMixin

APP = "billing_specialist"


@tagged("post_install", "-at_install")
class TestBillingSettings(BillingDisputeCommon):
    """Billing managers change the billing settings of their company in Odoo's Settings without Administration
    rights, and nothing else there; no one else. Each attack below is what a client can send over JSON-RPC."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_company_data = cls.setup_other_company()
        cls.other_company = cls.other_company_data["company"]
        classified = cls.env["res.config.settings"]._get_classified_fields()
        # One field of each kind Odoo's Settings save besides ours, as installed: a group, a module, a parameter
        # and another app's field of the company.
        cls.group_field = classified["group"][0][0]
        cls.module_field = f"module_{classified['module'][0].name}"
        Settings = cls.env["res.config.settings"]
        cls.config_field = next(name for name, _icp in classified["config"] if Settings._fields[name].type == "boolean")
        cls.company_field = next(
            name
            for name, field in Settings._fields.items()
            if (field.related or "").startswith("company_id.")
            and not field.related.startswith("company_id.billing_")
            and not field.readonly
            and field.type == "boolean"
        )
        cls.company_target = Settings._fields[cls.company_field].related.split(".")[1]

    def _settings(self, user):
        return self.env["res.config.settings"].with_user(user)

    def _assert_nothing_else_changed(self):
        """Odoo's own settings are as they were: the group, the module, the parameter, the other app's field."""
        Settings = self.env["res.config.settings"]
        now = Settings.default_get([self.group_field, self.module_field, self.config_field])
        self.assertEqual(now, self.before)
        self.assertEqual(self.company[self.company_target], self.company_before)

    def setUp(self):
        super().setUp()
        self.before = self.env["res.config.settings"].default_get(
            [self.group_field, self.module_field, self.config_field]
        )
        self.company_before = self.company[self.company_target]

    # ------------------------------------------------------------------ the manager's way

    def test_manager_changes_the_billing_settings_without_administration(self):
        self.assertFalse(self.manager.has_group("base.group_system"))
        with self.assertRaises(AccessError):
            self.company.with_user(self.manager).write({"billing_aging_buckets": "15,30"})
        form = Form(self._settings(self.manager))
        self.assertEqual(form.billing_aging_buckets, "30,60,90,120")
        self.assertEqual(form.billing_writeoff_max_amount, 50.0)
        form.billing_aging_buckets = "15,45"
        form.billing_dispute_assignment = "round_robin"
        form.billing_dispute_default_user_id = self.specialist
        self.assertTrue(form.billing_followup_skip_dispute_days)
        form.billing_followup_skip_dispute_days = False
        self.assertEqual(form.save().execute(), {"type": "ir.actions.client", "tag": "reload"})
        self.assertFalse(self.company.billing_followup_skip_dispute_days)
        self.assertEqual(self.company.billing_aging_buckets, "15,45")
        self.assertEqual(self.company.billing_dispute_assignment, "round_robin")
        self.assertEqual(self.company.billing_dispute_default_user_id, self.specialist)
        self.assertEqual(self.company.billing_writeoff_account_id, self.writeoff_account, "untouched fields kept")
        self._assert_nothing_else_changed()

    def test_the_manager_sees_the_billing_block_only(self):
        arch = etree.fromstring(self._settings(self.manager).get_view(view_type="form")["arch"])
        self.assertEqual([app.get("name") for app in arch.xpath("//app")], [APP])
        names = {node.get("name") for node in arch.xpath("//field")}
        self.assertEqual(names, self.env["res.config.settings"]._billing_setting_fields() | {"company_id"})
        # The administrator's screen keeps every app, ours among them.
        admin_arch = etree.fromstring(self.env["res.config.settings"].get_view(view_type="form")["arch"])
        self.assertIn(APP, [app.get("name") for app in admin_arch.xpath("//app")])
        self.assertGreater(len(admin_arch.xpath("//app")), 1)

    def test_specialist_and_plain_users_are_refused(self):
        record = self._settings(self.manager).create({"billing_aging_buckets": "10,20"})
        self.company.billing_aging_buckets = "30,60,90,120"
        for user in (self.specialist, self.internal_user, self.portal_user):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    self._settings(user).create({"billing_aging_buckets": "1,2"})
                with self.assertRaises(AccessError):
                    self._settings(user).default_get(["billing_aging_buckets"])
                with self.assertRaises(AccessError):
                    self._settings(user).get_view(view_type="form")
                with self.assertRaises(AccessError):
                    record.with_user(user).write({"billing_aging_buckets": "1,2"})
                with self.assertRaises(AccessError):
                    record.with_user(user).execute()
        self.assertEqual(self.company.billing_aging_buckets, "30,60,90,120")

    # ------------------------------------------------------------------ nothing but the billing fields

    def test_groups_modules_parameters_and_other_apps_are_refused(self):
        """Each of Odoo's kinds of setting, sent with a billing field, on create and on write: refused whole."""
        record = self._settings(self.manager).create({"billing_aging_buckets": "10,20"})
        others = {
            self.group_field: not self.before[self.group_field],
            self.module_field: not self.before[self.module_field],
            self.config_field: not self.before[self.config_field],
            self.company_field: not self.company_before,
            "name": "Hijacked",  # not even a field here
        }
        for fname, value in others.items():
            with self.subTest(field=fname):
                with self.assertRaises(AccessError):
                    self._settings(self.manager).create({"billing_aging_buckets": "15,45", fname: value})
                with self.assertRaises(AccessError):
                    record.write({"billing_aging_buckets": "15,45", fname: value})
        self.assertEqual(self.company.billing_aging_buckets, "10,20", "a refused call writes nothing")
        with self.assertRaises(AccessError):
            record.with_user(self.manager).set_values()
        record.with_user(self.manager).execute()
        self._assert_nothing_else_changed()

    def test_client_context_defaults_write_nothing(self):
        """``default_*`` keys of a client's context give no value to Odoo's settings, nor to another app's field of
        the company (the record is created with elevated rights for the billing fields only)."""
        context = {
            f"default_{self.company_field}": not self.company_before,
            f"default_{self.group_field}": not self.before[self.group_field],
            f"default_{self.config_field}": not self.before[self.config_field],
        }
        record = self._settings(self.manager).with_context(**context).create({"billing_aging_buckets": "10,20"})
        record.execute()
        self.assertEqual(self.company.billing_aging_buckets, "10,20")
        self._assert_nothing_else_changed()
        stored = record.sudo().read([self.group_field, self.config_field])[0]
        self.assertEqual(stored[self.group_field], self.before[self.group_field])

    def test_the_managers_own_defaults_write_nothing(self):
        """Any internal user may store his own defaults (``ir.default.set`` over JSON-RPC); the record is created
        with elevated rights, so such a default of another app's field of the company, or of a group or parameter,
        would be written with the billing fields."""
        Default = self.env["ir.default"].with_user(self.manager)
        Default.set("res.config.settings", self.company_field, not self.company_before, user_id=True)
        Default.set("res.config.settings", self.group_field, not self.before[self.group_field], user_id=True)
        Default.set("res.config.settings", self.config_field, not self.before[self.config_field], user_id=True)
        record = self._settings(self.manager).create({"billing_aging_buckets": "10,20"})
        record.execute()
        self.assertEqual(self.company.billing_aging_buckets, "10,20")
        self._assert_nothing_else_changed()

    def test_an_administrators_record_is_not_the_managers_to_save(self):
        """An administrator's settings record (it may switch a group) cannot be executed or read by a manager."""
        admin = self.env.ref("base.user_admin")
        record = self._settings(admin).create({self.group_field: not self.before[self.group_field]})
        with self.assertRaises(AccessError):
            record.with_user(self.manager).execute()
        with self.assertRaises(AccessError):
            record.with_user(self.manager).read(["billing_aging_buckets"])
        self._assert_nothing_else_changed()

    def test_other_apps_settings_are_not_read(self):
        record = self._settings(self.manager).create({})
        for fname in (self.group_field, self.module_field, self.config_field, self.company_field):
            with self.subTest(field=fname):
                with self.assertRaises(AccessError):
                    record.read([fname])
                with self.assertRaises(AccessError):
                    self._settings(self.manager).default_get([fname])
                with self.assertRaises(AccessError):
                    self._settings(self.manager).onchange({}, [], {fname: {}, "billing_aging_buckets": {}})
        readable = set(record.read()[0])
        self.assertIn("billing_aging_buckets", readable)
        self.assertFalse(readable - self.env["res.config.settings"]._billing_setting_fields() - READABLE)
        self.assertNotIn(self.group_field, readable)

    # ------------------------------------------------------------------ companies and users

    def test_only_the_managers_current_company(self):
        with self.assertRaises(AccessError):
            self._settings(self.manager).create({"company_id": self.other_company.id, "billing_aging_buckets": "1,2"})
        record = self._settings(self.manager).create({"company_id": self.company.id, "billing_aging_buckets": "10,20"})
        with self.assertRaises(AccessError):
            record.write({"company_id": self.other_company.id})
        # A context naming a company the manager does not belong to is refused.
        with self.assertRaises(AccessError):
            self._settings(self.manager).with_context(allowed_company_ids=[self.other_company.id]).create(
                {"billing_aging_buckets": "10,20"}
            )
        record.execute()
        self.assertEqual(self.company.billing_aging_buckets, "10,20")
        self.assertEqual(self.other_company.billing_aging_buckets, "30,60,90,120")

    def test_another_companys_settings_are_not_read_through_onchange(self):
        """The screen's onchange computes the billing fields from the company in the values sent: a manager naming
        a company he does not work in (a new record or his own) reads none of its settings."""
        self.other_company.write({"billing_aging_buckets": "7,77,777", "billing_writeoff_max_amount": 12345.0})
        spec = {"billing_aging_buckets": {}, "billing_writeoff_max_amount": {}}
        record = self._settings(self.manager).create({})
        for target in (self._settings(self.manager), record):
            for changed in ([], ["company_id"]):
                with self.subTest(record=bool(target), changed=changed):
                    with self.assertRaises(AccessError):
                        target.onchange({"company_id": self.other_company.id}, changed, spec)
        # His own company, as the screen sends it, still works.
        result = self._settings(self.manager).onchange({"company_id": self.company.id}, ["company_id"], spec)
        self.assertEqual(result["value"]["billing_aging_buckets"], "30,60,90,120")

    def test_settings_saved_under_another_allowed_company_are_refused(self):
        """A record opened under one company cannot be written or saved under another the manager also works in."""
        self.manager.write({"company_ids": [Command.link(self.other_company.id)]})
        record = self._settings(self.manager).create({"billing_aging_buckets": "10,20"})
        switched = record.with_context(allowed_company_ids=[self.other_company.id, self.company.id])
        with self.assertRaises(AccessError):
            switched.write({"billing_aging_buckets": "11,22"})
        with self.assertRaises(AccessError):
            switched.execute()
        self.assertEqual(self.other_company.billing_aging_buckets, "30,60,90,120")
        self.assertEqual(self.company.billing_aging_buckets, "10,20")

    def test_another_companys_manager_changes_only_his_company(self):
        other_manager = self.manager.copy(
            {
                "login": "bs_manager_other_co",
                "company_id": self.other_company.id,
                "company_ids": [Command.set(self.other_company.ids)],
            }
        )
        mine = self._settings(self.manager).create({"billing_aging_buckets": "10,20"})
        Theirs = self._settings(other_manager).with_context(allowed_company_ids=self.other_company.ids)
        theirs = Theirs.create({"billing_aging_buckets": "7,14"})
        self.assertEqual(self.other_company.billing_aging_buckets, "7,14")
        for call in (
            lambda: mine.with_user(other_manager).write({"billing_aging_buckets": "1,2"}),
            lambda: mine.with_user(other_manager).execute(),
            lambda: mine.with_user(other_manager).read(["billing_aging_buckets"]),
            lambda: Theirs.create({"company_id": self.company.id, "billing_aging_buckets": "1,2"}),
            lambda: self._settings(other_manager).with_context(allowed_company_ids=self.company.ids).create({}),
        ):
            with self.assertRaises(AccessError):
                call()
        theirs.execute()
        self.assertEqual(self.company.billing_aging_buckets, "10,20")

    def test_another_managers_settings_cannot_be_saved(self):
        record = self._settings(self.manager).create({"billing_aging_buckets": "10,20"})
        other_manager = self.manager.copy({"login": "bs_manager_2", "name": "Max Manager"})
        with self.assertRaises(AccessError):
            record.with_user(other_manager).execute()
        with self.assertRaises(AccessError):
            record.with_user(other_manager).write({"billing_aging_buckets": "1,2"})
        self.assertEqual(self.company.billing_aging_buckets, "10,20")

    # ------------------------------------------------------------------ the company's checks apply

    def test_bad_values_are_refused_and_nothing_written(self):
        Settings = self._settings(self.manager)
        with self.assertRaisesRegex(ValidationError, "Aging buckets"), self.env.cr.savepoint():
            Settings.create({"billing_aging_buckets": "thirty"})
        self.company.invalidate_recordset()
        self.assertEqual(self.company.billing_aging_buckets, "30,60,90,120")
        with self.assertRaises(UserError), self.env.cr.savepoint():
            Settings.create({"billing_writeoff_account_id": self.other_company_data["default_account_expense"].id})
        self.company.invalidate_recordset()
        self.assertEqual(self.company.billing_writeoff_account_id, self.writeoff_account)
        with self.assertRaisesRegex(ValidationError, "default specialist"), self.env.cr.savepoint():
            Settings.create({"billing_dispute_default_user_id": self.portal_user.id})
        self.company.invalidate_recordset()
        self.assertFalse(self.company.billing_dispute_default_user_id)
        with self.assertRaises(ValidationError), self.env.cr.savepoint():
            Settings.create({"billing_match_threshold": 0})
        refused = False
        try:  # NaN is stopped by Odoo's rounding of the amount (ValueError) before the company's constraint
            with self.env.cr.savepoint():
                Settings.create({"billing_writeoff_max_amount": float("nan")})
                self.env.flush_all()
        except (ValidationError, ValueError):
            refused = True
        self.assertTrue(refused, "a write-off limit of NaN was accepted")
        self.company.invalidate_recordset()
        self.assertEqual((self.company.billing_writeoff_max_amount, self.company.billing_match_threshold), (50.0, 90))

    def test_the_manager_renames_the_aliases_within_the_alias_rules(self):
        """A manager renames the company's billing alias; the name of another alias (the remittance one) is refused."""
        dispute_alias, remittance_alias = (
            self.company.billing_dispute_alias_id,
            self.company.billing_remittance_alias_id,
        )
        Settings = self._settings(self.manager)
        with self.assertRaises(UserError), self.env.cr.savepoint():
            Settings.create({"billing_dispute_alias_name": remittance_alias.alias_name})
        self.assertNotEqual(dispute_alias.alias_name, remittance_alias.alias_name)
        Settings.create({"billing_dispute_alias_name": "claims"}).execute()
        self.assertEqual(dispute_alias.alias_name, "claims")
        with self.assertRaises(AccessError):
            Settings.create({"billing_dispute_alias_id": remittance_alias.id})
        self.assertEqual(self.company.billing_dispute_alias_id, dispute_alias)

    # ------------------------------------------------------------------ one list, one screen

    def test_every_company_setting_is_on_the_screen_once_with_its_label_and_help(self):
        company_fields = {name for name in self.env["res.company"]._fields if name.startswith("billing_")}
        Settings = self.env["res.config.settings"]
        settings = Settings._billing_setting_fields()
        shown = {Settings._fields[name].related.split(".")[1] for name in settings}
        self.assertEqual(shown, company_fields, "every billing field of the company is a setting")
        arch = etree.fromstring(Settings.get_view(view_type="form")["arch"])
        app = arch.xpath(f"//app[@name='{APP}']")[0]
        names = [node.get("name") for node in app.xpath(".//field[@name!='company_id']")]
        self.assertEqual(sorted(names), sorted(settings), "each once")
        for setting in app.xpath(".//setting"):
            self.assertIsNone(setting.get("string"), "the label is the field's")
            field = setting.xpath("./field")[0].get("name")
            self.assertTrue(setting.get("help"), f"{field} has a help")
            self.assertEqual(setting.get("help"), Settings._fields[field]._description_help(self.env))
        for name in settings:
            company_field = self.env["res.company"]._fields[Settings._fields[name].related.split(".")[1]]
            if "." in Settings._fields[name].related.removeprefix("company_id."):
                continue  # the alias names: fields of the alias, labelled here
            self.assertEqual(Settings._fields[name].string, company_field.string, name)
            self.assertEqual(Settings._fields[name].help, company_field.help, name)

    def test_the_screen_offers_the_accounts_and_journals_the_company_field_allows(self):
        """A related field does not inherit its company field's domain (a string): the screen repeats it, or the
        write-off journal offers sales and bank journals and the account any account (the walk of issue 22)."""
        Settings = self.env["res.config.settings"]
        arch = etree.fromstring(Settings.get_view(view_type="form")["arch"])
        company_fields = self.env["res.company"]._fields
        for name, model, wrong in (
            ("billing_writeoff_journal_id", "account.journal", [("type", "=", "sale")]),
            ("billing_writeoff_account_id", "account.account", [("account_type", "=", "asset_receivable")]),
        ):
            with self.subTest(field=name):
                node = arch.xpath(f"//app[@name='{APP}']//field[@name='{name}']")[0]
                company = self.env[model]._check_company_domain(self.company)
                self.assertEqual(node.get("domain"), company_fields[name].domain, "the company field's domain")
                offered = self.env[model].search(safe_eval(node.get("domain")) + company)
                self.assertTrue(offered)
                refused = self.env[model].search(wrong + company, limit=1)
                self.assertTrue(refused, "the company has such a record to refuse")
                self.assertNotIn(refused, offered)

    def test_the_billing_menu_opens_the_billing_block_for_managers(self):
        menu = self.env.ref("billing_specialist.billing_settings_menu")
        self.assertEqual(menu.action, self.env.ref("billing_specialist.res_config_settings_action"))
        self.assertEqual(menu.action.context, "{'module': 'billing_specialist', 'bin_size': False}")
        visible = self.env["ir.ui.menu"].with_user(self.manager)._visible_menu_ids()
        self.assertIn(menu.id, visible)
        self.assertNotIn(menu.id, self.env["ir.ui.menu"].with_user(self.specialist)._visible_menu_ids())


@tagged("post_install", "-at_install")
class TestBillingCapabilities(BillingDisputeCommon):
    """A company switches off what it does not use (Settings > Billing): the menus and scheduled actions go."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_company = cls.setup_other_company(name="Capability Co")["company"]

    def _visible(self, xmlid, user=None):
        """The user reaches the menu from the Billing menu: it and each of its parents are visible to him."""
        menu = self.env.ref(f"billing_specialist.{xmlid}")
        visible = self.env["ir.ui.menu"].with_user(user or self.specialist)._visible_menu_ids()
        path = [int(menu_id) for menu_id in menu.parent_path.strip("/").split("/")]
        return all(menu_id in visible for menu_id in path)

    def _switch(self, capability, value, companies=None):
        for company in companies or self.env["res.company"].search([]):
            for fname in CAPABILITIES[capability][0][-1:]:
                company[fname] = value

    def test_everything_is_on_by_default(self):
        for capability, (fnames, group) in CAPABILITIES.items():
            for fname in fnames:
                self.assertTrue(self.company[fname])
            self.assertIn(self.env.ref(group), self.env.ref("billing_specialist.group_billing_user").implied_ids)
            self.assertTrue(self.specialist.has_group(group), capability)
        for xmlid in ("billing_payment_matching_menu", "billing_collections_menu", "billing_invoicing_menu"):
            self.assertTrue(self._visible(xmlid))

    def test_a_capability_switched_off_everywhere_takes_its_menus(self):
        menus = {
            "matching": ["billing_payment_matching_menu", "billing_payment_match_menu"],
            "remittances": ["billing_remittance_menu", "billing_remittance_format_menu"],
            "collections": ["billing_collections_menu", "billing_followup_level_menu", "billing_promise_menu"],
            "invoicing": ["billing_invoicing_menu", "billing_invoice_check_menu", "billing_invoice_check_result_menu"],
        }
        for capability, xmlids in menus.items():
            with self.subTest(capability=capability):
                self._switch(capability, False, self.company)
                self.assertTrue(all(self._visible(xmlid, self.manager) for xmlid in xmlids), "another company uses it")
                self._switch(capability, False)
                self.assertFalse(any(self._visible(xmlid, self.manager) for xmlid in xmlids))
                self.assertFalse(self.specialist.has_group(CAPABILITIES[capability][1]))
                self.assertTrue(self._visible("billing_dispute_menu"), "disputes stay")
                self._switch(capability, True)
                self.assertTrue(all(self._visible(xmlid, self.manager) for xmlid in xmlids))
        # A new billing user gets the menus of what is in use.
        newcomer = new_test_user(
            self.env, login="bs_newcomer", groups="base.group_user,billing_specialist.group_billing_user"
        )
        self.assertTrue(self._visible("billing_collections_menu", newcomer))

    def test_a_manager_switches_a_capability_off_in_the_settings(self):
        (self.env["res.company"].search([]) - self.company).billing_use_collections = False
        settings = self.env["res.config.settings"].with_user(self.manager).create({"billing_use_collections": False})
        settings.execute()
        self.assertFalse(self.company.billing_use_collections)
        self.assertFalse(self._visible("billing_collections_menu", self.manager))

    def test_automatic_matching_skips_a_company_without_matching(self):
        invoice = self._invoice(1200.0)
        self._payment(1200.0, memo=invoice.name)
        self.company.write({"billing_match_auto": True, "billing_use_matching": False})
        Run = self.env["billing.match.run"]
        Run._cron_run()
        self.assertFalse(Run.search([("company_id", "=", self.company.id)]))
        self.company.billing_use_matching = True
        Run._cron_run()
        self.assertTrue(Run.search([("company_id", "=", self.company.id)]), "the same run with matching on")

    def test_the_follow_up_run_skips_a_company_without_collections(self):
        Run = self.env["billing.followup.run"]
        scheduled = [("company_id", "=", self.company.id), ("mode", "=", "scheduled")]
        self.company.billing_use_collections = False
        Run._cron_run()
        self.assertFalse(Run.search(scheduled))
        self.company.billing_use_collections = True
        Run._cron_run()
        self.assertTrue(Run.search(scheduled))

    def test_checks_do_not_block_a_company_without_invoicing(self):
        self.env["billing.invoice.check"].search(
            [("company_id", "=", self.company.id), ("code", "=", "po_required")]
        ).mode = "block"
        self.customer.billing_po_required = True
        self.company.billing_use_invoicing = False
        draft = self._invoice(100.0, post=False)
        draft.action_post()
        self.assertEqual(draft.state, "posted")
        self.company.billing_use_invoicing = True
        blocked = self._invoice(100.0, post=False)
        with self.assertRaises(UserError):
            blocked.action_post()

    def test_daily_billing_run_skips_a_company_without_invoicing(self):
        due = self._invoice(100.0, post=False)
        Run = self.env["billing.invoice.run"]
        self.company.billing_use_invoicing = False
        Run._cron_due_today()
        self.assertFalse(Run.search([("line_ids.move_id", "=", due.id)]))
        self.company.billing_use_invoicing = True
        Run._cron_due_today()
        self.assertTrue(Run.search([("line_ids.move_id", "=", due.id)]))


@tagged("post_install", "-at_install")
class TestBillingSettingsOverJsonRpc(JsonRpcCallMixin, BillingDisputeCommon, HttpCase):
    """The attacks on the manager's settings as his own session sends them to a real server."""

    def test_own_defaults_and_another_companys_values_over_json_rpc(self):
        Settings = self.env["res.config.settings"]
        company_field = next(
            name
            for name, field in Settings._fields.items()
            if (field.related or "").startswith("company_id.")
            and not field.related.startswith("company_id.billing_")
            and not field.readonly
            and field.type == "boolean"
        )
        target = Settings._fields[company_field].related.split(".")[1]
        before = self.company[target]
        other = self.setup_other_company()["company"]
        other.billing_aging_buckets = "7,77,777"
        self.authenticate(self.manager.login, self.manager.login)
        # His own default of another app's field of the company, then a save of the billing block.
        self._call("ir.default", "set", ["res.config.settings", company_field, not before, True])
        spec = {"billing_aging_buckets": {}}
        self._call("res.config.settings", "web_save", [[], {"billing_aging_buckets": "15,45"}], {"specification": spec})
        self.company.invalidate_recordset()
        self.assertEqual((self.company.billing_aging_buckets, self.company[target]), ("15,45", before))
        # Another company's settings through the screen's onchange.
        with self.assertRaisesRegex(JsonRpcException, "AccessError"):
            self._call("res.config.settings", "onchange", [[], {"company_id": other.id}, ["company_id"], spec])
