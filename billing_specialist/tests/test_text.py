"""The one normalisation of compared text (issue 21, class 2), without a database."""

import re
import unicodedata
from datetime import date
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from odoo.tests import BaseCase, tagged

from odoo.addons.billing_specialist.matching import Habit, Habits, LearningMatcher, OpenItem, Source
from odoo.addons.billing_specialist.matching.engine import Matcher, normalize, number_keys, number_like
from odoo.addons.billing_specialist.matching.text import clean, fold, has_key, key_parts, lookalike_key, text_key

DUE = date(2026, 1, 31)

# Every way seen to write one reference: each must give the key of the plain form.
LOOK_ALIKES = {
    "inv202600042": [
        "INV/2026/00042",
        "inv 2026 00042",
        "INV/2026/00042\u00a0",  # trailing no-break space
        "INV/2026/00042\t",
        "\ufeffINV/2026/00042",  # byte order mark
        "INV\u200b/2026/00042",  # zero-width space
        "INV/2026/\u200c00042\u200d",  # zero-width non-joiner and joiner
        "INV\u2060/2026/00042",  # word joiner
        "INV/20\u00ad26/00042",  # soft hyphen
        "\u202eINV/2026/00042\u202c",  # bidi override
        "\u200fINV/2026/00042\u200e",  # right-to-left and left-to-right marks
        "INV\u2011 2026\u200b/00042",  # non-breaking hyphen, space, zero-width space
        "INV\u20102026\u201300042",  # hyphen, en dash
        "INV\u22122026\u201400042",  # minus sign, em dash
        "INV\ufe632026\uff0d00042",  # small and fullwidth hyphen-minus
        "ＩＮＶ／２０２６／０００４２",  # fullwidth
        "INV/\u0662\u0660\u0662\u0666/\u0660\u0660\u0660\u0664\u0662",  # Arabic-Indic digits
        "INV/\u0968\u0966\u0968\u096c/00042",  # Devanagari digits
        "I\ufe0fNV/2026/00042",  # variation selector
        "INV\u3000/2026/\u202f00042",  # ideographic and narrow no-break spaces
        "INV\u3164/2026/00042",  # Hangul filler: a letter that shows nothing
    ],
    "po1": ["PO-1", " po-1 ", "PO\u20111", "P.O. 1", "po\u00a0#1\u200b", "P\u0336O-1"],  # (strikethrough mark)
    "mullergmbh": ["Müller GmbH", "MULLER GMBH", "Mu\u0308ller GmbH", "MÜLLER\u00a0GmbH", "müller-gmbh"],
    "strasse": ["Straße", "STRASSE", "strasse", "Stra\u00dfe"],
    "ærø": ["Ærø", "ÆRØ", "ærø"],
}


