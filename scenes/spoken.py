"""The narration as it is to be pronounced: what a speech synthesiser should be given to read a line aloud.

Numbers become words of the language, token pieces and signs become what a teacher would say, and Japanese
becomes kana (espeak-ng reads every kanji as the English words "Chinese letter"):

    spoken("The likeliest, “␣girl”, gets 62.2%.", "en")  # 'The likeliest, “girl”, gets sixty-two point two percent.'
    spoken("確率は62.2 %です", "ja")                      # 'かくりつはろくじゅうにてんにパーセントです'
"""
from __future__ import annotations

import re
from functools import lru_cache

NUMBER = re.compile(r"(?<![0-9A-Za-z.,])([-−]?)(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(\s?[%％])?")
BYTE = re.compile(r"<([0-9a-f]{2})>")  # a lone UTF-8 byte token, as gptmath writes it (<e3>)
TOKEN_MARKS = {"en": {"␣": "space", "↵": "new line"}, "ja": {"␣": "スペース", "↵": "かいぎょう"}}
SYMBOLS = {  # signs in the narration, as they are read out
    "en": {"=": "equals", "×": "times", "√": "the square root of", "°": "degrees", "−": "minus"},
    "ja": {"=": "イコール", "×": "かける", "√": "ルート", "°": "ど", "−": "ひく", "-": " "},
}


def spoken(text: str, lang: str) -> str:
    """The line as the synthesiser should read it: numbers in words of the language (62.2 % → "sixty-two point
    two percent", 「ろくじゅうにてんにパーセント」), byte tokens as "byte E3", the space mark silent before a word
    (“␣girl” is "girl") and named where it stands alone, signs (=, ×, √) as words, chat markers (<|user|>) and
    names such as W_Q as words; Japanese in kana (espeak-ng reads kanji as "Chinese letter")."""
    number, byte = (number_en, "byte") if lang == "en" else (number_ja, "バイト")
    text = BYTE.sub(lambda m: f" {byte} {' '.join(spelt(c, lang) for c in m.group(1))} ", text)
    text = NUMBER.sub(lambda m: number(m.group(1), m.group(2).replace(",", ""), m.group(3), bool(m.group(4))), text)
    text = re.sub(r"[␣↵](?=\w)", "", text)  # “␣girl”: the word; the mark alone is named below
    text = re.sub(r"<\||\|>|_", " ", text)  # <|im_start|> and W_Q read as words
    for mark, name in (TOKEN_MARKS[lang] | SYMBOLS[lang]).items():
        text = text.replace(mark, f" {name} ")
    text = re.sub(r"[ \t]+", " ", text).strip()
    return kana(text) if lang == "ja" else text


ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen").split()
TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
SCALES = ((10 ** 9, "billion"), (10 ** 6, "million"), (1000, "thousand"))


def spelt(char: str, lang: str) -> str:
    """A letter or digit of a byte's hex code as it is said: E, 3 (en); イー, さん (ja)."""
    if lang == "en":
        return char.upper()
    return KANA_DIGITS[int(char)] if char.isdigit() else LETTERS_JA[char]


def int_en(n: int) -> str:
    """An integer in English words: 50257 -> 'fifty thousand two hundred fifty-seven'."""
    for size, name in SCALES:
        if n >= size:
            rest = n % size
            return f"{int_en(n // size)} {name}" + (f" {int_en(rest)}" if rest else "")
    if n >= 100:
        return f"{ONES[n // 100]} hundred" + (f" {int_en(n % 100)}" if n % 100 else "")
    if n >= 20:
        return TENS[n // 10] + (f"-{ONES[n % 10]}" if n % 10 else "")
    return ONES[n]


def number_en(sign: str, whole: str, fraction: str | None, percent: bool) -> str:
    words = ("minus " if sign else "") + int_en(int(whole))
    if fraction:
        words += " point " + " ".join(ONES[int(d)] for d in fraction)
    return words + (" percent" if percent else "")


KANA_DIGITS = ("ゼロ", "いち", "に", "さん", "よん", "ご", "ろく", "なな", "はち", "きゅう")
HUNDREDS = {1: "ひゃく", 3: "さんびゃく", 6: "ろっぴゃく", 8: "はっぴゃく"}
THOUSANDS = {1: "せん", 3: "さんぜん", 8: "はっせん"}
MYRIADS = ((10 ** 12, "ちょう"), (10 ** 8, "おく"), (10 ** 4, "まん"))


def int_ja(n: int) -> str:
    """An integer in kana: 50257 -> 'ごまんにひゃくごじゅうなな', 62 -> 'ろくじゅうに'."""
    if n == 0:
        return KANA_DIGITS[0]
    for size, name in MYRIADS:
        if n >= size:
            rest = n % size
            return int_ja(n // size) + name + (int_ja(rest) if rest else "")
    words = ""
    thousands, hundreds, tens, ones = n // 1000, n // 100 % 10, n // 10 % 10, n % 10
    if thousands:
        words += THOUSANDS.get(thousands, KANA_DIGITS[thousands] + "せん")
    if hundreds:
        words += HUNDREDS.get(hundreds, KANA_DIGITS[hundreds] + "ひゃく")
    if tens:
        words += ("" if tens == 1 else KANA_DIGITS[tens]) + "じゅう"
    return words + (KANA_DIGITS[ones] if ones else "")


def number_ja(sign: str, whole: str, fraction: str | None, percent: bool) -> str:
    words = ("マイナス" if sign else "") + int_ja(int(whole))
    if fraction:
        words += "てん" + "".join(KANA_DIGITS[int(d)] for d in fraction)
    return words + ("パーセント" if percent else "")


LETTERS_JA = dict(zip("abcdefghijklmnopqrstuvwxyz", (
    "エー ビー シー ディー イー エフ ジー エイチ アイ ジェー ケー エル エム エヌ オー ピー キュー アール エス ティー "
    "ユー ブイ ダブリュー エックス ワイ ゼット").split()))


@lru_cache(maxsize=1)
def _kakasi():
    import pykakasi

    return pykakasi.kakasi()


def kana(text: str) -> str:
    """Japanese text in hiragana (katakana kept), with Latin capitals spelt in kana (GPT → ジーピーティー);
    readings from pykakasi's dictionary."""
    text = re.sub(r"(?<![A-Za-z])[A-Z]+(?![a-z])", lambda m: "".join(LETTERS_JA[c] for c in m.group(0).lower()), text)
    return "".join(part["kana"] if re.search(r"[ァ-ヶー]", part["orig"]) else part["hira"]
                   for part in _kakasi().convert(text))
