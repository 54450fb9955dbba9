import dataclasses

from odoo.tools import SQL, float_is_zero
from odoo.tools.misc import format_date, formatLang
from odoo.tools.translate import LazyTranslate

from ..matching import ClosedNumbers, LearningMatcher, MatchPolicy, OpenItem
from ..matching.engine import normalize, number_keys
from .billing_matcher_inputs import closed_invoice_numbers

_lt = LazyTranslate(__name__)


class BillingMatcher:
    """The engine indexed on one company's open invoices and credit notes, one index per currency."""

    def __init__(self, env, company, hints=None, known=None):
        """:param hints: None for the whole ledger; else a chunk's index (``chunk_hints``): its customers' open
        items, the other customers' items its memos name or nearly name, the settled numbers and bank accounts
        they name. The proposals for the chunk's sources are then those of the whole ledger's index.
        :param known: for the whole ledger, customers known besides those with open items: a "no customer" chunk's
            hints, the names ([[customer id, name]]) and bank accounts planning found in its lines, of customers
            whose items other chunks may have settled since."""
        self.env = env
        self.company = company
        self._ambiguous = {}  # a chunk's: {currency: candidates one typo away from several items of the ledger}
        for currency_id, candidate in (hints or {}).get("ambiguous", []):
            self._ambiguous.setdefault(currency_id, set()).add(candidate)
        domain = [
            ("company_id", "=", company.id),
            ("state", "=", "posted"),
            ("move_type", "in", ("out_invoice", "out_refund")),
            ("payment_state", "in", ("not_paid", "partial")),
        ]
        if hints is not None:
            domain += ["|", ("commercial_partner_id", "in", hints["partners"]), ("id", "in", hints["foreign"])]
        by_currency, moves, partners = self._open_items(domain)
        names = {partner.id: partner.name for partner in partners if partner.name}
        names.update((partner_id, name) for partner_id, name in (hints or known or {}).get("names", []))
        if hints is None:
            banks = env["res.partner.bank"].search_fetch(
                [("partner_id", "child_of", partners.ids)], ["acc_number", "partner_id"]
            )
            accounts = {
                **(known or {}).get("accounts", {}),
                **{bank.acc_number: bank.partner_id.commercial_partner_id.id for bank in banks},
            }
            closed = closed_invoice_numbers(env, company)  # a memo naming a paid invoice is held (duplicate payment)
        else:
            accounts, closed = dict(hints["accounts"]), self._hinted_closed(hints, moves)
        self._items = None  # open items by id, read on first use
        self.extras = {}  # what the hooks for extra proposals read once per matcher (``_billing_extra_proposals``)
        self._sources = {}  # {(model, id): Source} read together by ``read_sources``
        habits = env["billing.match.habit"]._engine_habits(company)  # what confirmed matches taught
        self._fee_rules = env["billing.match.fee.rule"]._engine_rules(company)  # bank charges written off by rule
        # Customers known by a learned account but with nothing open: named in the reasons, not searched by name.
        labelled = set(habits.by_partner) | set(accounts.values() if hints is not None or known else ())  # a chunk's
        self._labels = {p.id: p.name for p in env["res.partner"].browse(labelled) if p.id not in names}
        self._options = {
            "partner_names": names,
            "account_partners": accounts,
            "closed_numbers": closed,
            "habits": habits,
        }
        self.matchers = {currency_id: self._matcher(currency_id, items) for currency_id, items in by_currency.items()}

    def _open_items(self, domain):
        """The open items of the ``account.move`` domain (the user's rules apply), {currency id: [OpenItem]}, and
        their moves and customers. Read in one query, as rows: 200,000 invoices read as records cost more than indexing them."""
        Move = self.env["account.move"]
        fnames = [
            "name",
            "ref",
            "payment_reference",
            "commercial_partner_id",
            "amount_residual",
            "invoice_date_due",
            "invoice_date",
            "currency_id",
            "move_type",
            "billing_disputed_amount",
            "reversed_entry_id",
        ]
        Move.flush_model(fnames)
        query = Move._search(domain, order=Move._order)
        rows = self.env.execute_query(
            query.select(
                SQL.identifier(Move._table, "id"), *(Move._field_to_sql(Move._table, fname, query) for fname in fnames)
            )
        )
        roundings = {
            currency.id: currency.rounding for currency in self.env["res.currency"].browse({row[8] for row in rows})
        }
        by_currency, ids, partner_ids = {}, [], set()
        for (
            move_id,
            name,
            ref,
            reference,
            partner_id,
            residual,
            due,
            invoiced,
            currency_id,
            move_type,
            disputed,
            reverses,
        ) in rows:
            ids.append(move_id)
            partner_ids.add(partner_id)
            if float_is_zero(residual or 0.0, precision_rounding=roundings[currency_id]):  # currency.is_zero
                continue
            by_currency.setdefault(currency_id, []).append(
                OpenItem(
                    id=move_id,
                    partner_id=partner_id or None,
                    number=name,
                    amount=(-1 if move_type == "out_refund" else 1) * residual,
                    due=due or invoiced,
                    refs=tuple(r for r in (ref, reference) if r and r != name),
                    disputed=disputed or 0.0,
                    invoice_date=invoiced or None,
                    reverses=reverses or None,
                )
            )
        return by_currency, Move.browse(ids), self.env["res.partner"].browse(partner_ids - {None})

    def _hinted_closed(self, hints, moves):
        """The settled numbers a chunk's memos name, and the named items of other customers settled since."""
        closed = ClosedNumbers(amounts=hints.get("closed_amounts"))
        closed.by_key.update(hints["closed"])
        settled = self.env["account.move"].browse(hints["foreign"]) - moves
        for name in settled.exists().filtered(lambda move: move.payment_state in ("paid", "in_payment")).mapped("name"):
            for key in number_keys(name):
                known = closed.by_key.get(key, name)
                closed.by_key[key] = name if known == name else None
        return closed

    def read_sources(self, records, reuse=False):
        """Read the payments and bank lines about to be proposed for together (a few queries, not a few each):
        ``propose`` uses what is read here. Call it right before proposing them, as it is not read again.

        :param reuse: keep what the last call read when it holds every one of ``records`` (read moments ago in
            the same transaction: a chunk reads its sources to leave out those with nothing left, then proposes).
        :return: {(model, id): Source}
        """
        if reuse and self._sources and all((record._name, record.id) in self._sources for record in records):
            return self._sources
        self._sources = {}
        for model in {record._name for record in records}:
            ids = [record.id for record in records if record._name == model]
            read = self.env[model].browse(ids)._billing_sources_read()
            self._sources.update(((model, source_id), source) for source_id, source in read.items())
        return self._sources

    def _source(self, record):
        return self._sources.get((record._name, record.id)) or record._billing_source()

    def chunk_hints(self, records, partner_ids):
        """What a matcher restricted to ``partner_ids`` needs to propose for ``records`` (their sources) as this
        whole-ledger matcher does: the items of other customers that a memo (or the customers' remittance advices)
        names exactly or is the only one typo away from, the candidates one typo away from several items, the
        settled numbers and the bank accounts they name (JSON-ready). ``partner_ids`` None: a "no customer"
        chunk's, the customers its lines name and the bank accounts they show only."""
        sources = list(self.read_sources(records).values())
        any_matcher = next(iter(self.matchers.values()), None) or self._matcher(self.company.currency_id.id, [])
        # A bank line naming no customer (planned with the customer it pays, see ``planned_customer``) is searched
        # by its payer's name and memo among every customer's name: those the ledger's index finds there.
        named_partners = set()
        for source in sources:
            if not source.partner_id:
                named_partners |= any_matcher._named_partners(
                    normalize(f"{source.payer_name or ''} {source.memo or ''}")
                )
        names = sorted([pid, any_matcher.partner_labels[pid]] for pid in named_partners)
        wanted = {normalize(source.account_number or "") for source in sources} - {""}
        accounts = {acc: pid for acc, pid in self._options["account_partners"].items() if normalize(acc) in wanted}
        if partner_ids is None:  # a "no customer" chunk: the whole ledger, the customers named as at planning too
            return {"names": names, "accounts": accounts}
        own = set(partner_ids)
        # The memos, and what other capabilities know the chunk's customers name (their remittance advices' lines).
        texts = [source.memo for source in sources]
        texts += self.env["billing.payment.source"]._billing_hint_texts(self, own)
        candidates = {candidate for text in texts for candidate in any_matcher._candidates(text)}
        named, ambiguous = set(), []
        for currency_id, matcher in self.matchers.items():
            for candidate in candidates:
                named |= matcher.exact_ids(candidate)
                if len(candidate) >= 6 and any(ch.isdigit() for ch in candidate):
                    fuzzy = matcher.typo_neighbours(candidate, most=1)
                    # Numbers are dense: a number has hundreds of others one typo away. Only its only one is kept; a
                    # candidate with several is named instead (the engine takes no typo hit from it either way).
                    if len(fuzzy) == 1:
                        named |= fuzzy
                    elif fuzzy:
                        ambiguous.append([currency_id, candidate])
        closed = self._options["closed_numbers"].by_key
        named_closed = {closed[candidate] for candidate in candidates if closed.get(candidate)}
        amounts = self._options["closed_numbers"].amounts
        return {
            "closed_amounts": {number: list(amounts[number]) for number in named_closed if number in amounts},
            "partners": sorted(own),
            "foreign": sorted(i for i in named if self._ledger_items()[i].partner_id not in own),
            "ambiguous": sorted(ambiguous),
            "closed": {candidate: closed[candidate] for candidate in candidates if candidate in closed},
            "accounts": accounts,
            "names": names,
        }

    def planned_customer(self, record, threshold):
        """The customer a payment or bank line naming none is applied for, when this whole-ledger index says so
        surely: its best proposal is applied automatically (no conflict, at or above ``threshold``) and settles
        items of that one customer only. Planning puts it in that customer's chunk (see
        ``billing.match.run._plan_chunks``); None leaves it to the chunks that index the whole ledger.
        Call ``read_sources`` for the records first."""
        proposals = self.propose(record)
        best = proposals[0] if proposals else None
        if best is None or not best.applies(threshold) or not best.partner_id:
            return None
        items = self._ledger_items()
        if any(items[allocation.item_id].partner_id != best.partner_id for allocation in best.allocations):
            return None
        return best.partner_id

    def _ledger_items(self):
        """Every open item indexed, by id (all currencies)."""
        if self._items is None:
            self._items = {i: item for matcher in self.matchers.values() for i, item in matcher.items.items()}
        return self._items

    def _matcher(self, currency_id, items):
        """The engine on ``items`` (open in that currency), its reasons in the currency's and the user's format."""
        currency = self.env["res.currency"].browse(currency_id)
        policy = MatchPolicy(
            tolerance_amount=self.company.billing_match_tolerance_amount,
            tolerance_percent=self.company.billing_match_tolerance_percent,
            rounding=currency.rounding,
            format_amount=lambda value: formatLang(self.env, value, digits=currency.decimal_places),
            format_count=lambda value: formatLang(self.env, value, digits=0),
            fee_rules=self._fee_rules and self._fee_rules.in_currency(self._to_company(currency)),
        )
        matcher = LearningMatcher(
            items,
            policy=policy,
            fuzzy_ambiguous=self._ambiguous.get(currency_id),
            **self._options,
        )
        for partner_id, name in self._labels.items():
            matcher.partner_labels.setdefault(partner_id, name)
        return matcher

    def _to_company(self, currency):
        """Amounts of ``currency`` in the company's, at the rate of a date (None: the company's own currency)."""
        company = self.company
        if currency == company.currency_id:
            return None
        return lambda amount, day: currency._convert(amount, company.currency_id, company, day)

    def engine_for(self, currency):
        """The engine on the open items in ``currency`` (an empty one when there are none)."""
        return self.matchers.get(currency.id) or self._matcher(currency.id, [])

    def source_of(self, record):
        """The engine's view of a payment or bank line (``matching.Source``): as ``read_sources`` read it, else read."""
        return self._source(record)

    def explain_no_proposal(self, record):
        """Why ``propose(record)`` gave nothing, as a lazy reason (render it with ``env._``)."""
        matcher = self.engine_for(record._billing_currency())
        source = self._source(record)
        if source.partner_id:  # a customer with nothing open is named too
            matcher.partner_labels.setdefault(source.partner_id, record.partner_id.commercial_partner_id.name)
        return matcher.explain_no_proposal(source)

    def propose(self, record):
        """Proposals for a payment or bank line, best first.

        Open items in the source's own currency come first. When they give nothing at or above the company's
        threshold, the items in the company's other currencies are searched too, with the source's amount converted
        at the company's rate of its date (the rate the reconciliation uses): such proposals are 5 points less sure
        and say which conversion they rely on. Their allocations are in the items' currency.
        """
        source = self._source(record)
        currency = record._billing_currency()
        threshold = self.company.billing_match_threshold
        extra = record._billing_extra_proposals(self)  # a remittance advice's, see ``billing.payment.source``
        decisive = [proposal for proposal in extra if proposal.conflict or proposal.confidence >= threshold]
        if decisive:
            return decisive[:1]  # the customer's own breakdown decides, or holds for a person
        matcher = self.matchers.get(currency.id)
        proposals = matcher.propose(source) if matcher else []
        if extra:
            proposals = sorted([*extra, *proposals], key=lambda proposal: -proposal.confidence)
        if proposals and (proposals[0].conflict or proposals[0].confidence >= self.company.billing_match_threshold):
            return proposals  # conflicting evidence is for a person to settle, not for another currency
        for currency_id, other in self.matchers.items():
            if currency_id == currency.id:
                continue
            target = self.env["res.currency"].browse(currency_id)
            converted = currency._convert(source.amount, target, self.company, record.date)
            found = other.propose(dataclasses.replace(source, amount=converted))
            if not found:
                continue
            reasons = [
                _lt(
                    "paid in %(paid)s, invoiced in %(invoiced)s: %(amount)s = %(converted)s at the rate of %(date)s",
                    paid=currency.name,
                    invoiced=target.name,
                    amount=formatLang(self.env, source.amount, currency_obj=currency),
                    converted=formatLang(self.env, converted, currency_obj=target),
                    date=format_date(self.env, record.date),
                )
            ]
            # Rounding the payment to its own cents leaves up to this much in the invoices' currency: an amount that
            # much above the items proposed is taken as theirs, not as an overpayment. (Below them, the invoice would
            # stay open by a cent: that is the tolerance write-off's job.)
            noise = currency._convert(currency.rounding, target, self.company, record.date, round=False) / 2
            items = target.round(sum(other.items[a.item_id].amount for a in found[0].allocations))
            if 0 < target.round(converted - items) <= noise + target.rounding / 2:
                found = other.propose(dataclasses.replace(source, amount=items))
                reasons.append(
                    _lt(
                        "%(items)s owed: the difference is the conversion's rounding",
                        items=formatLang(self.env, items, currency_obj=target),
                    )
                )
            for proposal in found:
                proposal.confidence = max(proposal.confidence - 5, 0)
                proposal.reasons += reasons
                proposals.append(proposal)
        return sorted(proposals, key=lambda proposal: -proposal.confidence)
