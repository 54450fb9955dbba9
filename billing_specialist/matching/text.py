"""The one normalisation of text compared by the product: names, references, bank accounts, invoice numbers.

People outside the company write most of this text (a payer's name, a memo, a PO reference), and the same word can
be written with characters that look alike or show nothing. Every comparison goes through this module, so that two
texts a person reads as the same compare equal, and two that differ never do:

- ``clean(text)``: compatibility forms folded (NFKC: fullwidth 'ＩＮＶ' is 'INV', the ligature 'ﬁ' is 'fi', '²' is
  '2'), invisible characters removed (zero-width space, joiner and non-joiner, word joiner, BOM, soft hyphen, bidi
  marks, variation selectors, Hangul fillers, every other format character and control), every kind of spacing
  (no-break, thin, ideographic space, tab, line break) made one plain space, dash look-alikes (hyphens, en and em
  dashes, the minus sign, small and fullwidth hyphen-minus) made '-', digits of every script made 0-9 ('٤٢' is
  '42'). Case and accents are kept: the text as a person wrote it, without its tricks.
- ``fold(text)``: ``clean``, then case folded ('ß' is 'ss'), accents folded to their base letter ('Müller' is
  'muller', 'Ærø' is 'ærø': letters without a decomposition stay), and spacing removed (``spaces=True`` keeps one
  space between words, for splitting into words).
- ``text_key(text)``: ``fold``, then letters and digits only, of any script: the comparison key. 'INV/2026-00042 ',
  'inv 2026 00042' and 'INV\\u2011 2026\\u200b/00042' are all 'inv202600042'; 'Müller GmbH' is 'mullergmbh' and
  'Mller GmbH' 'mllergmbh': two customers.

Accents folded are the generic combining diacritics (U+0300-036F and their supplements), those of Latin, Greek and
Cyrillic. The marks of scripts where they change the word (Devanagari vowel signs, the Japanese voicing marks of
'が' against 'か', Arabic and Hebrew vowel points) are kept, in the key too: folding them would give two different
names one key, and a key that misses a match only holds a payment for a person, a shared one applies it wrongly.
Letters of different scripts never fold together (the Cyrillic 'а' is not the Latin 'a'): a name written with
look-alike letters of another script finds no customer, it never finds the wrong one.
"""

import re
import unicodedata

DASH = "-"
# Default_Ignorable_Code_Point (Unicode 15): shown as nothing. Format characters (Cf) are removed too, whatever
# their block, and controls (Cc) count as spacing.
_IGNORABLE = (
    (0x00AD, 0x00AD),  # soft hyphen
    (0x034F, 0x034F),  # combining grapheme joiner
    (0x061C, 0x061C),  # Arabic letter mark
    (0x115F, 0x1160),  # Hangul fillers (letters that show nothing)
    (0x17B4, 0x17B5),  # Khmer inherent vowels
    (0x180B, 0x180F),  # Mongolian variation selectors and vowel separator
    (0x200B, 0x200F),  # zero-width space, non-joiner, joiner, left-to-right and right-to-left marks
    (0x202A, 0x202E),  # bidi embeddings and overrides
    (0x2060, 0x206F),  # word joiner, invisible operators, bidi isolates
    (0x3164, 0x3164),  # Hangul filler
    (0xFE00, 0xFE0F),  # variation selectors
    (0xFEFF, 0xFEFF),  # byte order mark, zero-width no-break space
    (0xFFA0, 0xFFA0),  # halfwidth Hangul filler
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),  # shorthand format controls
    (0x1D173, 0x1D17A),  # musical format controls
    (0xE0000, 0xE0FFF),  # tags, variation selectors supplement
)
# Generic combining diacritics: the accents folded to their base letter.
_ACCENTS = ((0x0300, 0x036F), (0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF), (0x20D0, 0x20FF), (0xFE20, 0xFE2F))
# Dashes and minus signs that are no dash punctuation (Pd) in Unicode.
_MINUS = {0x02D7, 0x2043, 0x2212, 0x2796, 0x2E3A, 0x2E3B, 0xFE63}
_SPACE_LIKE = {0x2800}  # Braille blank: a symbol that shows as a space

