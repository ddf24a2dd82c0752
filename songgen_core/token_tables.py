"""What the structured writer needs to know about a tokenizer's vocabulary, computed once per tokenizer.

- `texts`: each token's text (spaces and newlines resolved), for any tokenizer
  whose pieces mark a space with "▁" (SentencePiece: Gemma) or use the
  byte-level alphabet (GPT-2, SmolLM2).
- `banned`: tokens a lyric line may never hold: markup and brackets
  (`< > [ ] { } | \\ ( ) * # @ _ = ~ ^ $ % & + /`), digits, quotes, colons,
  runs of spaces, tabs, characters outside Latin script, special tokens, and a
  newline followed by more text. A line cannot spell "<back>", "[Music & Video]"
  or "(i.e.)" when it cannot draw "<", "[" or "(".
- `blocked`: tokens that spell a clean-list word whole (" fuck"), not drawn in clean lyrics.
- `ends`: tokens that end a line (newlines alone; Gemma keeps punctuation apart).
- `lyric_ids`: the tokens an English lyric line is written with: allowed
  tokens that are a word of the pronouncing dictionary (any case), a piece of
  at most 3 letters (longer or rarer words are spelled from pieces), or
  punctuation and line breaks. Gemma: 89k of its 262k tokens; the CPU line
  writer computes its LM head on these only (line_writer.py).
- `words`: lower-case words that are one token after a space (" night"), with
  that token: the words the writer can steer a line's ending to.

`tables(tokenizer)` caches the result while the tokenizer lives (about a second
for Gemma's 262k tokens). Raises nothing of its own.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

import torch

from .clean_words import is_blocked
from .rhyme import dictionary, rhyme_index

_ALLOWED_PUNCTUATION = set(" ,.!?'-;\u2019\n")
_cache: "weakref.WeakKeyDictionary[object, TokenTables]" = weakref.WeakKeyDictionary()
_lock = threading.Lock()


@dataclass
class TokenTables:
    texts: list[str]
    banned: torch.Tensor  # ids
    blocked: torch.Tensor  # ids
    ends: torch.Tensor  # ids
    newline: int
    words: dict[str, int]  # word -> the id of its one-token " word"
    word_start: torch.Tensor  # bool per id: the token starts with a space, punctuation or a newline (may follow a whole word)
    rhymes: dict[str, set[str]]  # rhyme part -> words of `words` (rhyme.rhyme_index)
    lyric_ids: torch.Tensor  # ids, ascending


def tables(tokenizer) -> TokenTables:
    """The tables of `tokenizer` (cached while it lives)."""
    with _lock:
        found = _cache.get(tokenizer)
        if found is None:
            found = _build(tokenizer)
            _cache[tokenizer] = found
        return found


def continuation_ids(tokenizer, before: str, text: str) -> list[int]:
    """The ids `text` gets when it follows `before` (a plain word), e.g. " night" after "I"."""
    head = tokenizer(before, add_special_tokens=False)["input_ids"]
    whole = tokenizer(before + text, add_special_tokens=False)["input_ids"]
    return whole[len(head):] if whole[: len(head)] == head else tokenizer(text, add_special_tokens=False)["input_ids"]


def _piece_texts(tokenizer) -> list[str]:
    pieces = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
    probe = tokenizer.convert_ids_to_tokens(continuation_ids(tokenizer, "I", " the"))
    if probe and probe[0].startswith("\u0120"):  # byte-level BPE: "Ġthe"
        back = {ch: b for b, ch in _bytes_to_unicode().items()}
        out = []
        for piece in pieces:
            piece = piece or ""
            if all(ch in back for ch in piece):
                out.append(bytes(back[ch] for ch in piece).decode("utf-8", errors="replace"))
            else:  # an added token (special, or the end-of-lyrics marker)
                out.append(piece)
        return out
    out = []
    for piece in pieces:  # SentencePiece: "▁" is a space, "<0x0A>" a byte
        piece = piece or ""
        if len(piece) == 6 and piece.startswith("<0x") and piece.endswith(">"):
            try:
                out.append(bytes([int(piece[3:5], 16)]).decode("utf-8", errors="replace"))
                continue
            except ValueError:
                pass
        out.append(piece.replace("\u2581", " "))
    return out


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2's byte-level alphabet: each byte as the printable character its BPE pieces use."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\u00a1"), ord("\u00ac") + 1)) \
        + list(range(ord("\u00ae"), ord("\u00ff") + 1))
    chars = printable[:]
    n = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + n)
            n += 1
    return dict(zip(printable, map(chr, chars)))


def _allowed(text: str) -> bool:
    if not text or "  " in text or "\t" in text or "\ufffd" in text:
        return False
    newline = text.find("\n")
    if newline >= 0 and text[newline:].strip("\n"):  # a newline followed by more text
        return False
    return all(ch in _ALLOWED_PUNCTUATION or (ch.isalpha() and ord(ch) < 0x250) for ch in text)


def _build(tokenizer) -> TokenTables:
    texts = _piece_texts(tokenizer)
    special = set(tokenizer.all_special_ids)  # added tokens are not all special: Gemma's "\n" is one
    banned, blocked, ends, words, starts, lyric = [], [], [], {}, [], []
    known = dictionary()
    for i, text in enumerate(texts):
        starts.append(text[:1] in (" ", ",", ".", "!", "?", ";", "-", "\n"))
        if i in special or not _allowed(text):
            banned.append(i)
            continue
        stripped = text.strip()
        core = stripped.strip(",.!?;-'\u2019").lower().replace("\u2019", "'")
        if len(core) <= 3 or core in known:
            lyric.append(i)
        if text.strip(" ,.!?;-'\n") == "" and "\n" in text:
            ends.append(i)
        if stripped and is_blocked(stripped):
            blocked.append(i)
        if text.startswith(" ") and stripped.isalpha() and stripped.islower() and stripped in known:
            words.setdefault(stripped, i)
    newline = continuation_ids(tokenizer, "I", "\n")
    return TokenTables(texts, torch.tensor(banned, dtype=torch.long), torch.tensor(blocked, dtype=torch.long),
                       torch.tensor(ends, dtype=torch.long), newline[0] if newline else ends[0], words,
                       torch.tensor(starts, dtype=torch.bool), rhyme_index(words), torch.tensor(lyric, dtype=torch.long))
