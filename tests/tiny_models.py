"""Tiny random-initialised models that tests build themselves (no hub)."""

from __future__ import annotations

from pathlib import Path

from songgen_core.prompts import END_OF_LYRICS, format_song

# What the tiny models learn: the short example songs prompts.py had before its examples took the
# section layout (kept here, so the tests that rely on what the tiny models memorised stay as they were).
TRAINING_SONGS: dict[str, list[tuple[str, str, str]]] = {
    "rock": [
        (
            "The Rust Engines",
            "Highway Static",
            """Headlights cutting through the rain tonight
I left the city with its neon light
The radio is screaming out my name
And every mile I drive I feel the flame

We are the sparks that never hit the ground
We are the echo of a louder sound
So turn it up and let the engine roar
We don't live quiet anymore""",
        ),
        (
            "Glass Harbour",
            "Iron Lungs",
            """I have been breathing smoke since I was young
With borrowed anthems rolling off my tongue
You built a wall and called it a home
I broke it down to stand here on my own

Scream it loud until the windows shake
Give me something that I cannot break""",
        ),
    ],
    "pop": [
        (
            "Lena Vale",
            "Paper Hearts",
            """We were dancing in the kitchen light
Your hand in mine and everything was right
Summer songs on a borrowed radio
I never wanted you to let me go

Oh oh, paper hearts in the rain
Oh oh, I would fold them again
Every color that you gave to me
Is the only place I want to be""",
        ),
        (
            "Marco Sun",
            "Golden Hour",
            """Wake me up when the sky turns gold
I got a story that has never been told
Call your friends, we are going out tonight
Everybody shining, everybody bright

This is our golden hour
Feel the rhythm, feel the power""",
        ),
    ],
    "rap": [
        (
            "MC Northside",
            "Concrete Dreams",
            """Started from the corner with a notebook and a plan
Mama working doubles so I had to be a man
Every bar I write is like a brick in the wall
Building up a castle so my people never fall

Concrete dreams, yeah, we grew through the cracks
Never looking back, only moving on the tracks""",
        ),
        (
            "Lil Meridian",
            "Late Night Ledger",
            """Counting every blessing like I'm counting up the rent
Every single minute, tell me where the hours went
They said I wouldn't make it, now they're asking for a verse
I was writing in the dark, now I'm putting in the work""",
        ),
    ],
    "_default": [
        (
            "June Harlow",
            "Open Road",
            """There's a light on the hill where the river bends
An old guitar and a couple of friends
We sing the songs that our fathers knew
And every word of it still rings true

Open road, carry me home
I have wandered too long on my own""",
        ),
        (
            "The Evening Post",
            "Slow Burn",
            """You move like a candle in a quiet room
Your voice is the color of a late July moon
I don't need the answers, I just need the time
To hold you in the rhythm and the rhyme""",
        ),
    ],
}

CORPUS = [format_song(artist, title, lyrics) for songs in TRAINING_SONGS.values() for artist, title, lyrics in songs]
# The lyrics alone, one song after another with no header or end token between them: a model
# trained on this writes lines and never ends a song by itself (it runs to the word limit).
ENDLESS_CORPUS = ["\n".join(lyrics.strip() for songs in TRAINING_SONGS.values() for _a, _t, lyrics in songs) + "\n"]


def tiny_bpe_tokenizer(vocab_size: int = 400, end_token: bool = True):
    """A byte-level BPE tokenizer trained on the few-shot lyrics, as GPT-2's is."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    special = ["<|endoftext|>"] + ([END_OF_LYRICS] if end_token else [])
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=special, initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(CORPUS * 3, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|endoftext|>", bos_token="<|endoftext|>", unk_token="<|endoftext|>")
    if end_token:
        fast.add_special_tokens({"additional_special_tokens": [END_OF_LYRICS]})
    return fast


def save_tiny_gpt2(folder: Path, end_token: bool = True, seed: int = 0, n_positions: int = 1024) -> Path:
    """Save a tiny random GPT-2 + tokenizer as a fine-tuned model folder would be
    (`n_positions`: how many positions its learnt position embeddings cover)."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    tokenizer = tiny_bpe_tokenizer(end_token=end_token)
    torch.manual_seed(seed)
    config = GPT2Config(
        vocab_size=len(tokenizer), n_positions=n_positions, n_embd=32, n_layer=2, n_head=2,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
    )
    model = GPT2LMHeadModel(config)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def train_tiny_gpt2(folder: Path, steps: int = 120, seed: int = 0, end_token: bool = True, endless: bool = False) -> Path:
    """A tiny GPT-2 that has memorised the example songs, so it writes the format:
    newlines, headers and the end-of-lyrics token (a random model writes noise).
    With `end_token=False` the end-of-lyrics marker is plain text to its tokenizer
    (a few ordinary tokens), as it is to an embedded base model's. With `endless=True` it
    learns the lyrics without headers or end tokens (ENDLESS_CORPUS), so it writes until the
    word limit: a song that streams for a while, for tests that act during a stream."""
    import torch
    from transformers import GPT2LMHeadModel, PreTrainedTokenizerFast

    save_tiny_gpt2(folder, end_token=end_token, seed=seed)
    tokenizer = PreTrainedTokenizerFast.from_pretrained(folder)
    model = GPT2LMHeadModel.from_pretrained(folder)
    text = "".join(song + "\n" for song in (ENDLESS_CORPUS * 4 if endless else CORPUS))
    ids = torch.tensor(tokenizer(text)["input_ids"])
    block = 128
    blocks = ids[: len(ids) // block * block].view(-1, block)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    torch.manual_seed(seed)
    model.train()
    for step in range(steps):
        batch = blocks[torch.randint(len(blocks), (8,))]
        loss = model(input_ids=batch, labels=batch).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    model.eval()
    model.save_pretrained(folder)
    return folder