_ASCII_SPACING = re.compile(r"[\x00-\x20\x7f]+")
_ASCII_NON_KEY = re.compile(r"[^0-9a-z]+")
_SPACES = re.compile(" +")


def _in(code, ranges):
    return any(low <= code <= high for low, high in ranges)


class _Table(dict):
    """``str.translate`` table computed per character on first use (a character's class never changes)."""

    def __init__(self, classify):
        super().__init__()
        self.classify = classify

    def __missing__(self, code):
        value = self[code] = self.classify(code)
        return value


def _clean_char(code):
    char = chr(code)
    category = unicodedata.category(char)
    if _in(code, _IGNORABLE) or category in ("Cf", "Cs"):
        return None
    if category in ("Cc", "Zs", "Zl", "Zp") or code in _SPACE_LIKE:
        return " "
    if category == "Pd" or code in _MINUS:
        return DASH
    if category == "Nd":
        return str(unicodedata.decimal(char))
    return char


def _fold_char(code):
    return None if _in(code, _ACCENTS) else _clean_char(code)


_CLEAN = _Table(_clean_char)
_FOLD = _Table(_fold_char)


def _spacing(text, spaces):
    return _SPACES.sub(" ", text).strip() if spaces else text.replace(" ", "")


def clean(text):
    """``text`` without its tricks, as written otherwise: compatibility forms folded, invisible characters
    removed, spacing one space (trimmed), dashes '-', digits 0-9; case and accents kept."""
    if not text:
        return ""
    if text.isascii():
        return _ASCII_SPACING.sub(" ", text).strip()
    return _spacing(unicodedata.normalize("NFKC", text).translate(_CLEAN), True)


def fold(text, spaces=False):
    """``clean``, case folded, accents folded to their base letter, spacing removed (one space between words with
    ``spaces``): the form of ``text`` that comparisons start from. ``fold(fold(x)) == fold(x)``."""
    if not text:
        return ""
    if text.isascii():
        return _ASCII_SPACING.sub(" " if spaces else "", text.lower()).strip()
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = unicodedata.normalize("NFC", unicodedata.normalize("NFKD", folded).translate(_FOLD))
    return _spacing(folded, spaces)


def _is_key_char(char):
    return char.isalnum() or unicodedata.category(char)[0] == "M"


def text_key(text):
    """The comparison key of ``text``: ``fold``, letters and digits (and the marks kept by ``fold``) only, of any
    script. 'INV/2026-00042 ' -> 'inv202600042'; '' for a text without a letter or digit."""
    if not text:
        return ""
    if text.isascii():
        return _ASCII_NON_KEY.sub("", text.lower())
    return "".join(char for char in fold(text) if _is_key_char(char))


def key_parts(text):
    """The runs of letters and digits of ``fold(text)``, each a key: 'INV/2026 00042' -> ['inv', '2026', '00042']."""
    if not text:
        return []
    if text.isascii():
        return [part for part in _ASCII_NON_KEY.split(text.lower()) if part]
    parts, current = [], []
    for char in fold(text, spaces=True):
        if _is_key_char(char):
            current.append(char)
        elif current:
            parts.append("".join(current))
            current = []
    if current:
        parts.append("".join(current))
    return parts


def has_key(text):
    """Whether ``text`` holds at least one letter or digit (a zero-width space, a tab or dashes alone do not)."""
    return bool(text_key(text))


# Letters of Cyrillic and Greek drawn like a Latin letter (capital or small), after ``fold``: the Latin letter.
_LOOKALIKES = str.maketrans(
    "авеёкмнорстухѕіїјԁԛԝһӏαβεηικμνορτυχζϲ",
    "abeekmhopctyxsiijdqwhlabehikmnoptyxzc",
)


def lookalike_key(text):
    """``text_key`` with Cyrillic and Greek letters drawn like Latin ones read as Latin ('РО-4711' in Cyrillic is
    'po4711'). For checks that must not be evaded (the duplicate check: a false flag costs a look), never for
    identifying a customer or an invoice (a wrong match is the one outcome the matching must never produce)."""
    return text_key(text).translate(_LOOKALIKES)
