from dataclasses import dataclass

from odoo import api, models
from odoo.exceptions import AccessError

# The context key under which a model's own create or write lets through the protected fields it adds itself (the
# dispute's closing date, a promise's count of moves). Its value is an ``_Allowed``: JSON cannot build one, so no
# client can pass for the model's own code by sending the key.
ALLOWED_KEY = "billing_protected_allowed"


@dataclass(frozen=True)
class _Allowed:
    model: str
    fnames: frozenset


class BillingProtectedMixin(models.AbstractModel):
    """Fields the application alone sets (audit and computed figures, a run's state): a client may not give them.

    A model declares them and the mixin does the rest:

    - ``_protected_create``: refused in ``create``;
    - ``_protected_write``: refused in ``write``;
    - ``_protected_defaults``: the fields whose client defaults ``default_get`` ignores (``default_<field>`` keys,
      a user's own ``ir.default``; the create set when None).

    A model whose set depends on the records or the user overrides ``_protected_fields``; one with its own message
    overrides ``_protected_error``; one whose code may set them outside superuser overrides ``_protected_bypass``.
    The superuser is never refused. The check runs where the mixin's ``create`` and ``write`` sit in the chain,
    after the model's own checks; a model that adds protected values itself passes them with ``_protected_allow``.
    """

    _name = "billing.protected.mixin"
    _description = "Fields Set by the Application"

    _protected_create = frozenset()
    _protected_write = frozenset()
    _protected_defaults = None

    def _protected_fields(self, operation):
        """The protected field names for ``operation``: "create", "write" or "default"."""
        if operation == "write":
            return self._protected_write
        if operation == "default" and self._protected_defaults is not None:
            return self._protected_defaults
        return self._protected_create

    def _protected_bypass(self):
        """Whether this environment may give protected values to create and write (``default_get``: superuser only)."""
        return self.env.su

    def _protected_error(self, fnames):
        """The error refusing a client's values for ``fnames`` (sorted)."""
        return AccessError(
            self.env._(
                "%(fields)s (%(model)s) are set by the application and cannot be written.",
                fields=", ".join(self._fields[fname].string for fname in fnames),
                model=self._description,
            )
        )

    def _protected_allow(self, fnames):
        """These records, whose next create or write may carry ``fnames`` (the model's own values, not a client's)."""
        return self.with_context(**{ALLOWED_KEY: _Allowed(self._name, frozenset(fnames))})

    def _protected_refuse(self, vals_list, operation):
        if self._protected_bypass():
            return
        protected = self._protected_fields(operation)
        allowed = self.env.context.get(ALLOWED_KEY)
        if isinstance(allowed, _Allowed) and allowed.model == self._name:
            protected = protected - allowed.fnames
        for vals in vals_list:
            forbidden = sorted(protected.intersection(vals))
            if forbidden:
                raise self._protected_error(forbidden)

    @api.model
    def default_get(self, fields_list):
        """Ignore a client's defaults for protected fields: its ``default_<field>`` context keys and its own
        defaults (``ir.default``, which any internal user may set for himself, and which apply too when the
        application creates a record as superuser on his behalf): the ORM fills the values missing from ``create``
        with them after the check. Such a field gets its declared default instead. The superuser's context keys are
        the application's own and are kept (Odoo drops every ``default_*`` key of a client when code goes superuser)."""
        protected = self._protected_fields("default")
        model = self
        if not self.env.su:
            keys = {f"default_{fname}" for fname in protected}
            if not keys.isdisjoint(self.env.context):
                # a new context: with_context(**) would keep the keys
                context = {key: value for key, value in self.env.context.items() if key not in keys}
                model = self.with_env(self.env(context=context))
        defaults = super(BillingProtectedMixin, model).default_get(fields_list)
        users = protected.intersection(defaults, self.env["ir.default"]._get_model_defaults(self._name))
        for fname in users - {fname for fname in users if f"default_{fname}" in model.env.context}:
            field = self._fields[fname]
            if field.default:  # converted as Odoo's default_get does
                value = field.convert_to_cache(field.default(model), model, validate=False)
                defaults[fname] = field.convert_to_write(value, model)
            else:
                del defaults[fname]
        return defaults

    @api.model_create_multi
    def create(self, vals_list):
        self._protected_refuse(vals_list, "create")
        return super().create(vals_list)

    def write(self, vals):
        self._protected_refuse([vals], "write")
        return super().write(vals)


class IrDefault(models.Model):
    """A user's own defaults (any internal user may store them for himself, over JSON-RPC too) never name a field the
    application sets: a protected field, or a read-only field of a billing model. The application creates runs, lines
    and accounts as superuser on the user's behalf, and the ORM would give them his defaults (a matching run of
    another user, of another day). Administrators set defaults as before."""

    _inherit = "ir.default"

    @api.model_create_multi
    def create(self, vals_list):
        self._billing_check_fields([vals.get("field_id") for vals in vals_list])
        return super().create(vals_list)

    def write(self, vals):
        if "field_id" in vals:
            self._billing_check_fields([vals["field_id"]])
        return super().write(vals)

    @api.model
    def _billing_check_fields(self, field_ids):
        if self.env.su or self.env.user.has_group("base.group_system"):
            return
        for field in self.env["ir.model.fields"].sudo().browse([fid for fid in field_ids if fid]):
            model = self.env.get(field.model)
            if model is None or field.name not in model._fields:
                continue
            protected = isinstance(model, self.pool["billing.protected.mixin"]) and field.name in (
                model._protected_fields("create") | model._protected_fields("write")
            )
            if protected or (field.model.startswith("billing.") and model._fields[field.name].readonly):
                raise AccessError(
                    self.env._(
                        "%(field)s (%(model)s) is set by the application: it takes no default of yours.",
                        field=field.field_description,
                        model=model._description,
                    )
                )