@tagged("post_install", "-at_install")
class TestTextKey(BaseCase):
    def test_look_alikes_share_the_key(self):
        for key, writings in LOOK_ALIKES.items():
            for written in writings:
                self.assertEqual(text_key(written), key, repr(written))

    def test_different_texts_keep_different_keys(self):
        pairs = [
            ("Müller GmbH", "Mller GmbH"),  # an accented letter is folded, never dropped
            ("Ærø", "R"),
            ("Ærø Shipping", "R Shipping"),
            ("Σίσυφος", "Sisyfos"),  # Greek is not Latin
            ("Иван Петров", "Ivan Petrov"),
            ("Acme", "\u0410cme"),  # a Cyrillic A that looks Latin: no customer found, never the wrong one
            ("が", "か"),  # Japanese voicing marks change the word: kept
            ("कमल", "कोमल"),  # Devanagari vowel signs too
            ("Øresund", "Oresund"),  # ø has no decomposition: a letter of its own
            ("INV/2026/00042", "INV/2026/00043"),
        ]
        for first, second in pairs:
            self.assertNotEqual(text_key(first), text_key(second), (first, second))

    def test_lookalike_key_reads_look_alike_letters_as_latin(self):
        """The duplicate check's key: Cyrillic and Greek letters drawn like Latin ones are the Latin letter (a false
        flag costs a look); the matching never uses it (a wrong match is the worst outcome)."""
        for written in ("\u0420\u041e-4711", "P\u039f-4711", "\u0440\u043e 4711", "PO-4711\u200b"):
            self.assertEqual(lookalike_key(written), "po4711", repr(written))
            self.assertEqual(lookalike_key(written), lookalike_key(lookalike_key(written)))
        self.assertNotEqual(text_key("\u0420\u041e-4711"), text_key("PO-4711"), "the matching keeps them apart")
        for other in ("\u041f\u041e-4711", "PO-4712", "P0-4711"):  # П draws no Latin letter; a zero is no O
            self.assertNotEqual(lookalike_key(other), "po4711", repr(other))

    def test_nothing_to_compare(self):
        for blank in (None, "", " ", "\u200b", "\u00a0\t\n", " - ", "\u2011", "\ufeff", "\u3164", "\u2800", "#/."):
            self.assertEqual(text_key(blank), "", repr(blank))
            self.assertFalse(has_key(blank), repr(blank))
        self.assertTrue(has_key("\u200b7"))

    def test_fold_and_clean(self):
        self.assertEqual(fold(" INV\u2011 2026\u200b/00042 "), "inv-2026/00042")
        self.assertEqual(fold(" INV\u2011 2026\u200b/00042 ", spaces=True), "inv- 2026/00042")
        self.assertEqual(clean("INV\u2011\u00a0\u00a02026\u200b/00042\t"), "INV- 2026/00042", "case kept")
        self.assertEqual(clean("Müller"), "Müller", "accents kept")
        self.assertEqual(key_parts("INV/2026 00042"), ["inv", "2026", "00042"])
        self.assertEqual(key_parts("ＩＮＶ\u2011２０２６\u200b\u00a0００042"), ["inv", "2026", "00042"])

    def test_engine_keys_use_it(self):
        self.assertEqual(normalize("Müller GmbH"), "mullergmbh")
        self.assertEqual(number_keys("INV/2026/00042"), {"inv202600042", "202600042", "inv202642", "202642"})
        self.assertEqual(number_keys("ＩＮＶ/２０２６/０００４２"), number_keys("INV/2026/00042"))
        self.assertEqual(number_like("see INV\u2011 2026 and PO\u221288\u200b123"), ["PO-88123"])
        self.assertEqual(number_like("see INV\u20112026\u200b/00042"), ["INV-2026/00042"])

    def test_memo_with_invisible_characters_finds_the_invoice(self):
        items = [OpenItem(1, 1, "INV/2026/00042", 100.0, DUE), OpenItem(2, 2, "INV/2026/00043", 100.0, DUE)]
        matcher = Matcher(items, partner_names={1: "Acme Retail", 2: "Globex Stores"})
        for memo in (
            "INV\u2011 2026\u200b/00042",
            "inv\u00a02026\u00a000042",
            "ＩＮＶ２０２６００４２",
            "payment INV\u2212 2026\u2060/42",
        ):
            best = matcher.propose(Source(10, 100.0, memo, partner_id=1))[0]
            self.assertEqual([a.item_id for a in best.allocations], [1], memo)
            self.assertGreaterEqual(best.confidence, 90, memo)

    def test_accented_names_that_used_to_collide_name_their_own_customer(self):
        items = [OpenItem(1, 1, "INV/2026/00001", 700.0, DUE), OpenItem(2, 2, "INV/2026/00002", 800.0, DUE)]
        names = {1: "Müller GmbH", 2: "Mller GmbH"}
        matcher = Matcher(items, partner_names=names)
        for payer, amount, customer in (("MÜLLER GMBH", 700.0, 1), ("Mller\u00a0GmbH", 800.0, 2)):
            proposals = matcher.propose(Source(10, amount, "thanks", payer_name=payer))
            self.assertTrue(proposals, payer)
            self.assertEqual({p.partner_id for p in proposals}, {customer}, payer)

    def test_a_learned_name_does_not_speak_for_a_look_alike(self):
        """A name learned for Müller GmbH no longer names Mller GmbH (they shared 'MLLERGMBH')."""
        items = [OpenItem(1, 1, "INV/2026/00001", 700.0, DUE), OpenItem(2, 2, "INV/2026/00002", 700.0, DUE)]
        seen = date(2026, 1, 1)
        habits = Habits([Habit(1, "payer_name", normalize("Müller GmbH"), 5, seen)])
        matcher = LearningMatcher(items, habits=habits, partner_names={1: "Müller GmbH", 2: "Mller GmbH"})
        self.assertEqual(matcher._learned_payer(Source(10, 700.0, "", payer_name="Mller GmbH")), ())
        for proposal in matcher.propose(Source(10, 700.0, "", payer_name="Mller GmbH")):
            self.assertNotIn(1, [a.item_id for a in proposal.allocations], "never Müller's invoice")
        self.assertEqual(matcher._learned_payer(Source(11, 700.0, "", payer_name="MÜLLER\u200bGMBH"))[0], 1)


