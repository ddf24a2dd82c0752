"""Command line: write a song into a folder.

    python -m songgen_core --genre rock --title "Highway Static" --artist "The Rust Engines" \
        --opening "Headlights cutting through the rain" --out out/highway [--duration 20|whole] [--seed 7]

Writes lyrics.txt, song.wav, song.mp3, song.mid (arranger backend) and song.json;
--stems adds stems/<part>.wav and stems.zip; --vocals guide sings the lyrics.
Exit codes: 0 done, 2 bad input (nothing written), 3 a model is unavailable, 1 any other failure.
"""

from __future__ import annotations

import argparse
import sys

from .errors import ConfigError, InvalidRequestError, ModelUnavailableError, SongGenError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m songgen_core", description="Write a song: lyrics, music and audio files.")
    parser.add_argument("--genre", required=True, help="a genre from the registry (config/models.toml): rock, pop, rap, ...")
    parser.add_argument("--title", required=True, help="the song's title")
    parser.add_argument("--artist", default="", help="an artist to take after")
    parser.add_argument("--opening", required=True, help="the opening line of the lyrics")
    parser.add_argument("--out", required=True, help="folder to write the song into (must be empty unless --overwrite)")
    parser.add_argument("--duration", type=_duration, default=None,
                        help="seconds of music, or 'whole' (the default): the whole song, every line sung, with an intro and an outro")
    parser.add_argument("--seed", type=int, default=None, help="seed for lyrics and music (default: random, recorded in song.json)")
    parser.add_argument("--music-backend", choices=["arranger", "musicgen"], default=None, help="default: the registry's (arranger)")
    parser.add_argument("--musicgen-model", default=None, help="hub id or folder for the musicgen backend")
    parser.add_argument("--melody", default=None, help="reference melody audio file (musicgen-melody models)")
    parser.add_argument("--vocals", choices=["none", "guide"], default="none",
                        help="guide: sing the lyrics over the melody (arranger only; needs Debian's festival, see the README)")
    parser.add_argument("--voice", default=None, help="the singing voice for --vocals guide (default: kal)")
    parser.add_argument("--stems", action="store_true", help="also write stems/<part>.wav and stems.zip (arranger only)")
    parser.add_argument("--lyrics-mode", choices=["structured", "free"], default="structured",
                        help="structured (default): the genre's song plan (config/songs.toml), verses and a repeated chorus "
                             "with the title, rhymes; free: one free run of the model, as before")
    parser.add_argument("--length", choices=["short", "standard", "long"], default="standard",
                        help="structured songs: short, standard (150-250 words) or long")
    parser.add_argument("--explicit", action="store_true",
                        help="allow profanity and sexual vulgarity (by default lines holding words of the clean list are not kept)")
    parser.add_argument("--max-words", type=int, default=150, help="free mode: about this many words")
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--top-k", type=int, default=50)
    parser.add_argument("--top-p", type=float, default=0.95)
    parser.add_argument("--repetition-penalty", type=float, default=1.1)
    parser.add_argument("--config", default=None, help="model registry file (default config/models.toml)")
    parser.add_argument("--overwrite", action="store_true", help="replace the song already in --out")
    parser.add_argument("--quiet", action="store_true", help="print only the folder written")
    return parser


def _duration(text: str) -> float | None:
    """--duration: 'whole' (or 'whole song') stays a word for MusicRequest; anything else must be a number
    (its range is checked with the rest of the request, so a bad value exits 2 with nothing written)."""
    if text.strip().lower() in ("whole", "whole song"):
        return None
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds or 'whole', got {text!r}") from None


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Imported here so --help answers at once, before torch loads.
    from .lyrics import LyricsRequest
    from .registry import load_registry
    from .song_plan import load_song_plans
    from .songs import create_song

    options = {}
    if args.musicgen_model:
        options["model"] = args.musicgen_model
    if args.melody:
        options["melody_path"] = args.melody
    try:
        load_song_plans()  # a broken plan is reported now, before any work
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        request = LyricsRequest(
            genre=args.genre, title=args.title, artist=args.artist, opening_line=args.opening,
            max_words=args.max_words, temperature=args.temperature, top_k=args.top_k, top_p=args.top_p,
            seed=args.seed, repetition_penalty=args.repetition_penalty, mode=args.lyrics_mode, length=args.length,
            explicit=args.explicit,
        )
        registry = load_registry(args.config)
        song = create_song(
            request, args.out, duration_s=args.duration, music_backend=args.music_backend, music_seed=args.seed,
            music_options=options, registry=registry, overwrite=args.overwrite,
            vocals=args.vocals, voice=args.voice, stems=args.stems,
            progress=None if args.quiet else _print_progress,
            on_lyrics_piece=None if args.quiet else _print_piece,
        )
    except InvalidRequestError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except ModelUnavailableError as error:
        print(f"error: model unavailable: {error}", file=sys.stderr)
        return 3
    except SongGenError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; nothing was written", file=sys.stderr)
        return 130
    vocals = song.music.info.get("vocals") or {}
    if vocals.get("error"):  # the song was made, without its vocal: say what is missing
        print(f"warning: no guide vocal: {vocals['error']}", file=sys.stderr)
    if args.quiet:
        print(song.folder)
    else:
        timings = song.info["timings"]
        print(f"\n\nwrote {song.folder}: {', '.join(song.info['files'])}")
        print(f"lyrics {timings['lyrics_s']:.1f} s ({song.lyrics.model_source}), music {timings['music_s']:.1f} s ({song.music.model})")
    return 0


def _print_piece(piece: str) -> None:
    print(piece, end="", flush=True)


_last_stage = [None]


def _print_progress(stage: str, fraction: float, message: str) -> None:
    if stage == "lyrics":
        if fraction == 0.0:
            print("--- lyrics ---", file=sys.stderr, flush=True)
        return
    if stage != _last_stage[0]:
        print(file=sys.stderr)
        _last_stage[0] = stage
    print(f"\r[{stage}] {fraction:4.0%} {message}".ljust(60), end="", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
