import inspect

from odoo.exceptions import AccessError
from odoo.tests import tagged

from ..models import billing_run_chunk
from .common import BillingDisputeCommon

RUN_MIXIN = "billing.run.chunked.mixin"


def _parents(cls):
    inherit = vars(cls).get("_inherit") or ()
    return [inherit] if isinstance(inherit, str) else list(inherit)


@tagged("post_install", "-at_install")
class TestGenericRunSeams(BillingDisputeCommon):
    """The chunk model serves any run without knowing one; runs share a neutral history, not matching's."""

    def _run_types(self):
        names = self.env.registry.descendants([RUN_MIXIN], "_inherit") - {RUN_MIXIN}
        return [self.env[name] for name in sorted(names)]

    def _parents(self, model):
        return {getattr(cls, "_name", None) for cls in type(self.env[model]).__mro__}

    def test_chunk_model_names_no_run_type(self):
        source = inspect.getsource(billing_run_chunk)
        runs = self._run_types()
        self.assertEqual(
            {run._name for run in runs}, {"billing.match.run", "billing.followup.run", "billing.invoice.run"}
        )
        for run in runs:
            inverse = run._fields["chunk_ids"].inverse_name
            self.assertNotIn(run._name, source)
            self.assertNotIn(inverse, source)
            # The Many2one is declared next to the run type, in its own file.
            declared_in = {
                cls.__module__
                for cls in type(self.env["billing.run.chunk"]).__mro__
                if inverse in vars(cls) and cls.__module__.startswith("odoo.addons.")
            }
            run_module = {  # the file that declares the run type (its extensions, e.g. its demo, inherit it)
                cls.__module__
                for cls in type(run).__mro__
                if vars(cls).get("_name") == run._name
                and run._name not in _parents(cls)
                and cls.__module__.startswith("odoo.addons.")
            }
            self.assertEqual(declared_in, run_module, run._name)

    def test_each_run_type_ties_its_chunks_through_its_hook(self):
        partner = self.env["res.partner"].create({"name": "Seam Customer"})
        for run in self._run_types():
            record = run.sudo().create({"company_id": self.env.company.id})
            self.assertEqual(record._billing_chunk_link(), {run._fields["chunk_ids"].inverse_name: record.id})
            chunks = self.env["billing.run.chunk"]._billing_plan(record, {partner.id: [partner]}, [], 5)
            self.assertEqual(record.chunk_ids, chunks, run._name)
            self.assertEqual(chunks._billing_run(), record)

    def test_followup_history_does_not_inherit_matching_history(self):
        for model in ("billing.followup.run", "billing.followup.line", "billing.run.chunk", "billing.invoice.run"):
            self.assertNotIn("billing.match.history", self._parents(model), model)
        for model in (
            "billing.followup.run",
            "billing.followup.line",
            "billing.run.chunk",
            "billing.match.run",
            "billing.match.run.line",
            "billing.match.run.allocation",
        ):
            self.assertIn("billing.history.mixin", self._parents(model), model)

    def test_history_is_written_by_its_run_only(self):
        """A specialist (who may read runs) writes no run, line or chunk himself; the refusal names the writer."""
        writers = {
            "billing.followup.run": "follow-up run",
            "billing.match.run": "matching run",
            "billing.run.chunk": "its run",
        }
        for model, writer in writers.items():
            with self.assertRaisesRegex(AccessError, writer):
                self.env[model].with_user(self.specialist).create({"company_id": self.env.company.id})