# Letters of one script each (no digits, no marks): a customer's name is written in one of them.
SCRIPTS = {
    "Latin": "abcdefghijklmnopqrstuvwxyzæøßđłþ",
    "Greek": "αβγδεζηθικλμνξοπρστυφχψω",
    "Cyrillic": "абвгдежзийклмнопрстуфхцчшщъыьэюяђјљњћџ",
    "Armenian": "աբգդեզէըթժիլխծկհձղճմյնշոչպջռսվտրցւփքօֆ",
    "Hebrew": "אבגדהוזחטיכלמנסעפצקרשת",
    "Arabic": "ابتثجحخدذرزسشصضطظعغفقكلمنهوي",
}


@tagged("post_install", "-at_install")
class TestTextKeyProperties(BaseCase):
    @settings(max_examples=2000, deadline=None, derandomize=True)
    @given(st.text(st.characters(codec="utf-8"), max_size=20))
    @example("ᾳ")
    @example("ΐ")
    @example("\u0345")
    @example("\u3164\ufe0fa\u0301")
    def test_fold_is_idempotent(self, text):
        self.assertEqual(fold(fold(text)), fold(text))
        self.assertEqual(fold(fold(text, spaces=True), spaces=True), fold(text, spaces=True))
        self.assertEqual(clean(clean(text)), clean(text))
        self.assertEqual(text_key(text_key(text)), text_key(text))
        self.assertEqual(text_key(fold(text)), text_key(text))
        self.assertEqual(text_key(clean(text)), text_key(text))
        self.assertEqual("".join(key_parts(text)), text_key(text))
        self.assertEqual(unicodedata.normalize("NFC", fold(text)), fold(text))

    @settings(max_examples=2000, deadline=None, derandomize=True)
    @given(
        st.sampled_from(sorted(SCRIPTS)),
        st.sampled_from(sorted(SCRIPTS)),
        st.data(),
    )
    def test_names_of_different_scripts_never_share_a_key(self, first, second, data):
        if first == second:
            return
        name_a = data.draw(st.text(st.sampled_from(SCRIPTS[first]), min_size=1, max_size=12))
        name_b = data.draw(st.text(st.sampled_from(SCRIPTS[second]), min_size=1, max_size=12))
        suffix = data.draw(st.sampled_from(["", " GmbH", " & Co", " 2"]))
        self.assertNotEqual(text_key(name_a + suffix), text_key(name_b + suffix))

    @settings(max_examples=1000, deadline=None, derandomize=True)
    @given(st.text(st.characters(codec="utf-8"), max_size=12), st.data())
    def test_invisible_characters_and_spacing_never_change_a_key(self, text, data):
        noise = st.sampled_from(
            [
                "\u200b",
                "\u200c",
                "\u200d",
                "\u2060",
                "\ufeff",
                "\u00ad",
                "\u200e",
                "\u200f",
                "\u202a",
                "\u2066",
                "\u00a0",
                "\t",
                "\u2009",
                "\u3000",
                " ",
                "\n",
            ]
        )
        at = data.draw(st.integers(0, len(text)))
        noisy = text[:at] + data.draw(noise) + text[at:]
        if (
            unicodedata.category(text[at - 1 : at] or " ")[0] == "M"
            or unicodedata.category(text[at : at + 1] or " ")[0] == "M"
        ):
            return  # a mark moved off its letter is another text
        self.assertEqual(text_key(noisy), text_key(text), repr(noisy))


@tagged("post_install", "-at_install")
class TestOneNormalisation(BaseCase):
    """Text is compared after one normalisation: no other module folds Unicode or case on its own."""

    STRAY = re.compile(r"^\s*(?:import unicodedata|from unicodedata)|\.casefold\(\)|\[\^0-9A-Z\]|\[\^A-Z0-9\]", re.M)

    def test_no_module_but_text_py_normalises_text(self):
        addon = Path(__file__).resolve().parent.parent
        stray = []
        for path in sorted(addon.rglob("*.py")):
            if "tests" in path.parts or path == addon / "matching" / "text.py":
                continue
            for match in self.STRAY.finditer(path.read_text(encoding="utf-8")):
                stray.append(f"{path.relative_to(addon)}: {match.group().strip()}")
        self.assertEqual(stray, [], "compare text through matching/text.py (fold, text_key) only")
