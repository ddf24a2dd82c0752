"""The mix: a channel volume per track, so each gets its share of the power."""

from __future__ import annotations

# Mean power of each GM program as the arranger plays it in
# TimGM6mb.sf2 at full channel volume (measured over 8 seeds; "drums" is the kit),
# and the share of the mix's power each track should get: the lead stands in
# for the singer, so it is as loud as the drums.
PROGRAM_POWER = {
    "drums": 0.0075, 0: 0.0017, 4: 0.0041, 5: 0.001, 11: 0.0021, 22: 0.0035, 24: 0.0105, 25: 0.0035,
    29: 0.0032, 30: 0.0044, 32: 0.0068, 33: 0.0156, 34: 0.0081, 38: 0.0183, 39: 0.0289, 54: 0.0046,
    62: 0.0037, 73: 0.0186, 80: 0.0007, 81: 0.0015, 90: 0.0051,
    # the chorus pads, measured over the choruses they play in (4 seeds)
    48: 0.0058, 49: 0.0054, 50: 0.0009, 52: 0.0234, 89: 0.0265, 95: 0.0069,
}
MIX_SHARE = {"drums": 0.3, "bass": 0.25, "comping": 0.15, "lead": 0.3, "pad": 0.1}


def mix_volumes(programs: dict[str, int]) -> dict[str, int]:
    """Channel volume (CC 7) per track so each gets its MIX_SHARE of the power.

    Set in the MIDI rather than applied to the audio so an exported MIDI file
    sounds balanced too. TinySoundFont's power goes with (CC 7 / 127) ** 6
    (the volume is cubed, as amplitude); the loudest-needed track gets 127.
    """
    power = {"drums": PROGRAM_POWER["drums"], **{role: PROGRAM_POWER.get(p, 0.005) for role, p in programs.items()}}
    gains = {role: (MIX_SHARE[role] / power[role]) ** (1 / 6) for role in MIX_SHARE}
    top = max(gains.values())
    return {role: int(round(127 * g / top)) for role, g in gains.items()}
